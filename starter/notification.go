package starter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hotelpay/a55-temporal/workflows"
)

// Receiving notifications: the worker POSTs each booking event
// (workflows.Event) to the booking system signed per the Standard Webhooks
// specification. ConstructEvent verifies a delivery and decodes it, like
// stripe-go's webhook.ConstructEvent; docs/notifications.md is the same
// contract for other languages.

// DefaultNotificationTolerance is how far a delivery's webhook-timestamp
// may be from the receiver's clock (the specification's 5 minutes): an
// older delivery is refused, so a captured request cannot be replayed
// later. Retries are signed afresh, so a late retry still verifies.
const DefaultNotificationTolerance = 5 * time.Minute

// Verification errors (errors.Is).
var (
	// ErrNotificationHeaders: webhook-id, webhook-timestamp or
	// webhook-signature is missing or malformed.
	ErrNotificationHeaders = errors.New("notification: missing or malformed webhook-id, webhook-timestamp or webhook-signature")
	// ErrNotificationSignature: no signature matches the body with this
	// secret (forged, altered, or another secret).
	ErrNotificationSignature = errors.New("notification: the signature does not match")
	// ErrNotificationTimestamp: webhook-timestamp is outside the tolerance
	// (a replay, or a clock far off).
	ErrNotificationTimestamp = errors.New("notification: webhook-timestamp is outside the tolerance")
	// ErrNotificationBody: the signed body is not a booking event.
	ErrNotificationBody = errors.New("notification: the body is not a booking event")
)

// NotificationOptions tune ConstructEventWithOptions; zero values are the
// defaults.
type NotificationOptions struct {
	// Tolerance is DefaultNotificationTolerance when 0.
	Tolerance time.Duration
	// Now is the receiver's clock (time.Now when nil).
	Now func() time.Time
}

// ConstructEvent verifies a delivery (body exactly as received, its
// headers, the merchant's whsec_ secret) and decodes its event. Answer 2xx
// only once the event is stored: the worker redelivers until then, with the
// same id, so deduplicate on Event.ID; events arrive in Event.Sequence
// order.
func ConstructEvent(body []byte, header http.Header, secret string) (workflows.Event, error) {
	return ConstructEventWithOptions(body, header, secret, NotificationOptions{})
}

// ConstructEventWithOptions is ConstructEvent with another tolerance or
// clock.
func ConstructEventWithOptions(body []byte, header http.Header, secret string, opts NotificationOptions) (workflows.Event, error) {
	if err := VerifyNotification(body, header, secret, opts); err != nil {
		return workflows.Event{}, err
	}
	var ev workflows.Event
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&ev); err != nil {
		return workflows.Event{}, fmt.Errorf("%w: %v", ErrNotificationBody, err)
	}
	switch {
	case ev.ID != header.Get(standardwebhooks.HeaderWebhookID):
		return workflows.Event{}, fmt.Errorf("%w: id %q differs from webhook-id", ErrNotificationBody, ev.ID)
	case ev.Type == "" || ev.BookingID == "" || ev.Sequence < 1:
		return workflows.Event{}, fmt.Errorf("%w: type, booking_id and sequence are required", ErrNotificationBody)
	}
	return ev, nil
}

// VerifyNotification checks a delivery's signature (constant time, with
// the specification's Go library) and its timestamp against the tolerance,
// without decoding the body.
func VerifyNotification(body []byte, header http.Header, secret string, opts NotificationOptions) error {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return fmt.Errorf("notification: the secret is not a whsec_ secret: %w", err)
	}
	if header.Get(standardwebhooks.HeaderWebhookID) == "" || header.Get(standardwebhooks.HeaderWebhookSignature) == "" {
		return ErrNotificationHeaders
	}
	sec, err := strconv.ParseInt(header.Get(standardwebhooks.HeaderWebhookTimestamp), 10, 64)
	if err != nil {
		return ErrNotificationHeaders
	}
	tolerance, now := opts.Tolerance, opts.Now
	if tolerance <= 0 {
		tolerance = DefaultNotificationTolerance
	}
	if now == nil {
		now = time.Now
	}
	// The library checks the timestamp against time.Now only: the
	// signature with it, the tolerance here, on the receiver's clock.
	if err := wh.VerifyIgnoringTimestamp(body, header); err != nil {
		if errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
			return ErrNotificationSignature
		}
		return ErrNotificationHeaders
	}
	if skew := now().Sub(time.Unix(sec, 0)); skew > tolerance || skew < -tolerance {
		return fmt.Errorf("%w: signed %s ago (tolerance %s)", ErrNotificationTimestamp, skew.Round(time.Second), tolerance)
	}
	return nil
}
