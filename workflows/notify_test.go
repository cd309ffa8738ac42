package workflows_test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/workflows"
)

// testNotifySecret is a Standard Webhooks secret made for these tests.
const testNotifySecret = "whsec_dGhlLWJvb2tpbmctc3lzdGVtcy10ZXN0LXNlY3JldA=="

// bookingSystem is the booking system's notification endpoint in the
// workflow tests: a real HTTP server that verifies each delivery's
// signature and records it; answer decides each reply (nil: 200).
type bookingSystem struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	tries  []workflows.Event // every delivery attempt, in arrival order
	events []workflows.Event // the accepted ones
	answer func(ev workflows.Event, attempt int) int
}

func newBookingSystem(t *testing.T) *bookingSystem {
	b := &bookingSystem{t: t}
	wh, err := standardwebhooks.NewWebhook(testNotifySecret)
	if err != nil {
		t.Fatal(err)
	}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// The timestamp is the attempt's wall-clock time, not the mock clock's.
		if err := wh.Verify(body, r.Header); err != nil {
			t.Errorf("delivery fails verification: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev workflows.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("body %s: %v", body, err)
		}
		if got := r.Header.Get("webhook-id"); got != ev.ID {
			t.Errorf("webhook-id %q, body id %q", got, ev.ID)
		}
		for _, secret := range []string{cardApprove, cardChallenge, testHolder, "ana@example.com", "Ana Souza", `"cvv"`} {
			if strings.Contains(string(body), secret) {
				t.Errorf("event %s carries card or payer data (%q)", ev.ID, secret)
			}
		}
		b.mu.Lock()
		b.tries = append(b.tries, ev)
		attempt := 0
		for _, e := range b.tries {
			if e.ID == ev.ID {
				attempt++
			}
		}
		code := http.StatusOK
		if b.answer != nil {
			code = b.answer(ev, attempt)
		}
		if code/100 == 2 {
			b.events = append(b.events, ev)
		}
		b.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *bookingSystem) accepted() []workflows.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]workflows.Event(nil), b.events...)
}

func (b *bookingSystem) attempts() []workflows.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]workflows.Event(nil), b.tries...)
}

func types(evs []workflows.Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, fmt.Sprintf("%d:%s", e.Sequence, e.Type))
	}
	return strings.Join(s, " ")
}

// notifyTo makes the run's DeliverNotification the real activity
// configured with the booking system's URL and secret for the input's
// merchant.
func (r *run) notifyTo(b *bookingSystem) {
	r.env.RegisterActivityWithOptions(r.notifyActivities(b).DeliverNotification, activity.RegisterOptions{
		Name: workflows.ActivityDeliverNotification, DisableAlreadyRegisteredCheck: true})
}

// notifyActivities are activities that deliver the input merchant's events
// to b.
func (r *run) notifyActivities(b *bookingSystem) *activities.Activities {
	return activities.New(nil, activities.Config{Notifications: activities.NotifyEndpoints{
		Merchant: map[string]activities.NotifyEndpoint{r.in.MerchantID: {URL: b.srv.URL, Secret: testNotifySecret}},
	}})
}

func TestNotificationsArriveInOrderSignedWithAmounts(t *testing.T) {
	b := newBookingSystem(t)
	r := newRun(t, validInput("N-1"))
	r.notifyTo(b)
	r.at(time.Hour, func() {
		part := brl(32000)
		r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{Amount: &part})
	})
	res := r.execute()
	if res.Status != workflows.StatusCaptured {
		t.Fatalf("result = %+v", res)
	}
	got := b.accepted()
	if types(got) != "1:authorized 2:captured" {
		t.Fatalf("events = %s", types(got))
	}
	auth, capt := got[0], got[1]
	if auth.ID != "booking-N-1/1/authorized" || capt.ID != "booking-N-1/2/captured" {
		t.Errorf("ids %q %q", auth.ID, capt.ID)
	}
	if auth.BookingID != "N-1" || auth.Status != workflows.StatusAuthorized || auth.Authorized != brl(50000) ||
		auth.Hold != brl(50000) || auth.ChargeUUID != res.ChargeUUID || !auth.CaptureDeadline.Equal(t0.Add(72*time.Hour)) ||
		auth.DeadlinePolicy != workflows.DeadlineRelease || !auth.Time.Equal(t0) {
		t.Errorf("authorized event = %+v", auth)
	}
	if capt.Captured != brl(32000) || capt.Status != workflows.StatusCaptured || !capt.Time.Equal(t0.Add(time.Hour)) {
		t.Errorf("captured event = %+v", capt)
	}
	st := r.state()
	if n := st.Notifications; n == nil || n.LastSequence != 2 || n.Delivered != 2 || len(n.Pending) != 0 || len(n.Undelivered) != 0 {
		t.Errorf("notification state = %+v", st.Notifications)
	}
	// Deliveries run on their own task queue (worker.NewNotifier), with
	// slots of their own; A55's calls on the booking-payments one.
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.activities {
		want := workflows.TaskQueue
		if a.name == workflows.ActivityDeliverNotification {
			want = workflows.NotificationTaskQueue
		}
		if !a.local && a.taskQueue != want {
			t.Errorf("%s ran on task queue %q, want %q", a.name, a.taskQueue, want)
		}
	}
}

// A55's figure, not the request, is what captured carries.
func TestCapturedEventCarriesA55sAmount(t *testing.T) {
	b := newBookingSystem(t)
	in := validInput("N-2")
	r := newRunWith(t, in, a55sandbox.Config{Acquirer: a55sandbox.AcquirerFullCapture})
	r.notifyTo(b)
	r.at(time.Hour, func() {
		part := brl(32000)
		r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{Amount: &part})
	})
	res := r.execute()
	got := b.accepted()
	if len(got) != 2 || got[1].Type != workflows.EventCaptured || got[1].Captured != res.Captured || res.Captured == brl(32000) {
		t.Errorf("events %+v, result %+v", got, res)
	}
}

// The booking system answers 500 three times: every event arrives later,
// each retry with the same id, and the second event is not sent before
// the first is accepted.
func TestNotificationRetriedWithTheSameIDInOrder(t *testing.T) {
	b := newBookingSystem(t)
	failures := 0
	b.answer = func(ev workflows.Event, attempt int) int {
		if failures < 3 {
			failures++
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	}
	r := newRun(t, validInput("N-3"))
	r.notifyTo(b)
	r.at(time.Hour, func() { r.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{Reason: "guest cancelled"}) })
	r.execute()
	tries := b.attempts()
	if types(b.accepted()) != "1:authorized 2:voided" {
		t.Fatalf("accepted %s", types(b.accepted()))
	}
	if types(tries) != "1:authorized 1:authorized 1:authorized 1:authorized 2:voided" {
		t.Errorf("attempts %s", types(tries))
	}
	for _, e := range tries[:4] {
		if e.ID != tries[0].ID {
			t.Errorf("a retry carries id %q, the first %q", e.ID, tries[0].ID)
		}
	}
	if v := b.accepted()[1]; v.VoidedBy != workflows.VoidedByCancel {
		t.Errorf("voided event %+v", v)
	}
}

// A dead booking system delays neither a capture nor the deadline; its
// events are given up after the retry budget, and the booking closes
// NotificationDrainBound after its outcome with the rest listed as
// undelivered.
func TestDeadBookingSystemDelaysNoMoney(t *testing.T) {
	t.Run("capture", func(t *testing.T) {
		b := newBookingSystem(t)
		b.answer = func(workflows.Event, int) int { return http.StatusServiceUnavailable }
		in := validInput("N-4")
		in.RefundWindow = time.Second // the booking's outcome is final a second after the capture
		r := newRun(t, in)
		r.notifyTo(b)
		var capture *outcome
		r.at(time.Hour, func() { capture = r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
		r.at(time.Hour+time.Minute, func() {
			if !capture.done || capture.err != nil {
				t.Errorf("capture not answered a minute after it was asked: %+v", capture)
			}
		})
		res := r.execute()
		if res.Status != workflows.StatusCaptured {
			t.Fatalf("result %+v", res)
		}
		st := r.state()
		if st.History[len(st.History)-1].At != t0.Add(time.Hour) {
			t.Errorf("captured at %s, want when asked", st.History[len(st.History)-1].At)
		}
		n := st.Notifications
		if n == nil || n.Delivered != 0 || len(n.Undelivered) != 2 || len(n.Pending) != 0 {
			t.Fatalf("notifications %+v", n)
		}
		if !strings.Contains(n.Undelivered[0].Problem, "retry budget") || !strings.Contains(n.Undelivered[1].Problem, "booking closed") {
			t.Errorf("undelivered %+v", n.Undelivered)
		}
		gaveUp := r.metrics.count(workflows.MetricNotificationsUndelivered + "{reason=gave_up,type=authorized}")
		closed := r.metrics.count(workflows.MetricNotificationsUndelivered + "{reason=booking_closed,type=captured}")
		if gaveUp != 1 || closed != 1 {
			t.Errorf("undelivered metric: gave_up %d, booking_closed %d; counts %v", gaveUp, closed, r.metrics.counts)
		}
		if got := r.env.Now().Sub(t0); got < time.Hour+workflows.NotificationDrainBound || got > time.Hour+workflows.NotificationDrainBound+time.Minute {
			t.Errorf("the booking closed %s after its start, want its outcome + %s", got, workflows.NotificationDrainBound)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		b := newBookingSystem(t)
		b.answer = func(workflows.Event, int) int { return http.StatusBadGateway }
		in := validInput("N-5")
		r := newRun(t, in)
		r.notifyTo(b)
		res := r.execute()
		st := r.state()
		if res.Status != workflows.StatusVoided {
			t.Fatalf("result %+v", res)
		}
		var voidingAt time.Time
		for _, tr := range st.History {
			if tr.To == workflows.StatusVoiding {
				voidingAt = tr.At
			}
		}
		if !voidingAt.Equal(st.CaptureDeadline) {
			t.Errorf("the deadline policy ran at %s, the deadline is %s", voidingAt, st.CaptureDeadline)
		}
	})
}

// A 4xx (not 408 or 429) stops that event: tried once, listed as
// undelivered, and the next event goes on.
func TestRejectedNotificationIsNotRetried(t *testing.T) {
	b := newBookingSystem(t)
	b.answer = func(ev workflows.Event, _ int) int {
		if ev.Type == workflows.EventAuthorized {
			return http.StatusUnprocessableEntity
		}
		return http.StatusOK
	}
	r := newRun(t, validInput("N-6"))
	r.notifyTo(b)
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	r.execute()
	if types(b.attempts()) != "1:authorized 2:captured" || types(b.accepted()) != "2:captured" {
		t.Errorf("attempts %s, accepted %s", types(b.attempts()), types(b.accepted()))
	}
	n := r.state().Notifications
	if n == nil || n.Delivered != 1 || len(n.Undelivered) != 1 || n.Undelivered[0].Type != workflows.EventAuthorized ||
		!strings.HasPrefix(n.Undelivered[0].Problem, "refused by the booking system") || !strings.Contains(n.Undelivered[0].Problem, "HTTP 422") {
		t.Errorf("notifications %+v", n)
	}
	if got := r.metrics.count(workflows.MetricNotificationsUndelivered + "{reason=rejected,type=authorized}"); got != 1 {
		t.Errorf("undelivered metric %d; counts %v", got, r.metrics.counts)
	}
}

// 408 and 429 are retried like a 5xx.
func TestNotificationRetriedOn408And429(t *testing.T) {
	for _, code := range []int{http.StatusRequestTimeout, http.StatusTooManyRequests} {
		b := newBookingSystem(t)
		b.answer = func(_ workflows.Event, attempt int) int {
			if attempt == 1 {
				return code
			}
			return http.StatusOK
		}
		r := newRun(t, validInput(fmt.Sprintf("N-7-%d", code)))
		r.notifyTo(b)
		r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
		r.execute()
		if types(b.accepted()) != "1:authorized 2:captured" || len(b.attempts()) != 4 {
			t.Errorf("HTTP %d: attempts %s, accepted %s", code, types(b.attempts()), types(b.accepted()))
		}
	}
}

// hold_expiring comes hold_expiring_notice before the deadline policy
// runs, then voided tells why.
func TestHoldExpiringBeforeTheDeadlinePolicy(t *testing.T) {
	b := newBookingSystem(t)
	in := validInput("N-8")
	in.HoldExpiringNotice = 3 * time.Hour
	r := newRun(t, in)
	r.notifyTo(b)
	res := r.execute()
	got := b.accepted()
	if res.Status != workflows.StatusVoided || types(got) != "1:authorized 2:hold_expiring 3:voided" {
		t.Fatalf("result %s, events %s", res.Status, types(got))
	}
	deadline := got[0].CaptureDeadline
	if !got[1].Time.Equal(deadline.Add(-3*time.Hour)) || !got[1].CaptureDeadline.Equal(deadline) {
		t.Errorf("hold_expiring %+v, deadline %s", got[1], deadline)
	}
	if got[2].VoidedBy != workflows.VoidedByDeadlinePolicy {
		t.Errorf("voided %+v", got[2])
	}
}

// A moved check-out moves hold_expiring with the deadline (default
// notice: 24 h).
func TestHoldExpiringFollowsAMovedDeadline(t *testing.T) {
	b := newBookingSystem(t)
	r := newRun(t, validInput("N-9"))
	r.notifyTo(b)
	r.at(time.Hour, func() {
		r.update(workflows.UpdateMoveCaptureTime, "move", workflows.MoveCaptureTimeRequest{ExpectedCaptureAt: t0.Add(72 * time.Hour)})
	})
	r.at(90*time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	r.execute()
	got := b.accepted()
	if types(got) != "1:authorized 2:hold_expiring 3:captured" {
		t.Fatalf("events %s", types(got))
	}
	// Deadline t0+96h (72 h + 24 h grace), notice 24 h before it.
	if !got[1].Time.Equal(t0.Add(72*time.Hour)) || !got[1].CaptureDeadline.Equal(t0.Add(96*time.Hour)) {
		t.Errorf("hold_expiring %+v", got[1])
	}
}

func TestThreeDSAndDeclineEvents(t *testing.T) {
	t.Run("awaiting_3ds then authorized", func(t *testing.T) {
		b := newBookingSystem(t)
		in := validInput("N-10")
		in.Card.Number, in.ThreeDS = cardChallenge, true
		r := newRun(t, in)
		r.notifyTo(b)
		r.at(time.Minute, func() {
			uuid := r.chargeFor("N-10")
			r.completeChallenge(uuid, true)
			r.signal(workflows.Signal3DSComplete, workflows.ThreeDSCompleteSignal{ChargeUUID: uuid})
		})
		r.at(time.Hour, func() {
			r.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{})
		})
		r.execute()
		got := b.accepted()
		if types(got) != "1:awaiting_3ds 2:authorized 3:voided" || !strings.HasPrefix(got[0].URL3DS, "https://a55.test/3ds/") {
			t.Errorf("events %s, first %+v", types(got), got)
		}
	})
	t.Run("declined", func(t *testing.T) {
		b := newBookingSystem(t)
		in := validInput("N-11")
		in.Card.Number = cardDecline
		r := newRun(t, in)
		r.notifyTo(b)
		res := r.execute()
		got := b.accepted()
		if types(got) != "1:declined" || got[0].DeclineCode == "" || got[0].DeclineCode != res.DeclineCode {
			t.Errorf("events %+v, result %+v", got, res)
		}
	})
	t.Run("cancellation request", func(t *testing.T) {
		b := newBookingSystem(t)
		r := newRun(t, validInput("N-12"))
		r.notifyTo(b)
		r.at(time.Hour, func() { r.env.CancelWorkflow() })
		r.execute()
		got := b.accepted()
		if types(got) != "1:authorized 2:voided" || got[1].VoidedBy != workflows.VoidedByCancellationRequest {
			t.Errorf("events %+v", got)
		}
	})
}

// Without a URL for the booking or its merchant, the first delivery finds
// none and the booking sends nothing more.
func TestNoNotificationURLTurnsNotificationsOff(t *testing.T) {
	r := newRun(t, validInput("N-13"))
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	r.execute()
	if n := r.started(workflows.ActivityDeliverNotification); n != 1 {
		t.Errorf("%d deliveries, want the one that found no URL", n)
	}
	if n := r.state().Notifications; n == nil || n.Off == "" || len(n.Pending) != 0 {
		t.Errorf("notifications %+v", n)
	}
}

// The booking's own notification_url wins over the merchant's.
func TestBookingsOwnNotificationURL(t *testing.T) {
	b, other := newBookingSystem(t), newBookingSystem(t)
	in := validInput("N-14")
	in.NotificationURL = b.srv.URL + "/hooks"
	r := newRun(t, in)
	r.notifyTo(other)
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	r.execute()
	if types(b.accepted()) != "1:authorized 2:captured" || len(other.attempts()) != 0 {
		t.Errorf("booking's URL got %s, merchant's %s", types(b.accepted()), types(other.attempts()))
	}
}

// A run that continues as new hands its sequence number and its queue
// (the event in flight included) to the next run, which delivers it with
// the same id.
func TestNotificationsCarriedAcrossContinueAsNew(t *testing.T) {
	b := newBookingSystem(t)
	up := false
	var mu sync.Mutex
	b.answer = func(workflows.Event, int) int {
		mu.Lock()
		defer mu.Unlock()
		if up {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	}
	r := newRun(t, validInput("N-15"))
	r.notifyTo(b)
	r.at(time.Hour, func() {
		r.env.SetCurrentHistoryLength(12_000)
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: r.chargeFor("N-15"), Status: "canceled"})
	})
	next := r.continuedInput()
	n := next.Continued.State.Notifications
	if n == nil || n.LastSequence != 1 || len(n.Pending) != 1 || n.Pending[0].ID != "booking-N-15/1/authorized" {
		t.Fatalf("handed over %+v", n)
	}
	mu.Lock()
	up = true
	mu.Unlock()

	r.captureInNextRun(b, next)
	if got := b.accepted(); types(got) != "1:authorized 2:captured" || got[0].ID != "booking-N-15/1/authorized" {
		t.Errorf("accepted %s", types(got))
	}
}

// An operator's mark_released ends the booking voided by the operator,
// after needs_attention told the booking system a person is on it.
func TestOperatorDecisionsAreNotified(t *testing.T) {
	b := newBookingSystem(t)
	in := validInput("N-16")
	in.HoldWindow, in.SafetyMargin = 24*time.Hour, time.Hour
	in.ExpectedCaptureAt = in.ExpectedCaptureAt.Add(-30 * time.Hour) // within the short hold's reach (no long-stay policy)
	r := newRun(t, in)
	r.notifyTo(b)
	r.at(time.Hour, func() {
		r.fault("capture", unavailable(1000))
		r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{})
	})
	r.at(30*time.Hour, func() {
		r.update(workflows.UpdateResolve, "resolve", workflows.ResolveRequest{Action: workflows.ResolveMarkReleased, Who: "ana", Why: "the hold lapsed"})
	})
	r.execute()
	got := b.accepted()
	if types(got) != "1:authorized 2:hold_expiring 3:needs_attention 4:voided" {
		t.Fatalf("events %s", types(got))
	}
	if got[3].VoidedBy != workflows.VoidedByOperator || !strings.Contains(got[2].Reason, "capture did not finish") {
		t.Errorf("needs_attention %+v, voided %+v", got[2], got[3])
	}
}

// hold_expiring is sent once per deadline, not again by the run a booking
// continues as new into.
func TestHoldExpiringNotRepeatedAfterContinueAsNew(t *testing.T) {
	b := newBookingSystem(t)
	in := validInput("N-17")
	in.HoldWindow, in.SafetyMargin = 24*time.Hour, time.Hour         // deadline in 23 h: within the 24 h notice at once
	in.ExpectedCaptureAt = in.ExpectedCaptureAt.Add(-30 * time.Hour) // within the short hold's reach (no long-stay policy)
	r := newRun(t, in)
	r.notifyTo(b)
	r.at(time.Hour, func() {
		r.env.SetCurrentHistoryLength(12_000)
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: r.chargeFor("N-17"), Status: "canceled"})
	})
	next := r.continuedInput()
	r.captureInNextRun(b, next)
	if got := b.accepted(); types(got) != "1:authorized 2:hold_expiring 3:captured" {
		t.Errorf("accepted %s", types(got))
	}
}

// countingMetrics is a metrics handler that counts counter increments by
// name and tags ("name{k=v,...}", tags sorted).
type countingMetrics struct {
	mu     sync.Mutex
	tags   map[string]string
	counts map[string]int64
	root   *countingMetrics
}

func (m *countingMetrics) base() *countingMetrics {
	if m.root != nil {
		return m.root
	}
	return m
}

func (m *countingMetrics) WithTags(tags map[string]string) client.MetricsHandler {
	merged := map[string]string{}
	maps.Copy(merged, m.tags)
	maps.Copy(merged, tags)
	return &countingMetrics{tags: merged, root: m.base()}
}

func (m *countingMetrics) Counter(name string) client.MetricsCounter {
	var keys []string
	for k, v := range m.tags {
		keys = append(keys, k+"="+v)
	}
	slices.Sort(keys)
	return countingCounter{m.base(), name + "{" + strings.Join(keys, ",") + "}"}
}

func (m *countingMetrics) Gauge(string) client.MetricsGauge {
	return client.MetricsNopHandler.Gauge("")
}
func (m *countingMetrics) Timer(string) client.MetricsTimer {
	return client.MetricsNopHandler.Timer("")
}

func (m *countingMetrics) count(key string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[key]
}

type countingCounter struct {
	m   *countingMetrics
	key string
}

func (c countingCounter) Inc(n int64) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	c.m.counts[c.key] += n
}

// A long stay with the reauthorize policy is told hold_expiring when its
// wait for a new card authorization begins (its reauthorize_notice before
// the deadline), saying replace_hold is needed; a deposit says what the
// deadline will capture.
func TestALongStayIsToldWhenItNeedsANewAuthorization(t *testing.T) {
	b := newBookingSystem(t)
	in := oneDayLongStay("N-LS", workflows.LongStayReauthorize)
	in.ReauthorizeNotice = 6 * time.Hour
	r := newRun(t, in)
	r.notifyTo(b)
	var before, after []workflows.Event
	r.at(17*time.Hour-time.Minute, func() { before = b.accepted() })
	r.at(17*time.Hour+time.Minute, func() { after = b.accepted() })
	r.execute()
	if types(before) != "1:authorized" {
		t.Errorf("before the wait: %s, want nothing after authorized (the default 24 h notice would have sent hold_expiring at once)", types(before))
	}
	if types(after) != "1:authorized 2:hold_expiring" || !strings.Contains(after[1].Reason, "replace_hold") {
		t.Fatalf("when the wait begins: %s %+v", types(after), after)
	}
	if got := b.accepted(); types(got) != "1:authorized 2:hold_expiring 3:voided" {
		t.Errorf("events %s", types(got))
	}

	d := newBookingSystem(t)
	in = oneDayLongStay("N-LD", workflows.LongStayDeposit)
	r = newRun(t, in)
	r.notifyTo(d)
	r.execute()
	got := d.accepted()
	if types(got) != "1:authorized 2:hold_expiring 3:captured" || !strings.Contains(got[1].Reason, "deposit") {
		t.Errorf("deposit: %s %+v", types(got), got)
	}

	l := newBookingSystem(t)
	in = oneDayLongStay("N-LR", workflows.LongStayRelease)
	r = newRun(t, in)
	r.notifyTo(l)
	r.execute()
	got = l.accepted()
	if types(got) != "1:authorized 2:hold_expiring 3:voided" || got[2].VoidedBy != workflows.VoidedByDeadlinePolicy {
		t.Errorf("long-stay release: %s %+v", types(got), got)
	}
}

// A replacement is told while the booking keeps its status: hold_replaced
// with the new charge and the one it released, replacement_declined with
// A55's code (the booking keeps its hold).
func TestReplacementsAreNotified(t *testing.T) {
	b := newBookingSystem(t)
	s := newSealedRun(t, validInput("N-RH"), nil)
	s.notifyTo(b)
	var first string
	s.at(time.Hour, func() {
		first = s.state().ChargeUUID
		s.replaceHold("replace-1", workflows.ReplaceHoldRequest{Amount: brl(70000)}, cardApprove)
	})
	s.at(2*time.Hour, func() {
		s.replaceHold("replace-2", workflows.ReplaceHoldRequest{Amount: brl(90000)}, cardDecline)
	})
	var third *outcome
	s.at(3*time.Hour, func() {
		third, _ = s.replaceHold("replace-3", workflows.ReplaceHoldRequest{Amount: brl(80000), ThreeDS: true, DeviceInfo: s.in.DeviceInfo}, cardChallenge)
	})
	s.at(3*time.Hour+time.Minute, func() {
		var rr workflows.ReplaceHoldResult
		third.decode(t, &rr)
		s.completeChallenge(rr.ChargeUUID, false)
		s.signal(workflows.Signal3DSComplete, workflows.ThreeDSCompleteSignal{ChargeUUID: rr.ChargeUUID})
	})
	s.at(4*time.Hour, func() { s.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	res := s.execute()
	got := b.accepted()
	if types(got) != "1:authorized 2:hold_replaced 3:replacement_declined 4:replacement_awaiting_3ds 5:replacement_declined 6:captured" {
		t.Fatalf("events %s", types(got))
	}
	if c := got[3]; c.Replacement != 3 || c.URL3DS == "" || c.ChargeUUID == res.ChargeUUID {
		t.Errorf("replacement_awaiting_3ds %+v", c)
	}
	if f := got[4]; f.Replacement != 3 || f.DeclineCode == "" || !strings.HasPrefix(f.Reason, workflows.Reason3DSFailed) {
		t.Errorf("failed challenge: %+v", f)
	}
	replaced, declined := got[1], got[2]
	if replaced.Replacement != 1 || replaced.ReplacedChargeUUID != first || replaced.ChargeUUID != res.ChargeUUID ||
		replaced.Authorized != brl(70000) || replaced.Status != workflows.StatusAuthorized || replaced.CaptureDeadline.IsZero() {
		t.Errorf("hold_replaced %+v", replaced)
	}
	if declined.Replacement != 2 || declined.DeclineCode == "" || declined.ChargeUUID != res.ChargeUUID || declined.Authorized != brl(70000) {
		t.Errorf("replacement_declined %+v (the booking keeps charge %s)", declined, res.ChargeUUID)
	}
}

// Each refund is told with the booking system's refund id and A55's total
// so far; the one that refunds everything comes with status refunded.
func TestRefundsAreNotified(t *testing.T) {
	b := newBookingSystem(t)
	r := newRun(t, validInput("N-RF"))
	r.notifyTo(b)
	captured := brl(32000)
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{Amount: &captured}) })
	r.at(2*time.Hour, func() { r.refund("r-1", "minibar-1", 12000) })
	r.at(3*time.Hour, func() { r.refund("r-2", "rest", 20000) })
	r.execute()
	got := b.accepted()
	if types(got) != "1:authorized 2:captured 3:refunded 4:refunded" {
		t.Fatalf("events %s", types(got))
	}
	if e := got[2]; e.RefundID != "minibar-1" || e.Refunded != brl(12000) || e.Status != workflows.StatusCaptured || e.Captured != brl(32000) {
		t.Errorf("first refund %+v", e)
	}
	if e := got[3]; e.RefundID != "rest" || e.Refunded != brl(32000) || e.Status != workflows.StatusRefunded {
		t.Errorf("second refund %+v", e)
	}
}

// captureInNextRun runs the booking's next run (after a continue-as-new)
// with deliveries to b, captures it an hour in and waits for its end.
func (r *run) captureInNextRun(b *bookingSystem, next workflows.BookingPaymentInput) {
	r.t.Helper()
	env := r.nextRunEnv()
	env.RegisterActivityWithOptions(r.notifyActivities(b).DeliverNotification, activity.RegisterOptions{
		Name: workflows.ActivityDeliverNotification, DisableAlreadyRegisteredCheck: true})
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(workflows.UpdateCapture, "capture", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { r.t.Errorf("capture rejected: %v", err) }, OnComplete: func(any, error) {},
		}, workflows.CaptureRequest{})
	}, time.Hour)
	env.ExecuteWorkflow(workflows.WorkflowName, next)
	if err := env.GetWorkflowError(); err != nil {
		r.t.Fatal(err)
	}
}

// oneDayLongStay is longStayInput on a one-day hold (deadline 23 h after
// the start).
func oneDayLongStay(id string, policy workflows.LongStayPolicy) workflows.BookingPaymentInput {
	in := longStayInput(id, policy)
	in.HoldWindow, in.SafetyMargin = 24*time.Hour, time.Hour
	return in
}
