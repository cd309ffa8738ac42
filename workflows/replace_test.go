package workflows_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/workflows"
)

// liveHolds are the booking's charges A55 still holds.
func (r *run) liveHolds(ref string) []string {
	var live []string
	for _, e := range r.sb.ChargesByReference(ref) {
		if e.Status == "authorized" || e.Status == "pending" {
			live = append(live, e.ChargeUUID)
		}
	}
	return live
}

// startedInOrder lists the started activities' names (with their inputs).
func (r *run) startedInOrder() []startedActivity {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]startedActivity(nil), r.activities...)
}

// A frictionless replacement: the new hold is authorized under its own
// Idempotency-Key, then (and only then) the old one is released; the
// booking holds one live charge, the new one, and captures it once.
func TestReplaceHoldAuthorizesTheNewHoldThenReleasesTheOld(t *testing.T) {
	s := newSealedRun(t, validInput("RH-1"), nil)
	var replace *outcome
	var tok cardvault.Token
	var first string
	var live []string
	s.at(time.Hour, func() {
		first = s.state().ChargeUUID
		replace, tok = s.replaceHold("replace-1", workflows.ReplaceHoldRequest{Amount: brl(70000)}, cardApprove)
	})
	s.at(2*time.Hour, func() {
		live = s.liveHolds("RH-1")
		s.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{})
	})
	res := s.execute()
	var rr workflows.ReplaceHoldResult
	replace.decode(t, &rr)
	if rr.Status != workflows.StatusAuthorized || rr.ChargeUUID == "" || rr.ReplacedChargeUUID != first || rr.Amount != brl(70000) {
		t.Fatalf("replace_hold = %+v", rr)
	}
	if len(live) != 1 || live[0] != rr.ChargeUUID {
		t.Errorf("live holds after the replacement %v, want only %s", live, rr.ChargeUUID)
	}
	if res.Status != workflows.StatusCaptured || res.ChargeUUID != rr.ChargeUUID || res.Captured != brl(70000) {
		t.Fatalf("result = %+v", res)
	}
	if e := s.charge(first); e.Status != "canceled" || e.Captured.Minor != 0 {
		t.Errorf("old hold: %s captured %s", e.Status, e.Captured.Display())
	}
	if _, captures, _ := s.counts("RH-1"); captures != 1 {
		t.Errorf("%d captures", captures)
	}
	// The replacement's create call under its own key, before the old
	// hold's release.
	newAuth, release := -1, -1
	for i, a := range s.startedInOrder() {
		switch {
		case a.name == workflows.ActivityAuthorize && strings.Contains(a.args, `"idempotency_key":"booking-RH-1/authorize/1"`):
			newAuth = i
		case a.name == workflows.ActivityCancel && strings.Contains(a.args, first):
			release = i
		}
	}
	if newAuth < 0 || release < newAuth {
		t.Errorf("replacement create call at %d, old release at %d: want the create first", newAuth, release)
	}
	if why := s.destroyed(tok); why != cardvault.ReasonAnswered {
		t.Errorf("replacement key destroyed by %q", why)
	}
	st := s.state()
	if st.Replacement == nil || st.Replacement.Status != workflows.StatusAuthorized {
		t.Errorf("status' replacement = %+v", st.Replacement)
	}
	s.checkNoCardInActivities()
}

// A declined replacement keeps the old hold and the booking as it was; the
// update says declined, with A55's code; the key is destroyed all the same.
func TestDeclinedReplacementKeepsTheOldHold(t *testing.T) {
	s := newSealedRun(t, validInput("RH-2"), nil)
	var replace *outcome
	var tok cardvault.Token
	var before, after workflows.PaymentState
	s.at(time.Hour, func() {
		before = s.state()
		replace, tok = s.replaceHold("replace-1", workflows.ReplaceHoldRequest{Amount: brl(70000), ExpectedCaptureAt: t0.Add(5 * 24 * time.Hour)}, cardDecline)
	})
	s.at(2*time.Hour, func() {
		after = s.state()
		s.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{})
	})
	res := s.execute()
	var rr workflows.ReplaceHoldResult
	replace.decode(t, &rr)
	if rr.Status != workflows.StatusDeclined || rr.DeclineCode == "" {
		t.Fatalf("replace_hold = %+v", rr)
	}
	if after.Status != workflows.StatusAuthorized || after.ChargeUUID != before.ChargeUUID || after.Authorized != before.Authorized ||
		!after.CaptureDeadline.Equal(before.CaptureDeadline) || !after.ExpectedCaptureAt.Equal(before.ExpectedCaptureAt) || !after.HoldExpiresAt.Equal(before.HoldExpiresAt) {
		t.Errorf("booking changed by a declined replacement:\nbefore %+v\nafter  %+v", before, after)
	}
	if e := s.charge(before.ChargeUUID); e.Status != "confirmed" && e.Status != "captured" {
		t.Errorf("old hold after the capture: %s", e.Status)
	}
	if res.Status != workflows.StatusCaptured || res.ChargeUUID != before.ChargeUUID || res.Captured != before.Authorized {
		t.Fatalf("result = %+v", res)
	}
	if why := s.destroyed(tok); why != cardvault.ReasonAnswered {
		t.Errorf("declined replacement's key destroyed by %q", why)
	}
	if st := s.state(); st.Replacement == nil || st.Replacement.Status != workflows.StatusDeclined {
		t.Errorf("status' replacement = %+v", st.Replacement)
	}
}

// A replacement the issuer challenges: the update answers awaiting_3ds with
// the challenge's URL while the booking keeps its hold; the approved
// challenge (3ds_complete for the new charge) makes it the hold and
// releases the old one. A second replacement gets its own key.
func TestReplacementThroughThe3DSChallenge(t *testing.T) {
	for _, via := range []string{"3ds_complete", "charge_changed"} {
		t.Run(via, func(t *testing.T) { replacementThroughThe3DSChallenge(t, via) })
	}
}

func replacementThroughThe3DSChallenge(t *testing.T, via string) {
	s := newSealedRun(t, validInput("RH-3"), nil)
	var replace, second, early *outcome
	var first string
	var during workflows.PaymentState
	var liveDuring []string
	var rr workflows.ReplaceHoldResult
	s.at(time.Hour, func() {
		first = s.state().ChargeUUID
		replace, _ = s.replaceHold("replace-1", workflows.ReplaceHoldRequest{Amount: brl(80000), ThreeDS: true, DeviceInfo: s.in.DeviceInfo}, cardChallenge)
	})
	s.at(time.Hour+time.Minute, func() {
		replace.decode(t, &rr)
		during = s.state()
		liveDuring = s.liveHolds("RH-3")
		// While it waits, nothing else may act on the hold.
		early = s.update(workflows.UpdateCapture, "early", workflows.CaptureRequest{})
		if !s.completeChallenge(rr.ChargeUUID, true) {
			t.Error("no pending challenge for the replacement")
		}
		if via == "3ds_complete" {
			s.signal(workflows.Signal3DSComplete, workflows.ThreeDSCompleteSignal{ChargeUUID: rr.ChargeUUID})
		} else {
			s.update(workflows.UpdateChargeChanged, "webhook", workflows.ChargeChangedSignal{ChargeUUID: rr.ChargeUUID, Status: "authorized"})
		}
	})
	var promoted workflows.PaymentState
	s.at(time.Hour+2*time.Minute, func() { promoted = s.state() })
	s.at(2*time.Hour, func() {
		second, _ = s.replaceHold("replace-2", workflows.ReplaceHoldRequest{Amount: brl(60000)}, cardApprove)
	})
	s.at(3*time.Hour, func() { s.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{Reason: "guest left"}) })
	res := s.execute()
	if rr.Status != workflows.StatusAwaiting3DS || !strings.HasPrefix(rr.URL3DS, "https://a55.test/3ds/") {
		t.Fatalf("replace_hold = %+v", rr)
	}
	if during.Status != workflows.StatusAuthorized || during.ChargeUUID != first || during.Replacement == nil || during.Replacement.Status != workflows.StatusAwaiting3DS {
		t.Errorf("during the challenge: %s %s %+v", during.Status, during.ChargeUUID, during.Replacement)
	}
	if promoted.ChargeUUID != rr.ChargeUUID || promoted.Replacement.Status != workflows.StatusAuthorized {
		t.Errorf("a minute after the challenge (%s): charge %s, replacement %+v", via, promoted.ChargeUUID, promoted.Replacement)
	}
	if early == nil || early.rejected == nil || early.accepted {
		t.Errorf("a capture during the replacement: %+v", early)
	}
	if len(liveDuring) != 2 {
		t.Errorf("live holds during the challenge %v: the old one must stay until the new one is authorized", liveDuring)
	}
	var rr2 workflows.ReplaceHoldResult
	second.decode(t, &rr2)
	if rr2.Status != workflows.StatusAuthorized || rr2.Number != 2 || rr2.ReplacedChargeUUID != rr.ChargeUUID {
		t.Fatalf("second replace_hold = %+v", rr2)
	}
	if res.Status != workflows.StatusVoided || res.ChargeUUID != rr2.ChargeUUID {
		t.Fatalf("result = %+v", res)
	}
	for _, uuid := range []string{first, rr.ChargeUUID, rr2.ChargeUUID} {
		if e := s.charge(uuid); e.Status != "canceled" {
			t.Errorf("charge %s is %s, want canceled", uuid, e.Status)
		}
	}
	keys := map[string]bool{}
	for _, a := range s.startedInOrder() {
		if a.name == workflows.ActivityAuthorize {
			for _, k := range []string{"booking-RH-3/authorize\"", "booking-RH-3/authorize/1\"", "booking-RH-3/authorize/2\""} {
				if strings.Contains(a.args, k) {
					keys[k] = true
				}
			}
		}
	}
	if len(keys) != 3 {
		t.Errorf("create calls' keys %v, want one per authorization", keys)
	}
}

// A challenge the guest never completes: after the 3DS timeout the
// replacement's charge is cancelled and the booking keeps its hold.
func TestAbandonedReplacementChallengeKeepsTheOldHold(t *testing.T) {
	s := newSealedRun(t, validInput("RH-4"), nil)
	var replace *outcome
	var first string
	s.at(time.Hour, func() {
		first = s.state().ChargeUUID
		replace, _ = s.replaceHold("replace-1", workflows.ReplaceHoldRequest{Amount: brl(80000), ThreeDS: true, DeviceInfo: s.in.DeviceInfo}, cardChallenge)
	})
	var after workflows.PaymentState
	s.at(2*time.Hour, func() {
		after = s.state()
		s.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{})
	})
	res := s.execute()
	if after.Replacement == nil || after.Replacement.Status != workflows.StatusDeclined || after.Replacement.Reason != workflows.Reason3DSAbandoned {
		t.Fatalf("replacement = %+v", after.Replacement)
	}
	if e := s.charge(after.Replacement.ChargeUUID); e.Status != "canceled" {
		t.Errorf("abandoned replacement charge is %s", e.Status)
	}
	if res.Status != workflows.StatusCaptured || res.ChargeUUID != first || res.Captured != brl(50000) {
		t.Fatalf("result = %+v", res)
	}
	var rr workflows.ReplaceHoldResult
	replace.decode(t, &rr)
	if rr.Status != workflows.StatusAwaiting3DS {
		t.Errorf("replace_hold = %+v", rr)
	}
}

// replace_hold's rules: a new card token, the booking's currency, a
// check-out the new hold reaches (without a long-stay policy), an
// authorized hold nothing else acts on.
func TestReplaceHoldRules(t *testing.T) {
	s := newSealedRun(t, validInput("RH-5"), nil)
	type try struct {
		name, want string
		req        func(*workflows.ReplaceHoldRequest)
	}
	tries := []try{
		{"no token", "card_token", func(r *workflows.ReplaceHoldRequest) { r.CardToken = nil }},
		{"the first token", "card_token", func(r *workflows.ReplaceHoldRequest) { r.CardToken = &s.token }},
		{"currency", "currency USD", func(r *workflows.ReplaceHoldRequest) { r.Amount.Currency = "USD" }},
		{"zero", "amount", func(r *workflows.ReplaceHoldRequest) { r.Amount.Minor = 0 }},
		{"past check-out", "not in the future", func(r *workflows.ReplaceHoldRequest) { r.ExpectedCaptureAt = t0 }},
		{"long stay", "beyond the new hold's reach", func(r *workflows.ReplaceHoldRequest) { r.ExpectedCaptureAt = t0.Add(10 * 24 * time.Hour) }},
		{"3ds without device", "device_info", func(r *workflows.ReplaceHoldRequest) { r.ThreeDS, r.DeviceInfo = true, nil }},
	}
	got := map[string]*outcome{}
	s.at(time.Hour, func() {
		for _, tr := range tries {
			tok := s.seal(cardApprove)
			req := workflows.ReplaceHoldRequest{Amount: brl(60000), CardToken: &tok}
			tr.req(&req)
			got[tr.name] = s.update(workflows.UpdateReplaceHold, tr.name+"-bad", req)
		}
		s.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{})
		got["after cancel"], _ = s.replaceHold("after-cancel", workflows.ReplaceHoldRequest{Amount: brl(60000)}, cardApprove)
	})
	s.execute()
	for _, tr := range tries {
		if o := got[tr.name]; o.rejected == nil || !strings.Contains(o.rejected.Error(), tr.want) {
			t.Errorf("%s: rejected %v, want %q", tr.name, o.rejected, tr.want)
		}
	}
	if o := got["after cancel"]; o.rejected == nil {
		t.Error("replace_hold accepted on a voided booking")
	}
}

// After a Reset to before a replacement, the look-up finds the replaced
// hold (the booking's amount) and the replacement (newer, another amount):
// it keeps the replacement, the hold in use, in front of a person (its
// amount is not the input's), and releases the replaced one.
func TestLookUpKeepsTheReplacementAfterAReset(t *testing.T) {
	r := newRun(t, validInput("RH-6"))
	r.shiftA55Clock(-2 * time.Hour)
	replaced := r.holdAtA55(workflows.WorkflowID("RH-6")+"/authorize", r.in.Amount)
	r.shiftA55Clock(-time.Hour)
	inUse := r.holdAtA55(workflows.WorkflowID("RH-6")+"/authorize/1", brl(90000))
	r.shiftA55Clock(0)
	r.at(time.Hour, func() {
		st := r.state()
		if st.Status != workflows.StatusNeedsAttention || st.ChargeUUID != inUse {
			t.Errorf("state = %s %s %+v, want needs_attention on %s", st.Status, st.ChargeUUID, st.Attention, inUse)
		}
		r.update(workflows.UpdateResolve, "resolve", workflows.ResolveRequest{Action: workflows.ResolveMarkReleased, Who: "ana", Why: "test"})
	})
	r.execute()
	if c := r.charge(inUse); c.Status != "authorized" {
		t.Errorf("the hold in use is %s: the look-up released it", c.Status)
	}
	if c := r.charge(replaced); c.Status != "canceled" {
		t.Errorf("the replaced hold is %s, want canceled", c.Status)
	}
}

// The old hold's release does not hold the booking up: a capture right after
// the replacement goes through while A55 still fails the release, and the
// run closes only once the old hold is released.
func TestCaptureAfterAReplacementDoesNotWaitForTheOldRelease(t *testing.T) {
	s := newSealedRun(t, validInput("RH-7"), nil)
	var first string
	var capture *outcome
	s.at(time.Hour, func() {
		first = s.state().ChargeUUID
		s.fault("cancel", unavailable(4))
		s.replaceHold("replace-1", workflows.ReplaceHoldRequest{Amount: brl(70000)}, cardApprove)
	})
	s.at(time.Hour+time.Second, func() {
		capture = s.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{})
	})
	res := s.execute()
	if capture == nil || !capture.accepted || capture.err != nil {
		t.Fatalf("capture right after the replacement: %+v", capture)
	}
	if res.Status != workflows.StatusCaptured || res.ChargeUUID == first || res.Captured != brl(70000) {
		t.Fatalf("result = %+v", res)
	}
	if e := s.charge(first); e.Status != "canceled" {
		t.Errorf("the replaced hold is %s when the run closed", e.Status)
	}
}

// A replacement whose create call never gets a definite answer: when A55
// made a charge for it (its answers all lost until the retry budget ended),
// the look-up finds and releases it and the key is destroyed; when A55 made
// none (failing), the key is left to its lifetime. Either way the booking
// keeps its hold.
func TestUnansweredReplacementKeepsTheOldHold(t *testing.T) {
	for _, tc := range []struct {
		name    string
		created bool
	}{
		{"charge made, answers lost", true},
		{"a55 failing", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSealedRun(t, validInput("RH-8"), nil)
			s.afterAuthorize(func(in workflows.AuthorizeInput, res *workflows.AuthorizeResult, err error) (*workflows.AuthorizeResult, error) {
				if strings.HasSuffix(in.IdempotencyKey, "/authorize/1") {
					return nil, errors.New("connection reset by peer (the answer was lost)")
				}
				return res, err
			})
			var first string
			var tok cardvault.Token
			var after workflows.PaymentState
			s.at(time.Hour, func() {
				first = s.state().ChargeUUID
				if !tc.created {
					s.fault("create", unavailable(1000))
				}
				_, tok = s.replaceHold("replace-1", workflows.ReplaceHoldRequest{Amount: brl(70000)}, cardApprove)
			})
			s.at(2*time.Hour, func() {
				after = s.state()
				s.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{})
			})
			res := s.execute()
			if after.Replacement == nil || after.Replacement.Status != workflows.StatusFailed || after.ChargeUUID != first {
				t.Fatalf("after: charge %s, replacement %+v", after.ChargeUUID, after.Replacement)
			}
			if res.Status != workflows.StatusCaptured || res.ChargeUUID != first {
				t.Fatalf("result = %+v", res)
			}
			if n := len(s.sb.ChargesByReference("RH-8")); (n == 2) != tc.created {
				t.Errorf("%d charges at A55", n)
			}
			if live := s.liveHolds("RH-8"); len(live) != 0 {
				t.Errorf("live holds at the end: %v", live)
			}
			if why := s.destroyed(tok); (why == cardvault.ReasonAnswered) != tc.created {
				t.Errorf("replacement key destroyed by %q, want destroyed %v", why, tc.created)
			}
		})
	}
}

// flakyFirstDestroy cannot reach the store for the first key it is asked to
// destroy, failing calls times for it.
type flakyFirstDestroy struct {
	cardvault.Store
	mu    *sync.Mutex
	first *string
	calls *int
	fail  int
}

func (s flakyFirstDestroy) Destroy(ctx context.Context, id, reason string, now time.Time) (bool, error) {
	s.mu.Lock()
	if *s.first == "" {
		*s.first = id
	}
	failing := id == *s.first && *s.calls < s.fail

	if id == *s.first {
		*s.calls++
	}
	s.mu.Unlock()
	if failing {
		return false, errors.New("dial tcp 10.0.0.5:5432: connection refused")
	}
	return s.Store.Destroy(ctx, id, reason, now)
}

// The run waits for every card key it destroys, not only the last: the
// booking's own key, still being retried when a replacement's key is gone
// and the booking is captured, is gone before the run closes.
func TestTheRunWaitsForTheFirstKeyAfterAReplacement(t *testing.T) {
	var mu sync.Mutex
	var first string
	calls := 0
	s := newSealedRun(t, validInput("RH-K"), func(st cardvault.Store) cardvault.Store {
		// 8 failures: retried for about 2 min (the SDK's test suite stops
		// at 10 attempts), past the capture at 1 min.
		return flakyFirstDestroy{Store: st, mu: &mu, first: &first, calls: &calls, fail: 8}
	})
	var tok cardvault.Token
	var firstGoneAtCapture bool
	s.at(30*time.Second, func() {
		_, tok = s.replaceHold("replace-1", workflows.ReplaceHoldRequest{Amount: brl(70000)}, cardApprove)
	})
	s.at(time.Minute, func() {
		firstGoneAtCapture, _ = s.keyDestroyed()
		s.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{})
	})
	if res := s.execute(); res.Status != workflows.StatusCaptured {
		t.Fatalf("result %+v", res)
	}
	if firstGoneAtCapture {
		t.Fatal("the booking's key was gone before the capture: the test needs it still being retried")
	}
	if s.destroyed(tok) == "" {
		t.Error("the replacement's key is alive")
	}
	if gone, _ := s.keyDestroyed(); !gone {
		t.Errorf("the run closed with the booking's own key alive (it waited only for the replacement's); %d destroy calls for it", calls)
	}
}
