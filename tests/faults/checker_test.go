package faults

// clock: injected — the checker is fed ledgers stamped from t0, never the real clock.

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

func brl(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "BRL"} }

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func history(statuses ...string) []a55sandbox.StatusChange {
	h := make([]a55sandbox.StatusChange, len(statuses))
	for i, s := range statuses {
		h[i] = a55sandbox.StatusChange{Status: s, At: t0.Add(time.Duration(i) * time.Second)}
	}
	return h
}

// booking builds a consistent record and ledger entry for one outcome; the
// tests then break one thing at a time.
func booking(id string, action Action, card CardKind, outcome workflows.Status) (Record, a55sandbox.LedgerEntry) {
	p := Plan{BookingID: id, Card: card, Action: action, Hold: brl(50_000), Capture: brl(32_000)}
	res := workflows.BookingPaymentResult{BookingID: id, Status: outcome, ChargeUUID: "ch-" + id}
	e := a55sandbox.LedgerEntry{ChargeUUID: "ch-" + id, ReferenceExternalID: id, Authorized: brl(50_000),
		Captured: brl(0), Released: brl(0), Refunded: brl(0), Calls: a55sandbox.CallCounts{Create: 1}}
	switch outcome {
	case workflows.StatusCaptured:
		res.Authorized, res.Captured = brl(50_000), p.WantCaptured()
		e.Status, e.Captured = a55sandbox.StatusConfirmed, p.WantCaptured()
		e.History, e.Calls.Capture = history("authorized", "confirmed"), 1
	case workflows.StatusVoided:
		res.Authorized = brl(50_000)
		e.Status, e.Released = a55sandbox.StatusCanceled, brl(50_000)
		e.History, e.Calls.Cancel = history("authorized", "canceled"), 1
	case workflows.StatusExpired:
		res.Authorized = brl(50_000)
		e.Status = a55sandbox.StatusCanceled
		e.History = history("authorized", "canceled")
	case workflows.StatusDeclined:
		e.Status, e.Authorized = a55sandbox.StatusError, brl(0)
		e.History = history("error")
	}
	return Record{Plan: p, Result: res, Finished: true}, e
}

func check(rules Rules, pairs ...any) Verdict {
	var recs []Record
	var l a55sandbox.Ledger
	for _, x := range pairs {
		switch v := x.(type) {
		case Record:
			recs = append(recs, v)
		case a55sandbox.LedgerEntry:
			l.Charges = append(l.Charges, v)
		}
	}
	return Check(recs, l, rules)
}

func TestCheckPassesAConsistentRun(t *testing.T) {
	r1, e1 := booking("b1", ActCaptureFull, CardApproved, workflows.StatusCaptured)
	r2, e2 := booking("b2", ActCapturePartial, CardApproved, workflows.StatusCaptured)
	r3, e3 := booking("b3", ActCancel, CardApproved, workflows.StatusVoided)
	r4, e4 := booking("b4", ActCaptureFull, CardDeclined, workflows.StatusDeclined)
	v := check(Rules{}, r1, e1, r2, e2, r3, e3, r4, e4)
	if !v.OK() {
		t.Fatalf("violations in a consistent run: %v", v.Violations)
	}
	if v.Bookings != 4 || v.Outcomes[workflows.StatusCaptured] != 2 || v.Outcomes[workflows.StatusVoided] != 1 || v.Outcomes[workflows.StatusDeclined] != 1 {
		t.Fatalf("counts = %d bookings, outcomes %v", v.Bookings, v.Outcomes)
	}
	if v.Checks < 4*len(Invariants)-4 {
		t.Fatalf("only %d checks for 4 bookings", v.Checks)
	}
}

// Each case breaks one invariant of an otherwise consistent booking.
func TestCheckFindsEachViolation(t *testing.T) {
	cases := []struct {
		name      string
		action    Action
		card      CardKind
		outcome   workflows.Status
		rules     Rules
		breakIt   func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry
		invariant string
		detail    string
	}{
		{"no result", ActCaptureFull, CardApproved, workflows.StatusCaptured, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				r.Finished, r.LastStatus, r.Err = false, workflows.StatusCapturing, errors.New("deadline exceeded")
				return nil
			}, InvTerminal, `last status "capturing"`},
		{"non-terminal result", ActCaptureFull, CardApproved, workflows.StatusCaptured, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				r.Result.Status = workflows.StatusAuthorized
				return nil
			}, InvTerminal, "non-terminal"},
		{"authorized twice", ActCaptureFull, CardApproved, workflows.StatusCaptured, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				second := *e
				second.ChargeUUID, second.Status, second.Captured, second.Calls = "ch-extra", a55sandbox.StatusAuthorized, brl(0), a55sandbox.CallCounts{Create: 1}
				return []a55sandbox.LedgerEntry{second}
			}, InvOneAuthorization, "2 charges at A55"},
		{"never reached A55", ActCaptureFull, CardApproved, workflows.StatusCaptured, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.ReferenceExternalID = "someone-else"
				return nil
			}, InvOneAuthorization, "no charge at A55"},
		{"created twice", ActCaptureFull, CardApproved, workflows.StatusCaptured, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.Calls.Create = 2
				return nil
			}, InvOneAuthorization, "created 2 times"},
		{"captured twice", ActCaptureFull, CardApproved, workflows.StatusCaptured, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.Calls.Capture = 2
				return nil
			}, InvCaptureOnce, "captured 2 times"},
		{"capture:true", ActCaptureFull, CardApproved, workflows.StatusCaptured, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.CaptureFlag = true
				return nil
			}, InvCaptureOnce, "capture:true"},
		{"captured more than authorized", ActCaptureFull, CardApproved, workflows.StatusCaptured, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.Captured, r.Result.Captured = brl(60_000), brl(60_000)
				return nil
			}, InvWithinHold, "captured BRL 600.00 of"},
		{"workflow reports more than authorized", ActCaptureFull, CardApproved, workflows.StatusCaptured, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				r.Result.Authorized = brl(40_000)
				return nil
			}, InvWithinHold, "the workflow reports captured"},
		{"captured after the lapse", ActCaptureFull, CardApproved, workflows.StatusCaptured, Rules{AllowLapse: true},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.History = history("authorized", "canceled", "confirmed")
				return nil
			}, InvNoLateCapture, "after it was canceled"},
		{"canceled with money captured", ActCancel, CardApproved, workflows.StatusVoided, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.Captured = brl(100)
				return nil
			}, InvNoLateCapture, "is canceled but shows"},
		{"refunded", ActCaptureFull, CardApproved, workflows.StatusCaptured, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.Refunded, e.Calls.Refund = brl(1000), 1
				return nil
			}, InvNoRefund, "refunded"},
		{"hold left open", ActCancel, CardApproved, workflows.StatusVoided, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.Status, e.Calls.Cancel, e.History = a55sandbox.StatusAuthorized, 0, history("authorized")
				return nil
			}, InvNoOpenHold, `still "authorized"`},
		{"captured says the workflow, not A55", ActCaptureFull, CardApproved, workflows.StatusCaptured, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.Status, e.Captured, e.Calls.Capture, e.Calls.Cancel = a55sandbox.StatusCanceled, brl(0), 0, 1
				return nil
			}, InvAgrees, "A55 says \"canceled\""},
		{"captured amounts differ", ActCapturePartial, CardApproved, workflows.StatusCaptured, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.Captured = brl(50_000)
				return nil
			}, InvAgrees, "A55 captured BRL 500.00"},
		{"silent capture", ActCancel, CardApproved, workflows.StatusVoided, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.Status, e.Captured = a55sandbox.StatusConfirmed, brl(50_000)
				return nil
			}, InvAgrees, "but A55 captured"},
		{"voided but A55 still holds it captured", ActCancel, CardApproved, workflows.StatusVoided, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.Status = a55sandbox.StatusError
				return nil
			}, InvAgrees, "says voided"},
		{"declined but authorized", ActCaptureFull, CardDeclined, workflows.StatusDeclined, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.Status = a55sandbox.StatusAuthorized
				return nil
			}, InvAgrees, "says declined"},
		{"expired but we cancelled", ActCancel, CardApproved, workflows.StatusExpired, Rules{AllowLapse: true},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.Calls.Cancel = 1
				return nil
			}, InvAgrees, "our cancel voided"},
		{"expired but confirmed", ActCaptureFull, CardApproved, workflows.StatusExpired, Rules{AllowLapse: true},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				e.Status = a55sandbox.StatusError
				return nil
			}, InvAgrees, "says expired"},
		{"other charge", ActCaptureFull, CardApproved, workflows.StatusCaptured, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				r.Result.ChargeUUID = "ch-other"
				return nil
			}, InvAgrees, "names charge ch-other"},
		{"failed", ActCaptureFull, CardApproved, workflows.StatusCaptured, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				r.Result.Status, r.Result.Captured, r.Result.Reason = workflows.StatusFailed, brl(0), "capture failed: A55 unavailable"
				e.Status, e.Captured, e.Calls.Capture, e.History = a55sandbox.StatusAuthorized, brl(0), 0, history("authorized")
				return nil
			}, InvNotFailed, "A55 unavailable"},
		{"not as requested", ActCancel, CardApproved, workflows.StatusVoided, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				r.Result.Status, e.Calls.Cancel = workflows.StatusExpired, 0 // the hold lapsed though the booking system cancelled
				return nil
			}, InvAsRequested, "want one of [voided]"},
		{"partial captured in full", ActCapturePartial, CardApproved, workflows.StatusCaptured, Rules{},
			func(r *Record, e *a55sandbox.LedgerEntry) []a55sandbox.LedgerEntry {
				r.Result.Captured, e.Captured = brl(50_000), brl(50_000)
				return nil
			}, InvAsRequested, "asked for BRL 320.00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, e := booking("b1", tc.action, tc.card, tc.outcome)
			if v := check(tc.rules, r, e); !v.OK() {
				t.Fatalf("the unbroken booking already fails: %v", v.Violations)
			}
			extra := tc.breakIt(&r, &e)
			pairs := []any{r, e}
			for _, x := range extra {
				pairs = append(pairs, x)
			}
			v := check(tc.rules, pairs...)
			for _, viol := range v.Violations {
				if viol.Invariant == tc.invariant && strings.Contains(viol.Detail, tc.detail) {
					if viol.BookingID != "b1" && tc.name != "never reached A55" {
						t.Fatalf("violation names booking %q, want b1", viol.BookingID)
					}
					return
				}
			}
			t.Fatalf("no %s violation containing %q; got %v", tc.invariant, tc.detail, v.Violations)
		})
	}
}

func TestCheckStrayChargeIsAViolation(t *testing.T) {
	r, e := booking("b1", ActCaptureFull, CardApproved, workflows.StatusCaptured)
	_, stray := booking("ghost", ActCaptureFull, CardApproved, workflows.StatusCaptured)
	v := check(Rules{}, r, e, stray)
	if len(v.Violations) != 1 || v.Violations[0].BookingID != "ghost" || v.Violations[0].Invariant != InvOneAuthorization {
		t.Fatalf("violations = %v, want one one-authorization violation for ghost", v.Violations)
	}
}

func TestCheckAllowsWhatTheRulesAllow(t *testing.T) {
	// A hold that lapsed while A55 was down: expired, fine when the scenario
	// allows lapses.
	r, e := booking("b1", ActCaptureFull, CardApproved, workflows.StatusExpired)
	if v := check(Rules{AllowLapse: true}, r, e); !v.OK() {
		t.Fatalf("expired with AllowLapse: %v", v.Violations)
	}
	// A void that found the hold lapsed: correct, and noted.
	r, e = booking("b2", ActCancel, CardApproved, workflows.StatusVoided)
	e.Calls.Cancel = 0
	v := check(Rules{}, r, e)
	if !v.OK() || v.Notes["voided: the cancel found the hold already lapsed at A55"] != 1 {
		t.Fatalf("voided after lapse: violations %v, notes %v", v.Violations, v.Notes)
	}
	if v := check(Rules{StrictLapse: true}, r, e); v.OK() || !strings.Contains(v.Violations[0].Detail, "let the hold lapse") {
		t.Fatalf("voided after lapse with StrictLapse: %v", v.Violations)
	}
	// failed with a reason the scenario declares undecidable.
	r, e = booking("b3", ActCaptureFull, CardApproved, workflows.StatusCaptured)
	r.Result.Status, r.Result.Captured, r.Result.Reason = workflows.StatusFailed, brl(0), "A55 does not know charge ch-b3"
	e.Status, e.Captured, e.Calls.Capture = a55sandbox.StatusCanceled, brl(0), 0
	v = check(Rules{AllowLapse: true, FailedReasons: []string{"does not know"}}, r, e)
	for _, viol := range v.Violations {
		if viol.Invariant == InvNotFailed || viol.Invariant == InvAsRequested {
			t.Fatalf("failed with an accepted reason reported as %v", viol)
		}
	}
	// A capture the workflow refused because the deadline policy released
	// the hold first: correct with AllowLapse, and noted.
	r, e = booking("b5", ActCaptureFull, CardApproved, workflows.StatusVoided)
	r.Rejected = []string{"capture_full: capture refused: the capture deadline has passed"}
	v = check(Rules{AllowLapse: true}, r, e)
	if !v.OK() || v.Notes["capture or cancel refused by the workflow"] != 1 {
		t.Fatalf("refused capture: violations %v, notes %v", v.Violations, v.Notes)
	}
	// A deadline capture of a capture plan is the policy's amount, not the request's.
	r, e = booking("b4", ActCaptureFull, CardApproved, workflows.StatusCaptured)
	r.Result.CapturedBy, r.Result.Captured, e.Captured = "deadline", brl(20_000), brl(20_000)
	if v := check(Rules{}, r, e); !v.OK() {
		t.Fatalf("deadline capture: %v", v.Violations)
	}
}

func TestReportNamesTheFirstViolation(t *testing.T) {
	r, e := booking("b1", ActCaptureFull, CardApproved, workflows.StatusCaptured)
	e.Calls.Capture = 2
	sc, _ := NewScenario(ScenarioLostResponses, 1, 42)
	l := a55sandbox.Ledger{Charges: []a55sandbox.LedgerEntry{e}, FaultsInjected: map[string]int{"capture:lost_response": 3}}
	rep := &Report{Scenario: sc, Elapsed: 90 * time.Second, Ledger: l, Injected: map[string]int{"worker:sigkill": 2},
		Verdict: Check([]Record{r}, l, sc.Rules)}
	out := rep.String()
	for _, want := range []string{
		`scenario 2 "lost-responses"`, "seed 42", "FAULTS_SEED=42 FAULTS_BOOKINGS=1", "-run 'TestScenario2[A-Z]'",
		"faults     5: capture:lost_response=3 worker:sigkill=2", "captured 1 · voided 0",
		"1 VIOLATED; first: booking b1: at-most-one-capture",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, cardNumbers[CardApproved]) {
		t.Fatal("the report shows a card number")
	}
	rep.Verdict = Check(nil, a55sandbox.Ledger{}, Rules{})
	if out := rep.String(); !strings.Contains(out, "all passed") {
		t.Errorf("a clean report does not say all passed:\n%s", out)
	}
	if got := rep.Missing([]string{"lost_response", "worker:sigkill", "temporal:restart", "temporal:restart|worker:sigkill"}); len(got) != 1 || got[0] != "temporal:restart" {
		t.Errorf("Missing = %v, want [temporal:restart] (either of a|b is enough)", got)
	}
}

func violated(v Verdict, invariant string) int {
	n := 0
	for _, x := range v.Violations {
		if x.Invariant == invariant {
			n++
		}
	}
	return n
}

func TestCheckEveryHoldOwned(t *testing.T) {
	open := &WorkflowView{Exists: true, Open: true, CloseStatus: "Running", PaymentStatus: workflows.StatusNeedsAttention}
	closed := &WorkflowView{Exists: true, CloseStatus: "Completed"}
	terminated := &WorkflowView{Exists: true, CloseStatus: "Terminated"}
	attention := func(id string, w *WorkflowView) (Record, a55sandbox.LedgerEntry) {
		r, e := booking(id, ActCaptureFull, CardApproved, workflows.StatusCaptured)
		r.Finished, r.Result = false, workflows.BookingPaymentResult{}
		r.LastStatus = workflows.StatusNeedsAttention
		r.Attention = &workflows.Attention{Operation: "capture", Problem: "A55 401"}
		e.Status, e.Captured, e.Calls.Capture, e.History = a55sandbox.StatusAuthorized, brl(0), 0, history("authorized")
		if w != nil {
			w.ChargeUUID = e.ChargeUUID
		}
		r.Workflow = w
		return r, e
	}
	terminate := func(id, status string) (Record, a55sandbox.LedgerEntry) {
		r, e := booking(id, ActTerminate, CardApproved, workflows.StatusVoided)
		r.Finished, r.Result, r.Terminated, r.LastStatus, r.Workflow = false, workflows.BookingPaymentResult{}, true, StatusTerminated, terminated
		if status == a55sandbox.StatusAuthorized {
			e.Status, e.Released, e.Calls.Cancel, e.History = status, brl(0), 0, history("authorized")
		}
		return r, e
	}

	t.Run("needs_attention owns its live charge", func(t *testing.T) {
		r, e := attention("a1", &WorkflowView{Exists: true, Open: true, CloseStatus: "Running", PaymentStatus: workflows.StatusNeedsAttention})
		v := check(Rules{AllowAttention: true}, r, e)
		if !v.OK() || v.Outcomes[workflows.StatusNeedsAttention] != 1 {
			t.Fatalf("violations %v, outcomes %v", v.Violations, v.Outcomes)
		}
		if v = check(Rules{}, r, e); violated(v, InvTerminal) != 1 || len(v.Violations) != 1 {
			t.Fatalf("needs_attention where the scenario does not allow it: %v", v.Violations)
		}
		r2, e2 := attention("a2", nil) // not described: the record says needs_attention
		if v := check(Rules{AllowAttention: true}, r2, e2); !v.OK() {
			t.Fatalf("undescribed needs_attention booking: %v", v.Violations)
		}
	})
	t.Run("a closed workflow owns nothing", func(t *testing.T) {
		r, e := attention("a3", closed)
		if v := check(Rules{AllowAttention: true}, r, e); violated(v, InvHoldOwned) != 1 {
			t.Fatalf("violations %v", v.Violations)
		}
		r, e = booking("c1", ActCaptureFull, CardApproved, workflows.StatusVoided)
		e.Status, e.Calls.Cancel, e.History = a55sandbox.StatusAuthorized, 0, history("authorized")
		r.Workflow = closed
		v := check(Rules{}, r, e)
		if violated(v, InvHoldOwned) != 1 || !strings.Contains(fmt.Sprint(v.Violations), `every-hold-owned: the booking is "voided"`) {
			t.Fatalf("a terminal booking with a live charge: %v", v.Violations)
		}
	})
	t.Run("an open workflow owns only its own charge", func(t *testing.T) {
		r, e := attention("a4", open)
		r.Workflow = &WorkflowView{Exists: true, Open: true, CloseStatus: "Running", ChargeUUID: "ch-other"}
		if v := check(Rules{AllowAttention: true}, r, e); violated(v, InvHoldOwned) != 1 {
			t.Fatalf("violations %v", v.Violations)
		}
	})
	t.Run("terminated on purpose, released by the reconciliation", func(t *testing.T) {
		r, e := terminate("t1", a55sandbox.StatusCanceled)
		v := check(Rules{}, r, e)
		if !v.OK() || v.Outcomes[StatusTerminated] != 1 || v.Notes["terminated: the reconciliation released the hold"] != 1 {
			t.Fatalf("violations %v, outcomes %v, notes %v", v.Violations, v.Outcomes, v.Notes)
		}
		r, e = terminate("t2", a55sandbox.StatusAuthorized)
		v = check(Rules{}, r, e)
		if violated(v, InvHoldOwned) != 1 || violated(v, InvAgrees) != 1 {
			t.Fatalf("a terminated booking's stranded hold: %v", v.Violations)
		}
		r, e = terminate("t3", a55sandbox.StatusCanceled)
		r.Terminated = false // terminated, but not by the plan
		if v := check(Rules{}, r, e); violated(v, InvTerminal) != 1 {
			t.Fatalf("an unplanned termination: %v", v.Violations)
		}
	})
	t.Run("a live stray charge", func(t *testing.T) {
		_, e := booking("x1", ActCaptureFull, CardApproved, workflows.StatusCaptured)
		e.Status = a55sandbox.StatusPending
		if v := check(Rules{}, e); violated(v, InvHoldOwned) != 1 || violated(v, InvOneAuthorization) != 1 {
			t.Fatalf("violations %v", v.Violations)
		}
	})
}

// A full-capture acquirer: a partial capture must record A55's figure (the
// whole hold), keep what it asked, and have asked A55 for it.
func TestCheckFullCaptureAcquirer(t *testing.T) {
	honest := func() (Record, a55sandbox.LedgerEntry) {
		r, e := booking("f1", ActCapturePartial, CardApproved, workflows.StatusCaptured)
		r.Result.Captured, r.Result.CaptureRequested = brl(50_000), brl(32_000)
		e.Captured, e.CaptureRequested = brl(50_000), brl(32_000)
		return r, e
	}
	rules := Rules{FullCaptureAcquirer: true}
	if r, e := honest(); !check(rules, r, e).OK() {
		t.Fatalf("A55's figure recorded and the difference kept: %v", check(rules, r, e).Violations)
	}
	if r, e := honest(); violated(check(Rules{}, r, e), InvAsRequested) != 1 {
		t.Error("without the rule a capture of the whole hold is not what was asked")
	}
	r, e := honest()
	r.Result.CaptureRequested = money.Amount{} // the difference not kept
	if violated(check(rules, r, e), InvAsRequested) != 1 {
		t.Error("a booking that does not keep what it asked passes")
	}
	r, e = honest()
	r.Result.Captured, r.Result.CaptureRequested = brl(32_000), money.Amount{} // the request's figure, not A55's
	if v := check(rules, r, e); violated(v, InvAsRequested) != 1 || violated(v, InvAgrees) != 1 {
		t.Errorf("a booking that records the request's amount: %v", v.Violations)
	}
	r, e = honest()
	e.CaptureRequested = brl(50_000) // A55 was asked for the whole hold
	if violated(check(rules, r, e), InvAsRequested) != 1 {
		t.Error("a capture that asked A55 for another amount than the booking system passes")
	}
}

// A retry that changed its body under its Idempotency-Key: a violation where
// the scenario says so, a note elsewhere.
func TestCheckSameBodyPerKey(t *testing.T) {
	r, e := booking("k1", ActCaptureFull, CardApproved, workflows.StatusCaptured)
	l := a55sandbox.Ledger{Charges: []a55sandbox.LedgerEntry{e}, IdempotencyKeyReused: 2}
	if v := Check([]Record{r}, l, Rules{SameBodyPerKey: true}); violated(v, InvSameBody) != 1 {
		t.Errorf("key reuse not caught: %v", v.Violations)
	}
	if v := Check([]Record{r}, l, Rules{}); !v.OK() || v.Notes["409 IDEMPOTENCY_KEY_REUSED answered by A55"] != 2 {
		t.Errorf("key reuse outside the rule: %v, notes %v", v.Violations, v.Notes)
	}
	l.IdempotencyKeyReused = 0
	if v := Check([]Record{r}, l, Rules{SameBodyPerKey: true}); !v.OK() {
		t.Errorf("no key reuse: %v", v.Violations)
	}
}
