package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/money"
)

// A booking needs a person when an operation on money could not reach a
// definite outcome while A55 may still hold money for it: the retries ran
// out (a credential rotated at check-out, A55 down for days), A55 refused
// the request for a reason retrying cannot fix, or it answered something
// that makes no sense for the charge. Such a booking is never ended
// "failed": it waits in needs_attention, still owning the charge, until an
// operator retries the operation or records what was done at A55 by hand
// (UpdateResolve, `bookingctl resolve`). "failed" is left for bookings where
// A55 provably holds nothing.

// The operations that can leave a booking needing attention.
const (
	opAuthorize = "authorize"
	opCapture   = "capture"
	opRelease   = "release"
	opRead      = "read" // A55 answered a status that makes no sense here
)

// pendingOp is the operation a booking in needs_attention could not finish,
// with what it takes to run it again.
type pendingOp struct {
	operation string
	// phase is the status the booking was in when it began.
	phase Status
	// capture
	amount money.Amount
	by     string
	// release
	why, a55Reason string
}

// needAttention parks the booking in needs_attention.
func (p *payment) needAttention(ctx workflow.Context, op pendingOp, problem string) {
	p.attn = &op
	p.logger(ctx).Warn("booking needs attention", "booking_id", p.in.BookingID, "charge_uuid", p.st.ChargeUUID,
		"operation", op.operation, "problem", problem)
	if p.transition(ctx, StatusNeedsAttention, op.operation+" did not finish: "+problem) {
		p.st.Attention = &Attention{Operation: op.operation, Since: workflow.Now(ctx), Problem: problem, Retryable: true}
		p.details(ctx)
	}
}

// provesNoCharge reports whether A55's refusal of the create call shows it
// created nothing: it rejected the request itself (invalid, unauthorized,
// unknown wallet). A timeout or an exhausted retry budget shows nothing.
func provesNoCharge(err error) bool {
	var app *temporal.ApplicationError
	if !errors.As(err, &app) {
		return false
	}
	switch app.Type() {
	case ErrTypeA55Invalid, ErrTypeA55Unauthorized, ErrTypeA55NotFound, ErrTypeHoldLimit:
		return true
	}
	return false
}

func (p *payment) validateResolve(_ workflow.Context, req ResolveRequest) error {
	if p.st.Status != StatusNeedsAttention || p.attn == nil {
		return fmt.Errorf("resolve refused: the booking does not need attention (status %s)", p.st.Status)
	}
	if p.busy {
		return errors.New("resolve refused: an operation on the charge is in progress")
	}
	if strings.TrimSpace(req.Who) == "" {
		return errors.New("resolve refused: who is required (the operator's name)")
	}
	if strings.TrimSpace(req.Why) == "" {
		return errors.New("resolve refused: why is required (what was checked or done at A55)")
	}
	switch req.Action {
	case ResolveRetry, ResolveMarkReleased:
		if req.Amount != nil {
			return fmt.Errorf("resolve refused: amount is only for %s", ResolveMarkCaptured)
		}
	case ResolveMarkCaptured:
		if req.Amount == nil {
			return errors.New("resolve refused: amount is required for mark_captured (what A55 shows as captured)")
		}
		if err := p.capturableAmount("resolve", *req.Amount); err != nil {
			return err
		}
	default:
		return fmt.Errorf("resolve refused: action %q is not one of %s, %s, %s", string(req.Action), ResolveRetry, ResolveMarkCaptured, ResolveMarkReleased)
	}
	return nil
}

func (p *payment) handleResolve(ctx workflow.Context, req ResolveRequest) (ResolveResult, error) {
	if err := p.takenMeanwhile("resolve", StatusNeedsAttention); err != nil {
		return ResolveResult{}, err
	}
	op := *p.attn
	by := strings.TrimSpace(req.Who) + " (" + strings.TrimSpace(req.Why) + ")"
	p.logger(ctx).Info("operator resolves the booking", "booking_id", p.in.BookingID, "action", string(req.Action), "operation", op.operation)
	switch req.Action {
	case ResolveMarkCaptured:
		if p.st.Authorized.IsZero() {
			p.st.Authorized = p.in.Amount
		}
		p.st.Captured, p.capturedBy = *req.Amount, CapturedByOperator
		p.upsert(AuthorizedAmountKey.ValueSet(p.st.Authorized.Minor), CapturedAmountKey.ValueSet(p.st.Captured.Minor))
		p.transition(ctx, StatusCaptured, "marked captured "+req.Amount.Display()+" at A55 by "+by)
	case ResolveMarkReleased:
		p.voidedBy = VoidedByOperator
		p.transition(ctx, StatusVoided, "marked released at A55 by "+by)
	case ResolveRetry:
		p.retry(ctx, op, by)
	}
	return ResolveResult{Status: p.st.Status, Reason: p.st.Reason}, nil
}

// retry runs the operation that could not finish again, with its idempotency
// key; failing again parks the booking in needs_attention again.
func (p *payment) retry(ctx workflow.Context, op pendingOp, by string) {
	switch op.operation {
	case opCapture:
		_, _ = p.capture(ctx, op.amount, op.by)
	case opRelease:
		_, _ = p.releaseFrom(ctx, op.phase, op.why, op.a55Reason)
	case opAuthorize:
		p.transition(ctx, StatusAuthorizing, "retry of the create call by "+by)
		p.authorize(ctx)
	case opRead:
		c, ok := p.read(ctx)
		if !ok {
			return // still unreadable: the booking keeps needing attention
		}
		p.transition(ctx, op.phase, "charge re-read on the request of "+by)
		if op.phase == StatusAuthorized {
			p.applyHeldRead(ctx, c)
		} else {
			p.applyAuthorizationRead(ctx, c)
		}
	}
}
