// Package metrics names the project's business metrics and records them
// through the Temporal SDK's metrics handler, so one handler serves the SDK's
// own metrics and ours. Inside workflow code pass workflow.GetMetricsHandler(ctx)
// (it drops emissions during replay); in activities activity.GetMetricsHandler(ctx);
// elsewhere the process's handler (see package prom for the Prometheus export).
//
// Names are Prometheus-style; the exporter adds _total to counters and
// _seconds to timers.
package metrics

import (
	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/workflows"
)

// Metric names.
const (
	// Authorizations counts authorization outcomes (tag outcome).
	Authorizations = "booking_payment_authorizations"
	// ThreeDSChallenges counts 3DS challenges presented to card holders.
	ThreeDSChallenges = "booking_payment_threeds_challenges"
	// ThreeDSOutcomes counts how 3DS challenges ended (tag outcome).
	ThreeDSOutcomes = "booking_payment_threeds_outcomes"
	// Captures counts captures (tag by: who captured, counted by the
	// workflow when it happens; see workflows.MetricCaptures).
	Captures = workflows.MetricCaptures
	// Releases counts released holds (tag by: request | deadline |
	// cancellation_request | operator; see workflows.MetricReleases).
	Releases = workflows.MetricReleases
	// NeedsAttention counts bookings that entered needs_attention: alert on
	// any increase.
	NeedsAttention = "booking_payment_needs_attention"
	// CaptureAmountMismatches counts captures where A55 captured another
	// amount than the capture asked (an acquirer without partial capture
	// books the whole hold): the booking records A55's figure; alert on any
	// increase (the guest may have been charged more than the bill).
	CaptureAmountMismatches = workflows.MetricCaptureAmountMismatches

	// Reconciled counts what reconciliation runs found (tag result:
	// released | release_failed | settled | disagreement): alert on
	// release_failed and on any released (something stranded a hold);
	// settled (a booking captured or released its charge while the run
	// looked) is no failure.
	Reconciled = "a55_reconciliation_charges"

	// A55Requests counts HTTP calls to A55 (tags op, class).
	A55Requests = "a55_requests"
	// A55RequestErrors counts failed HTTP calls to A55 (tags op, class).
	A55RequestErrors = "a55_request_errors"
	// A55RequestLatency times HTTP calls to A55 (tags op, class).
	A55RequestLatency = "a55_request_latency"

	// WebhooksReceived counts webhook requests that reached the receiver.
	WebhooksReceived = "a55_webhooks_received"
	// WebhooksRejected counts webhooks answered 4xx (tag reason).
	WebhooksRejected = "a55_webhooks_rejected"
	// WebhooksSignalled counts webhooks delivered to Temporal (tag result:
	// updated | ignored | signalled | signalled_fallback | workflow_closed |
	// temporal_unavailable).
	WebhooksSignalled = "a55_webhooks_signalled"
)

// Tag names.
const (
	TagOutcome = "outcome"
	TagBy      = workflows.MetricTagBy
	TagOp      = "op"
	TagClass   = "class"
	TagReason  = "reason"
	TagResult  = "result"
)

func nopIfNil(h client.MetricsHandler) client.MetricsHandler {
	if h == nil {
		return client.MetricsNopHandler
	}
	return h
}

// Authorization records an authorization outcome: authorized, awaiting_3ds,
// declined, failed.
func Authorization(h client.MetricsHandler, outcome string) {
	nopIfNil(h).WithTags(map[string]string{TagOutcome: outcome}).Counter(Authorizations).Inc(1)
}

// ThreeDSChallenge records that a card holder was sent to a 3DS challenge.
func ThreeDSChallenge(h client.MetricsHandler) {
	nopIfNil(h).Counter(ThreeDSChallenges).Inc(1)
}

// ThreeDSOutcome records how a challenge ended: authorized, declined, timed_out.
func ThreeDSOutcome(h client.MetricsHandler, outcome string) {
	nopIfNil(h).WithTags(map[string]string{TagOutcome: outcome}).Counter(ThreeDSOutcomes).Inc(1)
}

// BookingNeedsAttention records a booking entering needs_attention.
func BookingNeedsAttention(h client.MetricsHandler) {
	nopIfNil(h).Counter(NeedsAttention).Inc(1)
}

// Values of TagResult for Reconciled.
const (
	ReconcileReleased      = "released"
	ReconcileReleaseFailed = "release_failed"
	ReconcileSettled       = "settled"
	ReconcileDisagreement  = "disagreement"
)

// Reconciliation records n charges of one result of a reconciliation run.
func Reconciliation(h client.MetricsHandler, result string, n int) {
	if n > 0 {
		nopIfNil(h).WithTags(map[string]string{TagResult: result}).Counter(Reconciled).Inc(int64(n))
	}
}

// Notification metrics: deliveries of events to booking systems.
const (
	// NotificationDeliveries counts delivery attempts (tags type, result:
	// accepted | rejected | retry | no_endpoint).
	NotificationDeliveries = "booking_notification_deliveries"
	// NotificationsUndelivered counts events given up (tags type, reason:
	// rejected | gave_up | booking_closed): alert on any increase, the
	// booking system missed an outcome. The workflow records it.
	NotificationsUndelivered = workflows.MetricNotificationsUndelivered
	// TagType is the event type.
	TagType = "type"
)

// NotificationDelivery records one delivery attempt of an event.
func NotificationDelivery(h client.MetricsHandler, eventType, result string) {
	nopIfNil(h).WithTags(map[string]string{TagType: eventType, TagResult: result}).Counter(NotificationDeliveries).Inc(1)
}
