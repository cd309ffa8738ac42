package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/internal/webhook"
	"github.com/hotelpay/a55-temporal/workflows"
)

// A webhook posted to the receiver reaches the booking's workflow as a
// signal; one with a forged routing token or signature does not.
func TestWebhookReachesTheWorkflowOnlyWithValidCredentials(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	id, auth := authorizedHold(t, ctx, "webhook", 10000)
	secrets, err := env.Proj.Secrets()
	if err != nil {
		t.Fatal(err)
	}
	routeSecret := []byte(secrets[stack.EnvWebhookRouteSecret])
	signingSecret := []byte(secrets[stack.EnvWebhookSigningSecret])
	wfID := workflows.WorkflowID(id)
	// A status the workflow has not read yet, so that it takes the webhook
	// (a repeat of what it knows is answered 200 and leaves no event).
	body := `{"charge_uuid":"` + auth.ChargeUUID + `","status":"canceled","transaction_reference":"e2e"}`
	before := webhooksTaken(t, ctx, id)

	post := func(url string, secret []byte) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(ts + "." + body))
		req.Header.Set(webhook.HeaderTimestamp, ts)
		req.Header.Set(webhook.HeaderSignature, hex.EncodeToString(m.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	forged := webhook.URL(env.Proj.ReceiverURL(), []byte("not-the-route-secret-not-the-route-secret"), wfID)
	if code := post(forged, signingSecret); code != http.StatusUnauthorized {
		t.Errorf("forged routing token: HTTP %d, want 401", code)
	}
	genuine := webhook.URL(env.Proj.ReceiverURL(), routeSecret, wfID)
	if code := post(genuine, []byte("wrong-signing-secret-wrong-signing-secret")); code != http.StatusUnauthorized {
		t.Errorf("forged signature: HTTP %d, want 401", code)
	}
	if n := webhooksTaken(t, ctx, id); n != before {
		t.Fatalf("rejected webhooks reached the workflow (%d → %d)", before, n)
	}
	if code := post(genuine, signingSecret); code/100 != 2 {
		t.Fatalf("genuine webhook: HTTP %d, want 2xx", code)
	}
	if n := webhooksTaken(t, ctx, id); n != before+1 {
		t.Fatalf("webhooks taken: %d → %d, want one more", before, n)
	}
	// The webhook is only a trigger to re-read the charge, which A55 still
	// reports authorized: the webhook's "canceled" changes nothing.
	if s, err := env.Starter().Status(ctx, id); err != nil || s.Status != workflows.StatusAuthorized || s.LastA55Status == "canceled" {
		t.Fatalf("status after the webhook = %v (last A55 status %q), %v", s.Status, s.LastA55Status, err)
	}
	if _, err := env.Starter().Cancel(ctx, id, "e2e done"); err != nil {
		t.Fatal(err)
	}
	if e := ledgerCharge(t, ctx, id, auth.ChargeUUID); e.Released.Minor != 10000 || e.Captured.Minor != 0 {
		t.Fatalf("ledger after cancel: released %d captured %d", e.Released.Minor, e.Captured.Minor)
	}
}
