package workflows

// The contract between the workflow and its activities (package activities):
// registered names, error types, inputs and results, declared once here
// because the workflow fixes it (idempotency keys included); the activities,
// the webhook receiver and the starter import it.

import (
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/money"
)

// Registered activity names (the method names; worker.RegisterActivity on an
// *Activities registers them under these names).
const (
	ActivityAuthorize = "Authorize"
	ActivityGetCharge = "GetCharge"
	ActivityCapture   = "Capture"
	ActivityCancel    = "Cancel"
	ActivityRefund    = "Refund"
	// ActivityFindCharges lists the charges A55 holds under a booking's
	// reference_external_id (see FindChargesInput).
	ActivityFindCharges = "FindCharges"
	// ActivityDestroyCardKey destroys a booking's card key (cardvault) once
	// A55 has answered the create call.
	ActivityDestroyCardKey = "DestroyCardKey"
	// ActivityDeliverNotification POSTs one Event to the booking system,
	// signed with the merchant's secret (see DeliverNotificationInput).
	ActivityDeliverNotification = "DeliverNotification"
)

// Error types of the non-retryable application errors the activities return;
// the workflow lists them in RetryPolicy.NonRetryableErrorTypes.
const (
	ErrTypeA55Retryable     = "A55Retryable" // retryable, with NextRetryDelay from Retry-After
	ErrTypeA55Invalid       = "A55Invalid"
	ErrTypeA55NotFound      = "A55NotFound"
	ErrTypeA55Conflict      = "A55Conflict"
	ErrTypeA55Unauthorized  = "A55Unauthorized"
	ErrTypeA55NotCapturable = "A55NotCapturable"
	ErrTypeA55Declined      = "A55Declined"
	// ErrTypeCardDataExpired: the card token's key is destroyed or past its
	// lifetime, so the create call cannot be sent (non-retryable).
	ErrTypeCardDataExpired = "CardDataExpired"
	// ErrTypeA55RefundExceedsRefundable: A55 refused a refund as more than
	// what remains refundable (amount_exceeds_refundable).
	ErrTypeA55RefundExceedsRefundable = "A55RefundExceedsRefundable"
	// ErrTypeA55RefundNotAllowed: A55 refused a refund of this charge
	// (REFUND_NOT_ALLOWED: not captured, already fully refunded).
	ErrTypeA55RefundNotAllowed = "A55RefundNotAllowed"
	// ErrTypeNotificationRejected: the booking system answered the event
	// with a 4xx other than 408 and 429; retrying the same body cannot
	// change that (non-retryable for that event).
	ErrTypeNotificationRejected = "NotificationRejected"
)

// ActivityNonRetryableErrorTypes is the list for RetryPolicy.NonRetryableErrorTypes.
var ActivityNonRetryableErrorTypes = []string{
	ErrTypeA55Invalid, ErrTypeA55NotFound, ErrTypeA55Conflict, ErrTypeA55Unauthorized,
	ErrTypeA55NotCapturable, ErrTypeA55Declined, ErrTypeA55RefundExceedsRefundable, ErrTypeA55RefundNotAllowed,
}

// ChargeView is what the workflow learns about a charge: never card data.
type ChargeView struct {
	ChargeUUID string          `json:"charge_uuid"`
	Status     string          `json:"status"` // A55's status as sent
	State      a55client.State `json:"state"`
	URL3DS     string          `json:"url_3ds,omitempty"`
	Amount     *money.Amount   `json:"amount,omitempty"`
	Code       string          `json:"code,omitempty"`
	Message    string          `json:"message,omitempty"`
	// Captured is what A55's answer says was captured: a capture answer's
	// local_currency. Nil when the answer does not say (a read, a cancel).
	Captured *money.Amount `json:"captured,omitempty"`
	// Refunded is A55's refunded_amount (all refunded of the charge), nil
	// when the answer does not say; AmountRemaining is A55's
	// amount_remaining (what it can still refund: §8.6's v2 answer).
	Refunded        *money.Amount `json:"refunded,omitempty"`
	AmountRemaining *money.Amount `json:"amount_remaining,omitempty"`
	// CreatedAt is A55's created_at when the answer carries one (a charge
	// found by FindCharges: its hold is counted from then).
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// AuthorizeInput places the hold. Card is the only card data in the
// project's activity inputs; the payload codec encrypts it in history.
type AuthorizeInput struct {
	IdempotencyKey string          `json:"idempotency_key"` // "<workflow id>/authorize"
	WorkflowID     string          `json:"workflow_id"`     // routes the webhook back
	BookingID      string          `json:"booking_id"`      // reference_external_id
	WalletUUID     string          `json:"wallet_uuid"`
	MerchantID     string          `json:"merchant_id"`
	Payer          a55client.Payer `json:"payer"`
	Amount         money.Amount    `json:"amount"`
	Description    string          `json:"description,omitempty"`
	Card           a55client.Card  `json:"card,omitzero"`
	// CardToken replaces Card: the activity opens it with its key from the
	// card-key store on every attempt, so every retry sends the same card.
	CardToken      *cardvault.Token      `json:"card_token,omitempty"`
	ThreeDS        bool                  `json:"threeds"`
	DeviceInfo     *a55client.DeviceInfo `json:"device_info,omitempty"`
	WebhookBaseURL string                `json:"webhook_base_url,omitempty"` // overrides Config.WebhookBaseURL
	ReturnURL      string                `json:"return_url,omitempty"`
	// DueDate (YYYY-MM-DD) is fixed by the workflow when it asks, so every
	// retry sends the identical body under the one Idempotency-Key, even
	// across midnight.
	DueDate string `json:"due_date"`
}

// AuthorizeResult is the charge A55 created. A decline is a result, not an
// error: Declined is set with A55's code and message.
type AuthorizeResult struct {
	Charge         ChargeView `json:"charge"`
	Declined       bool       `json:"declined,omitempty"`
	DeclineCode    string     `json:"decline_code,omitempty"`
	DeclineMessage string     `json:"decline_message,omitempty"`
}

// GetChargeInput reads a charge.
type GetChargeInput struct {
	WalletUUID string `json:"wallet_uuid"`
	ChargeUUID string `json:"charge_uuid"`
}

// FindChargesInput looks a booking up at A55: every charge of the wallet
// whose reference_external_id is the booking id, oldest first.
type FindChargesInput struct {
	WalletUUID string `json:"wallet_uuid"`
	BookingID  string `json:"booking_id"`
}

// FindChargesResult is what A55 lists for the booking.
type FindChargesResult struct {
	Charges []ChargeView `json:"charges"`
}

// Outcome is how a capture or cancel ended.
type Outcome string

const (
	OutcomeCaptured Outcome = "captured" // the charge is captured (by this call or an earlier attempt)
	OutcomeVoided   Outcome = "voided"   // the hold is released
	OutcomeExpired  Outcome = "expired"  // the hold lapsed before the capture
	// OutcomeNothingHeld: a cancel found the charge failed (declined, 3DS
	// failed): there was no hold to release.
	OutcomeNothingHeld Outcome = "nothing_held"
)

// CaptureInput captures the hold.
type CaptureInput struct {
	IdempotencyKey string        `json:"idempotency_key"` // "<workflow id>/capture"
	WalletUUID     string        `json:"wallet_uuid"`
	ChargeUUID     string        `json:"charge_uuid"`
	Amount         *money.Amount `json:"amount,omitempty"` // nil: the full hold
}

// OperationResult is the answer of Capture and Cancel.
type OperationResult struct {
	Outcome Outcome    `json:"outcome"`
	Charge  ChargeView `json:"charge"`
	// Recovered is set when the charge was found already in the wanted state
	// (an earlier attempt whose answer was lost did the work).
	Recovered bool `json:"recovered,omitempty"`
}

// CancelInput releases the hold.
type CancelInput struct {
	IdempotencyKey string `json:"idempotency_key"` // "<workflow id>/cancel"
	WalletUUID     string `json:"wallet_uuid"`
	ChargeUUID     string `json:"charge_uuid"`
	Reason         string `json:"reason,omitempty"`
}

// RefundInput refunds part or all of a captured charge: one refund the
// booking system asked for (UpdateRefund); the workflow never refunds on its
// own.
type RefundInput struct {
	IdempotencyKey string        `json:"idempotency_key"` // "<workflow id>/refund/<refund id>"
	WalletUUID     string        `json:"wallet_uuid"`
	ChargeUUID     string        `json:"charge_uuid"`
	Amount         *money.Amount `json:"amount,omitempty"`
	Reason         string        `json:"reason,omitempty"`
	// RefundedBefore is what A55 had refunded of the charge before this
	// refund (the workflow runs one refund at a time): a read showing
	// RefundedBefore + Amount or more proves this refund done, which
	// resolves a lost answer.
	RefundedBefore money.Amount `json:"refunded_before,omitzero"`
	// Captured is what A55 captured: with amount_remaining it gives what
	// A55 has refunded when an answer leaves refunded_amount out.
	Captured money.Amount `json:"captured,omitzero"`
}

// RefundAnswer is A55's answer to a refund: the charge, with Refunded (its
// refunded_amount, all refunded so far) when A55 said it.
type RefundAnswer struct {
	Charge ChargeView `json:"charge"`
	// Recovered: a read found the refund already done (an earlier attempt
	// whose answer was lost).
	Recovered bool `json:"recovered,omitempty"`
}

// DestroyCardKeyInput destroys the key of a booking's card token.
type DestroyCardKeyInput struct {
	KeyID     string `json:"key_id"`
	BookingID string `json:"booking_id"`
	Reason    string `json:"reason"` // cardvault.ReasonAnswered or ReasonNoCharge
}

// DeliverNotificationInput is one event for the booking system. The URL is
// the booking's own (BookingPaymentInput.NotificationURL) or, empty, the
// worker's for MerchantID; the signing secret is only ever the worker's,
// looked up by MerchantID, never in history.
type DeliverNotificationInput struct {
	MerchantID string `json:"merchant_id"`
	URL        string `json:"url,omitempty"`
	Event      Event  `json:"event"`
}

// DeliverNotificationResult is a delivery the booking system accepted
// (2xx), or NoEndpoint: no URL is configured for the booking or its
// merchant, and the booking sends no notifications.
type DeliverNotificationResult struct {
	StatusCode int  `json:"status_code,omitempty"`
	NoEndpoint bool `json:"no_endpoint,omitempty"`
}
