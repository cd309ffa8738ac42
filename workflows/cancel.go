package workflows

import "go.temporal.io/sdk/workflow"

// A cancellation request (the Temporal UI's Request Cancellation button,
// `temporal workflow cancel`, a client's CancelWorkflow) means "stop this
// booking's payment". The workflow answers it as the booking system's cancel
// would: an authorization in flight gets its answer, a capture in flight
// finishes and is reported, and then whatever A55 still holds (the hold, or
// the pending 3DS charge) is released with the same idempotency key and
// read-before-retry rules as a cancel. The workflow then completes with the
// payment's status (voided, declined, or captured when a capture won the
// race), so a cancellation request never leaves a live hold without an owner
// and never a stuck workflow task.

// cancellationReason is what the release tells A55 and the status history.
const cancellationReason = "workflow cancellation requested (Temporal UI or CLI)"

// watchCancellation returns the context the payment runs on, which a
// cancellation request does not cancel, and notes the request when it comes.
func (p *payment) watchCancellation(ctx workflow.Context) workflow.Context {
	work, _ := workflow.NewDisconnectedContext(ctx)
	workflow.Go(work, func(wctx workflow.Context) {
		ctx.Done().Receive(wctx, nil)
		p.cancelRequested = true
		p.logger(wctx).Info("cancellation requested", "booking_id", p.in.BookingID, "status", string(p.st.Status))
	})
	return work
}

// releaseOnCancellation releases what A55 holds once a cancellation request
// has stopped the payment's waits; a money operation in flight decides
// instead, as its own answer ends the payment.
func (p *payment) releaseOnCancellation(ctx workflow.Context) {
	if p.busy || p.st.Status.Terminal() || p.st.ChargeUUID == "" {
		return
	}
	p.voidedBy = VoidedByCancellationRequest
	switch p.st.Status {
	case StatusAuthorizing, StatusAwaiting3DS, StatusAuthorized:
		_, _ = p.release(ctx, cancellationReason+": releasing the hold", "booking workflow cancelled")
	case StatusNeedsAttention:
		_, _ = p.releaseFrom(ctx, p.attn.phase, cancellationReason+": releasing the hold", "booking workflow cancelled")
	}
}
