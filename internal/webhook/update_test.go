package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/hotelpay/a55-temporal/internal/metrics"
	"github.com/hotelpay/a55-temporal/workflows"
)

// countingMetrics counts metrics.WebhooksSignalled by result tag (the
// receiver answers one request at a time in these tests).
type countingMetrics struct {
	results map[string]int64
	tags    map[string]string
}

func newCountingMetrics() *countingMetrics {
	return &countingMetrics{results: map[string]int64{}}
}

func (m *countingMetrics) WithTags(tags map[string]string) client.MetricsHandler {
	return &countingMetrics{results: m.results, tags: tags}
}

func (m *countingMetrics) Counter(name string) client.MetricsCounter {
	if name != metrics.WebhooksSignalled {
		return client.MetricsNopHandler.Counter(name)
	}
	result := m.tags[metrics.TagResult]
	return counterFunc(func(d int64) { m.results[result] += d })
}

func (m *countingMetrics) Gauge(name string) client.MetricsGauge {
	return client.MetricsNopHandler.Gauge(name)
}
func (m *countingMetrics) Timer(name string) client.MetricsTimer {
	return client.MetricsNopHandler.Timer(name)
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

func answer(t *testing.T, body []byte) string {
	t.Helper()
	var a struct{ Message string }
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return a.Message
}

var wantArg = workflows.ChargeChangedSignal{ChargeUUID: "5f0e4e0a-3c2b-4f4a-9d55-0d6f1e2a7b11", Status: "confirmed"}

func TestWebhookGoesToTheWorkflowAsAnUpdate(t *testing.T) {
	fake := &fakeTemporal{}
	m := newCountingMetrics()
	rc := newReceiver(t, fake, func(o *Options) { o.Updater = fake; o.Metrics = m })
	rec := post(rc, hookURL("BK-1001"), goodBody, nil)
	if rec.Code != http.StatusOK || answer(t, rec.Body.Bytes()) != "accepted" {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if fake.updateCount() != 1 || fake.count() != 0 {
		t.Fatalf("%d updates, %d signals; want one update and no signal", fake.updateCount(), fake.count())
	}
	u := fake.updates[0]
	if u.WorkflowID != "booking-BK-1001" || u.RunID != "" || u.UpdateName != workflows.UpdateChargeChanged ||
		u.WaitForStage != client.WorkflowUpdateStageCompleted {
		t.Errorf("update options %+v", u)
	}
	if len(u.Args) != 1 || u.Args[0] != any(wantArg) {
		t.Errorf("update args %#v, want [%#v]", u.Args, wantArg)
	}
	if m.results[resultUpdated] != 1 || len(m.results) != 1 {
		t.Errorf("metrics %v", m.results)
	}
}

// Each answer of the update maps to an HTTP status and decides whether the
// signal is sent as well.
func TestUpdateOutcomes(t *testing.T) {
	ignored := temporal.NewNonRetryableApplicationError("webhook ignored: the last read already showed confirmed", workflows.ErrTypeWebhookIgnored, nil)
	cases := []struct {
		name       string
		updateErr  error // from UpdateWorkflow
		outcome    error // from the handle's Get
		signalErr  error
		wantStatus int
		wantAnswer string
		wantSignal bool
		wantResult string
	}{
		{name: "accepted", wantStatus: 200, wantAnswer: "accepted", wantResult: resultUpdated},
		{name: "ignored as nothing new", outcome: ignored,
			wantStatus: 200, wantAnswer: "nothing new", wantResult: resultIgnored},
		{name: "workflow closed", updateErr: serviceerror.NewNotFound("workflow execution already completed"),
			wantStatus: 200, wantAnswer: "workflow already completed", wantResult: resultWorkflowClosed},
		{name: "old worker without the update", outcome: temporal.NewApplicationError("unknown update charge_changed. KnownUpdates=[]", ""),
			wantStatus: 200, wantAnswer: "accepted", wantSignal: true, wantResult: resultSignalledAsFallback},
		{name: "rejected for another reason", outcome: temporal.NewApplicationError("boom", "SomethingElse"),
			wantStatus: 200, wantAnswer: "accepted", wantSignal: true, wantResult: resultSignalledAsFallback},
		{name: "no worker answered in time", updateErr: client.NewWorkflowUpdateServiceTimeoutOrCanceledError(context.DeadlineExceeded),
			wantStatus: 200, wantAnswer: "accepted", wantSignal: true, wantResult: resultSignalledAsFallback},
		{name: "workflow not ready", updateErr: serviceerror.NewWorkflowNotReady("not ready"),
			wantStatus: 200, wantAnswer: "accepted", wantSignal: true, wantResult: resultSignalledAsFallback},
		{name: "temporal unavailable for both", updateErr: serviceerror.NewUnavailable("connection refused"), signalErr: serviceerror.NewUnavailable("connection refused"),
			wantStatus: 503, wantAnswer: "temporarily unavailable, retry", wantResult: resultUnavailable},
		{name: "workflow closed between update and signal", updateErr: serviceerror.NewUnavailable("blip"), signalErr: serviceerror.NewNotFound("workflow execution already completed"),
			wantStatus: 200, wantAnswer: "workflow already completed", wantResult: resultWorkflowClosed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeTemporal{updateErr: tc.updateErr, outcome: tc.outcome, err: tc.signalErr}
			m := newCountingMetrics()
			rc := newReceiver(t, fake, func(o *Options) { o.Updater = fake; o.Metrics = m })
			rec := post(rc, hookURL("BK-9"), goodBody, nil)
			if rec.Code != tc.wantStatus || answer(t, rec.Body.Bytes()) != tc.wantAnswer {
				t.Fatalf("answer %d %s, want %d %q", rec.Code, rec.Body, tc.wantStatus, tc.wantAnswer)
			}
			if fake.updateCount() != 1 {
				t.Fatalf("%d updates, want 1", fake.updateCount())
			}
			if got := fake.count(); got != map[bool]int{false: 0, true: 1}[tc.wantSignal] {
				t.Fatalf("%d signals, want signal=%v", got, tc.wantSignal)
			}
			if tc.wantSignal && fake.signals[0] != (signal{"booking-BK-9", workflows.SignalChargeChanged, wantArg}) {
				t.Errorf("fallback signal %+v", fake.signals[0])
			}
			if m.results[tc.wantResult] != 1 || len(m.results) != 1 {
				t.Errorf("metrics %v, want one %q", m.results, tc.wantResult)
			}
		})
	}
}

// Without an Updater the receiver signals, as before updates existed.
func TestSignalOnlyReceiverNeverUpdates(t *testing.T) {
	fake := &fakeTemporal{}
	m := newCountingMetrics()
	rc := newReceiver(t, fake, func(o *Options) { o.Metrics = m })
	if rec := post(rc, hookURL("BK-2"), goodBody, nil); rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if fake.updateCount() != 0 || fake.count() != 1 || m.results[resultSignalled] != 1 {
		t.Fatalf("%d updates, %d signals, metrics %v", fake.updateCount(), fake.count(), m.results)
	}
}

// blockingTemporal's update waits for its deadline, like one that no worker
// picks up; its signal fails if the context it gets is already over.
type blockingTemporal struct {
	updateTimeLeft time.Duration // at the call
	hadDeadline    bool
	signalCtxErr   error
	signalled      bool
}

func (b *blockingTemporal) UpdateWorkflow(ctx context.Context, _ client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	deadline, ok := ctx.Deadline()
	b.updateTimeLeft, b.hadDeadline = time.Until(deadline), ok
	if !ok {
		return nil, errors.New("unbounded update")
	}
	<-ctx.Done()
	return nil, client.NewWorkflowUpdateServiceTimeoutOrCanceledError(ctx.Err())
}

func (b *blockingTemporal) SignalWorkflow(ctx context.Context, _, _, _ string, _ interface{}) error {
	b.signalled = true
	b.signalCtxErr = ctx.Err()
	return ctx.Err()
}

// The update is bounded by UpdateTimeout and the fallback signal gets its own
// budget: an update that used up its time must not starve the signal.
func TestUpdateTimeoutLeavesTheSignalItsOwnBudget(t *testing.T) {
	b := &blockingTemporal{}
	rc, err := NewReceiver(Options{RouteSecret: routeSecret, Signaler: b, Updater: b, UpdateTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rec := post(rc, hookURL("BK-3"), goodBody, nil)
	if !b.hadDeadline || b.updateTimeLeft > 20*time.Millisecond {
		t.Errorf("the update had %v left (bounded: %v), want at most the UpdateTimeout", b.updateTimeLeft, b.hadDeadline)
	}
	if !b.signalled || b.signalCtxErr != nil {
		t.Fatalf("fallback signal sent=%v with context error %v", b.signalled, b.signalCtxErr)
	}
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
}

func TestDeliveryBudgetMustFitA55sWait(t *testing.T) {
	fake := &fakeTemporal{}
	base := Options{RouteSecret: routeSecret, Signaler: fake, Updater: fake}
	tooLong := base
	tooLong.UpdateTimeout, tooLong.SignalTimeout = 20*time.Second, 10*time.Second
	if _, err := NewReceiver(tooLong); err == nil {
		t.Error("UpdateTimeout+SignalTimeout of 30 s accepted")
	}
	if _, err := NewReceiver(base); err != nil {
		t.Errorf("defaults refused: %v", err)
	}
	signalOnly := tooLong
	signalOnly.Updater = nil
	if _, err := NewReceiver(signalOnly); err != nil {
		t.Errorf("UpdateTimeout matters only with an Updater: %v", err)
	}
	if DefaultUpdateTimeout+DefaultSignalTimeout > MaxDeliveryTime {
		t.Errorf("the defaults exceed MaxDeliveryTime")
	}
}

// A wrapped rejection (an interceptor may wrap errors) is still "nothing new".
func TestIgnoredIsRecognisedWhenWrapped(t *testing.T) {
	fake := &fakeTemporal{outcome: errors.Join(errors.New("update failed"),
		temporal.NewNonRetryableApplicationError("webhook ignored: the payment is already captured", workflows.ErrTypeWebhookIgnored, nil))}
	rc := newReceiver(t, fake, func(o *Options) { o.Updater = fake })
	if rec := post(rc, hookURL("BK-4"), goodBody, nil); rec.Code != http.StatusOK || answer(t, rec.Body.Bytes()) != "nothing new" || fake.count() != 0 {
		t.Fatalf("answer %d %s, %d signals", rec.Code, rec.Body, fake.count())
	}
}

// A webhook saying a charge is live while its booking's workflow is closed
// is money nobody owns: the receiver asks for a reconciliation run, and
// lets A55 deliver again when that cannot be asked now.
func TestLiveChargeOfAClosedWorkflowGoesToReconciliation(t *testing.T) {
	closed := serviceerror.NewNotFound("workflow execution already completed")
	for _, tc := range []struct {
		name       string
		body       string
		reconcile  error
		wantStatus int
		wantAnswer string
		wantAsked  int
		wantResult string
	}{
		{"live charge", goodBody, nil, 200, "reconciliation asked", 1, resultReconcile},
		{"live charge, Temporal unreachable", goodBody, serviceerror.NewUnavailable("down"), 503, "temporarily unavailable", 1, resultUnavailable},
		{"settled charge", strings.Replace(goodBody, `"confirmed"`, `"paid"`, 1), nil, 200, "workflow already completed", 0, resultWorkflowClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeTemporal{updateErr: closed}
			m := newCountingMetrics()
			asked := 0
			rc := newReceiver(t, fake, func(o *Options) {
				o.Updater, o.Metrics = fake, m
				o.Reconcile = func(context.Context) error { asked++; return tc.reconcile }
			})
			rec := post(rc, hookURL("BK-77"), tc.body, nil)
			if rec.Code != tc.wantStatus || answer(t, rec.Body.Bytes()) != tc.wantAnswer {
				t.Fatalf("answer %d %s, want %d %q", rec.Code, rec.Body, tc.wantStatus, tc.wantAnswer)
			}
			if asked != tc.wantAsked || m.results[tc.wantResult] != 1 {
				t.Errorf("reconciliation asked %d times, metrics %v", asked, m.results)
			}
		})
	}
}
