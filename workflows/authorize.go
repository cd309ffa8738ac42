package workflows

import (
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"go.temporal.io/sdk/workflow"
)

func (p *payment) authorize(ctx workflow.Context) {
	p.authorizeStartedAt = workflow.Now(ctx)
	in := AuthorizeInput{
		IdempotencyKey: p.wfID + "/authorize",
		WorkflowID:     p.wfID,
		BookingID:      p.in.BookingID,
		WalletUUID:     p.in.WalletUUID,
		MerchantID:     p.in.MerchantID,
		Payer:          p.in.Payer,
		Amount:         p.in.Amount,
		Description:    p.in.Description,
		Card:           p.in.Card,
		ThreeDS:        p.in.ThreeDS,
		DeviceInfo:     p.in.DeviceInfo,
		WebhookBaseURL: p.in.WebhookBaseURL,
		ReturnURL:      p.in.ReturnURL,
		DueDate:        p.authorizeStartedAt.UTC().Format(time.DateOnly),
	}
	// The card goes to this one activity and nowhere else; drop our copies.
	p.in.Card = a55client.Card{}
	var res AuthorizeResult
	err := p.callA55(ctx, ActivityAuthorize, "authorize "+p.in.Amount.Display()+" (hold, capture:false)", authorizeBudget, in).Get(ctx, &res)
	in.Card = a55client.Card{}
	if err != nil {
		if provesNoCharge(err) {
			p.fail(ctx, "A55 refused the authorization (no charge was created): "+describe(err))
			return
		}
		p.needAttention(ctx, pendingOp{operation: opAuthorize, phase: StatusAuthorizing},
			"the create call got no definite answer: "+describe(err)+
				"; A55 may hold a charge with reference_external_id "+p.in.BookingID)
		return
	}
	p.setCharge(ctx, res.Charge.ChargeUUID)
	p.noteRead(res.Charge)
	if res.Declined {
		p.decline(ctx, res.DeclineCode, res.DeclineMessage, "declined by A55")
		return
	}
	p.applyAuthorizationRead(ctx, res.Charge)
}

// applyAuthorizationRead moves an authorization in progress according to what
// A55 says about the charge.
func (p *payment) applyAuthorizationRead(ctx workflow.Context, c ChargeView) {
	if p.st.Status != StatusAuthorizing && p.st.Status != StatusAwaiting3DS {
		return
	}
	in3DS := p.st.Status == StatusAwaiting3DS
	switch c.State {
	case a55client.StateAuthorized:
		p.authorized(ctx)
	case a55client.StatePending3DS:
		if c.URL3DS != "" {
			p.st.URL3DS = c.URL3DS
		}
		if !in3DS {
			p.transition(ctx, StatusAwaiting3DS, "the issuer asked for a 3DS challenge")
		}
	case a55client.StateFailed:
		reason := "declined by A55"
		if in3DS {
			reason = Reason3DSFailed
		}
		p.decline(ctx, c.Code, c.Message, reason)
	case a55client.StateCanceled:
		reason := "A55 canceled the charge before it was authorized"
		if in3DS {
			reason = Reason3DSAbandoned
		}
		p.decline(ctx, c.Code, c.Message, reason)
	case a55client.StateCaptured:
		if isApprovedHold(c) {
			p.authorized(ctx)
			return
		}
		p.needAttention(ctx, pendingOp{operation: opRead, phase: p.st.Status},
			"A55 reports the charge "+c.Status+" although it was created with capture:false and this workflow never captured it: check what A55 captured")
	case a55client.StateProcessing, a55client.StateUnknown:
		// Not decided yet: wait for a webhook or the timeout.
	default:
		p.needAttention(ctx, pendingOp{operation: opRead, phase: p.st.Status}, "A55 reports the charge as "+c.Status+" during authorization")
	}
}

// awaitChallenge waits for the 3DS challenge (or an undecided charge) to end:
// each webhook or 3ds_complete signal triggers a read; after ThreeDSTimeout
// the charge is read once more and, still undecided, cancelled.

// authorized records the hold and computes the capture deadline.
func (p *payment) authorized(ctx workflow.Context) {
	now := workflow.Now(ctx)
	p.st.Authorized = p.in.Amount
	p.st.AuthorizedAt = now
	// The hold is counted from when we asked for it: never later than A55's clock.
	p.st.HoldExpiresAt = p.authorizeStartedAt.Add(p.holdWindow)
	p.st.CaptureDeadline = captureDeadline(p.st.ExpectedCaptureAt, p.grace, p.st.HoldExpiresAt, p.margin)
	p.st.URL3DS = ""
	p.upsert(AuthorizedAmountKey.ValueSet(p.st.Authorized.Minor), CaptureDeadlineKey.ValueSet(p.st.CaptureDeadline))
	p.transition(ctx, StatusAuthorized, "hold placed")
}

// holdLoop waits in authorized for a capture or cancel update, a webhook, a
// moved capture time, or the deadline.
