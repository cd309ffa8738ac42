// Package webhook receives A55's charge webhooks and routes each one to its
// booking's workflow. The URL handed to A55 carries a per-booking token so a
// stranger who guesses a booking id cannot signal its workflow.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
)

// PathPrefix is where the receiver serves webhooks: PathPrefix + <workflow id>.
const PathPrefix = "/webhooks/a55/"

// Token is the per-booking routing token: HMAC-SHA256(secret, workflowID),
// base64url without padding.
func Token(secret []byte, workflowID string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("a55-webhook-route:" + workflowID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// ValidToken compares in constant time.
func ValidToken(secret []byte, workflowID, token string) bool {
	want := Token(secret, workflowID)
	return hmac.Equal([]byte(want), []byte(token))
}

// URL builds the webhook_url for one booking's charge.
func URL(baseURL string, secret []byte, workflowID string) string {
	return strings.TrimRight(baseURL, "/") + PathPrefix + url.PathEscape(workflowID) +
		"?token=" + url.QueryEscape(Token(secret, workflowID))
}
