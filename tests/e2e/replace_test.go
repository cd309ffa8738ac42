package e2e

import (
	"sync"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/tests/testkit"
	"github.com/hotelpay/a55-temporal/workflows"
)

// replacedBookings are the bookings whose hold a test replaced: A55 holds a
// charge per authorization for them (checkLedger counts their captures).
var replacedBookings sync.Map

func testCard(number string) a55client.Card {
	return a55client.Card{HolderName: "E2E GUEST", Number: number, ExpiryMonth: 12, ExpiryYear: time.Now().Year() + 3, CVV: "123"}
}

// replace_hold on the sandbox through the starter: an approved replacement
// becomes the booking's hold (the old one released at A55, the new one
// captured once); a declined one leaves the old hold and the booking as
// they were, and says declined with A55's code.
func TestReplaceHoldOnTheSandbox(t *testing.T) {
	t.Run("approved", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t)
		id, auth := authorizedHold(t, ctx, "replace-approved", 40000)
		replacedBookings.Store(id, true)
		checkout := time.Now().Add(72 * time.Hour).Truncate(time.Second)
		res, err := env.Starter().ReplaceHold(ctx, id, starter.ReplaceHold{
			ID: "longer-stay", Card: testCard("5500000000000004"), Amount: testkit.BRL(60000), ExpectedCaptureAt: checkout,
		})
		if err != nil {
			t.Fatalf("replace_hold: %v", err)
		}
		if res.Status != workflows.StatusAuthorized || res.ChargeUUID == "" || res.ChargeUUID == auth.ChargeUUID || res.ReplacedChargeUUID != auth.ChargeUUID {
			t.Fatalf("replace_hold = %+v", res)
		}
		// A retry of the same replacement is the same update: no third charge.
		again, err := env.Starter().ReplaceHold(ctx, id, starter.ReplaceHold{
			ID: "longer-stay", Card: testCard("5500000000000004"), Amount: testkit.BRL(60000), ExpectedCaptureAt: checkout,
		})
		if err != nil || again.ChargeUUID != res.ChargeUUID {
			t.Errorf("retried replace_hold = %+v, %v", again, err)
		}
		st, err := env.Starter().Status(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.ChargeUUID != res.ChargeUUID || st.Authorized != testkit.BRL(60000) || !st.ExpectedCaptureAt.Equal(checkout) {
			t.Errorf("status after the replacement: charge %s authorized %s check-out %s", st.ChargeUUID, st.Authorized.Display(), st.ExpectedCaptureAt)
		}
		// The old hold's release follows the new hold's authorization.
		waitLedger(t, id, auth.ChargeUUID, "canceled")
		if e := ledgerEntry(t, res.ChargeUUID); e.Status != "authorized" || e.Authorized.Minor != 60000 || e.CardLast4 != "0004" {
			t.Errorf("new hold at A55: %s %d card %s", e.Status, e.Authorized.Minor, e.CardLast4)
		}
		capt, err := env.Starter().Capture(ctx, id, nil)
		if err != nil || capt.Captured != testkit.BRL(60000) || capt.ChargeUUID != res.ChargeUUID {
			t.Fatalf("capture = %+v, %v", capt, err)
		}
		if e := ledgerEntry(t, auth.ChargeUUID); e.Captured.Minor != 0 || e.Calls.Capture != 0 {
			t.Errorf("the replaced hold was captured: %+v", e)
		}
		if e := ledgerEntry(t, res.ChargeUUID); e.Captured.Minor != 60000 || e.Calls.Capture != 1 {
			t.Errorf("new hold: captured %d in %d calls", e.Captured.Minor, e.Calls.Capture)
		}
	})
	t.Run("declined", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t)
		id, auth := authorizedHold(t, ctx, "replace-declined", 40000)
		replacedBookings.Store(id, true)
		before, err := env.Starter().Status(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		res, err := env.Starter().ReplaceHold(ctx, id, starter.ReplaceHold{
			ID: "card-change", Card: testCard("4000000000000002"), Amount: testkit.BRL(60000),
		})
		if err != nil {
			t.Fatalf("replace_hold: %v", err)
		}
		if res.Status != workflows.StatusDeclined || res.DeclineCode != "CARD_DECLINED" {
			t.Fatalf("replace_hold = %+v, want declined CARD_DECLINED", res)
		}
		after, err := env.Starter().Status(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if after.Status != workflows.StatusAuthorized || after.ChargeUUID != auth.ChargeUUID || after.Authorized != before.Authorized ||
			!after.CaptureDeadline.Equal(before.CaptureDeadline) {
			t.Errorf("booking changed by a declined replacement: %s %s %s %s", after.Status, after.ChargeUUID, after.Authorized.Display(), after.CaptureDeadline)
		}
		if after.Replacement == nil || after.Replacement.Status != workflows.StatusDeclined {
			t.Errorf("status' replacement = %+v", after.Replacement)
		}
		if e := ledgerEntry(t, auth.ChargeUUID); e.Status != "authorized" {
			t.Errorf("old hold at A55 is %s, want authorized (kept)", e.Status)
		}
		capt, err := env.Starter().Capture(ctx, id, nil)
		if err != nil || capt.Captured != testkit.BRL(40000) || capt.ChargeUUID != auth.ChargeUUID {
			t.Fatalf("capture = %+v, %v", capt, err)
		}
	})
}

// ledgerEntry reads one charge from the sandbox (a replaced booking has
// several: ledgerCharge's one-charge invariant does not hold for it).
func ledgerEntry(t *testing.T, chargeUUID string) a55sandbox.LedgerEntry {
	t.Helper()
	e, err := env.Sandbox.Charge(testCtx(t), chargeUUID)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// waitLedger waits until A55 reports the booking's charge in status want.
func waitLedger(t *testing.T, id, chargeUUID, want string) {
	t.Helper()
	ctx := testCtx(t)
	for {
		if e := ledgerEntry(t, chargeUUID); e.Status == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("charge %s of %s never became %s", chargeUUID, id, want)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
