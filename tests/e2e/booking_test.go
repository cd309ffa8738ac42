package e2e

import (
	"testing"

	"github.com/hotelpay/a55-temporal/tests/testkit"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Every approving test card: hold, then capture in full at check-out.
func TestApprovedCardsAreHeldThenCaptured(t *testing.T) {
	for _, card := range []struct{ name, number string }{
		{"visa", "4111111111111111"},
		{"mastercard", "5500000000000004"},
	} {
		t.Run(card.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			id := ids.Next(card.name)
			auth := env.Authorize(t, ctx, hold(id, card.number, 45000))
			if auth.Status != workflows.StatusAuthorized || auth.ChargeUUID == "" {
				t.Fatalf("authorization = %+v, want authorized with a charge", auth)
			}
			if auth.Authorized != testkit.BRL(45000) {
				t.Errorf("authorized %v, want BRL 450.00", auth.Authorized)
			}
			if auth.CaptureDeadline.IsZero() {
				t.Error("no capture deadline reported")
			}
			held := ledgerCharge(t, ctx, id, auth.ChargeUUID)
			if held.Status != "authorized" || held.Authorized.Minor != 45000 || held.Captured.Minor != 0 {
				t.Fatalf("ledger after authorization: %s authorized %d captured %d", held.Status, held.Authorized.Minor, held.Captured.Minor)
			}

			capt, err := env.Starter().Capture(ctx, id, nil)
			if err != nil {
				t.Fatalf("capture: %v", err)
			}
			if capt.Status != workflows.StatusCaptured || capt.Captured != testkit.BRL(45000) || capt.Released.Minor != 0 {
				t.Fatalf("capture result = %+v, want all BRL 450.00 captured", capt)
			}
			res := result(t, ctx, id)
			if res.Status != workflows.StatusCaptured || res.Captured != testkit.BRL(45000) || res.CapturedBy != "request" {
				t.Fatalf("workflow result = %+v", res)
			}
			e := ledgerCharge(t, ctx, id, auth.ChargeUUID)
			if e.Captured.Minor != 45000 || e.Released.Minor != 0 || e.Calls.Capture != 1 {
				t.Fatalf("ledger: captured %d released %d captures %d", e.Captured.Minor, e.Released.Minor, e.Calls.Capture)
			}
		})
	}
}

// Declining test cards end the booking with A55's code and never capture.
func TestDeclinedCardsEndTheBooking(t *testing.T) {
	for _, card := range []struct {
		name, number, code string
	}{
		{"declined", "4000000000000002", "CARD_DECLINED"},
		{"insufficient-funds", "5105105105105100", "INSUFFICIENT_FUNDS"},
		// A processing error is final for this charge (the A55 client's
		// ClassDeclined): the workflow declines rather than fails.
		{"processing-error", "4000000000000069", "PROCESSING_ERROR"},
	} {
		t.Run(card.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			id := ids.Next(card.name)
			auth := env.Authorize(t, ctx, hold(id, card.number, 30000))
			if auth.Status != workflows.StatusDeclined || auth.DeclineCode != card.code {
				t.Fatalf("authorization = %+v, want declined with code %s", auth, card.code)
			}
			res := result(t, ctx, id)
			if res.Status != auth.Status || res.DeclineCode != card.code || res.Captured.Minor != 0 {
				t.Fatalf("workflow result = %+v", res)
			}
			if auth.ChargeUUID != "" {
				e := ledgerCharge(t, ctx, id, auth.ChargeUUID)
				if e.Status != "error" || e.Code != card.code || e.Captured.Minor != 0 || e.Calls.Capture != 0 {
					t.Fatalf("ledger: status %s code %s captured %d", e.Status, e.Code, e.Captured.Minor)
				}
			}
			// A capture after a decline is refused and changes nothing.
			if _, err := env.Starter().Capture(ctx, id, nil); err == nil {
				t.Fatal("a declined booking accepted a capture")
			}
		})
	}
}

// The 3DS card: the workflow waits for the challenge, the card holder
// approves it on the sandbox's page, A55's webhook reaches the workflow
// through the receiver, and the hold can then be captured.
func Test3DSChallengeThenWebhookThenCapture(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	id := ids.Next("3ds")
	in := challengeHold(id, 80000)
	in.ReturnURL = "http://127.0.0.1/return/" + id
	auth := env.Authorize(t, ctx, in)
	if auth.Status != workflows.StatusAwaiting3DS || auth.URL3DS == "" || auth.ChargeUUID == "" {
		t.Fatalf("authorization = %+v, want awaiting_3ds with url_3ds", auth)
	}
	if s, err := env.Starter().Status(ctx, id); err != nil || s.Status != workflows.StatusAwaiting3DS {
		t.Fatalf("status before the challenge = %+v, %v", s.Status, err)
	}
	if _, err := env.Starter().Capture(ctx, id, nil); err == nil {
		t.Fatal("a capture was accepted before the 3DS challenge")
	}

	before := webhooksTaken(t, ctx, id)
	if err := env.Sandbox.CompleteChallenge(ctx, auth.URL3DS, true); err != nil {
		t.Fatal(err)
	}
	// Nobody tells the workflow but A55's webhook (no 3ds_complete signal).
	s := env.WaitStatus(t, ctx, id, workflows.StatusAuthorized)
	if s.Authorized != testkit.BRL(80000) {
		t.Errorf("authorized %v after 3DS, want BRL 800.00", s.Authorized)
	}
	if n := webhooksTaken(t, ctx, id); n <= before {
		t.Fatal("no webhook taken after the challenge: the webhook did not reach the workflow")
	}
	if n := signalsReceived(t, ctx, id, workflows.Signal3DSComplete); n != 0 {
		t.Fatalf("%d %s signals: this test must rely on the webhook alone", n, workflows.Signal3DSComplete)
	}
	if e := ledgerCharge(t, ctx, id, auth.ChargeUUID); e.Webhooks.Delivered < 1 || !e.ThreeDS {
		t.Fatalf("ledger: webhooks %+v, threeds %v", e.Webhooks, e.ThreeDS)
	}

	capt, err := env.Starter().Capture(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if capt.Captured != testkit.BRL(80000) {
		t.Fatalf("captured %v, want BRL 800.00", capt.Captured)
	}
	if e := ledgerCharge(t, ctx, id, auth.ChargeUUID); e.Captured.Minor != 80000 {
		t.Fatalf("ledger captured %d", e.Captured.Minor)
	}
}

// A failed challenge declines the booking; nothing is captured.
func Test3DSChallengeFailedDeclines(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	id := ids.Next("3ds-fail")
	auth := env.Authorize(t, ctx, challengeHold(id, 20000))
	if auth.Status != workflows.StatusAwaiting3DS {
		t.Fatalf("authorization = %+v", auth)
	}
	if err := env.Sandbox.CompleteChallenge(ctx, auth.URL3DS, false); err != nil {
		t.Fatal(err)
	}
	res := result(t, ctx, id)
	if res.Status != workflows.StatusDeclined || res.Captured.Minor != 0 {
		t.Fatalf("workflow result = %+v, want declined", res)
	}
	if e := ledgerCharge(t, ctx, id, auth.ChargeUUID); e.Captured.Minor != 0 {
		t.Fatalf("ledger captured %d", e.Captured.Minor)
	}
}

// Check-out bill below the hold: capture part, the rest is released.
func TestPartialCaptureReleasesTheRest(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	id, auth := authorizedHold(t, ctx, "partial", 50000)
	bill := testkit.BRL(32000)
	capt, err := env.Starter().Capture(ctx, id, &bill)
	if err != nil {
		t.Fatal(err)
	}
	if capt.Captured != testkit.BRL(32000) || capt.Released != testkit.BRL(18000) {
		t.Fatalf("capture result = %+v, want captured 320.00 released 180.00", capt)
	}
	e := ledgerCharge(t, ctx, id, auth.ChargeUUID)
	if e.Captured.Minor != 32000 || e.Released.Minor != 18000 {
		t.Fatalf("ledger: captured %d released %d, want 32000 and 18000", e.Captured.Minor, e.Released.Minor)
	}
	// The hold is spent: a capture of another amount is a second capture and
	// is refused; A55 sees no second capture.
	more := testkit.BRL(1000)
	if again, err := env.Starter().Capture(ctx, id, &more); err == nil {
		t.Fatalf("a second capture returned %+v, want a refusal", again)
	}
	if e := ledgerCharge(t, ctx, id, auth.ChargeUUID); e.Captured.Minor != 32000 || e.Calls.Capture != 1 {
		t.Fatalf("ledger after a second capture request: captured %d, %d captures", e.Captured.Minor, e.Calls.Capture)
	}
}
