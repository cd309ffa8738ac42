package activities

import (
	"testing"
	"time"
)

// The Standard Webhooks specification's published signing vector, copied
// from its libraries' tests (github.com/standard-webhooks/standard-webhooks,
// libraries/go/webhook_test.go TestWebhookSign; the same values are in the
// Python, Java and C# tests): this secret, message id, timestamp and body
// sign to this signature.
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specMsgID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specPayload   = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignNotificationMatchesTheSpecVector(t *testing.T) {
	h, err := signNotification(specSecret, specMsgID, time.Unix(specTimestamp, 0), []byte(specPayload))
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get("webhook-signature"); got != specSignature {
		t.Errorf("webhook-signature = %q, want the spec's %q", got, specSignature)
	}
	if h.Get("webhook-id") != specMsgID || h.Get("webhook-timestamp") != "1614265330" {
		t.Errorf("headers = %v", h)
	}
}

func TestCheckNotifySecret(t *testing.T) {
	for secret, ok := range map[string]bool{
		specSecret: true, // 24 bytes
		"whsec_dGhlLWJvb2tpbmctc3lzdGVtcy10ZXN0LXNlY3JldA==": true,
		"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw":                   false, // no prefix
		"whsec_c2hvcnQ=":                                     false, // 5 bytes
		"whsec_not base64!":                                  false,
	} {
		if err := CheckNotifySecret(secret); (err == nil) != ok {
			t.Errorf("CheckNotifySecret(%q) = %v, want ok %v", secret, err, ok)
		}
	}
}
