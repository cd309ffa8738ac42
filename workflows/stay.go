package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// Long stays. A hold lives HoldWindow (7 days by default) and the deadline
// policy runs SafetyMargin before it lapses: a check-out later than that
// (the hold's reach) would lose its guarantee mid-stay. Such a booking is
// refused at start unless it says what happens when the hold is about to
// lapse (LongStayPolicy). A55 has no incremental authorization, so a hold
// is never extended: a longer guarantee is a new hold (replace.go).

// ChangeLongStays is the GetVersion change id of long stays and replaced
// holds: the refusal at start of a check-out beyond the hold's reach, the
// long-stay policy at the deadline, the reauthorization wait, and the
// look-up that keeps the newest live charge. Recorded histories:
// testdata/long-stays/.
const ChangeLongStays = "long-stays"

// LongStayPolicy is what a booking whose check-out lies beyond the hold's
// reach does when the hold is about to lapse.
type LongStayPolicy string

const (
	// LongStayDeposit captures the whole hold before it lapses: the booking
	// system keeps it as the guest's deposit and charges the rest of the
	// stay itself.
	LongStayDeposit LongStayPolicy = "deposit"
	// LongStayRelease releases the hold before it lapses: the rest of the
	// stay is not guaranteed.
	LongStayRelease LongStayPolicy = "release"
	// LongStayReauthorize asks the booking system for a new card
	// authorization (replace_hold) ReauthorizeNotice before the deadline and
	// waits for it until the deadline; without one the deadline policy runs.
	LongStayReauthorize LongStayPolicy = "reauthorize"
)

// DefaultReauthorizeNotice is how long before the deadline a booking with
// the reauthorize policy starts waiting for a new authorization.
const DefaultReauthorizeNotice = 24 * time.Hour

// CapturedByDeposit is BookingPaymentResult.CapturedBy when the deposit
// policy captured the hold before it lapsed.
const CapturedByDeposit = "long_stay_deposit"

// Reauthorization is set in PaymentState while a booking waits for a new
// card authorization (replace_hold) before its hold lapses.
type Reauthorization struct {
	Since time.Time `json:"since"`
	// Until is the capture deadline: the deadline policy runs then.
	Until time.Time `json:"until"`
	Why   string    `json:"why"`
}

// holdReach is the last instant a hold asked for at start can guarantee:
// its expiry minus the safety margin, as the workflow computes the deadline.
func holdReach(in BookingPaymentInput, start time.Time) time.Time {
	return start.Add(orDefault(in.HoldWindow, DefaultHoldWindow)).Add(-orDefault(in.SafetyMargin, DefaultSafetyMargin))
}

// BeyondHoldReach reports whether the check-out lies after what a hold placed
// at start covers (hold_window − safety_margin from start): such a booking
// needs a long_stay_policy.
func BeyondHoldReach(in BookingPaymentInput, start time.Time) bool {
	return !in.ExpectedCaptureAt.IsZero() && in.ExpectedCaptureAt.After(holdReach(in, start))
}

// checkLongStay is the long-stay rule of ValidateInput: a known policy, a
// sane notice, and (when now is known) a check-out beyond the hold's reach
// only with a policy.
func checkLongStay(p *inputProblems, in BookingPaymentInput, now time.Time) {
	switch in.LongStayPolicy {
	case "", LongStayDeposit, LongStayRelease, LongStayReauthorize:
	default:
		p.add("long_stay_policy", "must be %q, %q or %q (got %q)", LongStayDeposit, LongStayRelease, LongStayReauthorize, string(in.LongStayPolicy))
	}
	if in.ReauthorizeNotice < 0 {
		p.add("reauthorize_notice", "must not be negative")
	} else if in.ReauthorizeNotice > 0 && in.LongStayPolicy != LongStayReauthorize {
		p.add("reauthorize_notice", "is only for long_stay_policy %q", LongStayReauthorize)
	}
	if !now.IsZero() && in.LongStayPolicy == "" && BeyondHoldReach(in, now) {
		p.add("expected_capture_at", "is %s, beyond the hold's reach %s (hold_window %s minus safety_margin %s from now): choose a long_stay_policy (%q, %q or %q) or an earlier check-out",
			in.ExpectedCaptureAt.UTC().Format(time.RFC3339), holdReach(in, now).UTC().Format(time.RFC3339),
			orDefault(in.HoldWindow, DefaultHoldWindow), orDefault(in.SafetyMargin, DefaultSafetyMargin),
			LongStayDeposit, LongStayRelease, LongStayReauthorize)
	}
}

// refuseLongStayWithoutPolicy is the workflow's own check of a new run's
// check-out against the hold's reach, counted from the workflow's start
// (never earlier than the starter's clock, so a booking the starter
// accepted is accepted here). Only a booking that has a long-stay policy or
// a check-out beyond the reach asks GetVersion: the others record nothing.
func refuseLongStayWithoutPolicy(ctx workflow.Context, in BookingPaymentInput) error {
	if in.Continued != nil {
		return nil
	}
	start := workflow.GetInfo(ctx).WorkflowStartTime
	if in.LongStayPolicy == "" && !BeyondHoldReach(in, start) {
		return nil
	}
	if workflow.GetVersion(ctx, ChangeLongStays, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	var p inputProblems
	checkLongStay(&p, in, start)
	if len(p) == 0 {
		return nil
	}
	return &InputError{Problems: p}
}

// checkoutWithinReach is move_capture_time's long-stay rule: a booking
// without a long-stay policy may not move its check-out beyond what its
// hold can guarantee (it would silently lose the guarantee mid-stay); a
// longer stay is a new hold (replace_hold with the new check-out).
func (p *payment) checkoutWithinReach(checkout time.Time) error {
	reach := p.st.HoldExpiresAt.Add(-p.margin)
	if p.in.LongStayPolicy != "" || p.st.HoldExpiresAt.IsZero() || !checkout.After(reach) {
		return nil
	}
	return fmt.Errorf("move_capture_time refused: expected_capture_at %s is beyond the hold's reach %s and the booking has no long_stay_policy: replace the hold (replace_hold with the new expected_capture_at)",
		checkout.UTC().Format(time.RFC3339), reach.UTC().Format(time.RFC3339))
}

// staysOn reports whether this booking runs the long-stays code, asking
// GetVersion the first time (p.stays caches it: 0 not asked, 1 on, -1 a
// history from before it).
func (p *payment) staysOn(ctx workflow.Context) bool {
	if p.stays == 0 {
		p.stays = -1
		if workflow.GetVersion(ctx, ChangeLongStays, workflow.DefaultVersion, 1) >= 1 {
			p.stays = 1
		}
	}
	return p.stays == 1
}

// longStay: the booking has a long-stay policy and its check-out lies
// beyond what the current hold can guarantee.
func (p *payment) longStay() bool {
	return p.in.LongStayPolicy != "" && !p.st.HoldExpiresAt.IsZero() &&
		p.st.ExpectedCaptureAt.After(p.st.HoldExpiresAt.Add(-p.margin))
}

// reauthorizeWaitAt is when a booking with the reauthorize policy starts
// waiting for a new authorization, or the zero time when it does not (any
// more). It reads state only (await conditions call it): staysOn must have
// been asked before.
func (p *payment) reauthorizeWaitAt() time.Time {
	if p.stays != 1 || p.in.LongStayPolicy != LongStayReauthorize || p.st.Reauthorization != nil || !p.longStay() {
		return time.Time{}
	}
	return p.st.CaptureDeadline.Add(-orDefault(p.in.ReauthorizeNotice, DefaultReauthorizeNotice))
}

// holdTimerAt is the next instant holdLoop's timer waits for: the start of
// the reauthorization wait when one is ahead, else the capture deadline.
// Bookings without the reauthorize policy wait for the deadline exactly as
// before (no GetVersion is asked for them).
func (p *payment) holdTimerAt(ctx workflow.Context) time.Time {
	if p.in.LongStayPolicy == LongStayReauthorize {
		p.staysOn(ctx)
	}
	return p.nextHoldInstant()
}

// dropStaleReauthorization ends a reauthorization wait once the check-out
// has moved within the hold's reach: no new authorization is needed.
func (p *payment) dropStaleReauthorization() {
	if p.st.Reauthorization != nil && !p.longStay() {
		p.st.Reauthorization = nil
	}
}

// nextHoldInstant is holdTimerAt without asking GetVersion (for await conditions).
func (p *payment) nextHoldInstant() time.Time {
	if at := p.reauthorizeWaitAt(); !at.IsZero() && at.Before(p.st.CaptureDeadline) {
		return at
	}
	return p.st.CaptureDeadline
}

// holdTimerSummary is the Web UI's line for the timer armed for at.
func (p *payment) holdTimerSummary(at time.Time) string {
	if !at.Equal(p.st.CaptureDeadline) {
		return "long stay: ask for a new card authorization at " + at.UTC().Format(time.RFC3339)
	}
	return "capture deadline: " + p.policyText() + " at " + at.UTC().Format(time.RFC3339)
}

// beginReauthorizationWait is the moment a long stay with the reauthorize
// policy starts waiting for a new card authorization (replace_hold) until
// its deadline: the booking shows it in its status (Reauthorization) and
// current details. It reports whether the timer that came was this one
// (false: it was the deadline). The booking system's hold_expiring goes
// at the same instant (notify.go's holdExpiringNotice).
func (p *payment) beginReauthorizationWait(ctx workflow.Context) bool {
	at := p.reauthorizeWaitAt()
	if at.IsZero() || !at.Before(p.st.CaptureDeadline) || !p.deadline.armedFor(at) {
		return false
	}
	p.st.Reauthorization = &Reauthorization{
		Since: workflow.Now(ctx),
		Until: p.st.CaptureDeadline,
		Why: "the stay ends " + p.st.ExpectedCaptureAt.UTC().Format(time.RFC3339) + ", after the hold's reach " +
			p.st.HoldExpiresAt.Add(-p.margin).UTC().Format(time.RFC3339) + ": a new card authorization (replace_hold) is needed",
	}
	p.logger(ctx).Info("long stay: waiting for a new card authorization", "booking_id", p.in.BookingID,
		"until", p.st.CaptureDeadline, "policy_then", string(p.in.DeadlinePolicy.Action))
	p.details(ctx)
	return true
}

// applyLongStayPolicy runs a long stay's policy at the deadline, reporting
// whether it did (false: the deadline policy applies, as for every booking
// and for a reauthorize that got no new authorization).
func (p *payment) applyLongStayPolicy(ctx workflow.Context) bool {
	if !p.longStay() || !p.staysOn(ctx) {
		return false
	}
	reach := "the stay ends " + p.st.ExpectedCaptureAt.UTC().Format(time.RFC3339) + ", after the hold lapses"
	switch p.in.LongStayPolicy {
	case LongStayDeposit:
		p.logger(ctx).Info("long stay: capturing the hold as the deposit", "booking_id", p.in.BookingID)
		_, _ = p.capture(ctx, p.st.Authorized, CapturedByDeposit)
		return true
	case LongStayRelease:
		p.voidedBy = VoidedByDeadlinePolicy
		_, _ = p.release(ctx, "long-stay policy: release the hold before it lapses ("+reach+")", "hold about to lapse")
		return true
	}
	p.logger(ctx).Info("long stay: no new card authorization came; the deadline policy applies", "booking_id", p.in.BookingID)
	return false
}

// stayDetails is what current details add for an authorized booking: a
// reauthorization wait or a replacement in progress.
func (p *payment) stayDetails() string {
	switch r := p.st.Replacement; {
	case r != nil && r.Status == StatusAuthorizing:
		return "; replacing the hold (" + r.Amount.Display() + ")"
	case r != nil && r.Status == StatusAwaiting3DS:
		return "; replacement hold waiting for 3DS: " + r.URL3DS
	}
	if a := p.st.Reauthorization; a != nil {
		return "; NEW CARD AUTHORIZATION NEEDED before " + a.Until.UTC().Format(time.RFC3339) + " (replace_hold)"
	}
	return ""
}
