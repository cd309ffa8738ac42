package workflows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// holdAtA55 creates a hold for the run's booking at A55 under key, as an
// earlier run of the booking (or anyone) did, and returns its uuid.
func (r *run) holdAtA55(key string, amount money.Amount) string {
	r.t.Helper()
	ch, err := r.a55.CreateCharge(context.Background(), &a55client.CreateChargeParams{
		WalletUUID: r.in.WalletUUID, MerchantID: r.in.MerchantID, Payer: r.in.Payer, Amount: amount,
		Card:                a55client.Card{HolderName: testHolder, Number: cardApprove, ExpiryMonth: 12, ExpiryYear: 2099, CVV: "123"},
		ReferenceExternalID: r.in.BookingID,
	}, key)
	if err != nil || ch.State != a55client.StateAuthorized {
		r.t.Fatalf("seeding a hold: %v %+v", err, ch)
	}
	return ch.UUID
}

// A Reset of the workflow more than 24 h after it authorized runs the create
// call again under a key A55 has forgotten: without the look-up it places a
// second hold. The booking adopts the hold A55 has, counted from when A55
// created it, and captures that one.
func TestResetAfterTheIdempotencyKeyExpiredAdoptsTheHold(t *testing.T) {
	in := validInput("L-1")
	in.ExpectedCaptureAt = t0.Add(10 * 24 * time.Hour) // the hold lapses first
	in.LongStayPolicy = workflows.LongStayReauthorize
	r := newRun(t, in)
	r.shiftA55Clock(-25 * time.Hour)
	first := r.holdAtA55(workflows.WorkflowID(in.BookingID)+"/authorize", in.Amount)
	r.shiftA55Clock(0)
	var auth *outcome
	r.at(0, func() { auth = r.update(workflows.UpdateAuthorization, "auth") })
	r.at(time.Hour, func() {
		st := r.state()
		if want := t0.Add(-25*time.Hour + workflows.DefaultHoldWindow); !st.HoldExpiresAt.Equal(want) {
			t.Errorf("hold expires %s, want %s (7 days after A55 created it)", st.HoldExpiresAt, want)
		}
		r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{})
	})
	res := r.execute()
	var a workflows.AuthorizationResult
	auth.decode(t, &a)
	if a.Status != workflows.StatusAuthorized || a.ChargeUUID != first {
		t.Errorf("authorization = %+v, want the existing hold %s", a, first)
	}
	if res.Status != workflows.StatusCaptured || res.ChargeUUID != first {
		t.Errorf("result = %+v", res)
	}
	if charges := r.sb.ChargesByReference(in.BookingID); len(charges) != 1 {
		t.Errorf("A55 holds %d charges for the booking, want 1", len(charges))
	}
	if n := r.started(workflows.ActivityAuthorize); n != 0 {
		t.Errorf("the create call ran %d times", n)
	}
}

// A create call whose answer was lost and whose retry A55 refused (409
// IDEMPOTENCY_KEY_REUSED, not "in progress") is answered by looking the
// booking up: A55 made the charge, the booking adopts it instead of waiting
// for an operator.
func TestCreateCallRefusedAfterALostAnswerIsLookedUpAndAdopted(t *testing.T) {
	r := newRun(t, validInput("L-2"))
	r.fault("create", lostResponses(1))
	creates := 0
	r.onStart = func(activity string) {
		if activity == workflows.ActivityAuthorize {
			if creates++; creates == 2 {
				r.fault("create", a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{409}})
			}
		}
	}
	r.at(time.Hour, func() { r.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{}) })
	res := r.execute()
	if res.Status != workflows.StatusVoided {
		t.Fatalf("result = %+v", res)
	}
	charges := r.sb.ChargesByReference("L-2")
	if len(charges) != 1 || charges[0].ChargeUUID != res.ChargeUUID || charges[0].Status != "canceled" {
		t.Errorf("A55: %+v", charges)
	}
	wantStatuses(t, r.state(), workflows.StatusAuthorizing, workflows.StatusAuthorized, workflows.StatusVoiding, workflows.StatusVoided)
	if creates != 2 || r.sb.FaultCounts()["create:lost_response"] != 1 {
		t.Errorf("create attempts %d, faults %v", creates, r.sb.FaultCounts())
	}
}

// Two live holds for one booking (whatever made them): the oldest is
// adopted, the other released under its own key.
func TestASecondLiveHoldIsReleased(t *testing.T) {
	r := newRun(t, validInput("L-3"))
	r.shiftA55Clock(-2 * time.Hour)
	oldest := r.holdAtA55("elsewhere/1", r.in.Amount)
	r.shiftA55Clock(-time.Hour)
	second := r.holdAtA55("elsewhere/2", r.in.Amount)
	r.shiftA55Clock(0)
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	res := r.execute()
	if res.Status != workflows.StatusCaptured || res.ChargeUUID != oldest {
		t.Fatalf("result = %+v, want %s captured", res, oldest)
	}
	if c := r.charge(second); c.Status != "canceled" {
		t.Errorf("second hold is %s, want canceled", c.Status)
	}
	if n := len(r.sb.ChargesByReference("L-3")); n != 2 {
		t.Errorf("A55 has %d charges for the booking, want the 2 it had", n)
	}
}

// A charge A55 already captured for the booking, or a hold of another
// amount, is in front of a person: no hold is placed.
func TestWhatCannotBeAdoptedNeedsAttention(t *testing.T) {
	// ("confirmed" alone is not proof of a capture: a capture:false charge
	// answered confirmed is adopted as a hold; a refund is proof.)
	t.Run("captured and refunded", func(t *testing.T) {
		r := newRun(t, validInput("L-4"))
		uuid := r.holdAtA55("elsewhere/1", r.in.Amount)
		if _, err := r.a55.CaptureCharge(context.Background(), &a55client.CaptureParams{WalletUUID: r.in.WalletUUID, ChargeUUID: uuid}, "elsewhere/capture"); err != nil {
			t.Fatal(err)
		}
		part := brl(10000)
		if _, err := r.a55.RefundCharge(context.Background(), &a55client.RefundParams{WalletUUID: r.in.WalletUUID, ChargeUUID: uuid, Amount: &part}, "elsewhere/refund"); err != nil {
			t.Fatal(err)
		}
		r.at(time.Hour, func() {
			st := r.state()
			if st.Status != workflows.StatusNeedsAttention || st.ChargeUUID != uuid || !strings.Contains(st.Attention.Problem, "check what A55 captured") {
				t.Errorf("state = %s %s %+v", st.Status, st.ChargeUUID, st.Attention)
			}
			r.update(workflows.UpdateResolve, "resolve", workflows.ResolveRequest{Action: workflows.ResolveMarkCaptured, Amount: &r.in.Amount, Who: "ana", Why: "captured at check-out by hand"})
		})
		if res := r.execute(); res.Status != workflows.StatusCaptured {
			t.Errorf("result = %+v", res)
		}
		if n := r.started(workflows.ActivityAuthorize); n != 0 {
			t.Errorf("the create call ran %d times", n)
		}
	})
	t.Run("another amount", func(t *testing.T) {
		r := newRun(t, validInput("L-5"))
		uuid := r.holdAtA55("elsewhere/1", brl(70000))
		r.at(time.Hour, func() {
			st := r.state()
			if st.Status != workflows.StatusNeedsAttention || st.ChargeUUID != uuid || !strings.Contains(st.Attention.Problem, "R$ 700,00") {
				t.Errorf("state = %s %s %+v", st.Status, st.ChargeUUID, st.Attention)
			}
			r.update(workflows.UpdateResolve, "resolve", workflows.ResolveRequest{Action: workflows.ResolveMarkReleased, Who: "ana", Why: "released in the dashboard"})
		})
		if res := r.execute(); res.Status != workflows.StatusVoided {
			t.Errorf("result = %+v", res)
		}
		if n := r.started(workflows.ActivityAuthorize); n != 0 {
			t.Errorf("the create call ran %d times", n)
		}
	})
}
