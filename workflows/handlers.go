package workflows

import (
	"errors"
	"fmt"
	"time"

	"github.com/hotelpay/a55-temporal/money"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// register installs the booking's query, update and signal handlers: what
// the booking system, the webhook receiver and operators can ask and say.
//
// Handlers are registered on the workflow's context; the signal loop runs on
// work, which a cancellation request does not cancel.
func (p *payment) register(ctx, work workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (PaymentState, error) {
		s := p.st
		s.History = append([]Transition(nil), p.st.History...)
		return s, nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateAuthorization, p.handleAuthorization,
		workflow.UpdateHandlerOptions{Validator: p.validateAuthorization}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCapture, p.handleCapture,
		workflow.UpdateHandlerOptions{Validator: p.validateCapture}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCancel, p.handleCancel,
		workflow.UpdateHandlerOptions{Validator: p.validateCancel}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateMoveCaptureTime, p.handleMoveCaptureTime,
		workflow.UpdateHandlerOptions{Validator: p.validateMoveCaptureTime}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateReplaceHold, p.handleReplaceHold,
		workflow.UpdateHandlerOptions{Validator: p.validateReplaceHold}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateResolve, p.handleResolve,
		workflow.UpdateHandlerOptions{Validator: p.validateResolve}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateRefund, p.handleRefund,
		workflow.UpdateHandlerOptions{Validator: p.validateRefund}); err != nil {
		return err
	}
	// The webhook receiver delivers A55 webhooks as this update (a redundant
	// one is rejected and leaves no event), falling back to the signal below.
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateChargeChanged, p.handleChargeChanged,
		workflow.UpdateHandlerOptions{Validator: p.validateChargeChanged}); err != nil {
		return err
	}
	// Signals are drained by one coroutine for the whole run, so a webhook
	// that arrives before the create call returns is kept (as readWanted)
	// and answered by a read once the charge id is known.
	changed := workflow.GetSignalChannel(ctx, SignalChargeChanged)
	completed := workflow.GetSignalChannel(ctx, Signal3DSComplete)
	workflow.Go(work, func(ctx workflow.Context) {
		for {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(changed, func(c workflow.ReceiveChannel, _ bool) {
				var s ChargeChangedSignal
				c.Receive(ctx, &s)
				p.onChargeChanged(ctx, s)
			})
			sel.AddReceive(completed, func(c workflow.ReceiveChannel, _ bool) {
				var s ThreeDSCompleteSignal
				c.Receive(ctx, &s)
				p.on3DSComplete(ctx, s)
			})
			sel.Select(ctx)
		}
	})
	return nil
}

// onChargeChanged takes a webhook, as the signal or the accepted update: it
// only asks for a read of the charge. s.Status is only the sender's claim:
// LastA55Status records reads, never a webhook's word (a forged one must not
// show there).
func (p *payment) onChargeChanged(ctx workflow.Context, s ChargeChangedSignal) {
	if why := p.webhookIgnored(s); why != "" {
		p.logger(ctx).Info("webhook ignored", "charge_uuid", s.ChargeUUID, "why", why)
		return
	}
	if p.replacementWebhook(s.ChargeUUID) {
		return
	}
	if p.readsExhausted() && p.boundsOn(ctx) {
		p.logger(ctx).Info("webhook ignored", "charge_uuid", s.ChargeUUID, "why", whyReadsExhausted)
		return
	}
	p.readWanted = true
}

const whyReadsExhausted = "webhooks brought nothing new on the last reads; A55's answer to the next capture, cancel or deadline decides"

// webhookIgnored says why a webhook needs no read of the charge, or "" when
// it does. It only reads state: the update's validator must not change it.
// (A busy operation's own answer ends the payment, so a read it would ask for
// is never made; a read already due covers this webhook too.)
func (p *payment) webhookIgnored(s ChargeChangedSignal) string {
	if why, about := p.replacementWebhookIgnored(s.ChargeUUID); about {
		return why
	}
	switch {
	case p.st.ChargeUUID != "" && s.ChargeUUID != "" && s.ChargeUUID != p.st.ChargeUUID:
		return "it is about another charge"
	case p.st.Status.Terminal() && !p.refundWindowOpen():
		return "the payment is already " + string(p.st.Status)
	case p.busy:
		return "a capture or cancel is in flight and its own answer decides"
	case p.readWanted:
		return "a read of the charge is already due"
	case p.st.ChargeUUID != "" && s.Status != "" && s.Status == p.lastReadStatus:
		return "the last read already showed " + s.Status
	case p.readsExhausted() && p.bounded == 1:
		return whyReadsExhausted
	}
	return ""
}

func (p *payment) validateChargeChanged(_ workflow.Context, s ChargeChangedSignal) error {
	if why := p.webhookIgnored(s); why != "" {
		return temporal.NewNonRetryableApplicationError("webhook ignored: "+why, ErrTypeWebhookIgnored, nil)
	}
	return nil
}

// handleChargeChanged runs for an update the validator accepted.
func (p *payment) handleChargeChanged(ctx workflow.Context, s ChargeChangedSignal) error {
	p.onChargeChanged(ctx, s)
	return nil
}

func (p *payment) on3DSComplete(ctx workflow.Context, s ThreeDSCompleteSignal) {
	if p.replacementWebhook(s.ChargeUUID) {
		return
	}
	if p.st.ChargeUUID != "" && s.ChargeUUID != "" && s.ChargeUUID != p.st.ChargeUUID {
		p.logger(ctx).Warn("3DS completion for another charge ignored", "charge_uuid", s.ChargeUUID)
		return
	}
	if p.st.Status.Terminal() || p.readsExhausted() && p.boundsOn(ctx) {
		return
	}
	p.readWanted = true
}

// validateAuthorization refuses a request that differs from the one the
// booking was started with: the booking system asked for another payment
// under the same booking id.
func (p *payment) validateAuthorization(_ workflow.Context, req AuthorizationRequest) error {
	if diff := req.Mismatch(p.request); diff != "" {
		return fmt.Errorf("authorization refused: booking %s exists with another request; this one differs in %s: use a new booking id for another payment", p.in.BookingID, diff)
	}
	return nil
}

func (p *payment) handleAuthorization(ctx workflow.Context, _ AuthorizationRequest) (AuthorizationResult, error) {
	if err := workflow.Await(ctx, func() bool { return p.st.Status != StatusAuthorizing && p.st.Status != "" }); err != nil {
		return AuthorizationResult{}, err
	}
	return p.authorizationResult(), nil
}

func (p *payment) authorizationResult() AuthorizationResult {
	r := p.result().Authorization()
	r.CaptureDeadline = p.st.CaptureDeadline
	if p.st.Status == StatusAwaiting3DS {
		r.URL3DS = p.st.URL3DS
	}
	return r
}

// takenMeanwhile is the one check an update handler makes before it acts:
// that no other handler took the hold, or ended or parked the payment,
// between this update's validation and its start (two updates accepted in
// one workflow task). It reads state only, never a rule. The rules live in
// the validators, which the SDK skips on replay precisely so that they can
// change; a handler that ran them again would replay an update accepted
// under an older rule differently (TestUpdatesAcceptedUnderAnOlderRuleReplay).
// Change this check only behind a workflow.GetVersion.
func (p *payment) takenMeanwhile(what string, wanted ...Status) error {
	if p.busy {
		return fmt.Errorf("%s refused: another operation on the hold started first", what)
	}
	for _, s := range wanted {
		if p.st.Status == s {
			return nil
		}
	}
	return fmt.Errorf("%s refused: the payment became %s first", what, p.st.Status)
}

// moneyOpAllowed is the common rule of capture, cancel and move: the hold is
// authorized, nothing else is acting on it, and the deadline has not come.
func (p *payment) moneyOpAllowed(ctx workflow.Context, what string) error {
	switch p.st.Status {
	case StatusAuthorized:
	case StatusCapturing:
		return fmt.Errorf("%s refused: a capture is already in progress", what)
	case StatusVoiding:
		return fmt.Errorf("%s refused: the hold is being released", what)
	case StatusCaptured:
		return fmt.Errorf("%s refused: the payment is already captured (%s)", what, p.st.Captured.Display())
	case StatusNeedsAttention:
		return fmt.Errorf("%s refused: the booking needs attention (%s did not finish: %s); an operator resolves it first",
			what, p.st.Attention.Operation, p.st.Attention.Problem)
	default:
		return fmt.Errorf("%s refused: the payment is %s, not authorized", what, p.st.Status)
	}
	if p.busy {
		return fmt.Errorf("%s refused: another operation on the hold is in progress", what)
	}
	if p.cancelRequested {
		return fmt.Errorf("%s refused: the workflow's cancellation was requested and the hold is being released", what)
	}
	if p.deadline.due || !workflow.Now(ctx).Before(p.st.CaptureDeadline) {
		return fmt.Errorf("%s refused: the capture deadline %s has passed and the deadline policy (%s) applies",
			what, p.st.CaptureDeadline.UTC().Format(time.RFC3339), p.in.DeadlinePolicy.Action)
	}
	return nil
}

func (p *payment) validateCapture(ctx workflow.Context, req CaptureRequest) error {
	if req.Amount != nil {
		if err := p.capturableAmount("capture", *req.Amount); err != nil {
			return err
		}
	}
	return p.moneyOpAllowed(ctx, "capture")
}

// capturableAmount is the rule for an amount captured from the hold, by a
// capture or by an operator's mark_captured: the hold's currency, more than
// zero, at most the hold.
func (p *payment) capturableAmount(what string, a money.Amount) error {
	if a.Currency != p.in.Amount.Currency {
		return fmt.Errorf("%s refused: amount.currency %q differs from the authorized currency %s", what, string(a.Currency), p.in.Amount.Currency)
	}
	if a.Minor <= 0 {
		return fmt.Errorf("%s refused: amount must be positive (got %d minor units)", what, a.Minor)
	}
	if a.Minor > p.in.Amount.Minor {
		return fmt.Errorf("%s refused: %s is more than the authorized %s", what, a.Display(), p.in.Amount.Display())
	}
	return nil
}

func (p *payment) handleCapture(ctx workflow.Context, req CaptureRequest) (CaptureResult, error) {
	if err := p.takenMeanwhile("capture", StatusAuthorized); err != nil {
		return CaptureResult{}, err
	}
	amount := p.st.Authorized
	if req.Amount != nil {
		amount = *req.Amount
	}
	return p.capture(ctx, amount, CapturedByRequest)
}

func (p *payment) validateCancel(ctx workflow.Context, _ CancelRequest) error {
	if p.st.Status == StatusAwaiting3DS && !p.busy && !p.cancelRequested {
		return nil // abandoning a challenge in progress is allowed
	}
	return p.moneyOpAllowed(ctx, "cancel")
}

func (p *payment) handleCancel(ctx workflow.Context, req CancelRequest) (CancelResult, error) {
	if err := p.takenMeanwhile("cancel", StatusAuthorized, StatusAwaiting3DS); err != nil {
		return CancelResult{}, err
	}
	reason := "cancel requested"
	if req.Reason != "" {
		reason += ": " + req.Reason
	}
	p.voidedBy = VoidedByCancel
	return p.release(ctx, reason, req.Reason)
}

func (p *payment) validateMoveCaptureTime(ctx workflow.Context, req MoveCaptureTimeRequest) error {
	if req.ExpectedCaptureAt.IsZero() {
		return errors.New("move_capture_time refused: expected_capture_at is required")
	}
	if !req.ExpectedCaptureAt.After(workflow.Now(ctx)) {
		return fmt.Errorf("move_capture_time refused: expected_capture_at %s is not in the future",
			req.ExpectedCaptureAt.UTC().Format(time.RFC3339))
	}
	if err := p.checkoutWithinReach(req.ExpectedCaptureAt); err != nil {
		return err
	}
	return p.moneyOpAllowed(ctx, "move_capture_time")
}

func (p *payment) handleMoveCaptureTime(ctx workflow.Context, req MoveCaptureTimeRequest) (MoveCaptureTimeResult, error) {
	if err := p.takenMeanwhile("move_capture_time", StatusAuthorized); err != nil {
		return MoveCaptureTimeResult{}, err
	}
	p.st.ExpectedCaptureAt = req.ExpectedCaptureAt
	p.st.CaptureDeadline = captureDeadline(req.ExpectedCaptureAt, p.grace, p.st.HoldExpiresAt, p.margin)
	p.dropStaleReauthorization()
	p.logger(ctx).Info("capture time moved", "expected_capture_at", req.ExpectedCaptureAt, "capture_deadline", p.st.CaptureDeadline)
	p.upsert(CaptureDeadlineKey.ValueSet(p.st.CaptureDeadline))
	p.flushSA(ctx)
	p.details(ctx)
	// The main loop sees the new deadline and re-arms its timer.
	return MoveCaptureTimeResult{ExpectedCaptureAt: p.st.ExpectedCaptureAt, CaptureDeadline: p.st.CaptureDeadline}, nil
}
