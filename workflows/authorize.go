package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
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
		CardToken:      p.in.CardToken,
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
	if p.in.CardToken != nil {
		// After the outcome below is applied: a booking that ends here still
		// waits for its key to go.
		defer p.shredCard(ctx, err)
	}
	if err != nil {
		if isCardDataExpired(err) {
			p.decline(ctx, ReasonCardDataExpired, "the card's key is destroyed or past its lifetime: ask the guest for the card again", ReasonCardDataExpired)
			return
		}
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

// ChangeCardVault is the patch (workflow.GetVersion) that destroys a card
// token's key once A55 has answered the create call. Recorded histories:
// testdata/card-vault/.
const ChangeCardVault = "card-vault"

// destroyKeyBudget bounds the destroy call: past it the key has reached its
// lifetime anyway and the store's sweep destroys it.
const destroyKeyBudget = 30 * time.Minute

// shredCard destroys the booking's card key once A55's answer to the create
// call (authorizeErr nil: a charge exists, whatever its status; or a refusal
// that proves no charge exists) is in the history: the destroy activity is
// scheduled in the workflow task that records the answer, so it runs only
// after the answer is durable, and a replay never needs the card again.
// Without a definite answer the key stays for a retry (an operator's
// resolve) until its lifetime ends. A booking that ends now waits for the
// destroy; one that goes on lets it finish in the background.
func (p *payment) shredCard(ctx workflow.Context, authorizeErr error) {
	reason := cardvault.ReasonAnswered
	switch {
	case authorizeErr == nil:
	case provesNoCharge(authorizeErr):
		reason = cardvault.ReasonNoCharge
	default:
		return
	}
	if workflow.GetVersion(ctx, ChangeCardVault, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    activityStartToClose,
		ScheduleToCloseTimeout: destroyKeyBudget,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second},
		Summary:                "destroy the card key (A55 answered)",
	})
	f := workflow.ExecuteActivity(actx, ActivityDestroyCardKey, DestroyCardKeyInput{
		KeyID: p.in.CardToken.KeyID, BookingID: p.in.BookingID, Reason: reason})
	wait := func(ctx workflow.Context) {
		if err := f.Get(ctx, nil); err != nil {
			p.logger(ctx).Warn("destroying the card key failed: the store's sweep destroys it at the end of its lifetime",
				"booking_id", p.in.BookingID, "key_id", p.in.CardToken.KeyID, "error", describe(err))
		}
	}
	if p.st.Status.Terminal() {
		wait(ctx)
		return
	}
	workflow.Go(ctx, wait)
}

// isCardDataExpired: the activity could not open the card token (its key is
// destroyed or expired): nothing was sent to A55.
func isCardDataExpired(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == ErrTypeCardDataExpired
}
