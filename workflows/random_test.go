package workflows_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// TestRandomInterleavings drives many seeded random mixes of updates,
// webhooks, 3DS completions, lapses, timers and A55 failures through the
// workflow and checks the invariants that protect the card holder's money
// after every run:
//   - at most one authorization and at most one capture per booking at A55;
//   - captured ≤ authorized, and the workflow agrees with A55's ledger;
//   - nothing is captured after the capture deadline;
//   - every run ends in a terminal status through legal transitions only.
func TestRandomInterleavings(t *testing.T) {
	runs := 200
	if testing.Short() {
		runs = 40
	}
	for seed := uint64(1); seed <= uint64(runs); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { randomRun(t, seed) })
	}
}

var randomTimes = []time.Duration{
	0, time.Second, time.Minute, 5 * time.Minute, 14 * time.Minute, 16 * time.Minute, time.Hour,
	24 * time.Hour, 47 * time.Hour, 71*time.Hour + 59*time.Minute, 72 * time.Hour, 73 * time.Hour,
	4 * 24 * time.Hour, 6*24*time.Hour + 17*time.Hour, 6*24*time.Hour + 18*time.Hour, 8 * 24 * time.Hour,
}

func randomRun(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	var deadline time.Duration // the deadline if nothing moves it; set below
	pick := func() time.Duration {
		if rng.IntN(4) == 0 { // right at the deadline, where races live
			return deadline + time.Duration(rng.IntN(3)-1)*time.Second
		}
		return randomTimes[rng.IntN(len(randomTimes))]
	}
	id := fmt.Sprintf("R-%d", seed)
	in := validInput(id)
	if rng.IntN(2) == 0 {
		in.Card.Number, in.ThreeDS = cardChallenge, true
	} else if n := rng.IntN(10); n == 0 {
		in.Card.Number = cardDecline
	} else if n == 1 {
		in.Card.Number = cardUndecided
	}
	if rng.IntN(2) == 0 {
		in.DeadlinePolicy = workflows.DeadlinePolicy{Action: workflows.DeadlineCapture}
		if rng.IntN(2) == 0 {
			a := brl(1 + rng.Int64N(50000))
			in.DeadlinePolicy.Amount = &a
		}
	}
	in.ExpectedCaptureAt = t0.Add(time.Duration(1+rng.IntN(9*24)) * time.Hour)
	deadline = min(in.ExpectedCaptureAt.Add(workflows.DefaultCaptureGrace).Sub(t0),
		workflows.DefaultHoldWindow-workflows.DefaultSafetyMargin)
	if in.ExpectedCaptureAt.Sub(t0) > workflows.DefaultHoldWindow-workflows.DefaultSafetyMargin {
		// A long stay that gets no new authorization: the deadline policy.
		in.LongStayPolicy = workflows.LongStayReauthorize
	}
	r := newRunWith(t, in, a55sandbox.Config{Seed: seed})
	if in.Card.Number == cardUndecided {
		r.undecided()
	}
	// Per endpoint: up to two retryable 500s, maybe a 429 with Retry-After
	// (the sandbox draws which of the next calls gets which, from the seed),
	// maybe a lost answer.
	for _, op := range []string{"create", "get", "capture", "cancel"} {
		f := unavailable(rng.IntN(3))
		if rng.IntN(4) == 0 {
			f.ErrorNext++
			f.ErrorStatuses = append(f.ErrorStatuses, 429)
			f.RetryAfter = rateLimited(1).RetryAfter
			if f.ErrorNext == 1 {
				f.ErrorStatuses = []int{429}
			}
		}
		if op != "get" && rng.IntN(3) == 0 {
			f.LostResponseNext = 1
		}
		r.fault(op, f)
	}

	var captures []*outcome
	events := 1 + rng.IntN(8)
	for i := 0; i < events; i++ {
		i, at := i, pick()
		switch kind := rng.IntN(9); kind {
		case 8: // a burst: several money updates in the same instant
			r.at(at, func() {
				captures = append(captures, r.update(workflows.UpdateCapture, fmt.Sprintf("burst-capture-a-%d", i), workflows.CaptureRequest{}))
				r.update(workflows.UpdateCancel, fmt.Sprintf("burst-cancel-%d", i), workflows.CancelRequest{})
				captures = append(captures, r.update(workflows.UpdateCapture, fmt.Sprintf("burst-capture-b-%d", i), workflows.CaptureRequest{}))
			})
		case 0, 1: // capture, sometimes invalid
			var amount *money.Amount
			switch rng.IntN(4) {
			case 0:
				a := brl(1 + rng.Int64N(60000)) // may exceed the hold
				amount = &a
			case 1:
				a := money.Amount{Minor: 100, Currency: "USD"}
				amount = &a
			}
			uid := fmt.Sprintf("capture-%d", i)
			r.at(at, func() {
				captures = append(captures, r.update(workflows.UpdateCapture, uid, workflows.CaptureRequest{Amount: amount}))
			})
		case 2:
			uid := fmt.Sprintf("cancel-%d", i)
			r.at(at, func() { r.update(workflows.UpdateCancel, uid, workflows.CancelRequest{Reason: "random"}) })
		case 3:
			uid := fmt.Sprintf("move-%d", i)
			to := t0.Add(time.Duration(rng.IntN(12*24)) * time.Hour)
			r.at(at, func() {
				r.update(workflows.UpdateMoveCaptureTime, uid, workflows.MoveCaptureTimeRequest{ExpectedCaptureAt: to})
			})
		case 4: // webhook with a random (possibly stale or wrong) status, maybe duplicated
			status := []string{"pending", "authorized", "confirmed", "canceled", "error", "paid"}[rng.IntN(6)]
			dup := 1 + rng.IntN(3)
			r.at(at, func() {
				uuid := r.chargeFor(id)
				for j := 0; j < dup; j++ {
					r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: uuid, Status: status})
				}
			})
		case 5: // the card holder finishes the challenge
			approve := rng.IntN(3) > 0
			r.at(at, func() {
				uuid := r.chargeFor(id)
				r.completeChallenge(uuid, approve)
				r.signal(workflows.Signal3DSComplete, workflows.ThreeDSCompleteSignal{ChargeUUID: uuid})
			})
		case 6:
			uid := fmt.Sprintf("auth-%d", i)
			r.at(at, func() { r.update(workflows.UpdateAuthorization, uid) })
		case 7: // A55 lets the hold lapse (misbehaving or forced by an operator)
			if rng.IntN(3) == 0 {
				r.at(at, func() {
					// An undecided charge is no hold to lapse.
					if uuid := r.chargeFor(id); r.charge(uuid).Status == "authorized" && !r.isUndecided() {
						r.cancelAtA55(uuid)
					}
				})
			}
		}
	}

	res := r.execute()
	st := r.state()
	if !res.Status.Terminal() || st.Status != res.Status {
		t.Fatalf("ended %s (query %s), not terminal", res.Status, st.Status)
	}
	creates, captured, _ := r.counts(id)
	if creates > 1 || captured > 1 {
		t.Errorf("A55 saw %d authorizations and %d captures", creates, captured)
	}
	if res.Captured.Minor > res.Authorized.Minor {
		t.Errorf("captured %s > authorized %s", res.Captured, res.Authorized)
	}
	ch := r.charge(res.ChargeUUID)
	switch res.Status {
	case workflows.StatusCaptured:
		if ch.Status != "confirmed" || ch.Captured != res.Captured {
			t.Errorf("workflow captured %s, A55 charge %s captured %s", res.Captured, ch.Status, ch.Captured)
		}
	case workflows.StatusVoided, workflows.StatusExpired:
		if ch.Status != "canceled" {
			t.Errorf("workflow %s, A55 charge %s", res.Status, ch.Status)
		}
		if captured != 0 {
			t.Errorf("workflow %s but A55 captured", res.Status)
		}
	case workflows.StatusDeclined:
		if ch.Status == "authorized" || ch.Status == "confirmed" {
			t.Errorf("declined but A55 charge is %s", ch.Status)
		}
	}
	// Legal, forward-only transitions; the terminal one last.
	prev := workflows.Status("")
	for i, tr := range st.History {
		if tr.From != prev {
			t.Errorf("transition %d from %s, previous status %s", i, tr.From, prev)
		}
		if prev.Terminal() {
			t.Errorf("transition out of terminal %s", prev)
		}
		if tr.To == workflows.StatusCapturing && !st.CaptureDeadline.IsZero() && tr.At.After(st.CaptureDeadline) {
			t.Errorf("capture started at %s, after the deadline %s", tr.At, st.CaptureDeadline)
		}
		prev = tr.To
	}
	successes := 0
	for _, o := range captures {
		if o.done && o.err == nil {
			successes++
		}
	}
	if successes > 1 {
		t.Errorf("%d capture updates succeeded", successes)
	}
	if successes == 1 && res.CapturedBy != workflows.CapturedByRequest {
		t.Errorf("a capture update succeeded but the result says captured by %q", res.CapturedBy)
	}
}
