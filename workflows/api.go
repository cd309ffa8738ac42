package workflows

// This file is the workflow's public contract: the names, inputs and results a
// booking system (in Go through starter/, or in any language through its own
// Temporal SDK) uses. Changing a name or a JSON field here breaks callers and
// recorded histories.

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/internal/cardnum"
	"github.com/hotelpay/a55-temporal/money"
)

const (
	// TaskQueue is where the worker polls.
	TaskQueue = "booking-payments"
	// WorkflowName is the registered workflow type.
	WorkflowName = "BookingPayment"

	// UpdateAuthorization waits until the authorization has an outcome
	// (authorized, awaiting_3ds, declined, failed) and returns it. Booking
	// systems send it with update-with-start.
	UpdateAuthorization = "authorization"
	// UpdateCapture captures the hold, fully or partly (CaptureRequest → CaptureResult).
	UpdateCapture = "capture"
	// UpdateCancel releases the hold (CancelRequest → CancelResult).
	UpdateCancel = "cancel"
	// UpdateMoveCaptureTime moves the expected check-out / return time
	// (MoveCaptureTimeRequest → MoveCaptureTimeResult).
	UpdateMoveCaptureTime = "move_capture_time"
	// UpdateResolve is an operator's decision on a booking that needs
	// attention (ResolveRequest → ResolveResult): retry the operation, or
	// record what was done at A55 by hand.
	UpdateResolve = "resolve"
	// UpdateRefund refunds a captured booking, fully or partly, within its
	// refund window (RefundRequest → RefundResult; see refund.go).
	UpdateRefund = "refund"

	// UpdateChargeChanged is how the webhook receiver delivers an A55 webhook
	// (ChargeChangedSignal → nothing). Its validator rejects, with error type
	// ErrTypeWebhookIgnored, a webhook that carries nothing new (a status the
	// last read already showed, a finished payment, a capture in flight), so
	// redundant webhooks leave no history event; an accepted one triggers a
	// read of the charge.
	UpdateChargeChanged = "charge_changed"
	// SignalChargeChanged carries the same webhook as a signal: the receiver's
	// fallback when the update cannot be delivered now (no worker polling,
	// an older worker without the update), since a signal is durable at once.
	SignalChargeChanged = "charge_changed"
	// Signal3DSComplete is sent by the booking front end on the 3ds-auth-complete message.
	Signal3DSComplete = "3ds_complete"

	// QueryStatus returns PaymentState.
	QueryStatus = "status"
)

// Defaults applied when the input leaves a duration at zero.
const (
	DefaultHoldWindow     = 7 * 24 * time.Hour
	DefaultSafetyMargin   = 6 * time.Hour
	DefaultThreeDSTimeout = 15 * time.Minute
	// DefaultCaptureGrace is how long after the expected check-out / return the
	// workflow waits for the booking system's capture before the deadline policy.
	DefaultCaptureGrace = 24 * time.Hour
)

var bookingIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidateBookingID accepts 1–64 characters of letters, digits, '.', '_' and
// '-', starting with a letter or digit: safe in a workflow id, a URL path and a
// shell.
func ValidateBookingID(id string) error {
	if !bookingIDPattern.MatchString(id) {
		return fmt.Errorf("booking_id %q is invalid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", id)
	}
	return nil
}

// WorkflowIDPrefix is what WorkflowID puts before the booking id.
const WorkflowIDPrefix = "booking-"

// WorkflowID is the one workflow id of a booking: a second start for the same
// booking attaches to the first instead of authorizing again.
func WorkflowID(bookingID string) string { return WorkflowIDPrefix + bookingID }

// IsBookingWorkflowID reports whether id is the WorkflowID of a valid
// booking id (the webhook receiver routes nothing else).
func IsBookingWorkflowID(id string) bool {
	booking, ok := strings.CutPrefix(id, WorkflowIDPrefix)
	return ok && ValidateBookingID(booking) == nil
}

// BookingKind is what the hold is for.
type BookingKind string

const (
	KindHotelStay BookingKind = "hotel_stay"
	KindCarRental BookingKind = "car_rental"
)

// DeadlineAction is what happens when the hold is about to lapse without a
// capture or cancel from the booking system.
type DeadlineAction string

const (
	// DeadlineRelease voids the hold (the default: never take money nobody asked for).
	DeadlineRelease DeadlineAction = "release"
	// DeadlineCapture captures DeadlinePolicy.Amount (or the full hold).
	DeadlineCapture DeadlineAction = "capture"
)

// DeadlinePolicy is the booking's instruction for the deadline.
type DeadlinePolicy struct {
	Action DeadlineAction `json:"action"`
	// Amount to capture when Action is capture; nil captures the full hold.
	Amount *money.Amount `json:"amount,omitempty"`
}

// BookingPaymentInput starts one booking's payment.
type BookingPaymentInput struct {
	BookingID   string          `json:"booking_id"`
	Kind        BookingKind     `json:"kind"`
	MerchantID  string          `json:"merchant_id"`
	WalletUUID  string          `json:"wallet_uuid"`
	Payer       a55client.Payer `json:"payer"`
	Amount      money.Amount    `json:"amount"` // the hold
	Description string          `json:"description,omitempty"`
	// CardToken is the card sealed under a per-booking key in the card-key
	// store (package cardvault; the starter or the card intake makes it).
	// The authorize activity opens it; the workflow destroys the key as soon
	// as A55 has answered the create call, after which the token opens with
	// nothing. Send it, never Card.
	CardToken *cardvault.Token `json:"card_token,omitempty"`
	// Card is the card in clear: accepted only from starters older than
	// CardToken (its ciphertext stays in history for the booking's life).
	// The Go starter seals it into CardToken before anything starts.
	Card              a55client.Card        `json:"card,omitzero"`
	ThreeDS           bool                  `json:"threeds"`
	DeviceInfo        *a55client.DeviceInfo `json:"device_info,omitempty"`
	ExpectedCaptureAt time.Time             `json:"expected_capture_at"` // check-out / return
	// CaptureGrace: the deadline policy runs at min(ExpectedCaptureAt +
	// CaptureGrace, hold expiry − SafetyMargin) (0 = 24 h).
	CaptureGrace   time.Duration  `json:"capture_grace,omitempty"`
	DeadlinePolicy DeadlinePolicy `json:"deadline_policy"`
	// LongStayPolicy is required when the check-out lies beyond the hold's
	// reach (hold expiry − SafetyMargin): deposit, release or reauthorize
	// (see stay.go).
	LongStayPolicy LongStayPolicy `json:"long_stay_policy,omitempty"`
	// ReauthorizeNotice: how long before the deadline the reauthorize policy
	// asks for a new authorization (0 = 24 h).
	ReauthorizeNotice time.Duration `json:"reauthorize_notice,omitempty"`
	// HoldWindow is how long A55 keeps the authorization (0 = 7 days). Longer
	// only where the merchant has extended authorization.
	HoldWindow time.Duration `json:"hold_window,omitempty"`
	// SafetyMargin is how long before the hold lapses the deadline policy runs (0 = 6 h).
	SafetyMargin time.Duration `json:"safety_margin,omitempty"`
	// ThreeDSTimeout is how long to wait for the challenge before reading the charge anyway (0 = 15 min).
	ThreeDSTimeout time.Duration `json:"threeds_timeout,omitempty"`
	// WebhookBaseURL overrides the worker's receiver URL (empty = worker config).
	WebhookBaseURL string `json:"webhook_base_url,omitempty"`
	// ReturnURL is where A55 sends the card holder after the 3DS challenge (redirect_url).
	ReturnURL string `json:"return_url,omitempty"`
	// RefundWindow is how long after the capture the booking accepts
	// refunds (UpdateRefund); its workflow stays open that long (0 = 30 days,
	// DefaultRefundWindow; 1 s to 400 days).
	RefundWindow time.Duration `json:"refund_window,omitempty"`
	// NotificationURL is where this booking's events (Event) are POSTed,
	// signed with the merchant's secret from the worker's configuration
	// (empty = the worker's URL for MerchantID; none there either = the
	// booking sends no notifications). Never put a secret in it.
	NotificationURL string `json:"notification_url,omitempty"`
	// HoldExpiringNotice is how long before the deadline policy runs the
	// hold_expiring event is sent (0 = DefaultHoldExpiringNotice).
	HoldExpiringNotice time.Duration `json:"hold_expiring_notice,omitempty"`
	// Continued is set by the workflow only, on the input of the run that
	// continues a booking (Continue-As-New); a first run carrying it is
	// refused.
	Continued *ContinuedBooking `json:"continued,omitempty"`
}

// ContinuedBooking is what one run of a booking hands the next when it
// continues as new to keep its history bounded (see history.go). No card
// data: the card was dropped once A55 answered.
type ContinuedBooking struct {
	State              PaymentState         `json:"state"`
	Request            AuthorizationRequest `json:"request"`
	AuthorizeStartedAt time.Time            `json:"authorize_started_at"`
	LastReadStatus     string               `json:"last_read_status,omitempty"`
	FruitlessReads     int                  `json:"fruitless_reads,omitempty"`
	ReadWanted         bool                 `json:"read_wanted,omitempty"`
	// CapturedBy: a booking continued in its refund window (refund.go).
	CapturedBy string `json:"captured_by,omitempty"`
}

// ReasonCardDataExpired is the decline reason (and code) of a booking whose
// card could not be sent because its key was already destroyed or past its
// lifetime (cardvault.MaxKeyLifetime): nothing was charged with it; ask the
// guest for the card again and book under a new booking id.
const ReasonCardDataExpired = "card_data_expired"

// Status is the booking payment's state.
type Status string

const (
	StatusAuthorizing Status = "authorizing"
	StatusAwaiting3DS Status = "awaiting_3ds"
	StatusAuthorized  Status = "authorized"
	StatusCapturing   Status = "capturing"
	StatusCaptured    Status = "captured"
	StatusVoiding     Status = "voiding"
	StatusVoided      Status = "voided"
	StatusDeclined    Status = "declined"
	StatusExpired     Status = "expired"
	StatusFailed      Status = "failed"
	// StatusNeedsAttention: a money operation could not reach a definite
	// outcome (A55 kept refusing or failing, or answered something that
	// makes no sense) while A55 may still hold money. Not terminal: the
	// workflow keeps owning the charge until an operator resolves it
	// (UpdateResolve).
	StatusNeedsAttention Status = "needs_attention"
	// StatusRefunded: everything captured has been refunded (A55's
	// refunded_amount equals the capture). A partly refunded booking stays
	// captured, with PaymentState.Refunded saying how much went back.
	StatusRefunded Status = "refunded"
)

// Terminal reports whether the hold's life is over: nothing will capture or
// release it any more, and the booking's outcome (what A55 took) is final.
// The one move after a terminal status is a refund's: captured → refunded,
// within the booking's refund window (the workflow stays open that long; see
// refund.go).
func (s Status) Terminal() bool {
	switch s {
	case StatusCaptured, StatusVoided, StatusDeclined, StatusExpired, StatusFailed, StatusRefunded:
		return true
	}
	return false
}

// AuthorizationRequest is the authorization update's argument: what the
// booking system asked for, without card data beyond the last four digits.
// A repeat of the same request gets the first answer; a different request
// for a booking that exists is refused (like an Idempotency-Key reused with
// another body), never answered with the first booking's outcome.
type AuthorizationRequest struct {
	Amount     money.Amount `json:"amount"`
	WalletUUID string       `json:"wallet_uuid"`
	MerchantID string       `json:"merchant_id"`
	CardLast4  string       `json:"card_last4"`
	CardExpiry string       `json:"card_expiry"` // MM/YYYY
}

// AuthorizationRequestOf summarizes a booking's input.
func AuthorizationRequestOf(in BookingPaymentInput) AuthorizationRequest {
	if t := in.CardToken; t != nil {
		return AuthorizationRequest{
			Amount: in.Amount, WalletUUID: in.WalletUUID, MerchantID: in.MerchantID,
			CardLast4: t.Last4, CardExpiry: fmt.Sprintf("%02d/%d", t.ExpiryMonth, t.ExpiryYear),
		}
	}
	return AuthorizationRequest{
		Amount: in.Amount, WalletUUID: in.WalletUUID, MerchantID: in.MerchantID,
		CardLast4:  cardnum.LastFour(in.Card.Number),
		CardExpiry: fmt.Sprintf("%02d/%d", in.Card.ExpiryMonth, in.Card.ExpiryYear),
	}
}

// Mismatch names what differs between r and the booking's own request, or
// is "" when they match (or r is empty: a client that sends no argument).
func (r AuthorizationRequest) Mismatch(booking AuthorizationRequest) string {
	if r == (AuthorizationRequest{}) {
		return ""
	}
	var diff []string
	if r.Amount != booking.Amount {
		diff = append(diff, "amount "+r.Amount.Display()+" (the booking holds "+booking.Amount.Display()+")")
	}
	if r.WalletUUID != booking.WalletUUID {
		diff = append(diff, "wallet_uuid")
	}
	if r.MerchantID != booking.MerchantID {
		diff = append(diff, "merchant_id")
	}
	if r.CardLast4 != booking.CardLast4 || r.CardExpiry != booking.CardExpiry {
		diff = append(diff, "card (the booking's ends "+booking.CardLast4+")")
	}
	return strings.Join(diff, ", ")
}

// AuthorizationResult is the outcome of UpdateAuthorization.
type AuthorizationResult struct {
	Status          Status       `json:"status"`
	ChargeUUID      string       `json:"charge_uuid,omitempty"`
	URL3DS          string       `json:"url_3ds,omitempty"`
	Authorized      money.Amount `json:"authorized,omitzero"`
	CaptureDeadline time.Time    `json:"capture_deadline,omitzero"`
	DeclineCode     string       `json:"decline_code,omitempty"`
	DeclineMessage  string       `json:"decline_message,omitempty"`
	Reason          string       `json:"reason,omitempty"`
}

// CaptureRequest captures the hold; nil Amount captures all of it.
type CaptureRequest struct {
	Amount *money.Amount `json:"amount,omitempty"`
}

// CaptureResult is what the booking system stores after a capture.
type CaptureResult struct {
	ChargeUUID string       `json:"charge_uuid"`
	Captured   money.Amount `json:"captured"`
	Released   money.Amount `json:"released"`
	Status     Status       `json:"status"`
}

// CancelRequest releases the hold.
type CancelRequest struct {
	Reason string `json:"reason,omitempty"`
}

// CancelResult is the outcome of a cancel.
type CancelResult struct {
	ChargeUUID string `json:"charge_uuid"`
	Status     Status `json:"status"`
}

// ResolveAction is what an operator decides for a booking in needs_attention.
type ResolveAction string

const (
	// ResolveRetry runs the operation that could not finish again, with the
	// same idempotency key (after fixing what made it fail: credentials,
	// configuration, A55's side).
	ResolveRetry ResolveAction = "retry"
	// ResolveMarkCaptured records that the charge was captured by hand at
	// A55, for Amount (checked in A55's dashboard); the booking ends captured.
	ResolveMarkCaptured ResolveAction = "mark_captured"
	// ResolveMarkReleased records that A55 holds nothing for the booking any
	// more (released by hand, or lapsed); the booking ends voided.
	ResolveMarkReleased ResolveAction = "mark_released"
)

// ResolveRequest is an operator's decision, recorded with who and why.
type ResolveRequest struct {
	Action ResolveAction `json:"action"`
	Amount *money.Amount `json:"amount,omitempty"` // mark_captured only
	Who    string        `json:"who"`
	Why    string        `json:"why"`
}

// ResolveResult is the booking's status after the decision.
type ResolveResult struct {
	Status Status `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Attention says why a booking needs a person, in PaymentState.
type Attention struct {
	// Operation is what could not finish: authorize, capture, release or
	// read (an answer that made no sense).
	Operation string    `json:"operation"`
	Since     time.Time `json:"since"`
	// Problem is what A55 answered (or that it never answered).
	Problem string `json:"problem"`
	// Retryable: ResolveRetry can run the operation again.
	Retryable bool `json:"retryable"`
}

// MoveCaptureTimeRequest moves the expected check-out / return.
type MoveCaptureTimeRequest struct {
	ExpectedCaptureAt time.Time `json:"expected_capture_at"`
}

// MoveCaptureTimeResult tells when the deadline policy will now run.
type MoveCaptureTimeResult struct {
	ExpectedCaptureAt time.Time `json:"expected_capture_at"`
	CaptureDeadline   time.Time `json:"capture_deadline"`
}

// ChargeChangedSignal carries an A55 webhook: only a trigger to re-read the charge.
type ChargeChangedSignal struct {
	ChargeUUID string `json:"charge_uuid"`
	Status     string `json:"status"`
}

// ThreeDSCompleteSignal is the front end's 3ds-auth-complete message.
type ThreeDSCompleteSignal struct {
	ChargeUUID string `json:"charge_uuid"`
}

// Transition is one step of the status history kept for operators.
type Transition struct {
	At     time.Time `json:"at"`
	From   Status    `json:"from"`
	To     Status    `json:"to"`
	Reason string    `json:"reason,omitempty"`
}

// PaymentState is the answer to QueryStatus. It never contains card data.
type PaymentState struct {
	BookingID  string       `json:"booking_id"`
	Kind       BookingKind  `json:"kind"`
	Status     Status       `json:"status"`
	ChargeUUID string       `json:"charge_uuid,omitempty"`
	URL3DS     string       `json:"url_3ds,omitempty"`
	Hold       money.Amount `json:"hold"`
	Authorized money.Amount `json:"authorized,omitzero"`
	Captured   money.Amount `json:"captured,omitzero"`
	// CaptureRequested is what this workflow's capture asked for; when it
	// differs from Captured (A55's figure), the acquirer booked another
	// amount (e.g. no partial capture) and the booking system must know.
	CaptureRequested  money.Amount   `json:"capture_requested,omitzero"`
	AuthorizedAt      time.Time      `json:"authorized_at,omitzero"`
	HoldExpiresAt     time.Time      `json:"hold_expires_at,omitzero"`
	CaptureDeadline   time.Time      `json:"capture_deadline,omitzero"`
	ExpectedCaptureAt time.Time      `json:"expected_capture_at,omitzero"`
	DeadlinePolicy    DeadlinePolicy `json:"deadline_policy"`
	LastA55Status     string         `json:"last_a55_status,omitempty"`
	DeclineCode       string         `json:"decline_code,omitempty"`
	DeclineMessage    string         `json:"decline_message,omitempty"`
	Reason            string         `json:"reason,omitempty"`
	// Attention is set while the status is needs_attention.
	Attention *Attention `json:"attention,omitempty"`
	// Refunds after the capture (refund.go): Refunded is what A55 reports
	// refunded in all (its refunded_amount), Refunds each request by refund
	// id, RefundWindowEndsAt when the booking stops accepting refunds and
	// its workflow closes, SettledAt when A55 first reported the charge paid.
	Refunded           money.Amount   `json:"refunded,omitzero"`
	Refunds            []RefundRecord `json:"refunds,omitempty"`
	RefundWindowEndsAt time.Time      `json:"refund_window_ends_at,omitzero"`
	SettledAt          time.Time      `json:"settled_at,omitzero"`
	// LongStayPolicy is the booking's (long stays only).
	LongStayPolicy LongStayPolicy `json:"long_stay_policy,omitempty"`
	// Reauthorization is set while the booking waits for a new card
	// authorization before its hold lapses.
	Reauthorization *Reauthorization `json:"reauthorization,omitempty"`
	// Replacement is the booking's last replace_hold (in progress or done).
	Replacement *ReplaceHoldResult `json:"replacement,omitempty"`
	History     []Transition       `json:"history"`
	// Notifications is the delivery of the booking's events to the booking
	// system (nil: a booking started before notifications existed).
	Notifications *NotificationState `json:"notifications,omitempty"`
}

// BookingPaymentResult is the workflow's result, for the booking system to store.
type BookingPaymentResult struct {
	BookingID  string       `json:"booking_id"`
	Status     Status       `json:"status"`
	ChargeUUID string       `json:"charge_uuid,omitempty"`
	Authorized money.Amount `json:"authorized,omitzero"`
	Captured   money.Amount `json:"captured,omitzero"`
	CapturedBy string       `json:"captured_by,omitempty"` // "request" | "deadline" | "a55" | "operator"
	// CaptureRequested is what the capture asked for, when A55 captured a
	// different amount (see PaymentState.CaptureRequested).
	CaptureRequested money.Amount `json:"capture_requested,omitzero"`
	DeclineCode      string       `json:"decline_code,omitempty"`
	DeclineMessage   string       `json:"decline_message,omitempty"`
	Reason           string       `json:"reason,omitempty"`
	// Refunded is what A55 refunded of the capture (PaymentState.Refunded);
	// SettledAt when A55 reported the charge paid.
	Refunded  money.Amount `json:"refunded,omitzero"`
	SettledAt time.Time    `json:"settled_at,omitzero"`
}

// Authorization is the authorization outcome the result holds: what an
// authorization asked of a finished booking answers (it has no 3DS URL or
// capture deadline any more).
func (r BookingPaymentResult) Authorization() AuthorizationResult {
	return AuthorizationResult{
		Status:         r.Status,
		ChargeUUID:     r.ChargeUUID,
		Authorized:     r.Authorized,
		DeclineCode:    r.DeclineCode,
		DeclineMessage: r.DeclineMessage,
		Reason:         r.Reason,
	}
}

// Search attributes, registered on the namespace (see the Makefile and compose
// file). Amounts are minor units. Never put PII or card data here: search
// attributes are not encrypted.
var (
	BookingIDKey        = temporal.NewSearchAttributeKeyKeyword("BookingID")
	ChargeUUIDKey       = temporal.NewSearchAttributeKeyKeyword("ChargeUUID")
	PaymentStatusKey    = temporal.NewSearchAttributeKeyKeyword("PaymentStatus")
	AuthorizedAmountKey = temporal.NewSearchAttributeKeyInt64("AuthorizedAmount")
	CapturedAmountKey   = temporal.NewSearchAttributeKeyInt64("CapturedAmount")
	CaptureDeadlineKey  = temporal.NewSearchAttributeKeyTime("CaptureDeadline")
	RefundedAmountKey   = temporal.NewSearchAttributeKeyInt64("RefundedAmount")
)

// SearchAttributeFlags is the dev server's --search-attribute list, in one place.
var SearchAttributeFlags = []string{
	"BookingID=Keyword", "ChargeUUID=Keyword", "PaymentStatus=Keyword",
	"AuthorizedAmount=Int", "CapturedAmount=Int", "CaptureDeadline=Datetime",
	"RefundedAmount=Int",
}
