package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/workflows"
)

// waitForWebhook stands in for the booking workflow: it ends with the first
// charge_changed signal it gets.
func waitForWebhook(ctx workflow.Context) (workflows.ChargeChangedSignal, error) {
	var got workflows.ChargeChangedSignal
	workflow.GetSignalChannel(ctx, workflows.SignalChargeChanged).Receive(ctx, &got)
	return got, nil
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := stack.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// delivered is how a webhook reached knowsStatus.
type delivered struct {
	Via string // "update" or "signal"
	workflows.ChargeChangedSignal
}

// knowsStatus stands in for the booking workflow as it is now: the
// charge_changed update's validator turns away a webhook whose status the
// workflow already knows (as if from its last read of the charge), the
// signal is still handled, and the run ends with the first webhook it takes.
func knowsStatus(ctx workflow.Context, known string) (delivered, error) {
	var got *delivered
	err := workflow.SetUpdateHandlerWithOptions(ctx, workflows.UpdateChargeChanged,
		func(ctx workflow.Context, s workflows.ChargeChangedSignal) error {
			got = &delivered{"update", s}
			return nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, s workflows.ChargeChangedSignal) error {
			if s.Status == known {
				return temporal.NewNonRetryableApplicationError("webhook ignored: the last read already showed "+known, workflows.ErrTypeWebhookIgnored, nil)
			}
			return nil
		}})
	if err != nil {
		return delivered{}, err
	}
	signals := workflow.GetSignalChannel(ctx, workflows.SignalChargeChanged)
	workflow.Go(ctx, func(ctx workflow.Context) {
		var s workflows.ChargeChangedSignal
		signals.Receive(ctx, &s)
		if got == nil {
			got = &delivered{"signal", s}
		}
	})
	if err := workflow.Await(ctx, func() bool { return got != nil }); err != nil {
		return delivered{}, err
	}
	return *got, nil
}

// history returns the workflow's events.
func history(ctx context.Context, t *testing.T, c client.Client, id string) []*historypb.HistoryEvent {
	t.Helper()
	var events []*historypb.HistoryEvent
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	return events
}

func countEvents(events []*historypb.HistoryEvent, typ enumspb.EventType) int {
	n := 0
	for _, e := range events {
		if e.GetEventType() == typ {
			n++
		}
	}
	return n
}

// waitForFirstWorkflowTask returns once the worker has run the workflow's
// first task (its handlers are registered), so that later history counts
// are not disturbed by it.
func waitForFirstWorkflowTask(ctx context.Context, t *testing.T, c client.Client, id string) {
	t.Helper()
	for countEvents(history(ctx, t, c, id), enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("the first workflow task of %s never completed", id)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestReceiverWithARealServer: a webhook goes in as an update; one the
// workflow already knows is answered 200 and leaves no history event; a
// workflow whose worker lacks the update, or that no worker polls, gets the
// signal instead; a finished workflow is 200; Temporal down is 503.
func TestReceiverWithARealServer(t *testing.T) {
	bin := filepath.Join(repoRoot(t), "bin", "temporal")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the Temporal CLI is missing at %s (make builds it): %v", bin, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{ExistingPath: bin, LogLevel: "error", ClientOptions: &client.Options{}})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = srv.Stop()
		}
	}()
	c := srv.Client()
	w := worker.New(c, "webhook-test", worker.Options{})
	w.RegisterWorkflow(waitForWebhook)
	w.RegisterWorkflow(knowsStatus)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	// Generous update timeout: on a loaded machine a slow workflow task must
	// not turn this test's updates into fallback signals.
	rc := newReceiver(t, &fakeTemporal{}, func(o *Options) {
		o.Signaler, o.Updater = c, c
		o.UpdateTimeout, o.SignalTimeout = 15*time.Second, 5*time.Second
	})
	// For a workflow no worker polls, and for Temporal down.
	quick := newReceiver(t, &fakeTemporal{}, func(o *Options) {
		o.Signaler, o.Updater = c, c
		o.UpdateTimeout, o.SignalTimeout = time.Second, 3*time.Second
	})
	expect := func(rec *httptest.ResponseRecorder, status int, message string) {
		t.Helper()
		if rec.Code != status || answer(t, rec.Body.Bytes()) != message {
			t.Fatalf("answer %d %s, want %d %q", rec.Code, rec.Body, status, message)
		}
	}
	const authorized = `{"charge_uuid":"5f0e4e0a-3c2b-4f4a-9d55-0d6f1e2a7b11","status":"authorized"}`

	t.Run("update ignored then accepted", func(t *testing.T) {
		id := workflows.WorkflowIDPrefix + "BK-update-1"
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "webhook-test"}, knowsStatus, "authorized")
		if err != nil {
			t.Fatal(err)
		}
		waitForFirstWorkflowTask(ctx, t, c, id)
		before := len(history(ctx, t, c, id))
		expect(post(rc, URL("", routeSecret, id), authorized, nil), http.StatusOK, "nothing new")
		if after := history(ctx, t, c, id); len(after) != before {
			t.Fatalf("an ignored webhook added %d history events", len(after)-before)
		}
		expect(post(rc, URL("", routeSecret, id), goodBody, nil), http.StatusOK, "accepted")
		var got delivered
		if err := run.Get(ctx, &got); err != nil {
			t.Fatal(err)
		}
		if got != (delivered{"update", wantArg}) {
			t.Fatalf("workflow got %+v", got)
		}
		events := history(ctx, t, c, id)
		if n := countEvents(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED); n != 1 {
			t.Errorf("%d updates accepted in history, want 1", n)
		}
		if n := countEvents(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED); n != 0 {
			t.Errorf("%d signals in history, want none", n)
		}
		// A55 retries and late webhooks for a finished booking: accepted, so A55 stops.
		expect(post(rc, URL("", routeSecret, id), goodBody, nil), http.StatusOK, "workflow already completed")
	})

	t.Run("old worker without the update gets the signal", func(t *testing.T) {
		id := workflows.WorkflowIDPrefix + "BK-old-1"
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "webhook-test"}, waitForWebhook)
		if err != nil {
			t.Fatal(err)
		}
		waitForFirstWorkflowTask(ctx, t, c, id)
		expect(post(rc, URL("", routeSecret, id), goodBody, nil), http.StatusOK, "accepted")
		var got workflows.ChargeChangedSignal
		if err := run.Get(ctx, &got); err != nil {
			t.Fatal(err)
		}
		if got != wantArg {
			t.Fatalf("workflow got %+v", got)
		}
		if n := countEvents(history(ctx, t, c, id), enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED); n != 1 {
			t.Errorf("%d signals in history, want 1", n)
		}
		expect(post(rc, URL("", routeSecret, id), goodBody, nil), http.StatusOK, "workflow already completed")
	})

	t.Run("no worker polling gets the signal", func(t *testing.T) {
		id := workflows.WorkflowIDPrefix + "BK-unpolled-1"
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "nobody-polls-this"}, knowsStatus, "authorized")
		if err != nil {
			t.Fatal(err)
		}
		expect(post(quick, URL("", routeSecret, id), goodBody, nil), http.StatusOK, "accepted")
		events := history(ctx, t, c, id)
		if n := countEvents(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED); n != 1 {
			t.Errorf("%d signals in history, want 1", n)
		}
		if err := c.TerminateWorkflow(ctx, id, "", "test over"); err != nil {
			t.Error(err)
		}
	})

	w.Stop()
	if err := srv.Stop(); err != nil {
		t.Logf("stopping the dev server: %v", err)
	}
	stopped = true
	expect(post(quick, URL("", routeSecret, workflows.WorkflowIDPrefix+"BK-real-2"), goodBody, nil), http.StatusServiceUnavailable, "temporarily unavailable, retry")
}
