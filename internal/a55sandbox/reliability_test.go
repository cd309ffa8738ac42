package a55sandbox_test

// clock: injected — the sandbox under test runs on the fake clock of harness_test.go.

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
)

func TestIdempotencySequential(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, a55sandbox.Config{Clock: clock.Now, TokenLifetime: 48 * time.Hour})
	body := charge("4111111111111111", map[string]any{"capture": false})
	first := h.create(body, "Idempotency-Key", "booking-42-authorize")
	second := h.create(body, "Idempotency-Key", "booking-42-authorize")
	if first.status != 200 || second.status != 200 || first.raw != second.raw {
		t.Fatalf("replay must return the stored answer:\n%s\n%s", first.raw, second.raw)
	}
	if second.header.Get("Idempotent-Replayed") != "true" {
		t.Error("replay not marked")
	}
	// The same JSON encoded differently is the same request.
	reordered := `{"capture":false,"wallet_uuid":"` + wallet + `","type_charge":"credit_card","card_name":"Zhang Wei","card_number":"4111111111111111",
 "card_expiry_month":12,"card_expiry_year":2099,"card_cvv":"123","currency":"BRL","installment_value":500.00,"installment_count":1,
 "reference_external_id":"ord_001","threeds_authentication":false}`
	if r := h.do("POST", "/api/v1/bank/wallet/charge/", reordered, "Idempotency-Key", "booking-42-authorize"); r.str("uuid") != first.str("uuid") {
		t.Errorf("re-encoded body: %d %s", r.status, r.raw)
	}
	other := charge("4111111111111111", map[string]any{"capture": false, "installment_value": 600})
	if r := h.create(other, "Idempotency-Key", "booking-42-authorize"); r.status != 409 || r.code() != "IDEMPOTENCY_KEY_REUSED" {
		t.Errorf("different body: %d %s", r.status, r.raw)
	}
	if l := h.srv.Ledger(); len(l.Charges) != 1 || l.Charges[0].Calls.Create != 1 || l.Charges[0].Calls.Replays != 2 {
		t.Fatalf("ledger: %+v", l.Charges)
	}
	// Keys are scoped per path: the same key on capture is a new operation.
	id := first.str("uuid")
	capBody := map[string]any{"charge_uuid": id, "wallet_uuid": wallet}
	c1 := h.do("POST", "/api/v1/bank/wallet/charge/capture/", capBody, "Idempotency-Key", "booking-42-authorize")
	c2 := h.do("POST", "/api/v1/bank/wallet/charge/capture/", capBody, "Idempotency-Key", "booking-42-authorize")
	if c1.status != 200 || c2.raw != c1.raw {
		t.Fatalf("capture replay: %s / %s", c1.raw, c2.raw)
	}
	if e, _ := h.srv.Charge(id); e.Calls.Capture != 1 || e.Calls.Replays != 3 {
		t.Errorf("capture counted twice: %+v", e.Calls)
	}
	// Error answers replay too (nothing is retried behind the caller's back).
	bad := map[string]any{"charge_uuid": "00000000-0000-4000-8000-00000000dead", "wallet_uuid": wallet}
	e1 := h.do("POST", "/api/v1/bank/wallet/charge/capture/", bad, "Idempotency-Key", "k-bad")
	e2 := h.do("POST", "/api/v1/bank/wallet/charge/capture/", bad, "Idempotency-Key", "k-bad")
	if e1.status != 404 || e2.raw != e1.raw {
		t.Errorf("error replay: %s / %s", e1.raw, e2.raw)
	}
	// Without a key every call runs.
	h.create(body)
	h.create(body)
	if n := len(h.srv.Ledger().Charges); n != 3 {
		t.Errorf("calls without key: %d charges, want 3", n)
	}
	// After 24 h the key is forgotten.
	clock.Advance(24 * time.Hour)
	if r := h.create(body, "Idempotency-Key", "booking-42-authorize"); r.status != 200 || r.str("uuid") == first.str("uuid") {
		t.Errorf("expired key must run anew: %s", r.raw)
	}
}

func TestIdempotencyInProgress(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{Faults: map[string]a55sandbox.Fault{"create": {Latency: a55sandbox.Duration(1500 * time.Millisecond)}}})
	body := charge("4111111111111111", nil)
	done := make(chan result)
	go func() { done <- h.create(body, "Idempotency-Key", "slow-key") }()
	eventually(t, "the first request to hold the key", func() bool { return h.srv.IdempotencyInFlight() == 1 })
	dup := h.create(body, "Idempotency-Key", "slow-key")
	if dup.status != 409 || dup.code() != "REQUEST_IN_PROGRESS" || !strings.Contains(dup.raw, "in progress") {
		t.Fatalf("duplicate in flight: %d %s", dup.status, dup.raw)
	}
	first := <-done
	if first.status != 200 {
		t.Fatalf("first: %d %s", first.status, first.raw)
	}
	if r := h.create(body, "Idempotency-Key", "slow-key"); r.str("uuid") != first.str("uuid") {
		t.Errorf("after completion the key replays: %s", r.raw)
	}
	if n := len(h.srv.Ledger().Charges); n != 1 {
		t.Fatalf("%d charges, want 1", n)
	}
}

func TestIdempotencyConcurrent(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{})
	body := charge("4111111111111111", map[string]any{"capture": false})
	const n = 16
	var wg sync.WaitGroup
	results := make([]result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = h.create(body, "Idempotency-Key", "same-key")
		}()
	}
	wg.Wait()
	var uuid string
	for _, r := range results {
		switch {
		case r.status == 200:
			if uuid == "" {
				uuid = r.str("uuid")
			}
			if r.str("uuid") != uuid {
				t.Fatalf("two charges for one key: %s and %s", uuid, r.str("uuid"))
			}
		case r.status == 409 && r.code() == "REQUEST_IN_PROGRESS":
		default:
			t.Fatalf("unexpected answer: %d %s", r.status, r.raw)
		}
	}
	if l := h.srv.Ledger(); len(l.Charges) != 1 || l.Charges[0].Calls.Create != 1 {
		t.Fatalf("ledger: %+v", l.Charges)
	}
	// Concurrent captures of one charge with different keys: one wins.
	results = make([]result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = h.do("POST", "/api/v1/bank/wallet/charge/capture/", map[string]any{"charge_uuid": uuid, "wallet_uuid": wallet},
				"Idempotency-Key", "cap-"+strconv.Itoa(i))
		}()
	}
	wg.Wait()
	ok := 0
	for _, r := range results {
		if r.status == 200 {
			ok++
		} else if r.code() != "errors.wallet.charge_capture_not_available" {
			t.Errorf("capture race: %d %s", r.status, r.raw)
		}
	}
	if e, _ := h.srv.Charge(uuid); ok != 1 || e.Calls.Capture != 1 {
		t.Fatalf("%d captures succeeded, ledger %d; want exactly one", ok, e.Calls.Capture)
	}
}

func TestWebhookRetries(t *testing.T) {
	t.Run("500 twice then 200", func(t *testing.T) {
		hook := newReceiver(t, 500, 500, 200)
		h := newHarness(t, a55sandbox.Config{WebhookSigningSecret: "whsec"})
		r := h.create(charge("4111111111111111", map[string]any{"webhook_url": hook.URL}))
		got := hook.waitFor(t, 3)
		eventually(t, "the third attempt to count as delivered", func() bool {
			e, _ := h.srv.Charge(r.str("uuid"))
			return e.Webhooks.Delivered == 1
		})
		h.srv.Close() // waits for every delivery goroutine: nothing more can arrive
		if len(hook.statuses()) != 3 {
			t.Fatalf("deliveries: %v", hook.statuses())
		}
		for _, b := range got {
			if b["charge_uuid"] != r.str("uuid") || b["status"] != "confirmed" {
				t.Errorf("delivery: %v", b)
			}
		}
		e, _ := h.srv.Charge(r.str("uuid"))
		if e.Webhooks.Attempts != 3 || e.Webhooks.Delivered != 1 || e.Webhooks.Failed != 0 {
			t.Errorf("webhook stats: %+v", e.Webhooks)
		}
		// Signature: hex HMAC-SHA256 of "<timestamp>.<body>".
		hook.mu.Lock()
		hdr, raw := hook.headers[2], hook.raw[2]
		hook.mu.Unlock()
		ts := hdr.Get("X-Webhook-Timestamp")
		if _, err := strconv.ParseInt(ts, 10, 64); err != nil || hdr.Get("X-Webhook-Signature") != a55sandbox.Sign("whsec", ts, raw) {
			t.Errorf("signature headers: %v", hdr)
		}
	})
	t.Run("400 is never retried", func(t *testing.T) {
		hook := newReceiver(t, 400, 200)
		h := newHarness(t, a55sandbox.Config{})
		r := h.create(charge("4111111111111111", map[string]any{"webhook_url": hook.URL}))
		eventually(t, "the event to be given up", func() bool {
			e, _ := h.srv.Charge(r.str("uuid"))
			return e.Webhooks.Failed == 1
		})
		h.srv.Close()
		if n := len(hook.statuses()); n != 1 {
			t.Fatalf("4xx answered, yet %d deliveries", n)
		}
	})
	t.Run("connection refused is retried all seven times", func(t *testing.T) {
		dead := newReceiver(t)
		deadURL := dead.URL
		dead.Close()
		h := newHarness(t, a55sandbox.Config{WebhookRetryScale: 1e-6}) // the seven attempts span 117 ms
		r := h.create(charge("4111111111111111", map[string]any{"webhook_url": deadURL}))
		eventually(t, "the event to be given up", func() bool {
			e, _ := h.srv.Charge(r.str("uuid"))
			return e.Webhooks.Failed == 1
		})
		if e, _ := h.srv.Charge(r.str("uuid")); e.Webhooks.Attempts != len(a55sandbox.WebhookSchedule) || e.Webhooks.Delivered != 0 {
			t.Fatalf("stats: %+v", e.Webhooks)
		}
	})
	t.Run("default webhook url and payload", func(t *testing.T) {
		hook := newReceiver(t)
		h := newHarness(t, a55sandbox.Config{DefaultWebhookURL: hook.URL})
		h.create(charge("4000000000000002", nil))
		got := hook.waitFor(t, 1)[0]
		for _, k := range []string{"charge_uuid", "status", "transaction_reference", "reference_external_id", "amount", "currency", "updated_at", "error_code"} {
			if _, ok := got[k]; !ok {
				t.Errorf("webhook lacks %s: %v", k, got)
			}
		}
		if got["amount"] != "500.00" || got["status"] != "error" || got["error_code"] != "CARD_DECLINED" {
			t.Errorf("payload: %v", got)
		}
	})
}

func TestCloseStopsPendingRetries(t *testing.T) {
	hook := newReceiver(t, 500, 500, 500, 500)
	h := newHarness(t, a55sandbox.Config{WebhookRetryScale: 1}) // next retry a real minute away
	h.create(charge("4111111111111111", map[string]any{"webhook_url": hook.URL}))
	hook.waitFor(t, 1)
	h.srv.Close() // must return at once, not after the minute
	if n := len(hook.statuses()); n != 1 {
		t.Fatalf("%d deliveries", n)
	}
}

func TestFaultErrors(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{Seed: 3})
	for _, st := range []int{500, 503, 429} {
		if err := h.srv.SetFault("create", a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{st}, RetryAfter: a55sandbox.Duration(2 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		r := h.create(charge("4111111111111111", nil), "Idempotency-Key", "k-"+strconv.Itoa(st))
		if r.status != st {
			t.Fatalf("want injected %d, got %d %s", st, r.status, r.raw)
		}
		if (st == 429 || st == 503) && r.header.Get("Retry-After") != "2" {
			t.Errorf("%d without Retry-After: %v", st, r.header)
		}
		if st == 429 {
			if e, _ := r.body["error"].(map[string]any); e["code"] != "RATE_LIMIT_EXCEEDED" {
				t.Errorf("429 body: %s", r.raw)
			}
		}
		// Nothing was done, so the same key runs for real now.
		if r := h.create(charge("4111111111111111", nil), "Idempotency-Key", "k-"+strconv.Itoa(st)); r.status != 200 {
			t.Errorf("retry after injected %d: %d %s", st, r.status, r.raw)
		}
	}
	if n := len(h.srv.Ledger().Charges); n != 3 {
		t.Errorf("injected errors must not create charges: %d", n)
	}
	counts := h.srv.FaultCounts()
	if counts["create:error_500"] != 1 || counts["create:error_503"] != 1 || counts["create:error_429"] != 1 {
		t.Errorf("counts: %v", counts)
	}
	// Token endpoint faults use the OAuth error shape.
	h.srv.SetFault("token", a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{503}})
	resp, _ := http.Post(h.srv.TokenURL(), "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials"))
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if resp.StatusCode != 503 || m["error"] != "temporarily_unavailable" {
		t.Errorf("token fault: %d %v", resp.StatusCode, m)
	}
	// A rate of 1 fails every call; 0 none.
	h.srv.SetFault("get", a55sandbox.Fault{ErrorRate: 1})
	for range 3 {
		if r := h.do("GET", "/api/v1/bank/wallet/charges/?wallet_uuid="+wallet, nil); r.status != 200 {
			t.Errorf("list has no fault, got %d", r.status)
		}
		if r := h.get("x"); r.status < 429 {
			t.Errorf("get with error_rate 1: %d", r.status)
		}
	}
	if err := h.srv.SetFault("nope", a55sandbox.Fault{}); err == nil {
		t.Error("unknown endpoint accepted")
	}
	if err := h.srv.SetFault("get", a55sandbox.Fault{ErrorRate: 2}); err == nil {
		t.Error("rate 2 accepted")
	}
	if err := h.srv.SetFault("get", a55sandbox.Fault{ErrorStatuses: []int{418}}); err == nil {
		t.Error("status 418 accepted")
	}
}

func TestFaultLatencyAndLostResponse(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{})
	h.srv.SetFault("capture", a55sandbox.Fault{LostResponseNext: 1, Latency: a55sandbox.Duration(time.Millisecond)})
	hold := h.create(charge("4111111111111111", map[string]any{"capture": false}))
	body, _ := json.Marshal(map[string]any{"charge_uuid": hold.str("uuid"), "wallet_uuid": wallet})
	send := func() (*http.Response, error) {
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/bank/wallet/charge/capture/", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+h.token)
		req.Header.Set("Idempotency-Key", "cap-1")
		// A fresh connection: net/http silently re-sends a request carrying
		// Idempotency-Key when a reused connection drops, which would hide the fault.
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		return client.Do(req)
	}
	if resp, err := send(); err == nil {
		resp.Body.Close()
		t.Fatalf("lost response must drop the connection, got HTTP %d", resp.StatusCode)
	} else if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
		t.Logf("transport error: %v", err)
	}
	e, _ := h.srv.Charge(hold.str("uuid"))
	if e.Status != "confirmed" || e.Calls.Capture != 1 {
		t.Fatalf("the work must be committed before the connection drops: %+v", e)
	}
	resp, err := send()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if resp.StatusCode != 200 || m["status"] != "confirmed" || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry with the same key must replay: %d %v", resp.StatusCode, m)
	}
	if e, _ := h.srv.Charge(hold.str("uuid")); e.Calls.Capture != 1 || e.Calls.Replays != 1 {
		t.Errorf("ledger: %+v", e.Calls)
	}
	c := h.srv.FaultCounts()
	if c["capture:lost_response"] != 1 || c["capture:latency"] != 1 {
		t.Errorf("counts: %v", c)
	}
}

func TestWebhookFaults(t *testing.T) {
	t.Run("drop", func(t *testing.T) {
		hook := newReceiver(t)
		h := newHarness(t, a55sandbox.Config{Faults: map[string]a55sandbox.Fault{"webhook": {DropNext: 1}}})
		r := h.create(charge("4111111111111111", map[string]any{"capture": false, "webhook_url": hook.URL}))
		h.cancel(r.str("uuid"))
		hook.waitFor(t, 1)
		h.srv.Close()
		if st := hook.statuses(); len(st) != 1 || st[0] != "canceled" {
			t.Fatalf("the authorized event must be dropped: %v", st)
		}
		if e, _ := h.srv.Charge(r.str("uuid")); e.Webhooks.Dropped != 1 {
			t.Errorf("stats %+v", e.Webhooks)
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		hook := newReceiver(t)
		h := newHarness(t, a55sandbox.Config{Faults: map[string]a55sandbox.Fault{"webhook": {DuplicateNext: 1}}})
		r := h.create(charge("4111111111111111", map[string]any{"webhook_url": hook.URL}))
		hook.waitFor(t, 2)
		h.srv.Close()
		if st := hook.statuses(); len(st) != 2 || st[0] != "confirmed" || st[1] != "confirmed" {
			t.Fatalf("deliveries: %v", st)
		}
		if e, _ := h.srv.Charge(r.str("uuid")); e.Webhooks.Duplicated != 1 || h.srv.FaultCounts()["webhook:duplicate"] != 1 {
			t.Errorf("stats %+v", e.Webhooks)
		}
	})
	t.Run("reorder", func(t *testing.T) {
		hook := newReceiver(t)
		h := newHarness(t, a55sandbox.Config{Faults: map[string]a55sandbox.Fault{"webhook": {ReorderNext: 1, Delay: a55sandbox.Duration(time.Minute)}}})
		r := h.create(charge("4111111111111111", map[string]any{"capture": false, "webhook_url": hook.URL}))
		h.cancel(r.str("uuid"))
		hook.waitFor(t, 2)
		if st := hook.statuses(); st[0] != "canceled" || st[1] != "authorized" {
			t.Fatalf("the held event must arrive after the next one: %v", st)
		}
	})
	t.Run("delay", func(t *testing.T) {
		hook := newReceiver(t)
		h := newHarness(t, a55sandbox.Config{Faults: map[string]a55sandbox.Fault{"webhook": {DelayNext: 1, Delay: a55sandbox.Duration(10 * time.Millisecond)}}})
		h.create(charge("4111111111111111", map[string]any{"capture": false, "webhook_url": hook.URL}))
		hook.waitFor(t, 1)
		if h.srv.FaultCounts()["webhook:delay"] != 1 {
			t.Errorf("counts: %v", h.srv.FaultCounts())
		}
	})
}

func TestAdminEndpoints(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{})
	post := func(path, body string) (int, map[string]any) {
		resp, err := http.Post(h.srv.URL+path, "application/json", strings.NewReader(body))
		return jsonAnswer(t, resp, err)
	}
	get := func(path string) (int, map[string]any) {
		resp, err := http.Get(h.srv.URL + path)
		return jsonAnswer(t, resp, err)
	}
	if st, m := post("/_sandbox/faults", `{"refund":{"error_next":1,"error_statuses":[500]},"webhook":{"delay":"5ms","duplicate_rate":0.5}}`); st != 200 {
		t.Fatalf("set faults: %d %v", st, m)
	}
	f := h.srv.Faults()
	if f["refund"].ErrorNext != 1 || time.Duration(f["webhook"].Delay) != 5*time.Millisecond || f["webhook"].DuplicateRate != 0.5 {
		t.Errorf("faults: %+v", f)
	}
	if st, _ := post("/_sandbox/faults", `{"refund":{"error_rate":"high"}}`); st != 400 {
		t.Errorf("bad faults body: %d", st)
	}
	if st, _ := post("/_sandbox/faults", `{"teleport":{}}`); st != 400 {
		t.Errorf("unknown endpoint: %d", st)
	}
	if st, _ := post("/_sandbox/faults", `{"refund":{"surprise":1}}`); st != 400 {
		t.Errorf("unknown field: %d", st)
	}
	if st, _ := post("/_sandbox/faults", `{"get":{"latency":1}}`); st != 200 || time.Duration(h.srv.Faults()["get"].Latency) != time.Millisecond {
		t.Errorf("latency in ms: %d %+v", st, h.srv.Faults())
	}
	a := h.create(charge("4111111111111111", map[string]any{"reference_external_id": "booking-A"}))
	h.create(charge("4111111111111111", map[string]any{"reference_external_id": "booking-B"}))
	st, m := get("/_sandbox/ledger?reference_external_id=booking-A")
	charges := m["charges"].([]any)
	if st != 200 || len(charges) != 1 || charges[0].(map[string]any)["charge_uuid"] != a.str("uuid") {
		t.Fatalf("ledger filter: %d %v", st, m)
	}
	if got := h.srv.ChargesByReference("booking-B"); len(got) != 1 {
		t.Errorf("ChargesByReference: %v", got)
	}
	if st, m := get("/_sandbox/faults"); st != 200 || m["faults"] == nil {
		t.Errorf("GET faults: %d %v", st, m)
	}
	req, _ := http.NewRequest("DELETE", h.srv.URL+"/_sandbox/faults", nil)
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	if len(h.srv.Faults()) != 0 {
		t.Errorf("DELETE faults: %v", h.srv.Faults())
	}
	if st, _ := post("/_sandbox/reset", ""); st != 200 {
		t.Errorf("reset: %d", st)
	}
	if n := len(h.srv.Ledger().Charges); n != 0 {
		t.Errorf("after reset: %d charges", n)
	}
	if r := h.create(charge("4111111111111111", nil)); r.status != 401 {
		t.Errorf("tokens must be forgotten by reset: %d", r.status)
	}
	if st, _ := get("/_sandbox/reset"); st != 405 {
		t.Errorf("GET reset: %d", st)
	}
	if st, _ := get("/_sandbox/nothing"); st != 404 {
		t.Errorf("unknown admin path: %d", st)
	}
	if st, _ := post("/_sandbox/ledger", ""); st != 405 {
		t.Errorf("POST ledger: %d", st)
	}
}

// Card numbers and CVVs never reach logs, the ledger or responses.
func TestNoCardDataLeaks(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil))
	hook := newReceiver(t)
	h := newHarness(t, a55sandbox.Config{Logger: logger})
	pan, cvv := "5500000000000004", "9876"
	r := h.create(charge(pan, map[string]any{"card_cvv": cvv, "webhook_url": hook.URL}))
	h.do("GET", "/api/v1/bank/wallet/charges/?wallet_uuid="+wallet, nil)
	bad := h.create(charge("5500000000000005", map[string]any{"card_cvv": cvv}))
	hook.waitFor(t, 1)
	ledger, _ := json.Marshal(h.srv.Ledger())
	hook.mu.Lock()
	webhooks := string(bytes.Join(hook.raw, nil))
	hook.mu.Unlock()
	mu.Lock()
	logText := logs.String()
	mu.Unlock()
	if !strings.Contains(logText, "/api/v1/bank/wallet/charge/") {
		t.Fatalf("logger unused: %q", logText)
	}
	for name, text := range map[string]string{"logs": logText, "ledger": string(ledger), "response": r.raw, "error": bad.raw, "webhooks": webhooks} {
		for _, secret := range []string{pan, cvv, "5500000000000005"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s contains card data %s", name, secret)
			}
		}
	}
	if e, _ := h.srv.Charge(r.str("uuid")); e.CardLast4 != "0004" || e.CardBrand != "mastercard" {
		t.Errorf("last4/brand: %+v", e)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// The bare handler works without a server (url_3ds from the Host header).
func TestHandlerWithoutServer(t *testing.T) {
	sb := a55sandbox.New(a55sandbox.Config{SettlementDelay: -1})
	defer sb.Close()
	srv := newReceiverWithHandler(t, sb)
	h := &harness{t: t, srv: &a55sandbox.Server{Sandbox: sb, URL: srv}}
	h.token = h.getToken()
	r := h.create(charge("4000000000000101", nil))
	if !strings.HasPrefix(r.str("url_3ds"), srv+"/3ds/challenge/") {
		t.Fatalf("url_3ds %q not under %s", r.str("url_3ds"), srv)
	}
}
