package faults

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Record is what the simulated booking system saw of one booking.
type Record struct {
	Plan Plan
	// Auth is the authorization's first outcome (the update-with-start answer).
	Auth workflows.AuthorizationResult
	// Result is the workflow's result; Finished says whether it arrived.
	Result   workflows.BookingPaymentResult
	Finished bool
	// LastStatus is the latest status query answer (for bookings that never finished).
	LastStatus workflows.Status
	// Err is why the booking system gave up waiting, if it did.
	Err error
	// Rejected lists operations the workflow refused (e.g. a capture after the
	// deadline policy released the hold): the booking system's view, not a fault.
	Rejected []string
	// Terminated: the plan's operator terminated the workflow (ActTerminate).
	Terminated bool
	// Attention is why the booking waits in needs_attention (LastStatus), if it does.
	Attention *workflows.Attention
	// Workflow is what Temporal said of the booking's workflow after the
	// bookings (nil: not described; the checker then goes by the record).
	Workflow *WorkflowView
}

// Invariant names, as the report prints them.
const (
	InvTerminal         = "terminal"               // every booking ends in a terminal state
	InvOneAuthorization = "one-authorization"      // exactly one charge per booking at A55, created once
	InvCaptureOnce      = "at-most-one-capture"    // A55 captured the charge at most once
	InvWithinHold       = "captured-within-hold"   // captured ≤ authorized (ledger and workflow)
	InvNoLateCapture    = "no-capture-after-lapse" // nothing captured after the hold lapsed
	InvAgrees           = "state-agrees-with-a55"  // the workflow's terminal state matches the ledger
	InvNoOpenHold       = "no-hold-left-open"      // a finished booking leaves no authorized or pending charge
	InvNoRefund         = "no-refund"              // the workflow never refunds on its own
	InvNotFailed        = "not-failed"             // failed only when nothing could be decided, with the reason
	InvAsRequested      = "outcome-as-requested"   // the outcome is one the booking system's requests allow
	InvHoldOwned        = "every-hold-owned"       // no live charge at A55 without an open workflow that owns it
	// InvSameBody is checked once per run (Rules.SameBodyPerKey): every
	// retry sent the body of its first attempt.
	InvSameBody = "same-body-per-key"
)

// Invariants lists every invariant in the order they are checked.
var Invariants = []string{
	InvTerminal, InvOneAuthorization, InvCaptureOnce, InvWithinHold, InvNoLateCapture,
	InvAgrees, InvNoOpenHold, InvNoRefund, InvNotFailed, InvAsRequested, InvHoldOwned,
}

// Violation is one broken invariant of one booking.
type Violation struct {
	BookingID string
	Invariant string
	Detail    string
}

func (v Violation) String() string {
	return fmt.Sprintf("booking %s: %s: %s", v.BookingID, v.Invariant, v.Detail)
}

// Rules tune the checks to a scenario.
type Rules struct {
	// AllowLapse: the scenario's faults can outlast the hold window, so a hold
	// may legitimately be released by the deadline policy or lapse at A55
	// before the booking system's own request.
	AllowLapse bool
	// FailedReasons lists substrings a failed booking's reason may contain
	// when the scenario makes a decision impossible (empty: failed is never
	// acceptable).
	FailedReasons []string
	// StrictLapse makes "voided" for a hold that lapsed at A55 (no cancel of
	// ours took effect) a violation instead of a note: the money is the
	// same, the operator's story is not.
	StrictLapse bool
	// AllowAttention: the scenario's faults can outlast what a money
	// operation may retry, so a booking may end the run open in
	// needs_attention (reported in outcomes and notes), owning its charge.
	AllowAttention bool
	// FullCaptureAcquirer: A55's acquirer captures the whole hold whatever
	// is asked (the sandbox's -acquirer full-capture). A partial capture
	// must then end with A55's figure (the hold) recorded, the amount asked
	// kept beside it (CaptureRequested), and the request reaching A55 as
	// asked.
	FullCaptureAcquirer bool
	// SameBodyPerKey makes any real 409 IDEMPOTENCY_KEY_REUSED at A55 (a
	// request sent again under its key with another body) a violation; in
	// other runs it is a note.
	SameBodyPerKey bool
}

// Verdict is the outcome of checking a run.
type Verdict struct {
	Bookings   int
	Checks     int // (booking, invariant) pairs evaluated
	Outcomes   map[workflows.Status]int
	Violations []Violation
	// Notes counts noteworthy but correct paths, e.g. voids that found the
	// hold already lapsed.
	Notes map[string]int
}

// OK reports whether every invariant held.
func (v Verdict) OK() bool { return len(v.Violations) == 0 }

// Check verifies the money invariants of a run: every booking's records
// against the A55 sandbox's ledger.
func Check(records []Record, ledger a55sandbox.Ledger, rules Rules) Verdict {
	byRef := map[string][]a55sandbox.LedgerEntry{}
	for _, e := range ledger.Charges {
		byRef[e.ReferenceExternalID] = append(byRef[e.ReferenceExternalID], e)
	}
	v := Verdict{Bookings: len(records), Outcomes: map[workflows.Status]int{}, Notes: map[string]int{}}
	ordered := slices.Clone(records)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].Plan.BookingID < ordered[j].Plan.BookingID })
	for _, r := range ordered {
		c := bookingCheck{rec: r, charges: byRef[r.Plan.BookingID], rules: rules, verdict: &v}
		c.run()
		delete(byRef, r.Plan.BookingID)
	}
	// A charge that names no booking of the run: someone authorized money
	// nobody asked for (e.g. a reference rewritten by a retry).
	strays := make([]string, 0, len(byRef))
	for ref := range byRef {
		strays = append(strays, ref)
	}
	if n := ledger.IdempotencyKeyReused; n > 0 {
		if rules.SameBodyPerKey {
			v.Violations = append(v.Violations, Violation{BookingID: "(run)", Invariant: InvSameBody,
				Detail: fmt.Sprintf("A55 answered 409 IDEMPOTENCY_KEY_REUSED %d times: a retry changed its body under the same Idempotency-Key", n)})
		} else {
			v.Notes["409 IDEMPOTENCY_KEY_REUSED answered by A55"] += n
		}
	}
	if rules.SameBodyPerKey {
		v.Checks++
	}
	sort.Strings(strays)
	for _, ref := range strays {
		v.Checks++
		v.Violations = append(v.Violations, Violation{BookingID: ref, Invariant: InvOneAuthorization,
			Detail: fmt.Sprintf("%d charge(s) at A55 with reference_external_id %q, which is no booking of this run", len(byRef[ref]), ref)})
		for _, e := range byRef[ref] {
			v.Checks++
			if isLive(e.Status) {
				v.Violations = append(v.Violations, Violation{BookingID: ref, Invariant: InvHoldOwned,
					Detail: fmt.Sprintf("charge %s is %q at A55 and no booking of this run owns it", e.ChargeUUID, e.Status)})
			}
		}
	}
	return v
}

type bookingCheck struct {
	rec     Record
	charges []a55sandbox.LedgerEntry
	rules   Rules
	verdict *Verdict
}

func (c *bookingCheck) fail(invariant, format string, args ...any) {
	c.verdict.Violations = append(c.verdict.Violations, Violation{
		BookingID: c.rec.Plan.BookingID, Invariant: invariant, Detail: fmt.Sprintf(format, args...)})
}

// check counts one (booking, invariant) evaluation; the invariant's name
// keeps each call readable.
func (c *bookingCheck) check(_ string, fn func()) {
	c.verdict.Checks++
	fn()
}

func (c *bookingCheck) run() {
	r := c.rec
	status := r.Result.Status
	if !r.Finished {
		status = r.LastStatus
	}
	if status == "" {
		status = "unknown"
	}
	c.verdict.Outcomes[status]++
	if len(r.Rejected) > 0 {
		c.verdict.Notes["capture or cancel refused by the workflow"]++
	}

	c.check(InvTerminal, func() {
		switch {
		case r.Terminated:
			// Terminated on purpose: closed without a result is the outcome.
			if r.Workflow != nil && r.Workflow.CloseStatus != "Terminated" {
				c.fail(InvTerminal, "terminated on purpose, but Temporal says the workflow is %s", r.Workflow.CloseStatus)
			}
		case !r.Finished && r.LastStatus == workflows.StatusNeedsAttention:
			problem := ""
			if r.Attention != nil {
				problem = r.Attention.Operation + " did not finish: " + r.Attention.Problem
			}
			switch {
			case r.Workflow != nil && !r.Workflow.Open:
				c.fail(InvTerminal, "needs_attention (%s), but its workflow is %s: nobody owns the charge any more", problem, r.Workflow.CloseStatus)
			case c.rules.AllowAttention:
				op := "?"
				if r.Attention != nil {
					op = r.Attention.Operation
				}
				c.verdict.Notes["needs_attention (open, owning its charge): "+op+" did not finish"]++
			default:
				c.fail(InvTerminal, "needs_attention, waiting for an operator: %s", problem)
			}
		case !r.Finished:
			c.fail(InvTerminal, "no result (last status %q): %v", r.LastStatus, r.Err)
		case !r.Result.Status.Terminal():
			c.fail(InvTerminal, "the workflow finished with the non-terminal status %q", r.Result.Status)
		}
	})

	c.check(InvOneAuthorization, func() {
		switch {
		case len(c.charges) == 0:
			c.fail(InvOneAuthorization, "no charge at A55 (the authorization never reached A55)")
		case len(c.charges) > 1:
			uuids := make([]string, len(c.charges))
			for i, e := range c.charges {
				uuids[i] = e.ChargeUUID + " (" + e.Status + ")"
			}
			c.fail(InvOneAuthorization, "%d charges at A55: %s", len(c.charges), strings.Join(uuids, ", "))
		case c.charges[0].Calls.Create != 1:
			c.fail(InvOneAuthorization, "charge %s created %d times", c.charges[0].ChargeUUID, c.charges[0].Calls.Create)
		}
	})
	// Money checks run on every charge of the booking, even the extra ones.
	for _, e := range c.charges {
		c.checkCharge(e)
	}
	if len(c.charges) != 1 {
		return
	}
	switch {
	case r.Finished:
		c.checkAgreement(c.charges[0])
	case r.Terminated:
		c.checkTerminated(c.charges[0])
	}
}

// checkTerminated: a booking terminated mid-hold ran none of its own code;
// the reconciliation must have released its hold (nothing captured).
func (c *bookingCheck) checkTerminated(e a55sandbox.LedgerEntry) {
	c.check(InvAgrees, func() {
		switch {
		case e.Captured.Minor != 0:
			c.fail(InvAgrees, "terminated mid-hold, but A55 captured %s (charge %s)", e.Captured, e.ChargeUUID)
		case e.Status != a55sandbox.StatusCanceled:
			c.fail(InvAgrees, "terminated mid-hold; A55 says %q, want canceled by the reconciliation (charge %s)", e.Status, e.ChargeUUID)
		case e.Calls.Cancel == 0:
			if c.rules.AllowLapse {
				c.verdict.Notes["terminated: the hold lapsed at A55 before the reconciliation"]++
			} else {
				c.fail(InvAgrees, "terminated mid-hold; charge %s is canceled but no cancel call released it", e.ChargeUUID)
			}
		default:
			c.verdict.Notes["terminated: the reconciliation released the hold"]++
		}
	})
}

// owner says whether an open workflow owns the charge at the end of the
// run, and if not, why not (for the report).
func (c *bookingCheck) owner(e a55sandbox.LedgerEntry) (bool, string) {
	r := c.rec
	if w := r.Workflow; w != nil {
		switch {
		case !w.Exists:
			return false, "booking " + r.Plan.BookingID + " has no workflow"
		case !w.Open:
			if r.Terminated || w.CloseStatus == "Terminated" {
				return false, "the booking's workflow was terminated and the reconciliation did not release the hold"
			}
			return false, fmt.Sprintf("the booking's workflow is %s (payment %q)", w.CloseStatus, c.status())
		case w.ChargeUUID != "" && w.ChargeUUID != e.ChargeUUID:
			return false, fmt.Sprintf("the booking's open workflow (%s) owns charge %s, not this one", w.PaymentStatus, w.ChargeUUID)
		}
		return true, ""
	}
	// Not described: go by what the booking system saw.
	switch {
	case r.Terminated:
		return false, "the booking's workflow was terminated and the reconciliation did not release the hold"
	case r.Finished || r.LastStatus.Terminal():
		return false, fmt.Sprintf("the booking is %q, terminal", c.status())
	case r.LastStatus == workflows.StatusNeedsAttention:
		return true, ""
	}
	return false, fmt.Sprintf("the booking's workflow was not seen open (last status %q)", r.LastStatus)
}

func (c *bookingCheck) status() workflows.Status {
	if c.rec.Finished {
		return c.rec.Result.Status
	}
	return c.rec.LastStatus
}

func isLive(status string) bool {
	return status == a55sandbox.StatusAuthorized || status == a55sandbox.StatusPending
}

func (c *bookingCheck) checkCharge(e a55sandbox.LedgerEntry) {
	c.check(InvCaptureOnce, func() {
		if e.Calls.Capture > 1 {
			c.fail(InvCaptureOnce, "charge %s captured %d times", e.ChargeUUID, e.Calls.Capture)
		}
		if e.CaptureFlag {
			c.fail(InvCaptureOnce, "charge %s was created with capture:true (a booking only places a hold)", e.ChargeUUID)
		}
	})
	c.check(InvWithinHold, func() {
		if e.Captured.Minor > e.Authorized.Minor {
			c.fail(InvWithinHold, "charge %s captured %s of an authorization of %s", e.ChargeUUID, e.Captured, e.Authorized)
		}
		if e.Captured.Minor > c.rec.Plan.Hold.Minor {
			c.fail(InvWithinHold, "charge %s captured %s, more than the booking's hold %s", e.ChargeUUID, e.Captured, c.rec.Plan.Hold)
		}
	})
	c.check(InvNoLateCapture, func() {
		lapsed := false
		for _, h := range e.History {
			if h.Status == a55sandbox.StatusCanceled {
				lapsed = true
				continue
			}
			if lapsed && isCapturedStatus(h.Status) {
				c.fail(InvNoLateCapture, "charge %s became %q after it was canceled", e.ChargeUUID, h.Status)
				return
			}
		}
		if e.Captured.Minor > 0 && e.Status == a55sandbox.StatusCanceled {
			c.fail(InvNoLateCapture, "charge %s is canceled but shows %s captured", e.ChargeUUID, e.Captured)
		}
	})
	c.check(InvNoRefund, func() {
		if e.Refunded.Minor != 0 || e.Calls.Refund != 0 {
			c.fail(InvNoRefund, "charge %s refunded %s (%d refund calls)", e.ChargeUUID, e.Refunded, e.Calls.Refund)
		}
	})
	c.check(InvHoldOwned, func() {
		if !isLive(e.Status) {
			return
		}
		if ok, why := c.owner(e); !ok {
			if st := c.status(); st.Terminal() {
				c.fail(InvHoldOwned, "the booking is %q while A55 still holds charge %s (%q): %s", st, e.ChargeUUID, e.Status, why)
				return
			}
			c.fail(InvHoldOwned, "charge %s is %q at A55 and no open workflow owns it: %s", e.ChargeUUID, e.Status, why)
		}
	})
	c.check(InvNoOpenHold, func() {
		if !c.rec.Finished {
			return // reported by the terminal check
		}
		switch e.Status {
		case a55sandbox.StatusAuthorized, a55sandbox.StatusPending:
			c.fail(InvNoOpenHold, "the workflow finished %q but charge %s is still %q at A55", c.rec.Result.Status, e.ChargeUUID, e.Status)
		}
	})
}

func isCapturedStatus(s string) bool {
	return s == a55sandbox.StatusConfirmed || s == a55sandbox.StatusPaid || s == a55sandbox.StatusRefunded
}

// lapsed reports whether A55 canceled the charge by itself: it was
// authorized and became canceled without any cancel call of ours.
func lapsed(e a55sandbox.LedgerEntry) bool {
	if e.Status != a55sandbox.StatusCanceled || e.Calls.Cancel != 0 {
		return false
	}
	for _, h := range e.History {
		if h.Status == a55sandbox.StatusAuthorized {
			return true
		}
	}
	return false
}

func (c *bookingCheck) checkAgreement(e a55sandbox.LedgerEntry) {
	res := c.rec.Result
	c.check(InvAgrees, func() {
		if res.ChargeUUID != "" && res.ChargeUUID != e.ChargeUUID {
			c.fail(InvAgrees, "the result names charge %s, A55 has %s", res.ChargeUUID, e.ChargeUUID)
			return
		}
		if res.Status != workflows.StatusCaptured && e.Captured.Minor != 0 {
			c.fail(InvAgrees, "the workflow says %q but A55 captured %s (charge %s)", res.Status, e.Captured, e.ChargeUUID)
			return
		}
		switch res.Status {
		case workflows.StatusCaptured:
			if !isCapturedStatus(e.Status) {
				c.fail(InvAgrees, "the workflow says captured %s, A55 says %q (charge %s)", res.Captured, e.Status, e.ChargeUUID)
			} else if res.Captured != e.Captured {
				c.fail(InvAgrees, "the workflow says captured %s, A55 captured %s (charge %s)", res.Captured, e.Captured, e.ChargeUUID)
			}
		case workflows.StatusVoided:
			if e.Status != a55sandbox.StatusCanceled {
				c.fail(InvAgrees, "the workflow says voided, A55 says %q (charge %s)", e.Status, e.ChargeUUID)
			} else if lapsed(e) {
				if c.rules.StrictLapse {
					c.fail(InvAgrees, "the workflow says voided, but A55 let the hold lapse: no cancel of ours took effect (charge %s)", e.ChargeUUID)
				} else {
					c.verdict.Notes["voided: the cancel found the hold already lapsed at A55"]++
				}
			}
		case workflows.StatusDeclined:
			if e.Status != a55sandbox.StatusError && e.Status != a55sandbox.StatusCanceled {
				c.fail(InvAgrees, "the workflow says declined, A55 says %q (charge %s)", e.Status, e.ChargeUUID)
			}
		case workflows.StatusExpired:
			switch {
			case e.Status != a55sandbox.StatusCanceled:
				c.fail(InvAgrees, "the workflow says expired, A55 says %q (charge %s)", e.Status, e.ChargeUUID)
			case e.Calls.Cancel != 0:
				c.fail(InvAgrees, "the workflow says expired, but A55 shows our cancel voided charge %s", e.ChargeUUID)
			}
		}
	})
	c.check(InvWithinHold, func() {
		if res.Captured.Minor > res.Authorized.Minor {
			c.fail(InvWithinHold, "the workflow reports captured %s of an authorization of %s", res.Captured, res.Authorized)
		}
	})
	c.check(InvNotFailed, func() {
		if res.Status != workflows.StatusFailed {
			return
		}
		for _, ok := range c.rules.FailedReasons {
			if ok != "" && strings.Contains(res.Reason, ok) {
				c.verdict.Notes["failed with an accepted reason"]++
				return
			}
		}
		c.fail(InvNotFailed, "failed although A55 knows charge %s is %q; reason %q", e.ChargeUUID, e.Status, res.Reason)
	})
	c.check(InvAsRequested, func() {
		want := c.rec.Plan.Expected(c.rules.AllowLapse)
		if !slices.Contains(want, res.Status) {
			if res.Status == workflows.StatusFailed {
				return // reported by not-failed
			}
			c.fail(InvAsRequested, "a %s booking (%s) ended %q, want one of %v", c.rec.Plan.Card, c.rec.Plan.Action, res.Status, want)
			return
		}
		if res.Status == workflows.StatusCaptured && res.CapturedBy != "deadline" {
			want := c.rec.Plan.WantCaptured()
			switch {
			case c.rules.FullCaptureAcquirer && want != c.rec.Plan.Hold:
				// A55 booked the whole hold: the booking records that and
				// keeps what it asked (the difference is flagged).
				if res.Captured != c.rec.Plan.Hold || res.CaptureRequested != want || e.CaptureRequested != want {
					c.fail(InvAsRequested, "asked %s of a %s hold from a full-capture acquirer: the booking says captured %s (asked %s), A55 was asked %s",
						want, c.rec.Plan.Hold, res.Captured, res.CaptureRequested, e.CaptureRequested)
				} else {
					c.verdict.Notes["capture amount differs: A55 captured the whole hold, the booking records it and flags the difference"]++
				}
			case res.Captured != want:
				c.fail(InvAsRequested, "captured %s, the booking system asked for %s", res.Captured, want)
			}
		}
	})
}
