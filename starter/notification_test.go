package starter_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/starter"
)

// The Standard Webhooks specification's published test vector, copied from
// its libraries' tests (github.com/standard-webhooks/standard-webhooks,
// libraries/go/webhook_test.go and libraries/python/tests/test_webhooks.py):
// this secret, message id, timestamp and body carry this signature; the
// Python tests' altered signature must fail.
const (
	specSecret       = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specMsgID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp    = "1614265330"
	specPayload      = `{"test": 2432232314}`
	specSignature    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	specBadSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="
)

func specHeader(sig string) http.Header {
	h := http.Header{}
	h.Set("webhook-id", specMsgID)
	h.Set("webhook-timestamp", specTimestamp)
	h.Set("webhook-signature", sig)
	return h
}

// at is the receiver's clock d after the vector's timestamp.
func at(d time.Duration) starter.NotificationOptions {
	return starter.NotificationOptions{Now: func() time.Time { return time.Unix(1614265330, 0).Add(d) }}
}

func TestVerifyNotificationWithTheSpecVector(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		header  http.Header
		secret  string
		opts    starter.NotificationOptions
		wantErr error
	}{
		{"the vector", specPayload, specHeader(specSignature), specSecret, at(0), nil},
		{"within the tolerance", specPayload, specHeader(specSignature), specSecret, at(4 * time.Minute), nil},
		{"one of several signatures", specPayload, specHeader("v1,Zm9yZ2Vk " + specSignature), specSecret, at(0), nil},
		{"the secret without its prefix", specPayload, specHeader(specSignature), "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", at(0), nil},
		{"altered signature", specPayload, specHeader(specBadSignature), specSecret, at(0), starter.ErrNotificationSignature},
		{"altered body", `{"test": 2432232315}`, specHeader(specSignature), specSecret, at(0), starter.ErrNotificationSignature},
		{"another secret", specPayload, specHeader(specSignature), "whsec_dGhlLWJvb2tpbmctc3lzdGVtcy10ZXN0LXNlY3JldA==", at(0), starter.ErrNotificationSignature},
		{"replayed later", specPayload, specHeader(specSignature), specSecret, at(6 * time.Minute), starter.ErrNotificationTimestamp},
		{"from the future", specPayload, specHeader(specSignature), specSecret, at(-6 * time.Minute), starter.ErrNotificationTimestamp},
		{"a longer tolerance", specPayload, specHeader(specSignature), specSecret,
			starter.NotificationOptions{Tolerance: time.Hour, Now: at(30 * time.Minute).Now}, nil},
		{"no signature", specPayload, specHeader(""), specSecret, at(0), starter.ErrNotificationHeaders},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := starter.VerifyNotification([]byte(c.body), c.header, c.secret, c.opts)
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil) != (err == nil) {
				t.Errorf("VerifyNotification = %v, want %v", err, c.wantErr)
			}
		})
	}
	h := specHeader(specSignature)
	h.Set("webhook-timestamp", "yesterday")
	if err := starter.VerifyNotification([]byte(specPayload), h, specSecret, at(0)); !errors.Is(err, starter.ErrNotificationHeaders) {
		t.Errorf("malformed timestamp: %v", err)
	}
}

// A signed body that is not a booking event (the vector's) verifies but
// does not decode.
func TestConstructEventRefusesABodyThatIsNoEvent(t *testing.T) {
	_, err := starter.ConstructEventWithOptions([]byte(specPayload), specHeader(specSignature), specSecret, at(0))
	if !errors.Is(err, starter.ErrNotificationBody) {
		t.Errorf("ConstructEvent = %v, want ErrNotificationBody", err)
	}
}
