package a55sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// WebhookSchedule is A55's documented gap before each delivery attempt
// (7 attempts); Config.WebhookRetryScale multiplies it.
var WebhookSchedule = []time.Duration{0, time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 24 * time.Hour}

type webhookEvent struct {
	chargeUUID string
	url        string
	body       []byte
}

// enqueueWebhookLocked schedules the webhook for the charge's current status.
// First attempts of one charge's events go out in order; retries and
// injected reorders may overtake, as at A55.
func (s *Sandbox) enqueueWebhookLocked(c *charge) {
	if c.webhookURL == "" || s.closed {
		return
	}
	body := map[string]any{
		"charge_uuid":           c.uuid,
		"status":                s.apiStatus(c, c.status),
		"transaction_reference": c.transactionReference,
		"reference_external_id": c.referenceExternalID,
		"amount":                formatDecimal(c.amountLocal(), c.exp),
		"currency":              c.currency,
		"updated_at":            c.updatedAt.UTC().Format(time.RFC3339Nano),
	}
	if c.status == StatusError {
		body["error_code"] = c.code
		body["error_message"] = c.message
	}
	if c.status == StatusRefunded {
		body["refund_amount"] = formatDecimal(c.refunded, c.exp)
	}
	b, _ := json.Marshal(body)
	ev := webhookEvent{chargeUUID: c.uuid, url: c.webhookURL, body: b}
	plan := s.planWebhookLocked()
	if plan.drop {
		c.webhooks.Dropped++
		return
	}
	prev := c.webhookChain
	done := make(chan struct{})
	c.webhookChain = done
	releaseHeld := c.heldWebhook // an earlier reordered event waits for this one
	c.heldWebhook = nil
	var hold chan struct{}
	if plan.reorder {
		hold = make(chan struct{})
		c.heldWebhook = hold
	}
	s.wg.Add(1)
	go s.deliver(ev, plan, prev, done, hold, releaseHeld)
}

// sleep waits d unless the sandbox closes; it reports whether to go on.
func (s *Sandbox) sleep(d time.Duration) bool {
	if d <= 0 {
		select {
		case <-s.stop:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stop:
		return false
	}
}

func (s *Sandbox) deliver(ev webhookEvent, plan webhookPlan, prev <-chan struct{}, done, hold, releaseHeld chan struct{}) {
	defer s.wg.Done()
	closed := false
	release := func() {
		if !closed {
			closed = true
			close(done)
			if releaseHeld != nil {
				close(releaseHeld)
			}
		}
	}
	defer release()
	if prev != nil {
		select {
		case <-prev:
		case <-s.stop:
			return
		}
	}
	if plan.reorder {
		// Let the charge's next event go first; wait for its first attempt
		// (or at most the fault's Delay when no further event comes).
		if releaseHeld != nil {
			close(releaseHeld)
			releaseHeld = nil
		}
		closed = true
		close(done)
		t := time.NewTimer(plan.delay)
		select {
		case <-hold:
		case <-t.C:
		case <-s.stop:
			t.Stop()
			return
		}
		t.Stop()
	} else if !s.sleep(plan.delay) {
		return
	}
	for i, gap := range WebhookSchedule {
		if i > 0 && !s.sleep(time.Duration(float64(gap)*s.cfg.WebhookRetryScale)) {
			return
		}
		ok, retry := s.attempt(ev)
		release()
		if ok {
			if plan.duplicate {
				s.attempt(ev)
				s.mu.Lock()
				if c, found := s.charges[ev.chargeUUID]; found {
					c.webhooks.Duplicated++
				}
				s.mu.Unlock()
			}
			return
		}
		if !retry {
			break
		}
	}
	s.mu.Lock()
	if c, found := s.charges[ev.chargeUUID]; found {
		c.webhooks.Failed++
	}
	s.mu.Unlock()
}

// attempt posts the event once. ok: 2xx. retry: 5xx, timeout or connection
// error (never 4xx, as A55 documents).
func (s *Sandbox) attempt(ev webhookEvent) (ok, retry bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ev.url, bytes.NewReader(ev.body))
	if err != nil {
		return false, false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "A55-Sandbox-Webhook/1")
	if s.cfg.WebhookSigningSecret != "" {
		ts := strconv.FormatInt(s.now().Unix(), 10)
		req.Header.Set("X-Webhook-Timestamp", ts)
		req.Header.Set("X-Webhook-Signature", Sign(s.cfg.WebhookSigningSecret, ts, ev.body))
	}
	s.mu.Lock()
	if c, found := s.charges[ev.chargeUUID]; found {
		c.webhooks.Attempts++
	}
	s.mu.Unlock()
	resp, err := s.webhookClient.Do(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
		resp.Body.Close()
	}
	s.mu.Lock()
	if c, found := s.charges[ev.chargeUUID]; found {
		if status >= 200 && status < 300 {
			c.webhooks.Delivered++
		}
		c.webhooks.LastStatus = status
	}
	s.mu.Unlock()
	switch {
	case err != nil:
		return false, true
	case status >= 200 && status < 300:
		return true, false
	case status >= 500:
		return false, true
	}
	return false, false
}

// Sign is the webhook signature: hex HMAC-SHA256 of "<timestamp>.<body>" keyed with secret.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
