package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/workflows"
)

// A ten-night stay: the check-out lies beyond the default hold's reach
// (7 days − 6 h), whose deadline is then t0 + 6 d 18 h.
const (
	longStay     = 10 * 24 * time.Hour
	longDeadline = workflows.DefaultHoldWindow - workflows.DefaultSafetyMargin
)

func longStayInput(id string, policy workflows.LongStayPolicy) workflows.BookingPaymentInput {
	in := validInput(id)
	in.ExpectedCaptureAt = t0.Add(longStay)
	in.LongStayPolicy = policy
	return in
}

// A stay beyond the hold's reach without a long-stay policy is refused at
// start, naming the field and the rule, before any activity; the same
// stay with a policy, or a check-out within the reach, is accepted.
func TestLongStayWithoutPolicyIsRefusedAtStart(t *testing.T) {
	in := longStayInput("LS-0", "")
	err := workflows.ValidateInput(in, t0)
	var ie *workflows.InputError
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].Field != "expected_capture_at" ||
		!strings.Contains(ie.Problems[0].Reason, "beyond the hold's reach") || !strings.Contains(ie.Problems[0].Reason, "long_stay_policy") {
		t.Fatalf("ValidateInput = %v", err)
	}
	reach := in
	reach.ExpectedCaptureAt = t0.Add(longDeadline)
	if err := workflows.ValidateInput(reach, t0); err != nil {
		t.Errorf("a check-out at the hold's reach was refused: %v", err)
	}
	past := reach
	past.ExpectedCaptureAt = past.ExpectedCaptureAt.Add(time.Second)
	if err := workflows.ValidateInput(past, t0); err == nil {
		t.Error("a check-out a second beyond the hold's reach was accepted")
	}
	for _, p := range []workflows.LongStayPolicy{workflows.LongStayDeposit, workflows.LongStayRelease, workflows.LongStayReauthorize} {
		with := in
		with.LongStayPolicy = p
		if err := workflows.ValidateInput(with, t0); err != nil {
			t.Errorf("policy %s refused: %v", p, err)
		}
	}
	bad := in
	bad.LongStayPolicy = "extend"
	if err := workflows.ValidateInput(bad, time.Time{}); err == nil || !strings.Contains(err.Error(), "long_stay_policy") {
		t.Errorf("unknown policy: %v", err)
	}
	notice := in
	notice.ReauthorizeNotice = time.Hour
	notice.LongStayPolicy = workflows.LongStayDeposit
	if err := workflows.ValidateInput(notice, t0); err == nil || !strings.Contains(err.Error(), "reauthorize_notice") {
		t.Errorf("reauthorize_notice without reauthorize: %v", err)
	}

	// The workflow refuses it too (a caller that skipped the starter).
	r := newRun(t, in)
	r.env.ExecuteWorkflow(workflows.WorkflowName, r.in)
	var app *temporal.ApplicationError
	if werr := r.env.GetWorkflowError(); !errors.As(werr, &app) || app.Type() != workflows.ErrTypeInvalidInput ||
		!strings.Contains(werr.Error(), "expected_capture_at") {
		t.Fatalf("workflow error = %v", werr)
	}
	if n := len(r.activities); n != 0 {
		t.Errorf("%d activities ran for a refused booking", n)
	}
}

// deposit: the hold is captured in full before it lapses (at hold expiry −
// margin), as the booking system's deposit.
func TestLongStayDepositCapturesBeforeTheHoldLapses(t *testing.T) {
	r := newRun(t, longStayInput("LS-1", workflows.LongStayDeposit))
	res := r.execute()
	if res.Status != workflows.StatusCaptured || res.CapturedBy != workflows.CapturedByDeposit || res.Captured != r.in.Amount {
		t.Fatalf("result = %+v", res)
	}
	st := r.state()
	if want := t0.Add(longDeadline); !st.CaptureDeadline.Equal(want) {
		t.Errorf("deadline %s, want %s", st.CaptureDeadline, want)
	}
	last := st.History[len(st.History)-1]
	if !last.At.Before(st.HoldExpiresAt) || last.At.Before(st.CaptureDeadline) {
		t.Errorf("captured at %s: not between the deadline %s and the lapse %s", last.At, st.CaptureDeadline, st.HoldExpiresAt)
	}
	if e := r.charge(res.ChargeUUID); e.Captured != r.in.Amount {
		t.Errorf("A55 captured %s", e.Captured.Display())
	}
}

// release: the hold is released before it lapses, whatever the deadline
// policy says.
func TestLongStayReleaseReleasesBeforeTheHoldLapses(t *testing.T) {
	in := longStayInput("LS-2", workflows.LongStayRelease)
	in.DeadlinePolicy = workflows.DeadlinePolicy{Action: workflows.DeadlineCapture}
	r := newRun(t, in)
	res := r.execute()
	if res.Status != workflows.StatusVoided || !strings.Contains(res.Reason, "long-stay policy") {
		t.Fatalf("result = %+v", res)
	}
	if e := r.charge(res.ChargeUUID); e.Status != "canceled" || e.Captured.Minor != 0 {
		t.Errorf("A55: %s, captured %s", e.Status, e.Captured.Display())
	}
}

// reauthorize: a day before the deadline the booking shows that a new card
// authorization is needed and waits for it; none comes, so the deadline
// policy runs at the deadline.
func TestLongStayReauthorizeWaitsThenRunsTheDeadlinePolicy(t *testing.T) {
	in := longStayInput("LS-3", workflows.LongStayReauthorize)
	in.DeadlinePolicy = workflows.DeadlinePolicy{Action: workflows.DeadlineCapture}
	r := newRun(t, in)
	waitFrom := longDeadline - workflows.DefaultReauthorizeNotice
	var before, during workflows.PaymentState
	r.at(waitFrom-time.Minute, func() { before = r.state() })
	r.at(waitFrom+time.Minute, func() { during = r.state() })
	res := r.execute()
	if before.Reauthorization != nil {
		t.Errorf("waiting for a reauthorization already at %s: %+v", waitFrom-time.Minute, before.Reauthorization)
	}
	if a := during.Reauthorization; a == nil || !a.Until.Equal(t0.Add(longDeadline)) || !a.Since.Equal(t0.Add(waitFrom)) || during.Status != workflows.StatusAuthorized {
		t.Errorf("during the wait: %s %+v", during.Status, during.Reauthorization)
	}
	if res.Status != workflows.StatusCaptured || res.CapturedBy != workflows.CapturedByDeadline {
		t.Fatalf("result = %+v", res)
	}
	if last := r.state().History; !last[len(last)-1].At.Equal(t0.Add(longDeadline)) {
		t.Errorf("deadline policy ran at %s, want %s", last[len(last)-1].At, t0.Add(longDeadline))
	}
}

// replaceHold sends replace_hold for s's booking with a card sealed now.
func (s *sealedRun) replaceHold(id string, req workflows.ReplaceHoldRequest, card string) (*outcome, cardvault.Token) {
	s.t.Helper()
	tok := s.seal(card)
	req.CardToken = &tok
	return s.update(workflows.UpdateReplaceHold, id, req), tok
}

// seal seals the booking's card with another number, now, as the starter does.
func (s *sealedRun) seal(number string) cardvault.Token {
	s.t.Helper()
	c := s.card
	c.Number = number
	tok, err := cardvault.Seal(context.Background(), s.keys, s.in.BookingID, c, s.env.Now(), 0)
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

func (s *sealedRun) destroyed(tok cardvault.Token) string {
	info, err := s.keys.Info(context.Background(), tok.KeyID)
	if err != nil {
		s.t.Fatal(err)
	}
	return info.DestroyReason
}

// reauthorize + replace_hold: the new hold (a larger amount, a later
// check-out) is authorized, the old one released, the wait ends and the
// deadline re-arms from the new hold; the check-out capture takes the new
// hold once.
func TestLongStayReauthorizeReplacedHoldRearmsTheDeadline(t *testing.T) {
	in := longStayInput("LS-4", workflows.LongStayReauthorize)
	s := newSealedRun(t, in, nil)
	waitFrom := longDeadline - workflows.DefaultReauthorizeNotice
	replacedAt := waitFrom + time.Hour
	checkout := t0.Add(11 * 24 * time.Hour)
	var replace *outcome
	var tok cardvault.Token
	var first string
	s.at(replacedAt, func() {
		first = s.state().ChargeUUID
		replace, tok = s.replaceHold("replace-1", workflows.ReplaceHoldRequest{Amount: brl(90000), ExpectedCaptureAt: checkout}, cardApprove)
	})
	var after workflows.PaymentState
	s.at(replacedAt+time.Hour, func() { after = s.state() })
	// The old deadline passes: nothing happens; check-out is captured.
	s.at(11*24*time.Hour, func() { s.update(workflows.UpdateCapture, "checkout", workflows.CaptureRequest{}) })
	res := s.execute()
	var rr workflows.ReplaceHoldResult
	if replace == nil || !replace.done || replace.err != nil {
		t.Fatalf("replace_hold: %+v", replace)
	}
	replace.decode(t, &rr)
	if rr.Status != workflows.StatusAuthorized || rr.Number != 1 || rr.ChargeUUID == first || rr.ReplacedChargeUUID != first {
		t.Fatalf("replace_hold result = %+v (first charge %s)", rr, first)
	}
	wantDeadline := checkout.Add(workflows.DefaultCaptureGrace)
	if limit := t0.Add(replacedAt + longDeadline); limit.Before(wantDeadline) {
		wantDeadline = limit
	}
	if !rr.CaptureDeadline.Equal(wantDeadline) || !after.CaptureDeadline.Equal(wantDeadline) {
		t.Errorf("deadline %s / %s, want %s (from the new hold)", rr.CaptureDeadline, after.CaptureDeadline, wantDeadline)
	}
	if !after.HoldExpiresAt.Equal(t0.Add(replacedAt + workflows.DefaultHoldWindow)) {
		t.Errorf("hold expires %s, want 7 days after the replacement", after.HoldExpiresAt)
	}
	if after.Reauthorization != nil || after.ChargeUUID != rr.ChargeUUID || after.Authorized != brl(90000) || after.Hold != brl(90000) {
		t.Errorf("after the replacement: %+v", after)
	}
	if res.Status != workflows.StatusCaptured || res.ChargeUUID != rr.ChargeUUID || res.Captured != brl(90000) || res.CapturedBy != workflows.CapturedByRequest {
		t.Fatalf("result = %+v", res)
	}
	if e := s.charge(first); e.Status != "canceled" || e.Captured.Minor != 0 {
		t.Errorf("old hold at A55: %s captured %s", e.Status, e.Captured.Display())
	}
	if _, captures, _ := s.counts(in.BookingID); captures != 1 {
		t.Errorf("%d captures at A55, want 1", captures)
	}
	if why := s.destroyed(tok); why != cardvault.ReasonAnswered {
		t.Errorf("replacement key: %q", why)
	}
	s.checkNoCardInActivities()
}

// A booking without a long-stay policy may not move its check-out beyond
// its hold's reach (a longer stay is a new hold); with a policy it may.
func TestMovingTheCheckoutBeyondTheHoldNeedsAPolicy(t *testing.T) {
	for _, policy := range []workflows.LongStayPolicy{"", workflows.LongStayDeposit} {
		in := validInput("LS-5" + string(policy))
		in.LongStayPolicy = policy
		r := newRun(t, in)
		var within, beyond *outcome
		r.at(time.Hour, func() {
			within = r.update(workflows.UpdateMoveCaptureTime, "within", workflows.MoveCaptureTimeRequest{ExpectedCaptureAt: t0.Add(longDeadline)})
		})
		r.at(2*time.Hour, func() {
			beyond = r.update(workflows.UpdateMoveCaptureTime, "beyond", workflows.MoveCaptureTimeRequest{ExpectedCaptureAt: t0.Add(longStay)})
		})
		r.at(3*time.Hour, func() { r.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{}) })
		r.execute()
		if within.rejected != nil {
			t.Errorf("policy %q: a move to the hold's reach was refused: %v", policy, within.rejected)
		}
		switch {
		case policy == "" && (beyond.rejected == nil || !strings.Contains(beyond.rejected.Error(), "replace_hold")):
			t.Errorf("a move beyond the hold's reach without a policy: %v", beyond.rejected)
		case policy != "" && beyond.rejected != nil:
			t.Errorf("policy %q: a move beyond the hold's reach was refused: %v", policy, beyond.rejected)
		}
	}
}

// A check-out moved within the hold's reach during the reauthorization wait
// ends the wait: no new authorization is needed any more.
func TestMovingTheCheckoutWithinReachEndsTheReauthorizationWait(t *testing.T) {
	r := newRun(t, longStayInput("LS-6", workflows.LongStayReauthorize))
	waitFrom := longDeadline - workflows.DefaultReauthorizeNotice
	var during, after workflows.PaymentState
	r.at(waitFrom+time.Hour, func() {
		during = r.state()
		r.update(workflows.UpdateMoveCaptureTime, "earlier", workflows.MoveCaptureTimeRequest{ExpectedCaptureAt: t0.Add(waitFrom + 2*time.Hour)})
	})
	r.at(waitFrom+90*time.Minute, func() { after = r.state() })
	r.at(waitFrom+2*time.Hour, func() { r.update(workflows.UpdateCapture, "checkout", workflows.CaptureRequest{}) })
	res := r.execute()
	if during.Reauthorization == nil {
		t.Fatal("no reauthorization wait before the move")
	}
	if after.Reauthorization != nil {
		t.Errorf("still waiting for a reauthorization after the check-out moved within reach: %+v", after.Reauthorization)
	}
	if res.Status != workflows.StatusCaptured || res.CapturedBy != workflows.CapturedByRequest {
		t.Errorf("result = %+v", res)
	}
}
