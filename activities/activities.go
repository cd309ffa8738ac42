// Package activities holds one Temporal activity per A55 operation the
// booking-payment workflow needs: Authorize, GetCharge, Capture, Cancel and
// Refund. Each activity is idempotent: the workflow fixes the idempotency key
// ("<workflow id>/authorize", "/capture", "/cancel", "/refund") and every retry
// reuses it, so A55 replays the first answer instead of acting twice.
//
// Errors are mapped for Temporal's retry policy:
//   - A55 retryable (network, timeout, 5xx, 409 in progress) → a plain
//     retryable error; 429/503 with Retry-After → an application error of type
//     "A55Retryable" whose NextRetryDelay honours Retry-After.
//   - invalid, not found, conflict, unauthorized, not capturable →
//     non-retryable application errors of type "A55Invalid", "A55NotFound",
//     "A55Conflict", "A55Unauthorized", "A55NotCapturable"; the message carries
//     A55's code.
//   - a decline is not an error: it is the charge's answer and comes back as a
//     result (workflows.AuthorizeResult.Declined). A55 replays it for the same
//     idempotency key, so retrying cannot change it, and keeping it out of
//     failures keeps expected declines out of error metrics and alerts.
//
// Card data is used by Authorize only and never appears in a result, an error
// or a log line.
package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/internal/webhook"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Gateway is the part of *a55client.Client the activities use; tests may
// substitute a fake.
type Gateway interface {
	CreateCharge(ctx context.Context, p *a55client.CreateChargeParams, idempotencyKey string) (*a55client.Charge, error)
	GetCharge(ctx context.Context, walletUUID, chargeUUID string) (*a55client.Charge, error)
	CaptureCharge(ctx context.Context, p *a55client.CaptureParams, idempotencyKey string) (*a55client.Charge, error)
	CancelCharge(ctx context.Context, p *a55client.CancelParams, idempotencyKey string) (*a55client.Charge, error)
	RefundCharge(ctx context.Context, p *a55client.RefundParams, idempotencyKey string) (*a55client.Charge, error)
	ListCharges(ctx context.Context, p *a55client.ListChargesParams) (*a55client.ChargeList, error)
}

var _ Gateway = (*a55client.Client)(nil)

// Config is the worker-side configuration of the activities.
type Config struct {
	// WebhookBaseURL is the public base URL of the webhook receiver (e.g.
	// https://hooks.example.com). Each charge's webhook_url is
	// webhook.URL(WebhookBaseURL, WebhookSecret, workflowID). Empty (and no
	// per-booking override): charges are created without webhook_url and the
	// workflow relies on its own reads.
	WebhookBaseURL string
	// WebhookSecret keys the per-booking routing token. It lives only in the
	// worker: the URL carrying the token is built inside the activity and
	// never enters workflow history.
	WebhookSecret []byte
	// HoldLimits is the largest hold per merchant: a larger one is refused
	// (ErrTypeHoldLimit) before A55 is asked.
	HoldLimits workflows.HoldLimits
	// CardKeys is the card-key store: Authorize opens a booking's card token
	// with the key kept there, DestroyCardKey destroys it. Nil: card tokens
	// cannot be opened (their bookings wait, retrying, for a worker that can).
	CardKeys cardvault.Store
	// Now is the clock the card keys' lifetimes are read with, and
	// notifications are signed with (nil: time.Now).
	Now func() time.Time
	// Notifications is where each merchant's booking events go and the
	// secret that signs them (DeliverNotification). Empty: bookings
	// without their own notification_url send none.
	Notifications NotifyEndpoints
	// NotifyClient sends notifications (nil: a client that follows no
	// redirect).
	NotifyClient *http.Client
}

// Activities is registered with worker.RegisterActivity.
type Activities struct {
	gw  Gateway
	cfg Config
}

// New returns the activities backed by an A55 client.
func New(client *a55client.Client, cfg Config) *Activities {
	return NewWithGateway(client, cfg)
}

// NewWithGateway is New with any Gateway (a fake in tests).
func NewWithGateway(gw Gateway, cfg Config) *Activities {
	cfg.WebhookSecret = append([]byte(nil), cfg.WebhookSecret...)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Activities{gw: gw, cfg: cfg}
}

// viewOfAnswer is the charge of A55's answer to a call on chargeUUID; some
// answers leave the uuid out.
func viewOfAnswer(c *a55client.Charge, chargeUUID string) workflows.ChargeView {
	v := viewOf(c)
	if v.ChargeUUID == "" {
		v.ChargeUUID = chargeUUID
	}
	return v
}

func viewOf(c *a55client.Charge) workflows.ChargeView {
	if c == nil {
		return workflows.ChargeView{}
	}
	return workflows.ChargeView{
		ChargeUUID: c.UUID, Status: c.Status, State: c.State, URL3DS: c.URL3DS,
		Amount: c.Amount, Code: c.Code, Message: c.Message, CreatedAt: c.CreatedAt, Refunded: c.Refunded,
		AmountRemaining: c.AmountRemaining,
	}
}

// Authorize creates the charge with capture:false. A retry sends the same
// Idempotency-Key, so A55 answers with the first charge (or the first
// decline) instead of placing a second hold: a lost response costs nothing.
func (a *Activities) Authorize(ctx context.Context, in workflows.AuthorizeInput) (*workflows.AuthorizeResult, error) {
	logger := activity.GetLogger(ctx)
	if err := a.cfg.HoldLimits.Check(in.MerchantID, in.Amount); err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), workflows.ErrTypeHoldLimit, nil)
	}
	base := in.WebhookBaseURL
	if base == "" {
		base = a.cfg.WebhookBaseURL
	}
	var hookURL string
	if base != "" {
		hookURL = webhook.URL(base, a.cfg.WebhookSecret, in.WorkflowID)
	}
	card := in.Card
	if in.CardToken != nil {
		var err error
		if card, err = a.openCard(ctx, in); err != nil {
			return nil, err
		}
	}
	p := &a55client.CreateChargeParams{
		WalletUUID:          in.WalletUUID,
		MerchantID:          in.MerchantID,
		Payer:               in.Payer,
		Amount:              in.Amount,
		Description:         in.Description,
		Card:                card,
		Capture:             false,
		ThreeDS:             in.ThreeDS,
		DeviceInfo:          in.DeviceInfo,
		WebhookURL:          hookURL,
		RedirectURL:         in.ReturnURL,
		ReferenceExternalID: in.BookingID,
		DueDate:             in.DueDate, // empty (an older workflow) = the client's today
	}
	ch, err := a.gw.CreateCharge(ctx, p, in.IdempotencyKey)
	if err != nil {
		if a55client.IsDeclined(err) {
			res := &workflows.AuthorizeResult{Charge: viewOf(ch), Declined: true}
			res.DeclineCode, res.DeclineMessage = declineDetails(ch, err)
			logger.Info("A55 declined the authorization", "booking_id", in.BookingID, "code", res.DeclineCode)
			return res, nil
		}
		return nil, temporalError(err)
	}
	logger.Info("A55 answered the authorization", "booking_id", in.BookingID, "charge_uuid", ch.UUID, "status", ch.Status)
	return &workflows.AuthorizeResult{Charge: viewOf(ch)}, nil
}

// openCard opens the booking's card token with its key from the store, on
// every attempt: the same token gives the same card, so every retry sends the
// identical body. A key that is gone ends the booking (card_data_expired);
// a store that cannot be reached is retried.
func (a *Activities) openCard(ctx context.Context, in workflows.AuthorizeInput) (a55client.Card, error) {
	if a.cfg.CardKeys == nil {
		return a55client.Card{}, errors.New("this worker has no card-key store (CARD_KEY_STORE): the card token cannot be opened here")
	}
	card, err := cardvault.Open(ctx, a.cfg.CardKeys, in.BookingID, *in.CardToken, a.cfg.Now())
	switch {
	case err == nil:
		return card, nil
	case errors.Is(err, cardvault.ErrKeyGone), errors.Is(err, cardvault.ErrTokenInvalid):
		activity.GetLogger(ctx).Warn("the card token cannot be opened: nothing sent to A55", "booking_id", in.BookingID, "key_id", in.CardToken.KeyID, "error", err.Error())
		return a55client.Card{}, temporal.NewNonRetryableApplicationError(err.Error(), workflows.ErrTypeCardDataExpired, nil)
	}
	return a55client.Card{}, fmt.Errorf("card-key store unavailable (retrying): %w", err)
}

// DestroyCardKey destroys a booking's card key: A55 has answered the create
// call and the workflow has recorded the answer, so the card is never needed
// again. Destroying a key that is already gone succeeds.
func (a *Activities) DestroyCardKey(ctx context.Context, in workflows.DestroyCardKeyInput) error {
	if a.cfg.CardKeys == nil {
		return errors.New("this worker has no card-key store (CARD_KEY_STORE)")
	}
	destroyed, err := a.cfg.CardKeys.Destroy(ctx, in.KeyID, in.Reason, a.cfg.Now())
	if err != nil {
		return fmt.Errorf("card-key store unavailable (retrying): %w", err)
	}
	activity.GetLogger(ctx).Info("card key destroyed", "booking_id", in.BookingID, "key_id", in.KeyID, "reason", in.Reason, "was_live", destroyed)
	return nil
}

func declineDetails(ch *a55client.Charge, err error) (code, message string) {
	if ch != nil {
		code, message = ch.Code, ch.Message
	}
	var e *a55client.Error
	if errors.As(err, &e) {
		if code == "" {
			code = e.Code
		}
		if message == "" {
			message = e.Message
		}
	}
	return code, message
}

// GetCharge reads a charge: the source of truth after any webhook or signal.
func (a *Activities) GetCharge(ctx context.Context, in workflows.GetChargeInput) (*workflows.ChargeView, error) {
	ch, err := a.gw.GetCharge(ctx, in.WalletUUID, in.ChargeUUID)
	if err != nil {
		return nil, temporalError(err)
	}
	v := viewOfAnswer(ch, in.ChargeUUID)
	return &v, nil
}

// findPageSize is the list call's largest page (A55's limit is 1-100).
const findPageSize = 100

// FindCharges lists the charges A55 has under the booking's
// reference_external_id, oldest first, every page: what the workflow adopts
// (or releases) before it creates a charge and after a create call failed,
// so that a lost answer, an expired Idempotency-Key (a Reset more than 24 h
// after authorizing) or a refused retry never leaves a second hold.
func (a *Activities) FindCharges(ctx context.Context, in workflows.FindChargesInput) (*workflows.FindChargesResult, error) {
	if err := workflows.ValidateBookingID(in.BookingID); err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), workflows.ErrTypeA55Invalid, nil)
	}
	res := &workflows.FindChargesResult{Charges: []workflows.ChargeView{}}
	for page := 1; ; page++ {
		list, err := a.gw.ListCharges(ctx, &a55client.ListChargesParams{
			WalletUUID: in.WalletUUID, Filter: "reference_external_id:" + in.BookingID,
			Sort: "created:asc", Page: page, Limit: findPageSize,
		})
		if err != nil {
			return nil, temporalError(err)
		}
		for i := range list.Charges {
			c := &list.Charges[i]
			// A55 filters; checking again costs nothing and keeps another
			// booking's charge out whatever the filter did.
			if c.UUID != "" && c.ReferenceExternalID == in.BookingID {
				res.Charges = append(res.Charges, viewOf(c))
			}
		}
		if len(list.Charges) < findPageSize || (list.Total > 0 && page*findPageSize >= list.Total) {
			return res, nil
		}
	}
}

// Capture captures the hold, fully or partly (A55 releases the rest). After an
// ambiguous failure (attempt > 1) it first reads the charge, so a capture that
// already happened is recognised instead of sent again; the idempotency key is
// the second line of defence.
func (a *Activities) Capture(ctx context.Context, in workflows.CaptureInput) (*workflows.OperationResult, error) {
	logger := activity.GetLogger(ctx)
	capturedBefore := false
	if activity.GetInfo(ctx).Attempt > 1 {
		res, done, err := a.settledBefore(ctx, in.WalletUUID, in.ChargeUUID, workflows.OutcomeCaptured)
		if err != nil || done {
			return res, err
		}
		// An earlier attempt captured the charge, but a read does not say
		// how much (an acquirer may have booked the whole hold): the call
		// under the same key gets A55's own answer to that attempt back.
		capturedBefore = res != nil && res.Outcome == workflows.OutcomeCaptured
	}
	ch, err := a.gw.CaptureCharge(ctx, &a55client.CaptureParams{WalletUUID: in.WalletUUID, ChargeUUID: in.ChargeUUID, Amount: in.Amount}, in.IdempotencyKey)
	switch {
	case err == nil:
		logger.Info("A55 captured the charge", "charge_uuid", in.ChargeUUID, "status", ch.Status)
		v := viewOfAnswer(ch, in.ChargeUUID)
		// The capture answer's amount (local_currency) is what A55 captured.
		v.Captured = ch.Amount
		return &workflows.OperationResult{Outcome: workflows.OutcomeCaptured, Charge: v, Recovered: capturedBefore}, nil
	case a55client.IsNotCapturable(err) || a55client.IsConflict(err):
		// Not capturable, or a conflict other than "in progress" (the key
		// already used, the charge already settled): the charge says what
		// happened: already captured (success), lapsed (expired), or
		// something an operator must look at.
		return a.resolveNotCapturable(ctx, in, err)
	}
	return nil, temporalError(err)
}

func (a *Activities) resolveNotCapturable(ctx context.Context, in workflows.CaptureInput, capErr error) (*workflows.OperationResult, error) {
	ch, err := a.gw.GetCharge(ctx, in.WalletUUID, in.ChargeUUID)
	if err != nil {
		return nil, temporalError(err)
	}
	v := viewOf(ch)
	switch ch.State {
	case a55client.StateCaptured:
		return &workflows.OperationResult{Outcome: workflows.OutcomeCaptured, Charge: v, Recovered: true}, nil
	case a55client.StateCanceled:
		return &workflows.OperationResult{Outcome: workflows.OutcomeExpired, Charge: v}, nil
	}
	return nil, temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("%v; the charge is %q", capErr, ch.Status), workflows.ErrTypeA55NotCapturable,
		temporal.ApplicationErrorOptions{NonRetryable: true})
}

// settledBefore reads the charge before a retried capture or cancel. done is
// true when the operation is already complete (or impossible) and res/err is
// the answer. A capture found done comes back not done, with res saying so:
// its amount is in the capture's answer, not in the read.
func (a *Activities) settledBefore(ctx context.Context, wallet, chargeUUID string, want workflows.Outcome) (res *workflows.OperationResult, done bool, err error) {
	ch, err := a.gw.GetCharge(ctx, wallet, chargeUUID)
	if err != nil {
		return nil, true, temporalError(err)
	}
	v := viewOf(ch)
	switch ch.State {
	case a55client.StateAuthorized:
		return nil, false, nil
	case a55client.StateCaptured:
		if a55client.IsConfirmed(ch.Status) {
			// "confirmed" is a capture in the seeds' words and an approved
			// hold in the public docs': not proof either way. The call
			// itself, under the same idempotency key, decides.
			return nil, false, nil
		}
		if want == workflows.OutcomeCaptured {
			// Captured, for an amount only the capture's own answer gives:
			// not done, the call (same key) fetches it.
			return &workflows.OperationResult{Outcome: workflows.OutcomeCaptured, Charge: v, Recovered: true}, false, nil
		}
		return &workflows.OperationResult{Outcome: workflows.OutcomeCaptured, Charge: v}, true, nil
	case a55client.StateCanceled:
		if want == workflows.OutcomeVoided {
			return &workflows.OperationResult{Outcome: workflows.OutcomeVoided, Charge: v, Recovered: true}, true, nil
		}
		return &workflows.OperationResult{Outcome: workflows.OutcomeExpired, Charge: v}, true, nil
	case a55client.StateFailed:
		if want == workflows.OutcomeVoided {
			return &workflows.OperationResult{Outcome: workflows.OutcomeNothingHeld, Charge: v}, true, nil
		}
	}
	// Any other state: let the call itself answer (A55 decides).
	return nil, false, nil
}

// Cancel voids the charge (releases the hold, or abandons a 3DS challenge).
// workflows.Outcome is voided; captured when the charge turned out to be captured (the
// workflow reports that; it never refunds on its own); nothing_held when the
// charge had failed (a declined challenge) so there was nothing to release.
func (a *Activities) Cancel(ctx context.Context, in workflows.CancelInput) (*workflows.OperationResult, error) {
	logger := activity.GetLogger(ctx)
	if activity.GetInfo(ctx).Attempt > 1 {
		if res, done, err := a.settledBefore(ctx, in.WalletUUID, in.ChargeUUID, workflows.OutcomeVoided); err != nil || done {
			return res, err
		}
	}
	ch, err := a.gw.CancelCharge(ctx, &a55client.CancelParams{WalletUUID: in.WalletUUID, ChargeUUID: in.ChargeUUID, Reason: in.Reason}, in.IdempotencyKey)
	if err == nil {
		logger.Info("A55 cancelled the charge", "charge_uuid", in.ChargeUUID, "status", ch.Status)
		v := viewOfAnswer(ch, in.ChargeUUID)
		return &workflows.OperationResult{Outcome: workflows.OutcomeVoided, Charge: v}, nil
	}
	if a55client.IsRetryable(err) || a55client.ClassOf(err) == a55client.ClassUnknown {
		return nil, temporalError(err)
	}
	// A refusal may mean the charge is no longer cancellable because it is
	// already canceled (lapsed, or our earlier attempt) or captured: read it.
	got, gerr := a.gw.GetCharge(ctx, in.WalletUUID, in.ChargeUUID)
	if gerr != nil && (a55client.IsRetryable(gerr) || a55client.ClassOf(gerr) == a55client.ClassUnknown) {
		// The refusal is not understood until the charge is read: retry (the
		// retry reads first), rather than fail a booking whose hold may well
		// be released already (seen in the fault suite).
		return nil, temporalError(gerr)
	}
	if gerr == nil {
		switch got.State {
		case a55client.StateCanceled:
			return &workflows.OperationResult{Outcome: workflows.OutcomeVoided, Charge: viewOf(got), Recovered: true}, nil
		case a55client.StateCaptured:
			if a55client.IsConfirmed(got.Status) {
				// A capture in the seeds' words, the hold itself in the
				// public documents': it explains nothing. The refusal
				// stands (retried, or decided by the workflow).
				break
			}
			return &workflows.OperationResult{Outcome: workflows.OutcomeCaptured, Charge: viewOf(got)}, nil
		case a55client.StateFailed:
			return &workflows.OperationResult{Outcome: workflows.OutcomeNothingHeld, Charge: viewOf(got)}, nil
		}
	}
	return nil, temporalError(err)
}

// Refund refunds a captured charge, fully or partly: one refund the booking
// system asked for, under its own Idempotency-Key. After an ambiguous
// failure (attempt > 1) it first reads the charge: A55's refunded_amount at
// RefundedBefore + Amount or more proves the earlier attempt refunded, and
// nothing is sent again. A55's refusals come back named:
// ErrTypeA55RefundExceedsRefundable (amount_exceeds_refundable) and
// ErrTypeA55RefundNotAllowed (REFUND_NOT_ALLOWED); the workflow reads the
// charge after them.
func (a *Activities) Refund(ctx context.Context, in workflows.RefundInput) (*workflows.RefundAnswer, error) {
	logger := activity.GetLogger(ctx)
	if in.Amount == nil {
		return nil, temporal.NewNonRetryableApplicationError("refund: amount is required", workflows.ErrTypeA55Invalid, nil)
	}
	if activity.GetInfo(ctx).Attempt > 1 {
		if done, err := a.refundDone(ctx, in); err != nil || done != nil {
			return done, err
		}
	}
	ch, err := a.gw.RefundCharge(ctx, &a55client.RefundParams{WalletUUID: in.WalletUUID, ChargeUUID: in.ChargeUUID, Amount: in.Amount, Reason: in.Reason}, in.IdempotencyKey)
	if err == nil {
		v := viewOfAnswer(ch, in.ChargeUUID)
		v.Refunded = refundedOf(ch, in.Captured)
		if v.Refunded == nil {
			// The answer does not say how much A55 has refunded in all:
			// the charge does (money comes from A55's answers).
			if got, gerr := a.gw.GetCharge(ctx, in.WalletUUID, in.ChargeUUID); gerr == nil {
				v.Refunded = refundedOf(got, in.Captured)
			}
		}
		logger.Info("A55 refunded the charge", "charge_uuid", in.ChargeUUID, "status", ch.Status, "refund_minor", in.Amount.Minor)
		return &workflows.RefundAnswer{Charge: v}, nil
	}
	if a55client.IsRetryable(err) || a55client.ClassOf(err) == a55client.ClassUnknown {
		return nil, temporalError(err)
	}
	var e *a55client.Error
	if errors.As(err, &e) {
		switch {
		case strings.EqualFold(e.Code, "amount_exceeds_refundable"):
			return nil, temporal.NewNonRetryableApplicationError(e.Error(), workflows.ErrTypeA55RefundExceedsRefundable, nil)
		case strings.EqualFold(e.Code, "REFUND_NOT_ALLOWED"):
			return nil, temporal.NewNonRetryableApplicationError(e.Error(), workflows.ErrTypeA55RefundNotAllowed, nil)
		}
	}
	return nil, temporalError(err)
}

// refundedOf is what A55 says it has refunded of the charge: its
// refunded_amount, else the capture less its amount_remaining (both A55's
// figures); nil when it says neither.
func refundedOf(ch *a55client.Charge, captured money.Amount) *money.Amount {
	switch r := ch.AmountRemaining; {
	case ch.Refunded != nil:
		return ch.Refunded
	case r != nil && !captured.IsZero() && r.Currency == captured.Currency && r.Minor <= captured.Minor:
		return &money.Amount{Minor: captured.Minor - r.Minor, Currency: captured.Currency}
	}
	return nil
}

// refundDone reads the charge: a RefundResult (Recovered) when A55's
// refunded_amount shows this refund done, nil when it does not.
func (a *Activities) refundDone(ctx context.Context, in workflows.RefundInput) (*workflows.RefundAnswer, error) {
	ch, err := a.gw.GetCharge(ctx, in.WalletUUID, in.ChargeUUID)
	if err != nil {
		return nil, temporalError(err)
	}
	want := in.RefundedBefore.Minor + in.Amount.Minor
	refunded := refundedOf(ch, in.Captured)
	if refunded == nil || refunded.Currency != in.Amount.Currency || refunded.Minor < want {
		return nil, nil
	}
	v := viewOfAnswer(ch, in.ChargeUUID)
	v.Refunded = refunded
	activity.GetLogger(ctx).Info("the refund was already done (an earlier attempt's answer was lost)", "charge_uuid", in.ChargeUUID, "refunded_minor", ch.Refunded.Minor)
	return &workflows.RefundAnswer{Charge: v, Recovered: true}, nil
}

// temporalError maps an a55client error to what Temporal's retry policy
// understands. Errors that are not *a55client.Error (context cancellation,
// bugs) stay retryable.
func temporalError(err error) error {
	var e *a55client.Error
	if !errors.As(err, &e) {
		return err
	}
	nonRetryable := func(typ string) error {
		return temporal.NewApplicationErrorWithOptions(e.Error(), typ, temporal.ApplicationErrorOptions{NonRetryable: true})
	}
	switch e.Class {
	case a55client.ClassRetryable:
		if e.RetryAfter > 0 {
			return temporal.NewApplicationErrorWithOptions(e.Error(), workflows.ErrTypeA55Retryable, temporal.ApplicationErrorOptions{NextRetryDelay: e.RetryAfter})
		}
		return temporal.NewApplicationError(e.Error(), workflows.ErrTypeA55Retryable)
	case a55client.ClassDeclined:
		return temporal.NewApplicationErrorWithOptions(e.Error(), workflows.ErrTypeA55Declined, temporal.ApplicationErrorOptions{
			NonRetryable: true, Category: temporal.ApplicationErrorCategoryBenign})
	case a55client.ClassInvalid:
		return nonRetryable(workflows.ErrTypeA55Invalid)
	case a55client.ClassNotFound:
		// Not flagged: whether to retry is the workflow's choice (its retry
		// policy). A capture keeps retrying a credential or configuration
		// error that may be fixed while the hold lives; a create does not.
		return temporal.NewApplicationError(e.Error(), workflows.ErrTypeA55NotFound)
	case a55client.ClassConflict:
		return nonRetryable(workflows.ErrTypeA55Conflict)
	case a55client.ClassUnauthorized:
		return temporal.NewApplicationError(e.Error(), workflows.ErrTypeA55Unauthorized)
	case a55client.ClassNotCapturable:
		return nonRetryable(workflows.ErrTypeA55NotCapturable)
	}
	// Unknown answers (an unexpected status, an undecodable body) are retried:
	// every mutating call carries its idempotency key, so a retry is safe.
	return temporal.NewApplicationError(e.Error(), workflows.ErrTypeA55Retryable)
}
