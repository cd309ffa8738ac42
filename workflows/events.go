package workflows

// The event contract: what the workflow tells the booking system about a
// booking, POSTed to its notification URL and signed per the Standard
// Webhooks specification (docs/notifications.md is the contract for other
// languages; starter.ConstructEvent verifies and decodes one in Go).
// Changing a name or a JSON field here breaks receivers.

import (
	"time"

	"github.com/hotelpay/a55-temporal/money"
)

// EventType is what happened to the booking.
type EventType string

// The event types. Every status a booking system must act on has one;
// capturing and voiding (transient) have none.
const (
	EventAuthorized  EventType = "authorized"   // the hold is placed (Authorized, CaptureDeadline)
	EventAwaiting3DS EventType = "awaiting_3ds" // show the card holder URL3DS
	EventDeclined    EventType = "declined"     // DeclineCode, DeclineMessage, Reason
	EventCaptured    EventType = "captured"     // Captured is A55's figure
	EventVoided      EventType = "voided"       // the hold is released; VoidedBy says why
	EventExpired     EventType = "expired"      // the hold lapsed before a capture
	// EventHoldExpiring: the deadline policy (DeadlinePolicy) runs at
	// CaptureDeadline, within the booking's hold_expiring_notice: capture
	// or cancel before then if the policy is not what you want.
	EventHoldExpiring   EventType = "hold_expiring"
	EventNeedsAttention EventType = "needs_attention" // an operator must resolve the booking; Reason says why
	EventRefunded       EventType = "refunded"        // money went back to the card (Refunded: the total so far)
	EventFailed         EventType = "failed"          // A55 holds nothing; Reason says why

	// A replacement hold (replace_hold) while the booking keeps its status:
	// EventReplacementAwaiting3DS asks for the new card's 3DS challenge
	// (URL3DS); EventHoldReplaced: the booking now holds the new charge
	// (ChargeUUID, Authorized, CaptureDeadline; the old one, ReplacedChargeUUID,
	// is being released); EventReplacementDeclined: the new card was
	// declined or the replacement failed, and the booking keeps its old hold.
	EventReplacementAwaiting3DS EventType = "replacement_awaiting_3ds"
	EventHoldReplaced           EventType = "hold_replaced"
	EventReplacementDeclined    EventType = "replacement_declined"
)

// EventTypes lists every event type, for receivers that check them.
var EventTypes = []EventType{
	EventAuthorized, EventAwaiting3DS, EventDeclined, EventCaptured, EventVoided, EventExpired,
	EventHoldExpiring, EventNeedsAttention, EventRefunded, EventFailed,
	EventReplacementAwaiting3DS, EventHoldReplaced, EventReplacementDeclined,
}

// Why a hold was released, in Event.VoidedBy.
const (
	VoidedByCancel              = "cancel"               // the booking system's cancel
	VoidedByDeadlinePolicy      = "deadline_policy"      // the capture deadline passed with policy release
	VoidedByCancellationRequest = "cancellation_request" // the workflow's cancellation (Temporal UI, CLI)
	VoidedByOperator            = "operator"             // an operator recorded it released at A55 (resolve)
)

// Event is the body of one notification. Amounts are minor units with
// their currency. It never carries card data or the payer.
type Event struct {
	// ID is the same on every delivery of this event (the webhook-id
	// header too): deduplicate on it. It is "<workflow id>/<sequence>/<type>".
	ID string `json:"id"`
	// Sequence numbers a booking's events 1, 2, 3... in the order they
	// happened; events are delivered in that order, each after the previous
	// one was accepted (or given up).
	Sequence  int64     `json:"sequence"`
	Type      EventType `json:"type"`
	BookingID string    `json:"booking_id"`
	// Status is the booking's status when the event happened.
	Status     Status       `json:"status"`
	Time       time.Time    `json:"time"` // when it happened (workflow time)
	ChargeUUID string       `json:"charge_uuid,omitempty"`
	Hold       money.Amount `json:"hold"` // what the booking asked to hold
	Authorized money.Amount `json:"authorized,omitzero"`
	Captured   money.Amount `json:"captured,omitzero"`
	Refunded   money.Amount `json:"refunded,omitzero"`
	// RefundID is the booking system's id of the refund a refunded event
	// is about (empty: A55 reports a refund made elsewhere, e.g. its
	// dashboard).
	RefundID string `json:"refund_id,omitempty"`
	URL3DS   string `json:"url_3ds,omitempty"`
	// CaptureDeadline is when the deadline policy runs (authorized,
	// hold_expiring).
	CaptureDeadline time.Time      `json:"capture_deadline,omitzero"`
	DeadlinePolicy  DeadlineAction `json:"deadline_policy,omitempty"`
	DeclineCode     string         `json:"decline_code,omitempty"`
	DeclineMessage  string         `json:"decline_message,omitempty"`
	VoidedBy        string         `json:"voided_by,omitempty"`
	// Replacement numbers the replace_hold a replacement event is about
	// (1, 2, ...); ReplacedChargeUUID is the hold a hold_replaced released.
	Replacement        int    `json:"replacement,omitempty"`
	ReplacedChargeUUID string `json:"replaced_charge_uuid,omitempty"`
	Reason             string `json:"reason,omitempty"`
}

// NotificationState is how the booking's notifications stand, in the
// status query.
type NotificationState struct {
	// LastSequence is the sequence number of the latest event.
	LastSequence int64 `json:"last_sequence"`
	// Delivered counts the events the booking system accepted (2xx).
	Delivered int64 `json:"delivered"`
	// Pending are the events not delivered yet, oldest (in flight) first.
	Pending []Event `json:"pending,omitempty"`
	// Undelivered are the events given up: refused by the booking system
	// (4xx other than 408 and 429), retried past NotificationRetryBudget,
	// or still pending when the booking closed.
	Undelivered []UndeliveredEvent `json:"undelivered,omitempty"`
	// Off says why the booking sends no more notifications (no URL for its
	// merchant).
	Off string `json:"off,omitempty"`
	// HoldExpiringFor is the capture deadline the hold_expiring event was
	// sent for (it is sent again if the deadline moves).
	HoldExpiringFor time.Time `json:"hold_expiring_for,omitzero"`
}

// UndeliveredEvent is an event the booking system never accepted.
type UndeliveredEvent struct {
	ID       string    `json:"id"`
	Sequence int64     `json:"sequence"`
	Type     EventType `json:"type"`
	Problem  string    `json:"problem"`
}

// Notification delivery bounds and defaults.
const (
	// DefaultHoldExpiringNotice: hold_expiring is sent this long before
	// the deadline policy runs (input hold_expiring_notice).
	DefaultHoldExpiringNotice = 24 * time.Hour
	// NotificationRetryBudget is how long one event is retried: attempts
	// back off from 1 s, doubling, to one an hour (about 80 attempts).
	NotificationRetryBudget = 3 * 24 * time.Hour
	// NotificationDrainBound is how long a booking that has its outcome
	// stays open for its undelivered events before it closes; what is still
	// pending then is given up (Undelivered).
	NotificationDrainBound = 3 * 24 * time.Hour
	// NotificationAttemptTimeout bounds one delivery attempt (the
	// activity's HTTP call is shorter).
	NotificationAttemptTimeout = 30 * time.Second
)
