package webhook

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/internal/stack"
)

// waitForWebhook stands in for the booking workflow: it ends with the first
// charge_changed signal it gets.
func waitForWebhook(ctx workflow.Context) (ChargeChanged, error) {
	var got ChargeChanged
	workflow.GetSignalChannel(ctx, SignalChargeChanged).Receive(ctx, &got)
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

// TestReceiverWithARealServer: 200 once Temporal took the signal, 200 for a
// workflow that already finished, 503 while Temporal is down.
func TestReceiverWithARealServer(t *testing.T) {
	bin := filepath.Join(repoRoot(t), "bin", "temporal")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the Temporal CLI is missing at %s (make builds it): %v", bin, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
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
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	id := WorkflowIDPrefix + "BK-real-1"
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "webhook-test"}, waitForWebhook)
	if err != nil {
		t.Fatal(err)
	}
	rc := newReceiver(t, &fakeTemporal{}, func(o *Options) { o.Signaler = c; o.SignalTimeout = 3 * time.Second })

	if rec := post(rc, URL("", routeSecret, id), goodBody, nil); rec.Code != http.StatusOK {
		t.Fatalf("first webhook: %d %s", rec.Code, rec.Body)
	}
	var got ChargeChanged
	if err := run.Get(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if got != (ChargeChanged{ChargeUUID: "5f0e4e0a-3c2b-4f4a-9d55-0d6f1e2a7b11", Status: "confirmed"}) {
		t.Fatalf("workflow got %+v", got)
	}
	// A55 retries and late webhooks for a finished booking: accepted, so A55 stops.
	if rec := post(rc, URL("", routeSecret, id), goodBody, nil); rec.Code != http.StatusOK {
		t.Fatalf("webhook after completion: %d %s", rec.Code, rec.Body)
	}
	w.Stop()
	if err := srv.Stop(); err != nil {
		t.Logf("stopping the dev server: %v", err)
	}
	stopped = true
	if rec := post(rc, URL("", routeSecret, WorkflowIDPrefix+"BK-real-2"), goodBody, nil); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("webhook while Temporal is down: %d %s, want 503", rec.Code, rec.Body)
	}
}
