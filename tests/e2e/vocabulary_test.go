package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/tests/testkit"
	"github.com/hotelpay/a55-temporal/workflows"
	"github.com/hotelpay/a55-temporal/workflows/reconcile"
)

// useModes switches the shared sandbox's vocabulary and acquirer for one
// test and back to the defaults after it. Only a test that is not parallel
// may call it: Go runs the parallel tests after every sequential one, so no
// other booking sees the switch.
func useModes(t *testing.T, m a55sandbox.Modes) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := env.Sandbox.SetModes(ctx, m); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := env.Sandbox.SetModes(ctx, a55sandbox.Modes{}); err != nil {
			t.Errorf("restoring the sandbox's default modes: %v", err)
		}
	})
}

// The worker runs with its default configuration (A55_VOCABULARY unset)
// while A55 speaks either of its vocabularies: the seeds' ("authorized"
// hold, "confirmed" capture) or the public documents' ("confirmed" hold,
// "pre_captured" capture). Every money path must end the same way, and
// money counts as captured only from a capture's answer.
func TestMoneyPathsInEitherVocabulary(t *testing.T) {
	for _, v := range []struct{ vocabulary, hold, captured string }{
		{a55sandbox.VocabularySeeds, "authorized", "confirmed"},
		{a55sandbox.VocabularyPublicDocs, "confirmed", "pre_captured"},
	} {
		t.Run(v.vocabulary, func(t *testing.T) {
			useModes(t, a55sandbox.Modes{Vocabulary: v.vocabulary})
			// The paths run side by side; this group ends (and the
			// vocabulary is restored) when all of them have.
			t.Run("paths", func(t *testing.T) { moneyPaths(t, v.vocabulary, v.hold, v.captured) })
		})
	}
}

func moneyPaths(t *testing.T, vocabulary, holdWord, capturedWord string) {
	// held authorizes a frictionless hold and checks that A55 answered it in
	// the vocabulary's word and the booking took it for a hold.
	held := func(t *testing.T, ctx context.Context, purpose string, minor int64) (string, workflows.AuthorizationResult) {
		t.Helper()
		id := ids.Next(vocabulary + "-" + purpose)
		auth := env.Authorize(t, ctx, hold(id, "4111111111111111", minor))
		if auth.Status != workflows.StatusAuthorized || auth.Authorized != testkit.BRL(minor) {
			t.Fatalf("authorization = %+v, want a hold of %v", auth, testkit.BRL(minor))
		}
		if e := ledgerCharge(t, ctx, id, auth.ChargeUUID); e.APIStatus != holdWord || e.Status != a55sandbox.StatusAuthorized {
			t.Fatalf("A55 answers the hold %q (ledger %q), want %q", e.APIStatus, e.Status, holdWord)
		}
		s, err := env.Starter().Status(ctx, id)
		if err != nil || s.Status != workflows.StatusAuthorized || s.LastA55Status != holdWord || !s.Captured.IsZero() {
			t.Fatalf("status = %+v, %v; want authorized, nothing captured, A55's word %q", s, err, holdWord)
		}
		return id, auth
	}

	t.Run("capture-in-full", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t)
		id, auth := held(t, ctx, "full", 45000)
		capt, err := env.Starter().Capture(ctx, id, nil)
		if err != nil || capt.Captured != testkit.BRL(45000) || capt.Released.Minor != 0 {
			t.Fatalf("capture = %+v, %v; want all R$ 450,00", capt, err)
		}
		res := result(t, ctx, id)
		if res.Status != workflows.StatusCaptured || res.Captured != testkit.BRL(45000) || res.CapturedBy != "request" {
			t.Fatalf("result = %+v", res)
		}
		if e := ledgerCharge(t, ctx, id, auth.ChargeUUID); e.Captured.Minor != 45000 || e.APIStatus != capturedWord {
			t.Fatalf("ledger: captured %v, A55 says %q; want 450.00, %q", e.Captured, e.APIStatus, capturedWord)
		}
	})

	t.Run("partial-capture", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t)
		id, auth := held(t, ctx, "partial", 50000)
		bill := testkit.BRL(32000)
		capt, err := env.Starter().Capture(ctx, id, &bill)
		if err != nil || capt.Captured != testkit.BRL(32000) || capt.Released != testkit.BRL(18000) {
			t.Fatalf("capture = %+v, %v; want 320.00 captured, 180.00 released", capt, err)
		}
		if res := result(t, ctx, id); res.Captured != testkit.BRL(32000) || !res.CaptureRequested.IsZero() {
			t.Fatalf("result = %+v; want 320.00 captured as asked", res)
		}
		if e := ledgerCharge(t, ctx, id, auth.ChargeUUID); e.Captured.Minor != 32000 || e.Released.Minor != 18000 {
			t.Fatalf("ledger: captured %v released %v", e.Captured, e.Released)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t)
		id, auth := held(t, ctx, "cancel", 30000)
		if _, err := env.Starter().Cancel(ctx, id, "guest cancelled"); err != nil {
			t.Fatalf("cancel: %v", err)
		}
		if res := result(t, ctx, id); res.Status != workflows.StatusVoided || res.Captured.Minor != 0 {
			t.Fatalf("result = %+v, want voided", res)
		}
		if e := ledgerCharge(t, ctx, id, auth.ChargeUUID); e.Status != a55sandbox.StatusCanceled || e.Released.Minor != 30000 || e.Captured.Minor != 0 {
			t.Fatalf("ledger: %s released %v captured %v", e.Status, e.Released, e.Captured)
		}
	})

	t.Run("3ds-webhook-capture", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t)
		id := ids.Next(vocabulary + "-3ds")
		in := hold(id, "4000000000000101", 80000)
		in.ThreeDS = true
		in.DeviceInfo = deviceInfo(id)
		auth := env.Authorize(t, ctx, in)
		if auth.Status != workflows.StatusAwaiting3DS {
			t.Fatalf("authorization = %+v, want awaiting_3ds", auth)
		}
		if err := env.Sandbox.CompleteChallenge(ctx, auth.URL3DS, true); err != nil {
			t.Fatal(err)
		}
		// A55's webhook says the hold's word; the workflow reads the charge.
		if s := env.WaitStatus(t, ctx, id, workflows.StatusAuthorized); s.LastA55Status != holdWord || !s.Captured.IsZero() {
			t.Fatalf("after the challenge: A55 %q, captured %v; want %q, nothing", s.LastA55Status, s.Captured, holdWord)
		}
		capt, err := env.Starter().Capture(ctx, id, nil)
		if err != nil || capt.Captured != testkit.BRL(80000) {
			t.Fatalf("capture = %+v, %v", capt, err)
		}
		if e := ledgerCharge(t, ctx, id, auth.ChargeUUID); e.Captured.Minor != 80000 {
			t.Fatalf("ledger captured %v", e.Captured)
		}
	})

	t.Run("terminated-then-reconciled", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t)
		id, auth := held(t, ctx, "terminated", 20000)
		if err := env.Client.TerminateWorkflow(ctx, workflows.WorkflowID(id), "", "operator pressed Terminate"); err != nil {
			t.Fatal(err)
		}
		// The reconciliation lists A55's live charges in either word.
		if err := reconcile.Trigger(ctx, env.Client); err != nil {
			t.Fatalf("triggering the reconciliation: %v", err)
		}
		for e := ledgerCharge(t, ctx, id, auth.ChargeUUID); e.Status != a55sandbox.StatusCanceled; e = ledgerCharge(t, ctx, id, auth.ChargeUUID) {
			if ctx.Err() != nil {
				t.Fatalf("the reconciliation did not release the stranded %q hold: %+v", holdWord, e)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

// An acquirer without partial capture books the whole hold: the booking
// records A55's figure, keeps what it asked, says so in its reason, and the
// worker counts it for the alert.
func TestFullCaptureAcquirerIsRecordedAndFlagged(t *testing.T) {
	useModes(t, a55sandbox.Modes{Acquirer: a55sandbox.AcquirerFullCapture})
	ctx := testCtx(t)
	before := workerCounter(t, ctx, "booking_payment_capture_amount_mismatch_total")
	id := ids.Next("full-capture-acquirer")
	auth := env.Authorize(t, ctx, hold(id, "4111111111111111", 50000))
	if auth.Status != workflows.StatusAuthorized {
		t.Fatalf("authorization = %+v", auth)
	}
	bill := testkit.BRL(32000)
	capt, err := env.Starter().Capture(ctx, id, &bill)
	if err != nil || capt.Captured != testkit.BRL(50000) || capt.Released.Minor != 0 {
		t.Fatalf("capture = %+v, %v; want A55's R$ 500,00, nothing released", capt, err)
	}
	res := result(t, ctx, id)
	if res.Captured != testkit.BRL(50000) || res.CaptureRequested != bill || !strings.Contains(res.Reason, "CAPTURE AMOUNT DIFFERS") {
		t.Fatalf("result = %+v; want captured 500.00, asked 320.00, the difference in the reason", res)
	}
	if e := ledgerCharge(t, ctx, id, auth.ChargeUUID); e.Captured.Minor != 50000 || e.CaptureRequested != bill {
		t.Fatalf("ledger: captured %v, asked %v", e.Captured, e.CaptureRequested)
	}
	if after := workerCounter(t, ctx, "booking_payment_capture_amount_mismatch_total"); after != before+1 {
		t.Errorf("booking_payment_capture_amount_mismatch_total went from %d to %d, want one more", before, after)
	}
}

// workerCounter reads a counter from the worker's /metrics (0 when absent).
func workerCounter(t *testing.T, ctx context.Context, name string) int64 {
	t.Helper()
	n, err := stack.Counter(ctx, env.Proj.WorkerMetricsURL(), name)
	if err != nil {
		t.Fatalf("worker metrics: %v", err)
	}
	return n
}
