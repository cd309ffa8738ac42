package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// awaitChallenge waits for the 3DS challenge (or an undecided charge) to end:
// each webhook or 3ds_complete signal triggers a read; after ThreeDSTimeout
// the charge is read once more and, still undecided, cancelled.
func (p *payment) awaitChallenge(ctx workflow.Context) {
	waiting := func() bool { return p.st.Status == StatusAuthorizing || p.st.Status == StatusAwaiting3DS }
	tctx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	timedOut := false
	timer := workflow.NewTimerWithOptions(tctx, p.threeDSTimeout, workflow.TimerOptions{Summary: "3DS challenge timeout"})
	workflow.Go(ctx, func(ctx workflow.Context) {
		if timer.Get(ctx, nil) == nil {
			timedOut = true
		}
	})
	for waiting() {
		_ = workflow.Await(ctx, func() bool { return timedOut || p.readWanted || !waiting() || p.busy || p.cancelRequested })
		if !waiting() || p.busy || p.cancelRequested {
			return // a cancel update or a cancellation request took over
		}
		if p.readWanted && !timedOut {
			p.readWanted = false
			if c, ok := p.read(ctx); ok {
				p.applyAuthorizationRead(ctx, c)
			}
			continue
		}
		// Timed out: read once more before giving up.
		p.readWanted = false
		if c, ok := p.read(ctx); ok {
			p.applyAuthorizationRead(ctx, c)
		}
		if waiting() && !p.busy {
			p.abandon(ctx)
		}
		return
	}
}

// abandon cancels a challenge the card holder never completed (or a charge
// A55 left undecided).
func (p *payment) abandon(ctx workflow.Context) {
	reason := Reason3DSAbandoned
	if p.st.Status == StatusAuthorizing {
		reason = ReasonUndecided
	}
	if p.st.ChargeUUID == "" {
		p.fail(ctx, "A55 returned no charge id and no decision within "+p.threeDSTimeout.String())
		return
	}
	p.busy = true
	defer func() { p.busy = false }()
	p.transition(ctx, StatusVoiding, "no outcome within "+p.threeDSTimeout.String()+": cancelling the charge")
	res, err := p.cancelActivity(ctx, "3DS challenge abandoned", releaseBudget)
	if err != nil {
		phase := StatusAwaiting3DS
		if reason == ReasonUndecided {
			phase = StatusAuthorizing
		}
		p.needAttention(ctx, pendingOp{operation: opRelease, phase: phase, why: reason, a55Reason: "3DS challenge abandoned"},
			reason+": cancelling the charge failed: "+describe(err))
		return
	}
	switch res.Outcome {
	case OutcomeCaptured:
		p.capturedByA55(ctx, res.Charge, "the abandoned challenge's charge turned out captured ("+res.Charge.Status+")",
			pendingOp{operation: opRelease, phase: StatusAwaiting3DS, why: reason, a55Reason: "3DS challenge abandoned"})
	case OutcomeNothingHeld:
		p.decline(ctx, res.Charge.Code, res.Charge.Message, Reason3DSFailed)
	default:
		p.decline(ctx, "", "", reason)
	}
}
