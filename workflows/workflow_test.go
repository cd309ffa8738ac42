package workflows_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/workflows"
)

func TestFrictionlessApproveThenCaptureFull(t *testing.T) {
	r := newRun(t, validInput("H-1001"))
	var auth, capture *outcome
	r.at(0, func() { auth = r.update(workflows.UpdateAuthorization, "auth") })
	r.at(time.Hour, func() {
		st := r.state()
		if st.Status != workflows.StatusAuthorized {
			t.Errorf("status at +1h = %s, want authorized", st.Status)
		}
		if want := t0.Add(72 * time.Hour); !st.CaptureDeadline.Equal(want) {
			t.Errorf("capture deadline = %s, want %s (check-out + 24 h grace)", st.CaptureDeadline, want)
		}
		if want := t0.Add(7 * 24 * time.Hour); !st.HoldExpiresAt.Equal(want) {
			t.Errorf("hold expires = %s, want %s", st.HoldExpiresAt, want)
		}
		capture = r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{})
	})
	res := r.execute()

	var a workflows.AuthorizationResult
	auth.decode(t, &a)
	if a.Status != workflows.StatusAuthorized || a.ChargeUUID == "" || a.Authorized != brl(50000) {
		t.Errorf("authorization = %+v", a)
	}
	var c workflows.CaptureResult
	if capture.err != nil {
		t.Fatalf("capture: %v", capture.err)
	}
	capture.decode(t, &c)
	if c.Captured != brl(50000) || c.Released != brl(0) || c.Status != workflows.StatusCaptured {
		t.Errorf("capture result = %+v", c)
	}
	if res.Status != workflows.StatusCaptured || res.CapturedBy != "request" || res.Captured != brl(50000) {
		t.Errorf("result = %+v", res)
	}
	creates, captures, cancels := r.counts("H-1001")
	if creates != 1 || captures != 1 || cancels != 0 {
		t.Errorf("A55 saw %d creates, %d captures, %d cancels", creates, captures, cancels)
	}
	wantStatuses(t, r.state(), workflows.StatusAuthorizing, workflows.StatusAuthorized, workflows.StatusCapturing, workflows.StatusCaptured)
}

func TestPartialCaptureReleasesTheRest(t *testing.T) {
	r := newRun(t, validInput("H-1002"))
	var capture *outcome
	amount := brl(32000)
	r.at(time.Hour, func() {
		capture = r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{Amount: &amount})
	})
	res := r.execute()
	if capture.err != nil {
		t.Fatal(capture.err)
	}
	var c workflows.CaptureResult
	capture.decode(t, &c)
	if c.Captured != brl(32000) || c.Released != brl(18000) {
		t.Errorf("capture = %+v, want captured 320,00 released 180,00", c)
	}
	if got := r.charge(res.ChargeUUID).Captured; got != brl(32000) {
		t.Errorf("A55 captured %v", got)
	}
	if res.Captured != brl(32000) || res.Authorized != brl(50000) {
		t.Errorf("result = %+v", res)
	}
}

func TestCaptureValidatorRejectsBadCaptures(t *testing.T) {
	r := newRun(t, validInput("H-1003"))
	over, usd, zero := brl(50001), money.Amount{Minor: 100, Currency: "USD"}, brl(0)
	var rejected []*outcome
	var good, second *outcome
	r.at(time.Hour, func() {
		for i, a := range []*money.Amount{&over, &usd, &zero} {
			rejected = append(rejected, r.update(workflows.UpdateCapture, "bad-"+string(rune('a'+i)), workflows.CaptureRequest{Amount: a}))
		}
		good = r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{})
		// The second capture arrives while the first is in flight.
		second = r.update(workflows.UpdateCapture, "capture-2", workflows.CaptureRequest{})
	})
	res := r.execute()
	wantMsgs := []string{"more than the authorized", "currency", "positive"}
	for i, o := range rejected {
		if o.rejected == nil || o.accepted {
			t.Errorf("bad capture %d was not rejected by the validator", i)
			continue
		}
		if !strings.Contains(o.rejected.Error(), wantMsgs[i]) {
			t.Errorf("bad capture %d: %v, want it to mention %q", i, o.rejected, wantMsgs[i])
		}
	}
	if good.err != nil || !good.accepted {
		t.Fatalf("good capture: %+v", good)
	}
	if second.rejected == nil || !strings.Contains(second.rejected.Error(), "already in progress") {
		t.Errorf("second capture: rejected=%v accepted=%v", second.rejected, second.accepted)
	}
	if _, captures, _ := r.counts("H-1003"); captures != 1 || res.Status != workflows.StatusCaptured {
		t.Errorf("captures = %d, status %s", captures, res.Status)
	}
}

func TestCancelVoidsTheHold(t *testing.T) {
	r := newRun(t, validInput("H-1005"))
	var cancel, late *outcome
	r.at(2*time.Hour, func() {
		cancel = r.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{Reason: "guest cancelled"})
		late = r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{})
	})
	res := r.execute()
	if cancel.err != nil {
		t.Fatal(cancel.err)
	}
	var c workflows.CancelResult
	cancel.decode(t, &c)
	if c.Status != workflows.StatusVoided || res.Status != workflows.StatusVoided {
		t.Errorf("cancel = %+v, result %+v", c, res)
	}
	if late.rejected == nil {
		t.Error("a capture after the cancel started was accepted")
	}
	if r.charge(res.ChargeUUID).Status != "canceled" {
		t.Error("A55 still holds the charge")
	}
	if !strings.Contains(res.Reason, "guest cancelled") {
		t.Errorf("reason %q does not carry the booking system's reason", res.Reason)
	}
}

func TestDeadlineReleasesByDefault(t *testing.T) {
	r := newRun(t, validInput("H-1006"))
	res := r.execute()
	if res.Status != workflows.StatusVoided {
		t.Fatalf("result = %+v", res)
	}
	st := r.state()
	last := st.History[len(st.History)-1]
	if want := t0.Add(72 * time.Hour); !last.At.Equal(want) {
		t.Errorf("released at %s, want the deadline %s", last.At, want)
	}
	if _, captures, cancels := r.counts("H-1006"); captures != 0 || cancels != 1 {
		t.Errorf("captures %d cancels %d", captures, cancels)
	}
}

// A workflow that starts after its deadline (the starter accepted it, then the
// start was slow) still authorizes, then applies the policy at once instead
// of failing as invalid input.
func TestStartedAfterTheDeadlineAppliesThePolicyAtOnce(t *testing.T) {
	in := validInput("H-1006b")
	in.ExpectedCaptureAt = t0.Add(-25 * time.Hour) // + 24 h grace: an hour ago
	r := newRun(t, in)
	res := r.execute()
	if res.Status != workflows.StatusVoided || res.ChargeUUID == "" {
		t.Fatalf("result = %+v", res)
	}
	if auths, captures, cancels := r.counts("H-1006b"); auths != 1 || captures != 0 || cancels != 1 {
		t.Errorf("authorizations %d captures %d cancels %d", auths, captures, cancels)
	}
	if got := r.state().History; !got[len(got)-1].At.Equal(t0) {
		t.Errorf("released at %s, want at once (%s)", got[len(got)-1].At, t0)
	}
}

func TestDeadlineCapturesPerPolicy(t *testing.T) {
	in := validInput("H-1007")
	amount := brl(10000)
	in.DeadlinePolicy = workflows.DeadlinePolicy{Action: workflows.DeadlineCapture, Amount: &amount}
	in.ExpectedCaptureAt = t0.Add(10 * 24 * time.Hour) // after the hold: the hold wins
	in.HoldWindow = 5 * 24 * time.Hour
	// A long stay that gets no new authorization: the deadline policy.
	in.LongStayPolicy = workflows.LongStayReauthorize
	r := newRun(t, in)
	var late *outcome
	r.at(5*24*time.Hour-6*time.Hour+time.Second, func() {
		late = r.update(workflows.UpdateCapture, "late", workflows.CaptureRequest{})
	})
	res := r.execute()
	if res.Status != workflows.StatusCaptured || res.CapturedBy != "deadline" || res.Captured != amount {
		t.Fatalf("result = %+v", res)
	}
	st := r.state()
	if want := t0.Add(5*24*time.Hour - 6*time.Hour); !st.CaptureDeadline.Equal(want) {
		t.Errorf("deadline %s, want hold expiry − margin %s", st.CaptureDeadline, want)
	}
	if late != nil && late.accepted {
		t.Error("a capture after the deadline was accepted")
	}
}

func TestMoveCaptureTimeRearmsTheTimer(t *testing.T) {
	in := validInput("H-1008")
	// The last move goes beyond the hold's reach, which needs a long-stay
	// policy (TestMovingTheCheckoutBeyondTheHoldNeedsAPolicy).
	in.LongStayPolicy = workflows.LongStayRelease
	r := newRun(t, in)
	var moved, beyond, past *outcome
	r.at(time.Hour, func() {
		past = r.update(workflows.UpdateMoveCaptureTime, "past", workflows.MoveCaptureTimeRequest{ExpectedCaptureAt: t0})
		moved = r.update(workflows.UpdateMoveCaptureTime, "move-1", workflows.MoveCaptureTimeRequest{ExpectedCaptureAt: t0.Add(4 * 24 * time.Hour)})
	})
	// The original deadline (+72h) passes without action.
	r.at(73*time.Hour, func() {
		if st := r.state(); st.Status != workflows.StatusAuthorized {
			t.Errorf("status at the old deadline = %s, want authorized", st.Status)
		}
		beyond = r.update(workflows.UpdateMoveCaptureTime, "move-2", workflows.MoveCaptureTimeRequest{ExpectedCaptureAt: t0.Add(20 * 24 * time.Hour)})
	})
	res := r.execute()
	if past.rejected == nil {
		t.Error("a past check-out was accepted")
	}
	var m workflows.MoveCaptureTimeResult
	moved.decode(t, &m)
	if want := t0.Add(5 * 24 * time.Hour); !m.CaptureDeadline.Equal(want) {
		t.Errorf("moved deadline %s, want %s", m.CaptureDeadline, want)
	}
	var b workflows.MoveCaptureTimeResult
	beyond.decode(t, &b)
	holdLimit := t0.Add(7*24*time.Hour - 6*time.Hour)
	if !b.CaptureDeadline.Equal(holdLimit) {
		t.Errorf("deadline beyond the hold = %s, want hold expiry − margin %s", b.CaptureDeadline, holdLimit)
	}
	st := r.state()
	if last := st.History[len(st.History)-1]; res.Status != workflows.StatusVoided || !last.At.Equal(holdLimit) {
		t.Errorf("result %s at %s, want voided at %s", res.Status, last.At, holdLimit)
	}
}

func TestThreeDSApproved(t *testing.T) {
	in := validInput("H-2001")
	in.Card.Number = cardChallenge
	in.ThreeDS = true
	r := newRun(t, in)
	var first, second, capture *outcome
	var waiting workflows.PaymentState
	r.at(0, func() { first = r.update(workflows.UpdateAuthorization, "auth-1") })
	r.at(2*time.Minute, func() {
		waiting = r.state()
		if !r.completeChallenge(waiting.ChargeUUID, true) {
			t.Error("no challenge to complete")
		}
		r.signal(workflows.Signal3DSComplete, workflows.ThreeDSCompleteSignal{ChargeUUID: waiting.ChargeUUID})
	})
	r.at(3*time.Minute, func() { second = r.update(workflows.UpdateAuthorization, "auth-2") })
	r.at(time.Hour, func() {
		a := brl(50000)
		capture = r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{Amount: &a})
	})
	res := r.execute()
	var a1, a2 workflows.AuthorizationResult
	first.decode(t, &a1)
	second.decode(t, &a2)
	if a1.Status != workflows.StatusAwaiting3DS || !strings.HasPrefix(a1.URL3DS, "https://a55.test/3ds/") {
		t.Errorf("first authorization = %+v", a1)
	}
	if waiting.Status != workflows.StatusAwaiting3DS || waiting.URL3DS != a1.URL3DS {
		t.Errorf("state while waiting = %s %q", waiting.Status, waiting.URL3DS)
	}
	if a2.Status != workflows.StatusAuthorized || a2.URL3DS != "" {
		t.Errorf("second authorization = %+v", a2)
	}
	if capture.err != nil || res.Status != workflows.StatusCaptured {
		t.Errorf("capture %v, result %+v", capture.err, res)
	}
	wantStatuses(t, r.state(), workflows.StatusAuthorizing, workflows.StatusAwaiting3DS, workflows.StatusAuthorized,
		workflows.StatusCapturing, workflows.StatusCaptured)
}

func TestThreeDSFailed(t *testing.T) {
	in := validInput("H-2002")
	in.Card.Number = cardChallenge
	in.ThreeDS = true
	r := newRun(t, in)
	r.at(time.Minute, func() {
		uuid := r.state().ChargeUUID
		if !r.completeChallenge(uuid, false) {
			t.Error("no challenge to fail")
		}
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: uuid, Status: "error"})
	})
	res := r.execute()
	// The decline code is A55's (the seeds' error_threeds_authentication).
	if code := r.charge(res.ChargeUUID).Code; res.Status != workflows.StatusDeclined || res.Reason != workflows.Reason3DSFailed ||
		code == "" || res.DeclineCode != code {
		t.Errorf("result = %+v, A55's code %q", res, code)
	}
}

func TestThreeDSAbandonedIsCancelled(t *testing.T) {
	in := validInput("H-2003")
	in.Card.Number = cardChallenge
	in.ThreeDS = true
	r := newRun(t, in)
	// A stale 3ds_complete for another charge changes nothing.
	r.at(time.Minute, func() {
		r.signal(workflows.Signal3DSComplete, workflows.ThreeDSCompleteSignal{ChargeUUID: "someone-else"})
	})
	res := r.execute()
	if res.Status != workflows.StatusDeclined || res.Reason != workflows.Reason3DSAbandoned {
		t.Fatalf("result = %+v", res)
	}
	// A55 gave no code: the booking system still gets one to act on.
	if res.DeclineCode != workflows.Reason3DSAbandoned {
		t.Errorf("decline code %q, want %q", res.DeclineCode, workflows.Reason3DSAbandoned)
	}
	if got := r.charge(res.ChargeUUID).Status; got != "canceled" {
		t.Errorf("A55 charge is %s, want canceled", got)
	}
	st := r.state()
	if last := st.History[len(st.History)-1]; !last.At.Equal(t0.Add(workflows.DefaultThreeDSTimeout)) {
		t.Errorf("abandoned at %s, want after the 15 min timeout", last.At)
	}
	if r.started(workflows.ActivityGetCharge) != 1 {
		t.Errorf("reads = %d, want 1 (the final read before cancelling)", r.started(workflows.ActivityGetCharge))
	}
}

func TestDeclineEndsTheWorkflow(t *testing.T) {
	in := validInput("H-3001")
	in.Card.Number = cardDecline
	r := newRun(t, in)
	var auth *outcome
	r.at(0, func() { auth = r.update(workflows.UpdateAuthorization, "auth") })
	res := r.execute()
	var a workflows.AuthorizationResult
	auth.decode(t, &a)
	if a.Status != workflows.StatusDeclined || a.DeclineCode != "CARD_DECLINED" || a.DeclineMessage == "" {
		t.Errorf("authorization = %+v", a)
	}
	if res.Status != workflows.StatusDeclined || res.DeclineCode != "CARD_DECLINED" {
		t.Errorf("result = %+v", res)
	}
	if r.started(workflows.ActivityAuthorize) != 1 {
		t.Errorf("authorize attempts: %d", r.started(workflows.ActivityAuthorize))
	}
}

func TestWebhookBeforeCreateReturns(t *testing.T) {
	in := validInput("H-4001")
	in.Card.Number = cardChallenge
	in.ThreeDS = true
	r := newRun(t, in)
	// The card holder is fast: the challenge completes and A55's webhook
	// arrives while our create call is still waiting for its answer (the
	// answer, sent before, still says pending).
	r.afterAuthorize(func(_ workflows.AuthorizeInput, res *workflows.AuthorizeResult, err error) (*workflows.AuthorizeResult, error) {
		if err != nil || res.Charge.Status != "pending" {
			t.Errorf("create answered %+v, %v", res, err)
			return res, err
		}
		uuid := res.Charge.ChargeUUID
		if !r.completeChallenge(uuid, true) {
			t.Error("no challenge to complete")
		}
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: uuid, Status: "authorized"})
		return res, err
	})
	var auth *outcome
	r.at(0, func() { auth = r.update(workflows.UpdateAuthorization, "auth") })
	r.at(time.Minute, func() {
		if st := r.state(); st.Status != workflows.StatusAuthorized {
			t.Errorf("status at +1 min = %s: the early webhook was lost", st.Status)
		}
		r.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{})
	})
	res := r.execute()
	var a workflows.AuthorizationResult
	auth.decode(t, &a)
	if a.Status != workflows.StatusAwaiting3DS && a.Status != workflows.StatusAuthorized {
		t.Errorf("authorization = %+v", a)
	}
	if res.Status != workflows.StatusVoided {
		t.Errorf("result = %+v", res)
	}
}

func TestDuplicateAndOutOfOrderWebhooks(t *testing.T) {
	r := newRun(t, validInput("H-4002"))
	r.at(time.Hour, func() {
		uuid := r.state().ChargeUUID
		for i := 0; i < 5; i++ { // duplicates of what the create answer said: no reads
			r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: uuid, Status: "authorized"})
		}
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: uuid, Status: "pending"}) // stale
	})
	r.at(2*time.Hour, func() {
		st := r.state()
		if st.Status != workflows.StatusAuthorized {
			t.Errorf("stale webhook moved the status to %s", st.Status)
		}
		if n := r.started(workflows.ActivityGetCharge); n != 1 {
			t.Errorf("reads after 5 duplicates and 1 stale webhook = %d, want 1", n)
		}
		r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{})
		// Late webhooks after the capture cannot move it.
		uuid := st.ChargeUUID
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: uuid, Status: "authorized"})
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: uuid, Status: "canceled"})
	})
	res := r.execute()
	if res.Status != workflows.StatusCaptured {
		t.Errorf("result = %+v", res)
	}
}

// The receiver delivers webhooks as the charge_changed update: one that
// carries nothing new is rejected (a rejected update leaves no history event),
// one that may mean a change is accepted and answered by one read.
func TestWebhookUpdateRejectsWhatTheWorkflowKnows(t *testing.T) {
	// A55 lets the hold lapse after 90 min (the workflow counts on 7 days).
	r := newRunWith(t, validInput("H-4005"), a55sandbox.Config{HoldWindow: 90 * time.Minute})
	webhook := func(id, uuid, status string) *outcome {
		return r.update(workflows.UpdateChargeChanged, id, workflows.ChargeChangedSignal{ChargeUUID: uuid, Status: status})
	}
	var known, other, lapsed *outcome
	r.at(time.Hour, func() {
		uuid := r.state().ChargeUUID
		known = webhook("known", uuid, "authorized") // what the create call answered
		other = webhook("other", "ch-someone-else", "canceled")
	})
	r.at(2*time.Hour, func() {
		if n := r.started(workflows.ActivityGetCharge); n != 0 {
			t.Errorf("%d reads after two ignored webhooks, want 0", n)
		}
		uuid := r.state().ChargeUUID
		if got := r.charge(uuid).Status; got != "canceled" {
			t.Errorf("A55 charge %s at +2h, want lapsed", got)
		}
		lapsed = webhook("lapsed", uuid, "canceled")
	})
	res := r.execute()
	for name, o := range map[string]*outcome{"known status": known, "another charge": other} {
		var app *temporal.ApplicationError
		if o.accepted || !errors.As(o.rejected, &app) || app.Type() != workflows.ErrTypeWebhookIgnored {
			t.Errorf("%s: accepted=%v rejected=%v, want rejected as %s", name, o.accepted, o.rejected, workflows.ErrTypeWebhookIgnored)
		}
	}
	if !lapsed.accepted || lapsed.err != nil {
		t.Errorf("a webhook with news: accepted=%v rejected=%v err=%v", lapsed.accepted, lapsed.rejected, lapsed.err)
	}
	if res.Status != workflows.StatusExpired {
		t.Errorf("result = %+v, want expired (the read after the accepted webhook)", res)
	}
	if n := r.started(workflows.ActivityGetCharge); n != 1 {
		t.Errorf("reads = %d, want 1", n)
	}
}

func TestWebhookReportsLapsedHold(t *testing.T) {
	// A55 lets the hold lapse after 30 min (the workflow counts on 7 days).
	r := newRunWith(t, validInput("H-4003"), a55sandbox.Config{HoldWindow: 30 * time.Minute})
	r.at(time.Hour, func() {
		uuid := r.state().ChargeUUID
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: uuid, Status: "canceled"})
	})
	res := r.execute()
	if res.Status != workflows.StatusExpired || !strings.Contains(res.Reason, "canceled") {
		t.Errorf("result = %+v", res)
	}
}

func TestCaptureOfLapsedHoldEndsExpired(t *testing.T) {
	// A55 lets the hold lapse after 30 min, without a webhook (the workflow
	// counts on 7 days).
	r := newRunWith(t, validInput("H-4004"), a55sandbox.Config{HoldWindow: 30 * time.Minute})
	var capture *outcome
	r.at(time.Hour, func() {
		capture = r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{})
	})
	res := r.execute()
	var appErr *temporal.ApplicationError
	if !errors.As(capture.err, &appErr) || appErr.Type() != workflows.ErrTypeHoldExpired {
		t.Errorf("capture error = %v, want %s", capture.err, workflows.ErrTypeHoldExpired)
	}
	if res.Status != workflows.StatusExpired {
		t.Errorf("result = %+v", res)
	}
}

func TestRetryableFailuresAreRetried(t *testing.T) {
	r := newRun(t, validInput("H-5001"))
	r.fault("create", unavailable(3))
	r.fault("capture", rateLimited(1))
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	// Then, while the capture waits out Retry-After, two retryable failures.
	r.at(time.Hour+time.Second/2, func() { r.fault("capture", unavailable(2)) })
	res := r.execute()
	if res.Status != workflows.StatusCaptured {
		t.Fatalf("result = %+v", res)
	}
	if got := r.sb.FaultCounts(); got["create:error_500"] != 3 || got["capture:error_429"] != 1 || got["capture:error_500"] != 2 {
		t.Errorf("faults injected: %v", got)
	}
	creates, captures, _ := r.counts("H-5001")
	if creates != 1 || captures != 1 {
		t.Errorf("creates %d captures %d", creates, captures)
	}
	if n := r.started(workflows.ActivityAuthorize); n != 4 {
		t.Errorf("authorize attempts = %d, want 4", n)
	}
}

// A55 failing past the local attempts: the create call goes on as a regular
// activity with what is left of the authorization's budget, with the same
// Idempotency-Key (one charge).
func TestA55CallGoesOnAsARegularActivity(t *testing.T) {
	r := newRun(t, validInput("H-5006"))
	r.fault("create", unavailable(5))
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	if res := r.execute(); res.Status != workflows.StatusCaptured {
		t.Fatalf("result = %+v", res)
	}
	if creates, _, _ := r.counts("H-5006"); creates != 1 {
		t.Errorf("A55 created %d charges, want 1", creates)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var local, regular int
	var regularBudget time.Duration
	for _, a := range r.activities {
		if a.name != workflows.ActivityAuthorize {
			continue
		}
		if a.local {
			local++
		} else {
			regular++
			regularBudget = a.scheduleToClose
		}
	}
	if local != 3 || regular != 3 {
		t.Errorf("authorize attempts: %d local, %d regular; want 3 and 3", local, regular)
	}
	// The local attempts took 1 s + 2 s of backoff.
	if regularBudget != 10*time.Minute-3*time.Second {
		t.Errorf("regular activity budget %s, want the 9m57s left of 10 min", regularBudget)
	}
}

// The create call is tried as a local activity first: one marker event when
// A55 answers, and the card is never recorded as an activity input. Before
// it, the booking is looked up at A55 the same way.
func TestTheCreateCallRunsAsALocalActivityFirst(t *testing.T) {
	r := newRun(t, validInput("H-5010"))
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	if res := r.execute(); res.Status != workflows.StatusCaptured {
		t.Fatalf("result = %+v", res)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.activities) < 2 || r.activities[0].name != workflows.ActivityFindCharges || !r.activities[0].local ||
		r.activities[1].name != workflows.ActivityAuthorize || !r.activities[1].local {
		t.Fatalf("activities = %+v, want the look-up, then the create call, as local activities first", r.activities)
	}
}

func TestLostResponsesDoNotChargeTwice(t *testing.T) {
	r := newRun(t, validInput("H-5002"))
	r.fault("create", lostResponses(1))
	r.fault("capture", lostResponses(1))
	var capture *outcome
	r.at(time.Hour, func() { capture = r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	res := r.execute()
	if capture.err != nil || res.Status != workflows.StatusCaptured {
		t.Fatalf("capture %v result %+v", capture.err, res)
	}
	creates, captures, _ := r.counts("H-5002")
	if creates != 1 || captures != 1 {
		t.Errorf("A55 saw %d creates and %d captures after lost responses, want 1 and 1", creates, captures)
	}
	if r.started(workflows.ActivityAuthorize) != 2 || r.started(workflows.ActivityCapture) != 2 {
		t.Errorf("attempts: authorize %d capture %d", r.started(workflows.ActivityAuthorize), r.started(workflows.ActivityCapture))
	}
	// The retry sent the capture again under its key ("confirmed" on a read
	// proves nothing): A55 replayed the first answer, amount included.
	if res.Captured.Minor != 50000 || res.CaptureRequested != (money.Amount{}) {
		t.Errorf("captured %v (asked %v), want A55's R$ 500,00", res.Captured, res.CaptureRequested)
	}
}

func TestAuthorizeRefusedFailsWithReason(t *testing.T) {
	r := newRun(t, validInput("H-5003"))
	r.fault("create", refused(422)) // VALIDATION_ERROR
	res := r.execute()
	if res.Status != workflows.StatusFailed || !strings.Contains(res.Reason, "VALIDATION_ERROR") {
		t.Errorf("result = %+v", res)
	}
	if n := r.started(workflows.ActivityAuthorize); n != 1 {
		t.Errorf("a non-retryable error was retried: %d attempts", n)
	}
}

// An authorization without a definite answer may have left a hold at A55:
// the booking waits for a person instead of ending failed.
func TestAuthorizeThatKeepsFailingNeedsAttention(t *testing.T) {
	r := newRun(t, validInput("H-5004"))
	r.fault("create", unavailable(1000))
	r.at(time.Hour, func() {
		st := r.state()
		if st.Status != workflows.StatusNeedsAttention || st.Attention == nil || st.Attention.Operation != "authorize" ||
			!strings.Contains(st.Attention.Problem, "retry budget") || !strings.Contains(st.Attention.Problem, "reference_external_id H-5004") {
			t.Errorf("state = %+v, attention %+v", st, st.Attention)
		}
		r.update(workflows.UpdateResolve, "resolve", workflows.ResolveRequest{Action: workflows.ResolveMarkReleased, Who: "ana", Why: "A55 shows no charge for H-5004"})
	})
	res := r.execute()
	if res.Status != workflows.StatusVoided || !strings.Contains(res.Reason, "marked released at A55 by ana (A55 shows no charge for H-5004)") {
		t.Errorf("result = %+v", res)
	}
}

func TestInvalidInputFailsBeforeAnyActivity(t *testing.T) {
	in := validInput("H-6001")
	in.Amount = brl(-5)
	r := newRun(t, in)
	r.in.CardToken.Last4 = "11x1"
	r.env.ExecuteWorkflow(workflows.WorkflowName, r.in)
	err := r.env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != workflows.ErrTypeInvalidInput || !appErr.NonRetryable() {
		t.Fatalf("error = %v", err)
	}
	if !strings.Contains(err.Error(), "amount") || !strings.Contains(err.Error(), "card_token.last4") {
		t.Errorf("error does not list every problem: %v", err)
	}
	if strings.Contains(err.Error(), r.card.Number) || strings.Contains(err.Error(), r.in.CardToken.Sealed) {
		t.Error("the error echoes the card")
	}
	if len(r.activities) != 0 {
		t.Errorf("activities ran: %v", r.activities)
	}
}

func TestCancelDuringChallenge(t *testing.T) {
	in := validInput("H-6002")
	in.Card.Number = cardChallenge
	in.ThreeDS = true
	r := newRun(t, in)
	var cancel *outcome
	r.at(time.Minute, func() {
		cancel = r.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{Reason: "booking dropped"})
	})
	res := r.execute()
	if cancel.err != nil || res.Status != workflows.StatusDeclined {
		t.Errorf("cancel %v result %+v", cancel.err, res)
	}
	if r.charge(res.ChargeUUID).Status != "canceled" {
		t.Error("the challenge's charge was not cancelled at A55")
	}
}

func TestSearchAttributes(t *testing.T) {
	r := newRun(t, validInput("H-7001"))
	var upserts []temporal.SearchAttributes
	r.env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil).Run(func(args mock.Arguments) {
		upserts = append(upserts, args.Get(0).(temporal.SearchAttributes))
	})
	amount := brl(32000)
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{Amount: &amount}) })
	r.execute()
	// last returns the latest upserted value of a key.
	last := func(key temporal.SearchAttributeKey) temporal.SearchAttributes {
		for i := len(upserts) - 1; i >= 0; i-- {
			if upserts[i].ContainsKey(key) {
				return upserts[i]
			}
		}
		t.Fatalf("%s never upserted", key.GetName())
		return temporal.SearchAttributes{}
	}
	if v, _ := last(workflows.PaymentStatusKey).GetKeyword(workflows.PaymentStatusKey); v != "captured" {
		t.Errorf("PaymentStatus = %q", v)
	}
	if v, _ := last(workflows.AuthorizedAmountKey).GetInt64(workflows.AuthorizedAmountKey); v != 50000 {
		t.Errorf("AuthorizedAmount = %d", v)
	}
	if v, _ := last(workflows.CapturedAmountKey).GetInt64(workflows.CapturedAmountKey); v != 32000 {
		t.Errorf("CapturedAmount = %d", v)
	}
	if v, _ := last(workflows.ChargeUUIDKey).GetKeyword(workflows.ChargeUUIDKey); v == "" {
		t.Error("ChargeUUID not set")
	}
	if v, _ := last(workflows.CaptureDeadlineKey).GetTime(workflows.CaptureDeadlineKey); !v.Equal(t0.Add(72 * time.Hour)) {
		t.Errorf("CaptureDeadline = %s", v)
	}
	if v, _ := last(workflows.BookingIDKey).GetKeyword(workflows.BookingIDKey); v != "H-7001" {
		t.Errorf("BookingID = %q", v)
	}
	var seen []string
	for _, u := range upserts {
		if v, ok := u.GetKeyword(workflows.PaymentStatusKey); ok {
			seen = append(seen, v)
		}
	}
	// capturing is transient and has no upsert of its own; each status change
	// sends every queued attribute in one command.
	if got := strings.Join(seen, ","); got != "authorizing,authorized,captured" {
		t.Errorf("PaymentStatus sequence = %s", got)
	}
	if len(upserts) != 3 {
		t.Errorf("%d upsert commands, want 3 (one per status change)", len(upserts))
	}
}

func TestSearchAttributesSetAtStartAreNotUpsertedAgain(t *testing.T) {
	in := validInput("H-7002")
	r := newRun(t, in)
	if err := r.env.SetTypedSearchAttributesOnStart(starter.StartOptions(in).TypedSearchAttributes); err != nil {
		t.Fatal(err)
	}
	var upserts []temporal.SearchAttributes
	r.env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil).Run(func(args mock.Arguments) {
		upserts = append(upserts, args.Get(0).(temporal.SearchAttributes))
	})
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	if res := r.execute(); res.Status != workflows.StatusCaptured {
		t.Fatalf("result = %+v", res)
	}
	for _, u := range upserts {
		if u.ContainsKey(workflows.BookingIDKey) {
			t.Error("BookingID upserted although the start set it")
		}
		if v, _ := u.GetKeyword(workflows.PaymentStatusKey); v == string(workflows.StatusAuthorizing) {
			t.Error("PaymentStatus=authorizing upserted although the start set it")
		}
	}
	if len(upserts) != 2 {
		t.Errorf("%d upsert commands, want 2 (authorized, captured)", len(upserts))
	}
}

func TestCaptureAtTheDeadlineInstantIsRefused(t *testing.T) {
	in := validInput("H-1009")
	in.DeadlinePolicy = workflows.DeadlinePolicy{Action: workflows.DeadlineCapture}
	r := newRun(t, in)
	var late *outcome
	part := brl(100)
	r.at(72*time.Hour, func() {
		late = r.update(workflows.UpdateCapture, "late", workflows.CaptureRequest{Amount: &part})
	})
	res := r.execute()
	// Whichever the workflow sees first at that instant (the timer or the
	// update), the request is refused and the deadline policy captures.
	if late == nil || late.accepted || late.rejected == nil {
		t.Errorf("capture at the deadline: %+v (%v)", late, late.rejected)
	}
	if res.CapturedBy != workflows.CapturedByDeadline || res.Captured != brl(50000) {
		t.Errorf("result = %+v", res)
	}
}

// A status word is never a capture: a hold A55 reports "paid" without our
// capture call waits for a person to check how much A55 took.
func TestCaptureOutsideTheWorkflowNeedsAPerson(t *testing.T) {
	r := newRun(t, validInput("H-8001"))
	// Someone captures in A55's dashboard, and it settles: reads say "paid".
	r.afterGetCharge(func(_ workflows.GetChargeInput, v *workflows.ChargeView, err error) (*workflows.ChargeView, error) {
		if v != nil && v.State == a55client.StateCaptured {
			v.Status = "paid"
		}
		return v, err
	})
	r.at(time.Hour, func() {
		uuid := r.state().ChargeUUID
		r.captureAtA55(uuid)
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: uuid, Status: "paid"})
	})
	r.at(2*time.Hour, func() {
		st := r.state()
		if st.Status != workflows.StatusNeedsAttention || st.Attention == nil || !strings.Contains(st.Attention.Problem, "without a capture from this workflow") {
			t.Errorf("state %s, attention %+v", st.Status, st.Attention)
		}
		r.update(workflows.UpdateResolve, "resolve", workflows.ResolveRequest{Action: workflows.ResolveMarkCaptured,
			Amount: &money.Amount{Minor: 50000, Currency: "BRL"}, Who: "ana", Why: "A55 shows R$ 500,00 captured"})
	})
	res := r.execute()
	if res.Status != workflows.StatusCaptured || res.CapturedBy != workflows.CapturedByOperator || res.Captured.Minor != 50000 {
		t.Errorf("result = %+v", res)
	}
}

// "confirmed" is how A55's public documents name an approved hold (the
// seeds say "authorized"): with either word, and whatever the client's
// vocabulary setting, a capture:false charge is a hold until captured.
func TestConfirmedIsAHoldWhateverTheVocabulary(t *testing.T) {
	r := newRun(t, validInput("H-8004"))
	// A55 in its public documents' words: the hold reads "confirmed".
	r.afterGetCharge(func(_ workflows.GetChargeInput, v *workflows.ChargeView, err error) (*workflows.ChargeView, error) {
		if v != nil && v.State == a55client.StateAuthorized {
			v.Status, v.State = "confirmed", a55client.MapStatus("confirmed", "", a55client.VocabularySeeds)
		}
		return v, err
	})
	r.at(time.Hour, func() {
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: r.state().ChargeUUID, Status: "confirmed"})
	})
	r.at(2*time.Hour, func() {
		st := r.state()
		if st.Status != workflows.StatusAuthorized || !st.Captured.IsZero() || st.LastA55Status != "confirmed" {
			t.Errorf("after a confirmed read: status %s, captured %v, last read %q; want the hold", st.Status, st.Captured, st.LastA55Status)
		}
		r.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{})
	})
	res := r.execute()
	if res.Status != workflows.StatusVoided || !res.Captured.IsZero() {
		t.Errorf("result = %+v", res)
	}
	if entry := r.charge(res.ChargeUUID); entry.Status != "canceled" || entry.Captured.Minor != 0 {
		t.Errorf("A55 ledger = %+v", entry)
	}
}

// A refused credential (403) on a release is retried: it may be fixed
// meanwhile, and the pending charge must not be left behind.
func TestAbandonedChallengeWhoseCancelIsRefusedOnceIsRetried(t *testing.T) {
	in := validInput("H-8002")
	in.Card.Number, in.ThreeDS = cardChallenge, true
	r := newRun(t, in)
	r.fault("cancel", refused(403)) // FORBIDDEN
	res := r.execute()
	if res.Status != workflows.StatusDeclined || res.Reason != workflows.Reason3DSAbandoned {
		t.Errorf("result = %+v", res)
	}
	if got := r.charge(res.ChargeUUID).Status; got != "canceled" {
		t.Errorf("A55 charge %s, want canceled", got)
	}
}

func TestWebhookForAnotherChargeIsIgnored(t *testing.T) {
	r := newRun(t, validInput("H-8003"))
	r.at(time.Hour, func() {
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: "not-ours", Status: "canceled"})
	})
	r.at(2*time.Hour, func() {
		if n := r.started(workflows.ActivityGetCharge); n != 0 {
			t.Errorf("a webhook for another charge triggered %d reads", n)
		}
		r.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{})
	})
	if res := r.execute(); res.Status != workflows.StatusVoided {
		t.Errorf("result = %+v", res)
	}
}

// Retry budgets: authorize gives up after 10 minutes (a booking system is
// waiting); capture keeps retrying until the hold lapses, never longer. (The
// SDK's test environment caps unlimited retries at 10 attempts, so the
// budgets are checked on the scheduled activities.)
func TestRetryBudgets(t *testing.T) {
	in := validInput("H-5005")
	in.HoldWindow, in.SafetyMargin = 24*time.Hour, time.Hour
	in.ExpectedCaptureAt = t0.Add(20 * time.Hour) // within the hold's reach; the deadline is still the hold's (23 h)
	r := newRun(t, in)
	var capture *outcome
	r.at(time.Hour, func() {
		r.fault("capture", unavailable(1000))
		capture = r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{})
	})
	r.at(30*time.Hour, func() {
		st := r.state()
		if st.Status != workflows.StatusNeedsAttention || st.Attention == nil || st.Attention.Operation != "capture" ||
			!strings.Contains(st.Attention.Problem, "retry budget") {
			t.Errorf("state = %+v, attention %+v", st, st.Attention)
		}
		r.update(workflows.UpdateResolve, "resolve", workflows.ResolveRequest{Action: workflows.ResolveMarkReleased, Who: "ana", Why: "the hold lapsed"})
	})
	res := r.execute()
	var appErr *temporal.ApplicationError
	if !errors.As(capture.err, &appErr) || appErr.Type() != workflows.ErrTypeCaptureFailed || !strings.Contains(capture.err.Error(), "needs attention") {
		t.Errorf("capture error = %v", capture.err)
	}
	if res.Status != workflows.StatusVoided {
		t.Fatalf("result = %+v", res)
	}
	budgets := map[string]time.Duration{}
	r.mu.Lock()
	for _, a := range r.activities {
		if a.name == workflows.ActivityDeliverNotification {
			continue // no A55 call: notify_test.go checks its bounds
		}
		budgets[a.name] = a.scheduleToClose
		// One attempt outlasts the client's token request and its call at
		// the largest timeout the worker allows (plus the read a retried
		// capture or cancel makes first): Temporal never cuts a request A55
		// may still be working on and starts the next one beside it.
		calls := 2
		if a.name == workflows.ActivityCapture || a.name == workflows.ActivityCancel {
			calls = 3
		}
		if a.startToClose <= time.Duration(calls)*workflows.MaxA55Timeout {
			t.Errorf("%s (local %v) attempt timeout %s, want more than %d × %s", a.name, a.local, a.startToClose, calls, workflows.MaxA55Timeout)
		}
	}
	r.mu.Unlock()
	if budgets[workflows.ActivityAuthorize] != 70*time.Second {
		t.Errorf("authorize budget %s, want the local attempts' 70 s", budgets[workflows.ActivityAuthorize])
	}
	if budgets[workflows.ActivityCapture] != 23*time.Hour {
		t.Errorf("capture budget %s, want the 23 h left of the hold", budgets[workflows.ActivityCapture])
	}
}

func TestUndecidedAuthorization(t *testing.T) {
	t.Run("decided later, announced by webhook", func(t *testing.T) {
		in := validInput("H-9001")
		in.Card.Number = cardUndecided
		r := newRun(t, in)
		r.undecided()
		var auth *outcome
		r.at(0, func() { auth = r.update(workflows.UpdateAuthorization, "auth") })
		r.at(2*time.Minute, func() {
			uuid := r.chargeFor("H-9001")
			if st := r.state(); st.Status != workflows.StatusAuthorizing {
				t.Errorf("status while A55 decides = %s", st.Status)
			}
			r.decide()
			r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: uuid, Status: "authorized"})
		})
		r.at(time.Hour, func() { r.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{}) })
		res := r.execute()
		var a workflows.AuthorizationResult
		auth.decode(t, &a)
		if a.Status != workflows.StatusAuthorized || res.Status != workflows.StatusVoided {
			t.Errorf("authorization %+v, result %+v", a, res)
		}
	})
	t.Run("never decided", func(t *testing.T) {
		in := validInput("H-9002")
		in.Card.Number = cardUndecided
		r := newRun(t, in)
		r.undecided()
		res := r.execute()
		if res.Status != workflows.StatusDeclined || res.Reason != workflows.ReasonUndecided {
			t.Errorf("result = %+v", res)
		}
		if got := r.charge(res.ChargeUUID).Status; got != "canceled" {
			t.Errorf("A55 charge %s, want canceled", got)
		}
	})
}
