package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/workflows"
	"github.com/hotelpay/a55-temporal/workflows/reconcile"
)

// The Temporal UI's Request Cancellation (the CLI's workflow cancel) on an
// authorized booking, with the real worker: the hold is released and the
// workflow completes with the payment's status, never a stuck task.
func TestCancellationRequestReleasesTheHold(t *testing.T) {
	ctx := testCtx(t)
	id, a := authorizedHold(t, ctx, "cancel-request", 50000)
	if err := env.Client.CancelWorkflow(ctx, workflows.WorkflowID(id), ""); err != nil {
		t.Fatal(err)
	}
	r := result(t, ctx, id)
	if r.Status != workflows.StatusVoided || !strings.Contains(r.Reason, "cancellation requested") {
		t.Fatalf("result = %+v", r)
	}
	if e := ledgerCharge(t, ctx, id, a.ChargeUUID); e.Status != "canceled" || e.Released.Minor != 50000 {
		t.Errorf("A55 ledger = %+v, want the hold released", e)
	}
	if s, err := env.Starter().Status(ctx, id); err != nil || s.Status != workflows.StatusVoided {
		t.Errorf("status after the cancellation: %+v, %v", s.Status, err)
	}
}

// Terminate runs none of the workflow's code: the hold is left without an
// owner. The reconciliation (the worker registered its schedule at start)
// finds it and releases it.
func TestReconciliationReleasesATerminatedBookingsHold(t *testing.T) {
	ctx := testCtx(t)
	id, a := authorizedHold(t, ctx, "terminated", 50000)
	if err := env.Client.TerminateWorkflow(ctx, workflows.WorkflowID(id), "", "operator pressed Terminate"); err != nil {
		t.Fatal(err)
	}
	if e := ledgerCharge(t, ctx, id, a.ChargeUUID); e.Status != "authorized" {
		t.Fatalf("A55 charge is %s right after the terminate, want the stranded hold", e.Status)
	}
	if err := reconcile.Trigger(ctx, env.Client); err != nil {
		t.Fatalf("triggering the worker's reconciliation schedule: %v", err)
	}
	for {
		e := ledgerCharge(t, ctx, id, a.ChargeUUID)
		if e.Status == "canceled" {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the reconciliation did not release the stranded hold: %+v", e)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
