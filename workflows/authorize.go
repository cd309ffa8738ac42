package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
)

// changeFindCharges is the GetVersion change id of the look-up by booking
// at A55 before the create call and after it failed (adoptExisting); its
// histories are in testdata/find-charges-by-booking.
const changeFindCharges = "find-charges-by-booking"

func (p *payment) authorize(ctx workflow.Context) {
	p.authorizeStartedAt = workflow.Now(ctx)
	lookUp := workflow.GetVersion(ctx, changeFindCharges, workflow.DefaultVersion, 1) >= 1
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
	// cardAnswer says why the card key goes once the outcome is applied (a
	// booking that ends here still waits for it); empty keeps the key for a
	// retry, an operator's, until its lifetime ends.
	var cardAnswer string
	if p.in.CardToken != nil {
		defer func() { p.shredCard(ctx, cardAnswer) }()
	}
	if lookUp && p.adoptExisting(ctx, "before creating a charge") {
		cardAnswer = cardvault.ReasonAnswered // A55 holds the booking's charge: the card is not needed
		return
	}
	var res AuthorizeResult
	err := p.callA55(ctx, ActivityAuthorize, "authorize "+p.in.Amount.Display()+" (hold, capture:false)", authorizeBudget, in).Get(ctx, &res)
	in.Card = a55client.Card{}
	cardAnswer = cardKeyReason(err)
	if err != nil {
		if lookUp && p.adoptExisting(ctx, "after the create call failed") {
			// An earlier attempt's charge (its answer lost): A55 has answered.
			cardAnswer = cardvault.ReasonAnswered
			return
		}
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

// adoptExisting looks the booking up at A55 (its charges by
// reference_external_id) and adopts what is there, so that a booking has at
// most one live hold whatever happened before: a create call whose answer
// was lost or refused (a 409 after the key was used), or a Reset of the
// workflow after A55 forgot the Idempotency-Key (24 h), which would
// otherwise place a second hold. It reports whether the authorization is
// settled by what A55 holds (adopted, or in front of a person); false means
// A55 holds nothing live for the booking (or could not be asked): create.
//
// The oldest live charge is adopted, any other live one released; a charge
// A55 already captured, or a hold of another amount, needs a person.
func (p *payment) adoptExisting(ctx workflow.Context, when string) bool {
	var found FindChargesResult
	if err := p.callA55(ctx, ActivityFindCharges, "look booking "+p.in.BookingID+" up at A55 ("+when+")", readBudget,
		FindChargesInput{WalletUUID: p.in.WalletUUID, BookingID: p.in.BookingID}).Get(ctx, &found); err != nil {
		// The Idempotency-Key still guards the create call for 24 h, and
		// the reconciliation releases a second charge of a booking.
		p.logger(ctx).Warn("looking the booking up at A55 failed", "booking_id", p.in.BookingID, "when", when, "error", describe(err))
		return false
	}
	var live []ChargeView
	for _, c := range found.Charges {
		switch {
		case c.State == a55client.StateFailed || c.State == a55client.StateCanceled:
			// Nothing held.
		case isApprovedHold(c) || !moneyTaken(c.State):
			live = append(live, c)
		default:
			p.setCharge(ctx, c.ChargeUUID)
			p.noteRead(c)
			p.needAttention(ctx, pendingOp{operation: opRead, phase: StatusAuthorizing},
				"A55 already has charge "+c.ChargeUUID+" for this booking in status "+c.Status+" ("+when+"): no hold was placed; check what A55 captured")
			return true
		}
	}
	if len(live) == 0 {
		return false
	}
	keep, extras := p.chargeToAdopt(ctx, live)
	p.setCharge(ctx, keep.ChargeUUID)
	p.noteRead(keep)
	p.logger(ctx).Info("adopting the charge A55 holds for the booking", "booking_id", p.in.BookingID, "charge_uuid", keep.ChargeUUID, "status", keep.Status, "when", when)
	for _, extra := range extras {
		p.releaseExtra(ctx, extra)
	}
	if keep.Amount != nil && *keep.Amount != p.in.Amount {
		p.needAttention(ctx, pendingOp{operation: opRead, phase: StatusAuthorizing},
			"A55 holds "+keep.Amount.Display()+" on charge "+keep.ChargeUUID+" for this booking, which asks for "+p.in.Amount.Display()+" ("+when+"): no second hold was placed")
		return true
	}
	// The hold lapses counted from when A55 created it.
	if !keep.CreatedAt.IsZero() && keep.CreatedAt.Before(p.authorizeStartedAt) {
		p.authorizeStartedAt = keep.CreatedAt
	}
	p.applyAuthorizationRead(ctx, keep)
	return true
}

// moneyTaken: A55 reports money taken from the card (captured, refunded,
// disputed), not a hold.
func moneyTaken(s a55client.State) bool {
	switch s {
	case a55client.StateCaptured, a55client.StateRefunded, a55client.StateRefundFailed, a55client.StateDisputed:
		return true
	}
	return false
}

// releaseExtra releases a second live charge of the booking, under its own
// key. Should it fail, the reconciliation releases it (a second charge of a
// booking whose workflow owns another).
func (p *payment) releaseExtra(ctx workflow.Context, c ChargeView) {
	actx := p.moneyActivityContext(ctx, "release extra charge "+c.ChargeUUID, releaseBudget)
	var res OperationResult
	err := workflow.ExecuteActivity(actx, ActivityCancel, CancelInput{
		IdempotencyKey: p.wfID + "/release-extra/" + c.ChargeUUID,
		WalletUUID:     p.in.WalletUUID,
		ChargeUUID:     c.ChargeUUID,
		Reason:         "second charge of booking " + p.in.BookingID,
	}).Get(ctx, &res)
	if err != nil {
		p.logger(ctx).Warn("releasing a second charge of the booking failed; the reconciliation releases it", "booking_id", p.in.BookingID, "charge_uuid", c.ChargeUUID, "error", describe(err))
		return
	}
	p.logger(ctx).Info("released a second charge of the booking", "booking_id", p.in.BookingID, "charge_uuid", c.ChargeUUID, "outcome", string(res.Outcome))
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
// destroy; one that goes on lets it finish in the background and waits for
// it before its run closes (BookingPayment), so no run ends with its key
// left to the sweep.
func (p *payment) shredCard(ctx workflow.Context, reason string) {
	if reason == "" {
		return
	}
	if workflow.GetVersion(ctx, ChangeCardVault, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	p.destroyCardKey(ctx, p.in.CardToken.KeyID, reason)
}

// destroyCardKey schedules the destruction of a card key (the booking's, or
// a replacement's) and makes the run wait for it before it closes.
func (p *payment) destroyCardKey(ctx workflow.Context, keyID, reason string) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    activityStartToClose,
		ScheduleToCloseTimeout: destroyKeyBudget,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second},
		Summary:                "destroy the card key (A55 answered)",
	})
	f := workflow.ExecuteActivity(actx, ActivityDestroyCardKey, DestroyCardKeyInput{
		KeyID: keyID, BookingID: p.in.BookingID, Reason: reason})
	// The run waits for every key it destroys. The booking's own key is
	// the activity's future itself (as before replacements existed: a
	// settable future resolves a step later and would move the run's last
	// commands); a replacement's key is chained after the ones before it.
	earlier := p.cardKeyGone
	p.cardKeyGone = f
	if earlier != nil {
		gone, settle := workflow.NewFuture(ctx)
		p.cardKeyGone = gone
		workflow.Go(ctx, func(ctx workflow.Context) {
			_ = earlier.Get(ctx, nil)
			_ = f.Get(ctx, nil)
			settle.Set(nil, nil)
		})
	}
	wait := func(ctx workflow.Context) {
		if err := f.Get(ctx, nil); err != nil {
			p.logger(ctx).Warn("destroying the card key failed: the store's sweep destroys it at the end of its lifetime",
				"booking_id", p.in.BookingID, "key_id", keyID, "error", describe(err))
		}
	}
	if p.st.Status.Terminal() {
		wait(ctx)
		return
	}
	workflow.Go(ctx, wait)
}

// cardKeyReason is why the card key can go after the create call ended with
// authorizeErr: a charge exists (nil) or provably none does; "" when the
// answer is not definite and a retry may need the card again.
func cardKeyReason(authorizeErr error) string {
	switch {
	case authorizeErr == nil:
		return cardvault.ReasonAnswered
	case provesNoCharge(authorizeErr):
		return cardvault.ReasonNoCharge
	}
	return ""
}

// isCardDataExpired: the activity could not open the card token (its key is
// destroyed or expired): nothing was sent to A55.
func isCardDataExpired(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == ErrTypeCardDataExpired
}
