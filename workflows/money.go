package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/money"
)

// Money operations run one at a time (busy): a capture or a release holds
// the booking until A55's answer decides its outcome.

func (p *payment) capture(ctx workflow.Context, amount money.Amount, by string) (CaptureResult, error) {
	// Update handlers run on the workflow's context: a cancellation request
	// must not cut a capture short and leave its outcome unknown.
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	p.busy = true
	defer func() { p.busy = false }()
	p.transition(ctx, StatusCapturing, "capture "+amount.Display()+" ("+by+")")
	// A capture moves money: a regular activity, so the update's acceptance
	// and the scheduled call are recorded together before A55 is asked (see
	// callA55 for why reads and the create call differ).
	actx := p.moneyActivityContext(ctx, "capture "+amount.Display(), p.moneyBudget(ctx))
	var res OperationResult
	err := workflow.ExecuteActivity(actx, ActivityCapture, CaptureInput{
		IdempotencyKey: p.wfID + "/capture",
		WalletUUID:     p.in.WalletUUID,
		ChargeUUID:     p.st.ChargeUUID,
		Amount:         &amount,
	}).Get(ctx, &res)
	if err != nil {
		return CaptureResult{}, p.captureNotDone(ctx, amount, by, describe(err))
	}
	p.noteRead(res.Charge)
	switch res.Outcome {
	case OutcomeCaptured:
		// What was captured is what A55 says; our request stands in only
		// when its answer (an earlier attempt's, recovered by a read)
		// carries no amount.
		captured := amount
		if res.Charge.Captured != nil {
			captured = *res.Charge.Captured
		}
		released, _ := p.st.Authorized.Sub(captured)
		p.st.Captured = captured
		p.st.CaptureRequested = amount
		p.capturedBy = by
		p.upsert(CapturedAmountKey.ValueSet(captured.Minor))
		reason := "captured " + captured.Display()
		if res.Recovered {
			reason += " (an earlier attempt had captured it)"
		}
		if captured != amount {
			reason += "; CAPTURE AMOUNT DIFFERS: " + amount.Display() + " was asked (the acquirer may not support partial capture)"
			p.logger(ctx).Warn("A55 captured another amount than asked", "booking_id", p.in.BookingID,
				"charge_uuid", p.st.ChargeUUID, "asked_minor", amount.Minor, "captured_minor", captured.Minor)
		}
		p.transition(ctx, StatusCaptured, reason)
		return CaptureResult{ChargeUUID: p.st.ChargeUUID, Captured: captured, Released: released, Status: StatusCaptured}, nil
	case OutcomeExpired:
		p.transition(ctx, StatusExpired, "A55 refused the capture: the hold lapsed (charge "+res.Charge.Status+")")
		return CaptureResult{}, temporal.NewApplicationError(p.st.Reason, ErrTypeHoldExpired)
	}
	return CaptureResult{}, p.captureNotDone(ctx, amount, by, "A55 answered "+string(res.Outcome)+" (charge "+res.Charge.Status+")")
}

// captureNotDone parks the booking in needs_attention and tells the caller.
func (p *payment) captureNotDone(ctx workflow.Context, amount money.Amount, by, problem string) error {
	p.needAttention(ctx, pendingOp{operation: opCapture, phase: StatusAuthorized, amount: amount, by: by}, problem)
	return temporal.NewApplicationError("capture of "+amount.Display()+" did not finish: "+problem+
		"; the booking needs attention (an operator resolves it)", ErrTypeCaptureFailed)
}

func (p *payment) release(ctx workflow.Context, why, a55Reason string) (CancelResult, error) {
	return p.releaseFrom(ctx, p.st.Status, why, a55Reason)
}

// releaseFrom is release for a booking that was in phase when the release
// began (a retried release starts from needs_attention).
func (p *payment) releaseFrom(ctx workflow.Context, phase Status, why, a55Reason string) (CancelResult, error) {
	ctx, _ = workflow.NewDisconnectedContext(ctx) // as capture
	p.busy = true
	defer func() { p.busy = false }()
	from3DS := phase == StatusAwaiting3DS
	p.transition(ctx, StatusVoiding, why)
	budget := releaseBudget
	if !from3DS {
		budget = p.moneyBudget(ctx)
	}
	res, err := p.cancelActivity(ctx, a55Reason, budget)
	if err != nil {
		problem := describe(err)
		p.needAttention(ctx, pendingOp{operation: opRelease, phase: phase, why: why, a55Reason: a55Reason}, problem)
		return CancelResult{}, temporal.NewApplicationError("release of the hold did not finish: "+problem+
			"; the booking needs attention (an operator resolves it)", ErrTypeCancelFailed)
	}
	p.noteRead(res.Charge)
	if res.Outcome == OutcomeCaptured {
		p.capturedByA55(ctx, res.Charge, "the cancel found the charge already captured ("+res.Charge.Status+"): refund it if needed",
			pendingOp{operation: opRelease, phase: phase, why: why, a55Reason: a55Reason})
		return CancelResult{}, temporal.NewApplicationError("release refused: A55 reports the charge captured ("+res.Charge.Status+")", ErrTypeCancelFailed)
	}
	if res.Outcome == OutcomeNothingHeld {
		if from3DS {
			p.decline(ctx, res.Charge.Code, res.Charge.Message, Reason3DSFailed)
			return CancelResult{ChargeUUID: p.st.ChargeUUID, Status: p.st.Status}, nil
		}
		p.transition(ctx, StatusVoided, "nothing to release: A55 reports the charge "+res.Charge.Status)
		return CancelResult{ChargeUUID: p.st.ChargeUUID, Status: StatusVoided}, nil
	}
	if from3DS {
		p.decline(ctx, "", "", "cancelled during the 3DS challenge: "+why)
		return CancelResult{ChargeUUID: p.st.ChargeUUID, Status: p.st.Status}, nil
	}
	p.transition(ctx, StatusVoided, "hold released: "+why)
	return CancelResult{ChargeUUID: p.st.ChargeUUID, Status: StatusVoided}, nil
}

// capturedByA55 records a capture that A55 reports and this workflow's
// capture call did not make (the charge was captured by another channel),
// for the amount A55's answer gives. An answer without an amount is only a
// status word: the booking needs a person to check what A55 captured.
func (p *payment) capturedByA55(ctx workflow.Context, c ChargeView, reason string, op pendingOp) {
	if c.Captured == nil {
		p.needAttention(ctx, op, reason+"; A55 did not say how much: check what it captured")
		return
	}
	if p.st.Authorized.IsZero() {
		p.st.Authorized = p.in.Amount
	}
	p.st.Captured = *c.Captured
	p.capturedBy = CapturedByA55
	p.upsert(AuthorizedAmountKey.ValueSet(p.st.Authorized.Minor), CapturedAmountKey.ValueSet(p.st.Captured.Minor))
	p.transition(ctx, StatusCaptured, reason+": A55 captured "+c.Captured.Display())
}

// isApprovedHold: A55's public documents call an approved charge that waits
// for its capture "confirmed", where the seeds say "authorized" (and use
// "confirmed" after a capture). For a charge this workflow created with
// capture:false and has not captured, "confirmed" is the hold, whatever the
// client's vocabulary maps it to: money is captured only by this
// workflow's capture call or an answer that says how much.
func isApprovedHold(c ChargeView) bool {
	return a55client.IsConfirmed(c.Status) && c.Captured == nil
}

func (p *payment) cancelActivity(ctx workflow.Context, reason string, budget time.Duration) (OperationResult, error) {
	actx := p.moneyActivityContext(ctx, "release the hold of "+p.in.Amount.Display(), budget)
	var res OperationResult
	err := workflow.ExecuteActivity(actx, ActivityCancel, CancelInput{
		IdempotencyKey: p.wfID + "/cancel",
		WalletUUID:     p.in.WalletUUID,
		ChargeUUID:     p.st.ChargeUUID,
		Reason:         reason,
	}).Get(ctx, &res)
	return res, err
}

// moneyBudget keeps a capture or cancel retrying until the hold lapses (and
// not longer: after that A55 cannot act on it).
func (p *payment) moneyBudget(ctx workflow.Context) time.Duration {
	if p.st.HoldExpiresAt.IsZero() {
		return releaseBudget // not authorized yet: no known expiry
	}
	left := p.st.HoldExpiresAt.Sub(workflow.Now(ctx))
	if left < minMoneyBudget {
		return minMoneyBudget
	}
	return left
}
