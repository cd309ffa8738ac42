package activities_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/workflows"
)

const notifySecret = "whsec_dGhlLWJvb2tpbmctc3lzdGVtcy10ZXN0LXNlY3JldA=="

func deliver(t *testing.T, cfg activities.Config, in workflows.DeliverNotificationInput) (*workflows.DeliverNotificationResult, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(activities.NewWithGateway(nil, cfg))
	v, err := env.ExecuteActivity(workflows.ActivityDeliverNotification, in)
	if err != nil {
		return nil, err
	}
	var res workflows.DeliverNotificationResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	return &res, nil
}

func event() workflows.Event {
	return workflows.Event{ID: "booking-B-1/1/captured", Sequence: 1, Type: workflows.EventCaptured, BookingID: "B-1",
		Status: workflows.StatusCaptured, Hold: money.Amount{Minor: 50000, Currency: "BRL"}, Captured: money.Amount{Minor: 32000, Currency: "BRL"}}
}

// The delivery is what a booking system verifies with the starter, and
// each answer class is classified for the workflow's retry policy.
func TestDeliverNotification(t *testing.T) {
	now := time.Unix(1_900_000_000, 0)
	var answer int
	var retryAfter string
	var got workflows.Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev, err := starter.ConstructEventWithOptions(body, r.Header, notifySecret, starter.NotificationOptions{Now: func() time.Time { return now }})
		if err != nil {
			t.Errorf("delivery does not verify: %v", err)
		}
		got = ev
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(answer)
		_, _ = io.WriteString(w, "booking unknown")
	}))
	defer srv.Close()
	cfg := activities.Config{Now: func() time.Time { return now }, Notifications: activities.NotifyEndpoints{
		Default: activities.NotifyEndpoint{Secret: notifySecret},
		Merchant: map[string]activities.NotifyEndpoint{
			"m-1": {URL: srv.URL},
		}}}
	in := workflows.DeliverNotificationInput{MerchantID: "m-1", Event: event()}

	answer = http.StatusAccepted
	res, err := deliver(t, cfg, in)
	if err != nil || res.StatusCode != http.StatusAccepted || res.NoEndpoint || got != in.Event {
		t.Errorf("2xx: %+v, %v; received %+v", res, err, got)
	}
	for _, code := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity} {
		answer = code
		_, err := deliver(t, cfg, in)
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.Type() != workflows.ErrTypeNotificationRejected || !app.NonRetryable() || !strings.Contains(err.Error(), "booking unknown") {
			t.Errorf("HTTP %d: %v, want non-retryable %s", code, err, workflows.ErrTypeNotificationRejected)
		}
	}
	for _, code := range []int{http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusFound} {
		answer = code
		_, err := deliver(t, cfg, in)
		var app *temporal.ApplicationError
		if err == nil || (errors.As(err, &app) && app.NonRetryable()) {
			t.Errorf("HTTP %d: %v, want a retryable error", code, err)
		}
	}
	answer, retryAfter = http.StatusTooManyRequests, "120"
	_, err = deliver(t, cfg, in)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.NextRetryDelay() != 2*time.Minute {
		t.Errorf("Retry-After 120: %v", err)
	}
	retryAfter = "86400" // a day: capped at the retry policy's longest interval
	_, err = deliver(t, cfg, in)
	if !errors.As(err, &app) || app.NextRetryDelay() != time.Hour {
		t.Errorf("Retry-After 86400: %v", err)
	}
}

func TestDeliverNotificationWithoutEndpointOrSecret(t *testing.T) {
	res, err := deliver(t, activities.Config{}, workflows.DeliverNotificationInput{MerchantID: "m-1", Event: event()})
	if err != nil || !res.NoEndpoint {
		t.Errorf("no URL anywhere: %+v, %v", res, err)
	}
	// A booking's own URL without a secret for its merchant: retried until
	// the secret is configured; the error names the variable.
	_, err = deliver(t, activities.Config{}, workflows.DeliverNotificationInput{MerchantID: "m-1", URL: "http://127.0.0.1:1/hooks", Event: event()})
	var app *temporal.ApplicationError
	if err == nil || (errors.As(err, &app) && app.NonRetryable()) || !strings.Contains(err.Error(), "NOTIFY_SECRET") {
		t.Errorf("no secret: %v", err)
	}
}

func TestNotifyEndpointsFor(t *testing.T) {
	e := activities.NotifyEndpoints{
		Default:  activities.NotifyEndpoint{URL: "https://default.example/hooks", Secret: "whsec_default"},
		Merchant: map[string]activities.NotifyEndpoint{"m-1": {Secret: "whsec_m1"}, "m-2": {URL: "https://m2.example/hooks"}},
	}
	cases := map[string]activities.NotifyEndpoint{
		"m-1": {URL: "https://default.example/hooks", Secret: "whsec_m1"},
		"m-2": {URL: "https://m2.example/hooks", Secret: "whsec_default"},
		"m-3": e.Default,
	}
	for m, want := range cases {
		if got := e.For(m); got != want {
			t.Errorf("For(%s) = %+v, want %+v", m, got, want)
		}
	}
}
