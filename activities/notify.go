package activities

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/hotelpay/a55-temporal/internal/metrics"
	"github.com/hotelpay/a55-temporal/workflows"
)

// NotifyEndpoint is where a merchant's booking events go and the secret
// they are signed with (Standard Webhooks, "whsec_" + base64 key).
type NotifyEndpoint struct {
	URL    string
	Secret string
}

// NotifyEndpoints is the worker's notification configuration: a default
// and per-merchant overrides (each field on its own: a merchant may have
// its own secret and the default URL).
type NotifyEndpoints struct {
	Default  NotifyEndpoint
	Merchant map[string]NotifyEndpoint
}

// For is merchant's endpoint.
func (e NotifyEndpoints) For(merchant string) NotifyEndpoint {
	ep := e.Default
	if m, ok := e.Merchant[merchant]; ok {
		if m.URL != "" {
			ep.URL = m.URL
		}
		if m.Secret != "" {
			ep.Secret = m.Secret
		}
	}
	return ep
}

// CheckNotifySecret accepts a Standard Webhooks secret: "whsec_" and the
// base64 of 24 to 64 random bytes.
func CheckNotifySecret(secret string) error {
	raw, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return errors.New("must start with whsec_ (a Standard Webhooks secret)")
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return errors.New("must be whsec_ and the standard base64 of the key (it cannot be decoded)")
	}
	if len(key) < 24 || len(key) > 64 {
		return fmt.Errorf("the key must be 24 to 64 bytes (got %d)", len(key))
	}
	return nil
}

// notifyHTTPTimeout bounds one delivery, inside the attempt's
// workflows.NotificationAttemptTimeout.
const notifyHTTPTimeout = 20 * time.Second

// maxRetryAfter caps a booking system's Retry-After at the retry policy's
// longest interval.
const maxRetryAfter = time.Hour

// DeliverNotification POSTs one event to the booking system, signed per
// the Standard Webhooks specification (webhook-id is the event's id, so a
// redelivery carries the same one; webhook-timestamp is this attempt's
// time). 2xx accepts it; a 4xx other than 408 and 429 is a
// non-retryable ErrTypeNotificationRejected; anything else (5xx, 408, 429,
// no answer) is retried, honouring Retry-After. No URL for the booking or
// its merchant: NoEndpoint (the booking sends no notifications).
func (a *Activities) DeliverNotification(ctx context.Context, in workflows.DeliverNotificationInput) (*workflows.DeliverNotificationResult, error) {
	h := activity.GetMetricsHandler(ctx)
	logger := activity.GetLogger(ctx)
	ep := a.cfg.Notifications.For(in.MerchantID)
	url := in.URL
	if url == "" {
		url = ep.URL
	}
	evType := string(in.Event.Type)
	if url == "" {
		metrics.NotificationDelivery(h, evType, "no_endpoint")
		return &workflows.DeliverNotificationResult{NoEndpoint: true}, nil
	}
	if ep.Secret == "" {
		metrics.NotificationDelivery(h, evType, "retry")
		return nil, fmt.Errorf("no notification signing secret is configured for merchant %q (NOTIFY_SECRET or NOTIFY_SECRET_BY_MERCHANT)", in.MerchantID)
	}
	body, err := json.Marshal(in.Event)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("encoding the event: "+err.Error(), "NotificationEncoding", nil)
	}
	now := a.cfg.Now()
	signed, err := signNotification(ep.Secret, in.Event.ID, now, body)
	if err != nil {
		return nil, fmt.Errorf("the notification signing secret of merchant %q: %w", in.MerchantID, err)
	}
	hctx, cancel := context.WithTimeout(ctx, notifyHTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(hctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("notification URL: "+err.Error(), workflows.ErrTypeNotificationRejected, nil)
	}
	req.Header = signed
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "a55-booking-payments")
	resp, err := a.notifyClient().Do(req)
	if err != nil {
		metrics.NotificationDelivery(h, evType, "retry")
		// The error names the URL, never the secret.
		return nil, fmt.Errorf("delivering %s: %w", in.Event.ID, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		metrics.NotificationDelivery(h, evType, "accepted")
		return &workflows.DeliverNotificationResult{StatusCode: code}, nil
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		metrics.NotificationDelivery(h, evType, "rejected")
		logger.Warn("the booking system refused a notification; it is not retried", "event_id", in.Event.ID,
			"event_type", evType, "status_code", code)
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("the booking system answered HTTP %d: %s", code, strings.TrimSpace(string(answer))),
			workflows.ErrTypeNotificationRejected, nil)
	}
	metrics.NotificationDelivery(h, evType, "retry")
	msg := fmt.Sprintf("the booking system answered HTTP %d", code)
	if d, ok := retryAfter(resp.Header.Get("Retry-After"), now); ok {
		return nil, temporal.NewApplicationErrorWithOptions(msg, "NotificationRetryAfter",
			temporal.ApplicationErrorOptions{NextRetryDelay: min(d, maxRetryAfter)})
	}
	return nil, errors.New(msg)
}

// signNotification is the Standard Webhooks headers of body sent as
// message id at time at, signed with secret (whsec_) by the
// specification's library.
func signNotification(secret, id string, at time.Time, body []byte) (http.Header, error) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, errors.New("not a whsec_ secret")
	}
	sig, err := wh.Sign(id, at, body)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set(standardwebhooks.HeaderWebhookID, id)
	h.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(standardwebhooks.HeaderWebhookSignature, sig)
	return h, nil
}

func (a *Activities) notifyClient() *http.Client {
	if a.cfg.NotifyClient != nil {
		return a.cfg.NotifyClient
	}
	return defaultNotifyClient
}

// defaultNotifyClient follows no redirect: a signed event goes to the
// configured URL only (a 3xx is retried until the URL is fixed).
var defaultNotifyClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// retryAfter reads a Retry-After header (seconds or an HTTP date).
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now), true
	}
	return 0, false
}
