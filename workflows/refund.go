package workflows

// Refunds after the capture. A captured booking stays open for its refund
// window (BookingPaymentInput.RefundWindow, 30 days by default) and takes
// the booking system's refund update: an amount (partial refunds, several
// of them, in all at most what A55 captured), a reason and a refund id of
// the booking system's own, which makes the request idempotent: its A55
// Idempotency-Key is "<workflow id>/refund/<refund id>", the same id with
// the same amount answers the first result again, and with another amount
// it is refused (ErrTypeRefundIDReused).
//
// Concurrent requests never refund more than was captured: the validator
// and the handler count what is refunded (A55's refunded_amount) and what
// accepted refunds have reserved, and the refunds reach A55 one at a time,
// so every call knows what A55 had refunded before it. A lost answer is
// resolved by reading the charge (the activity before a retry, the
// workflow after the activity gave up): A55's refunded_amount is the truth.
// A webhook during the window makes the workflow read the charge too, which
// records settlement (A55's "paid") and refunds made outside the workflow.
//
// The window ends on its timer (then the workflow completes with its
// result, captured or refunded), at once when everything is refunded, or
// on a cancellation request; a long history continues as new with the
// refunds' state. All of it is behind GetVersion(ChangeRefunds), asked when
// a booking is captured: bookings captured on older code closed at once.

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/money"
)

// ChangeRefunds is the GetVersion change id of the refund window.
const ChangeRefunds = "refunds"

// The refund window's bounds.
const (
	// DefaultRefundWindow: a hotel settles a guest's complaints about the
	// bill (a minibar charge, a damage claim dropped, a night not stayed)
	// within weeks of check-out; 30 days covers that and keeps a booking's
	// workflow open no longer than its money questions. Later refunds are
	// made in A55's dashboard.
	DefaultRefundWindow = 30 * 24 * time.Hour
	MinRefundWindow     = time.Second
	MaxRefundWindow     = 400 * 24 * time.Hour
	// refundBudget bounds one refund's retries at A55; after it the
	// workflow reads the charge to learn what happened.
	refundBudget = time.Hour
	// MaxRefundIDLength keeps the Idempotency-Key within A55's 128
	// characters: "booking-" + 64 + "/refund/" + 48.
	MaxRefundIDLength     = 48
	MaxRefundReasonLength = 255
)

// Error types of the refund update. The validator's are rejections (no
// history event); the rest come back from an accepted refund.
const (
	// ErrTypeInvalidRefund: the request breaks a rule (its message names
	// the field and the rule).
	ErrTypeInvalidRefund = "InvalidRefund"
	// ErrTypeRefundNotAvailable: the booking cannot refund now: not
	// captured, its refund window closed, its workflow's cancellation
	// requested, or captured by code older than refunds.
	ErrTypeRefundNotAvailable = "RefundNotAvailable"
	// ErrTypeRefundExceedsCaptured: the amount is more than what is left
	// of the capture (captured − refunded − refunds in flight).
	ErrTypeRefundExceedsCaptured = "RefundExceedsCaptured"
	// ErrTypeRefundIDReused: the refund id was used before with another
	// amount.
	ErrTypeRefundIDReused = "RefundIDReused"
	// ErrTypeRefundExceedsRefundable: A55 refused the refund as more than
	// it can refund (amount_exceeds_refundable).
	ErrTypeRefundExceedsRefundable = "RefundExceedsRefundable"
	// ErrTypeRefundNotAllowed: A55 refused to refund the charge
	// (REFUND_NOT_ALLOWED: not captured at A55, or already refunded).
	ErrTypeRefundNotAllowed = "RefundNotAllowed"
	// ErrTypeRefundFailed: the refund reached no outcome (A55 kept failing,
	// or answered without saying what it refunded). The message says
	// whether a read of the charge proved nothing refunded; asking again
	// with the same refund id retries under the same Idempotency-Key.
	ErrTypeRefundFailed = "RefundFailed"
)

// RefundRequest is the refund update's argument.
type RefundRequest struct {
	// RefundID is the booking system's id for this refund: 1-48 letters,
	// digits, '.', '_' or '-'.
	RefundID string       `json:"refund_id"`
	Amount   money.Amount `json:"amount"`
	Reason   string       `json:"reason,omitempty"`
}

// RefundResult is a refund's outcome.
type RefundResult struct {
	RefundID   string       `json:"refund_id"`
	ChargeUUID string       `json:"charge_uuid"`
	Amount     money.Amount `json:"amount"`     // this refund
	Refunded   money.Amount `json:"refunded"`   // all A55 has refunded of the charge
	Refundable money.Amount `json:"refundable"` // what is left to refund
	Status     Status       `json:"status"`     // captured, or refunded when nothing is left
}

// The states of a RefundRecord.
const (
	RefundPending = "pending"  // accepted, at A55 or waiting for its turn
	RefundDone    = "refunded" // A55 refunded it
	RefundRefused = "refused"  // A55 refused it; the same id answers the same refusal
	RefundFailed  = "failed"   // no outcome, and a read proved nothing refunded: the same id retries
	RefundUnknown = "unknown"  // no outcome and no read: its amount stays reserved; the same id retries
)

// RefundRecord is one refund id's request and outcome, in PaymentState.
type RefundRecord struct {
	RefundID    string       `json:"refund_id"`
	Amount      money.Amount `json:"amount"`
	Reason      string       `json:"reason,omitempty"`
	State       string       `json:"state"`
	RequestedAt time.Time    `json:"requested_at"`
	DoneAt      time.Time    `json:"done_at,omitzero"`
	// Problem and ErrType say why a refund was refused or failed.
	Problem string `json:"problem,omitempty"`
	ErrType string `json:"error_type,omitempty"`
}

func (r RefundRecord) reserved() bool { return r.State == RefundPending || r.State == RefundUnknown }

// refunding is the workflow's own refund state (what is not in PaymentState).
type refunding struct {
	// version caches GetVersion(ChangeRefunds): 0 not asked, 1 on, -1 a
	// booking captured before refunds.
	version int
	// busy: a refund is at A55 (they go one at a time).
	busy bool
	// closed: the window is over; no refund is accepted any more.
	closed bool
}

var refundIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$`)

// refundsOn reports whether this booking has a refund window, asking
// GetVersion the first time (when it is captured).
func (p *payment) refundsOn(ctx workflow.Context) bool {
	if p.refund.version == 0 {
		p.refund.version = -1
		if workflow.GetVersion(ctx, ChangeRefunds, workflow.DefaultVersion, 1) >= 1 {
			p.refund.version = 1
		}
	}
	return p.refund.version == 1
}

func refundError(typ, format string, args ...any) error {
	return temporal.NewApplicationError("refund refused: "+fmt.Sprintf(format, args...), typ)
}

// validateRefund holds the refund's rules. It reads state only.
func (p *payment) validateRefund(ctx workflow.Context, req RefundRequest) error {
	if !refundIDPattern.MatchString(req.RefundID) {
		return refundError(ErrTypeInvalidRefund, "refund_id %q is invalid: use 1-%d letters, digits, '.', '_' or '-', starting with a letter or digit", req.RefundID, MaxRefundIDLength)
	}
	if req.Amount.Currency != p.in.Amount.Currency {
		return refundError(ErrTypeInvalidRefund, "amount.currency %q differs from the captured currency %s", string(req.Amount.Currency), p.in.Amount.Currency)
	}
	if req.Amount.Minor <= 0 {
		return refundError(ErrTypeInvalidRefund, "amount must be positive (got %d minor units)", req.Amount.Minor)
	}
	if n := len(req.Reason); n > MaxRefundReasonLength {
		return refundError(ErrTypeInvalidRefund, "reason must be at most %d bytes (got %d)", MaxRefundReasonLength, n)
	}
	if r := p.refundRecord(req.RefundID); r != nil {
		if r.Amount != req.Amount {
			return refundError(ErrTypeRefundIDReused, "refund_id %q was used for %s; this request asks %s: use a new refund_id for another refund",
				req.RefundID, r.Amount.Display(), req.Amount.Display())
		}
		if r.State == RefundPending || r.State == RefundDone || r.State == RefundRefused {
			return nil // answered with the first request's outcome
		}
		return p.refundAllowed(ctx, req.Amount, r)
	}
	return p.refundAllowed(ctx, req.Amount, nil)
}

// refundAllowed: the booking can refund amount now (again is the record of
// a refund id asked again, whose reservation is its own).
func (p *payment) refundAllowed(ctx workflow.Context, amount money.Amount, again *RefundRecord) error {
	switch {
	case p.st.Status == StatusRefunded:
		return refundError(ErrTypeRefundExceedsCaptured, "everything captured (%s) is already refunded", p.st.Captured.Display())
	case p.st.Status != StatusCaptured:
		return refundError(ErrTypeRefundNotAvailable, "the payment is %s, not captured (a hold is released with cancel, not refunded)", p.st.Status)
	case p.refund.version != 1:
		return refundError(ErrTypeRefundNotAvailable, "this booking was captured before refunds existed: refund it in A55's dashboard")
	case p.refund.closed || p.cancelRequested || !workflow.Now(ctx).Before(p.st.RefundWindowEndsAt):
		return refundError(ErrTypeRefundNotAvailable, "the refund window closed at %s: refund it in A55's dashboard",
			p.st.RefundWindowEndsAt.UTC().Format(time.RFC3339))
	}
	left := p.refundable()
	if again != nil && again.reserved() {
		left.Minor += again.Amount.Minor
	}
	if amount.Minor > left.Minor {
		return refundError(ErrTypeRefundExceedsCaptured, "amount %s is more than the %s left to refund (captured %s, refunded %s, in flight %s)",
			amount.Display(), left.Display(), p.st.Captured.Display(), p.st.Refunded.Display(), p.refundReservedAmount().Display())
	}
	return nil
}

// refundable is what is left to refund: captured − refunded − reserved.
func (p *payment) refundable() money.Amount {
	left := p.st.Captured.Minor - p.st.Refunded.Minor - p.refundReservedAmount().Minor
	return money.Amount{Minor: max(left, 0), Currency: p.st.Captured.Currency}
}

func (p *payment) refundReservedAmount() money.Amount {
	a := money.Amount{Currency: p.st.Captured.Currency}
	for _, r := range p.st.Refunds {
		if r.reserved() {
			a.Minor += r.Amount.Minor
		}
	}
	return a
}

func (p *payment) refundRecord(id string) *RefundRecord {
	for i := range p.st.Refunds {
		if p.st.Refunds[i].RefundID == id {
			return &p.st.Refunds[i]
		}
	}
	return nil
}

func (p *payment) handleRefund(ctx workflow.Context, req RefundRequest) (RefundResult, error) {
	// As capture: a cancellation request must not cut a refund short.
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	if r := p.refundRecord(req.RefundID); r != nil {
		if r.Amount != req.Amount {
			return RefundResult{}, refundError(ErrTypeRefundIDReused, "refund_id %q was used for %s", req.RefundID, r.Amount.Display())
		}
		_ = workflow.Await(ctx, func() bool { return p.refundRecord(req.RefundID).State != RefundPending })
		r = p.refundRecord(req.RefundID)
		switch r.State {
		case RefundDone:
			return p.refundResult(*r), nil
		case RefundRefused:
			return RefundResult{}, temporal.NewApplicationError(r.Problem, r.ErrType)
		}
		// Failed or unknown: asked again, it runs again under its key.
		if err := p.refundAllowed(ctx, req.Amount, r); err != nil {
			return RefundResult{}, err
		}
		r.State, r.Problem, r.ErrType = RefundPending, "", ""
	} else {
		// Two refunds accepted in one workflow task: the second sees what
		// the first reserved.
		if err := p.refundAllowed(ctx, req.Amount, nil); err != nil {
			return RefundResult{}, err
		}
		p.st.Refunds = append(p.st.Refunds, RefundRecord{
			RefundID: req.RefundID, Amount: req.Amount, Reason: req.Reason, State: RefundPending, RequestedAt: workflow.Now(ctx),
		})
	}
	return p.runRefund(ctx, req.RefundID)
}

// runRefund sends one refund to A55 once no other refund is there.
func (p *payment) runRefund(ctx workflow.Context, id string) (RefundResult, error) {
	_ = workflow.Await(ctx, func() bool { return !p.refund.busy })
	p.refund.busy = true
	defer func() { p.refund.busy = false }()
	r := *p.refundRecord(id)
	before := p.st.Refunded
	p.logger(ctx).Info("refund", "booking_id", p.in.BookingID, "refund_id", id, "amount_minor", r.Amount.Minor)
	actx := p.moneyActivityContext(ctx, "refund "+r.Amount.Display()+" ("+id+")", refundBudget)
	var ans RefundAnswer
	err := workflow.ExecuteActivity(actx, ActivityRefund, RefundInput{
		IdempotencyKey: p.wfID + "/refund/" + id,
		WalletUUID:     p.in.WalletUUID,
		ChargeUUID:     p.st.ChargeUUID,
		Amount:         &r.Amount,
		Reason:         r.Reason,
		RefundedBefore: before,
		Captured:       p.st.Captured,
	}).Get(ctx, &ans)
	if err == nil {
		p.noteRead(ans.Charge)
		return p.recordRefund(ctx, id, ans.Charge, ans.Recovered)
	}
	problem := describe(err)
	var app *temporal.ApplicationError
	refusal := ""
	if errors.As(err, &app) {
		switch app.Type() {
		case ErrTypeA55RefundExceedsRefundable:
			refusal = ErrTypeRefundExceedsRefundable
		case ErrTypeA55RefundNotAllowed:
			refusal = ErrTypeRefundNotAllowed
		}
	}
	// Whatever the error, the charge says what A55 has refunded: an answer
	// lost past the retries may hide a refund that happened (A55's
	// refunded_amount then shows it), and a refusal may come from a refund
	// made outside this workflow (the figure is taken).
	c, ok := p.read(ctx)
	if got := p.refundedIn(c); ok && refusal == "" && got != nil && got.Minor >= before.Minor+r.Amount.Minor {
		return p.recordRefund(ctx, id, c, true)
	}
	if ok {
		p.applyRefundRead(ctx, c)
	}
	rec := p.refundRecord(id)
	switch {
	case refusal != "":
		rec.State, rec.ErrType = RefundRefused, refusal
		rec.Problem = "refund of " + r.Amount.Display() + " refused by A55: " + problem
	case ok:
		rec.State, rec.ErrType = RefundFailed, ErrTypeRefundFailed
		rec.Problem = "refund of " + r.Amount.Display() + " did not go through (" + problem + "); A55 shows " +
			p.refundedText(c) + " refunded, nothing by this request: ask again with refund_id " + id + " to retry"
	default:
		rec.State, rec.ErrType = RefundUnknown, ErrTypeRefundFailed
		rec.Problem = "refund of " + r.Amount.Display() + " has no known outcome (" + problem +
			"); its amount stays reserved: ask again with refund_id " + id + " to retry, or check A55"
	}
	p.logger(ctx).Warn("refund not done", "booking_id", p.in.BookingID, "refund_id", id, "state", rec.State, "problem", rec.Problem)
	p.details(ctx)
	return RefundResult{}, temporal.NewApplicationError(rec.Problem, rec.ErrType)
}

func (p *payment) refundedText(c ChargeView) string {
	if got := p.refundedIn(c); got != nil {
		return got.Display()
	}
	return "nothing"
}

// refundedIn is what A55's answer says it has refunded of the charge in all:
// its refunded_amount, else the capture less its amount_remaining (both
// A55's figures); nil when it says neither (in the captured currency).
func (p *payment) refundedIn(c ChargeView) *money.Amount {
	cur := p.st.Captured.Currency
	switch r := c.AmountRemaining; {
	case c.Refunded != nil:
		if c.Refunded.Currency == cur {
			return c.Refunded
		}
	case r != nil && r.Currency == cur && r.Minor <= p.st.Captured.Minor:
		return &money.Amount{Minor: p.st.Captured.Minor - r.Minor, Currency: cur}
	}
	return nil
}

// recordRefund records a completed refund from A55's answer (or a read
// that proves it): the one place a refund's outcome is recorded, where the
// booking system is to be told ("refunded").
func (p *payment) recordRefund(ctx workflow.Context, id string, c ChargeView, recovered bool) (RefundResult, error) {
	rec := p.refundRecord(id)
	refunded := p.refundedIn(c)
	if refunded == nil {
		// A55 accepted the refund but did not say what it has refunded:
		// money is recorded from A55's figures only, so the amount stays
		// reserved until a person checks.
		rec.State, rec.ErrType = RefundUnknown, ErrTypeRefundFailed
		rec.Problem = "A55 answered the refund of " + rec.Amount.Display() + " (" + c.Status +
			") without saying what it has refunded: its amount stays reserved; check A55"
		p.logger(ctx).Warn("refund not recorded", "booking_id", p.in.BookingID, "refund_id", id, "problem", rec.Problem)
		return RefundResult{}, temporal.NewApplicationError(rec.Problem, rec.ErrType)
	}
	rec.State, rec.DoneAt, rec.Problem, rec.ErrType = RefundDone, workflow.Now(ctx), "", ""
	p.setRefunded(ctx, *refunded, id, "refund "+id+" of "+rec.Amount.Display()+recoveredText(recovered))
	p.noteSettled(ctx, c)
	return p.refundResult(*rec), nil
}

func recoveredText(recovered bool) string {
	if recovered {
		return " (an earlier attempt had refunded it)"
	}
	return ""
}

// setRefunded records what A55 says it has refunded in all, after the
// booking's refund refundID ("" when a read found it: a refund made in
// A55's dashboard), and tells the booking system (refunded).
func (p *payment) setRefunded(ctx workflow.Context, total money.Amount, refundID, why string) {
	p.st.Refunded = total
	p.upsert(RefundedAmountKey.ValueSet(total.Minor))
	p.logger(ctx).Info("refunded", "booking_id", p.in.BookingID, "refunded_minor", total.Minor, "captured_minor", p.st.Captured.Minor, "why", why)
	if p.st.Status == StatusCaptured && total.Minor >= p.st.Captured.Minor {
		why += ": everything captured is refunded (" + total.Display() + ")"
		p.transition(ctx, StatusRefunded, why)
	} else {
		p.flushSA(ctx)
		p.details(ctx)
	}
	p.notify(ctx, EventRefunded, why, func(e *Event) { e.Refunded, e.RefundID = total, refundID })
}

func (p *payment) refundResult(r RefundRecord) RefundResult {
	left := p.st.Captured.Minor - p.st.Refunded.Minor
	return RefundResult{
		RefundID: r.RefundID, ChargeUUID: p.st.ChargeUUID, Amount: r.Amount, Refunded: p.st.Refunded,
		Refundable: money.Amount{Minor: max(left, 0), Currency: p.st.Captured.Currency}, Status: p.st.Status,
	}
}

// applyRefundRead takes what a read of a captured charge says: settlement,
// and refunds A55 reports beyond ours (made in A55's dashboard).
func (p *payment) applyRefundRead(ctx workflow.Context, c ChargeView) {
	p.noteSettled(ctx, c)
	got := p.refundedIn(c)
	if got == nil || got.Minor <= p.st.Refunded.Minor {
		return
	}
	p.setRefunded(ctx, *got, "", "A55 reports "+got.Display()+" refunded")
}

// noteSettled records the first time A55 reports the charge paid.
func (p *payment) noteSettled(ctx workflow.Context, c ChargeView) {
	if !p.st.SettledAt.IsZero() || !strings.EqualFold(strings.TrimSpace(c.Status), "paid") {
		return
	}
	p.st.SettledAt = workflow.Now(ctx)
	p.logger(ctx).Info("A55 reports the charge paid (settled)", "booking_id", p.in.BookingID, "charge_uuid", p.st.ChargeUUID)
	p.details(ctx)
}

// refundWindowOpen: a captured booking still takes refunds and webhooks.
func (p *payment) refundWindowOpen() bool {
	return p.refund.version == 1 && !p.refund.closed && (p.st.Status == StatusCaptured || p.st.Status == StatusRefunded)
}

// keepRefundable keeps a captured booking open for its refund window: it
// answers webhooks with reads (settlement, refunds made at A55) and returns
// when the window ends, everything is refunded, the workflow's cancellation
// is requested, or the history asks to continue as new.
func (p *payment) keepRefundable(ctx workflow.Context) {
	if p.st.Status != StatusCaptured && p.st.Status != StatusRefunded || p.cancelRequested {
		return
	}
	if !p.refundsOn(ctx) {
		return
	}
	if p.st.RefundWindowEndsAt.IsZero() {
		p.st.RefundWindowEndsAt = workflow.Now(ctx).Add(orDefault(p.in.RefundWindow, DefaultRefundWindow))
		p.details(ctx)
	}
	ends := false
	if wait := p.st.RefundWindowEndsAt.Sub(workflow.Now(ctx)); wait > 0 {
		timer := workflow.NewTimerWithOptions(ctx, wait, workflow.TimerOptions{
			Summary: "refund window ends at " + p.st.RefundWindowEndsAt.UTC().Format(time.RFC3339)})
		workflow.Go(ctx, func(ctx workflow.Context) {
			_ = timer.Get(ctx, nil)
			ends = true
		})
	} else {
		ends = true
	}
	for {
		long := false
		idle := func() bool {
			return !p.refund.busy && p.refundReservedAmount().Minor == 0 && workflow.AllHandlersFinished(ctx)
		}
		_ = workflow.Await(ctx, func() bool {
			long = historyLong(ctx)
			return ends || p.cancelRequested || (p.st.Status == StatusRefunded && idle()) ||
				(p.readWanted && !p.refund.busy) || (long && idle())
		})
		switch {
		case ends || p.cancelRequested || p.st.Status == StatusRefunded && idle():
			p.refund.closed = true
			p.logger(ctx).Info("refund window closed", "booking_id", p.in.BookingID, "status", string(p.st.Status))
			p.details(ctx) // no "refunds until" any more
			return
		case long && idle():
			p.continuing = true
			return
		case p.readWanted:
			p.readWanted = false
			// A refund that reached A55 meanwhile is decided by its own answer.
			if c, ok := p.read(ctx); ok && !p.refund.busy {
				p.applyRefundRead(ctx, c)
			}
		}
	}
}

// refundsContinue: a booking in its refund window, with nothing in flight,
// hands over to a new run.
func (p *payment) refundsContinue() bool {
	return p.refundWindowOpen() && p.st.Status == StatusCaptured && !p.refund.busy && p.refundReservedAmount().Minor == 0
}

// refundsInput is the refund state a continued run takes on.
func (p *payment) resumeRefunds(c *ContinuedBooking) {
	p.capturedBy = c.CapturedBy
	if c.State.Status == StatusCaptured {
		p.refund.version = 1 // only a booking in its refund window continues captured
	}
}

// validContinuedStatus: what a continued run may carry.
func validContinuedStatus(st PaymentState) bool {
	return st.Status == StatusAuthorized || st.Status == StatusCaptured && !st.RefundWindowEndsAt.IsZero()
}
