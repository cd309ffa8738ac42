package reconcile_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
	sdkworkflow "go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/starter/startertest"
	"github.com/hotelpay/a55-temporal/workflows"
	"github.com/hotelpay/a55-temporal/workflows/reconcile"
)

// On a real dev server: every worker registers the schedule (the second
// registration updates it), and a trigger runs the reconciliation, which
// releases a hold whose booking has no workflow.
func TestScheduleOnADevServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal dev server")
	}
	srv := startertest.StartDevServer(t)
	c := srv.Client()
	sb := a55sandbox.Start(t, a55sandbox.Config{SettlementDelay: -1})
	a55, err := a55client.New(a55client.Config{BaseURL: sb.URL, TokenURL: sb.TokenURL(),
		ClientID: a55sandbox.DefaultClientID, ClientSecret: a55sandbox.DefaultClientSecret, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(reconcile.Reconcile, sdkworkflow.RegisterOptions{Name: reconcile.WorkflowName})
	w.RegisterActivity(&reconcile.Activities{A55: a55, Temporal: c})
	w.RegisterActivity(activities.New(a55, activities.Config{}))
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	in := reconcile.Input{Wallets: []string{a55sandbox.DefaultWallet}}
	if err := reconcile.EnsureSchedule(ctx, c, 24*time.Hour, in); err != nil {
		t.Fatal(err)
	}
	if err := reconcile.EnsureSchedule(ctx, c, 6*time.Hour, in); err != nil {
		t.Fatalf("a second worker's registration: %v", err)
	}
	desc, err := c.ScheduleClient().GetHandle(ctx, reconcile.ScheduleID).Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if iv := desc.Schedule.Spec.Intervals; len(iv) != 1 || iv[0].Every != 6*time.Hour {
		t.Errorf("schedule intervals %+v, want every 6h after the update", iv)
	}

	stray := hold(t, a55, "R-terminated-long-ago", 50000)
	if err := reconcile.Trigger(ctx, c); err != nil {
		t.Fatal(err)
	}
	for {
		if entry, _ := sb.Charge(stray); entry.Status == "canceled" {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the triggered reconciliation did not release the stray hold")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
