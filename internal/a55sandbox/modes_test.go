package a55sandbox_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
)

// The public documents' vocabulary: an approved capture:false charge is
// "confirmed", its capture "pre_captured", its settlement "paid"; the ledger
// keeps the seeds' words and shows the API's beside them.
func TestPublicDocsVocabulary(t *testing.T) {
	clock := newFakeClock()
	hook := newReceiver(t)
	h := newHarness(t, a55sandbox.Config{Clock: clock.Now, SettlementDelay: time.Minute, Vocabulary: a55sandbox.VocabularyPublicDocs})
	hold := func(card string) result {
		t.Helper()
		r := h.create(charge(card, map[string]any{"capture": false, "webhook_url": hook.URL}))
		if r.status != 200 {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
		return r
	}

	r := hold("4111111111111111")
	id := r.str("uuid")
	if r.str("status") != "confirmed" {
		t.Fatalf("an approved hold answers %q, want confirmed: %s", r.str("status"), r.raw)
	}
	inst := r.body["installments"].([]any)[0].(map[string]any)
	if inst["status"] != "confirmed" {
		t.Errorf("installment status %v, want confirmed", inst["status"])
	}
	if g := h.get(id); g.str("status") != "confirmed" {
		t.Errorf("get of the hold: %s", g.raw)
	}
	list := h.do("GET", "/api/v1/bank/wallet/charges/?wallet_uuid="+wallet+"&filter=status:confirmed", nil)
	if n := len(list.body["data"].([]any)); n != 1 {
		t.Errorf("list filter status:confirmed finds %d charges, want the hold: %s", n, list.raw)
	}
	if list := h.do("GET", "/api/v1/bank/wallet/charges/?wallet_uuid="+wallet+"&filter=status:authorized", nil); len(list.body["data"].([]any)) != 0 {
		t.Errorf("list filter status:authorized finds the hold in the public vocabulary: %s", list.raw)
	}

	c := h.capture(id, json.Number("320.00"))
	if c.status != 200 || c.str("status") != "pre_captured" || c.body["local_currency"] != json.Number("320.00") {
		t.Fatalf("capture: %d %s", c.status, c.raw)
	}
	if c := h.capture(id, nil); c.status != 400 || !strings.Contains(c.raw, "charge must be confirmed") || !strings.Contains(c.raw, "it is pre_captured") {
		t.Errorf("second capture names the public words: %d %s", c.status, c.raw)
	}
	clock.Advance(time.Minute)
	if g := h.get(id); g.str("status") != "paid" {
		t.Errorf("after settlement: %s", g.raw)
	}
	e, _ := h.srv.Charge(id)
	var hist []string
	for _, s := range e.History {
		hist = append(hist, s.Status)
	}
	if strings.Join(hist, ",") != "authorized,confirmed,paid" || e.Status != "paid" || e.APIStatus != "paid" {
		t.Errorf("ledger keeps the seeds' words: history %v, status %q, api_status %q", hist, e.Status, e.APIStatus)
	}

	// A released hold and a lapsed one are canceled in both vocabularies.
	id2 := hold("5500000000000004").str("uuid")
	if e, _ := h.srv.Charge(id2); e.Status != a55sandbox.StatusAuthorized || e.APIStatus != "confirmed" {
		t.Errorf("ledger of a hold: status %q, api_status %q", e.Status, e.APIStatus)
	}
	if r := h.cancel(id2); r.status != 200 || r.str("status") != "canceled" {
		t.Errorf("cancel of a confirmed hold: %d %s", r.status, r.raw)
	}

	// 3DS: approved after the challenge, the hold is confirmed too.
	p := hold("4000000000000101")
	if p.str("status") != "pending" {
		t.Fatalf("challenge: %s", p.raw)
	}
	if err := h.srv.CompleteChallenge(p.str("uuid"), true); err != nil {
		t.Fatal(err)
	}
	if g := h.get(p.str("uuid")); g.str("status") != "confirmed" {
		t.Errorf("after the challenge: %s", g.raw)
	}

	// capture:true: approved and captured at once, "confirmed" in both vocabularies.
	if r := h.create(charge("4111111111111111", map[string]any{"capture": true})); r.str("status") != "confirmed" {
		t.Errorf("capture:true: %s", r.raw)
	}

	got := hook.waitFor(t, 7) // the capture:true charge has no webhook_url
	var statuses []string
	for _, b := range got {
		if b["charge_uuid"] == id {
			statuses = append(statuses, b["status"].(string))
		}
	}
	if strings.Join(statuses, ",") != "confirmed,pre_captured,paid" {
		t.Errorf("webhooks of the captured hold: %v, want confirmed, pre_captured, paid", statuses)
	}
}

// An acquirer without partial capture books the whole hold whatever is
// asked; the answer's local_currency and the ledger say what it captured,
// the ledger also what was asked.
func TestFullCaptureAcquirer(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{Acquirer: a55sandbox.AcquirerFullCapture})
	id := h.create(charge("4111111111111111", map[string]any{"capture": false})).str("uuid")
	if r := h.capture(id, json.Number("500.01")); r.status != 422 || r.code() != "amount_exceeds_authorization" {
		t.Errorf("over-capture is still refused: %d %s", r.status, r.raw)
	}
	r := h.capture(id, json.Number("320.00"))
	if r.status != 200 || r.str("status") != "confirmed" || r.body["local_currency"] != json.Number("500.00") {
		t.Fatalf("partial capture asked, full captured: %d %s", r.status, r.raw)
	}
	e, _ := h.srv.Charge(id)
	if e.Captured.Minor != 50000 || e.Released.Minor != 0 || e.CaptureRequested.Minor != 32000 {
		t.Errorf("ledger: captured %v, released %v, asked %v; want 500.00, 0, 320.00", e.Captured, e.Released, e.CaptureRequested)
	}
	if l := h.srv.Ledger(); l.Acquirer != a55sandbox.AcquirerFullCapture || l.Vocabulary != a55sandbox.VocabularySeeds {
		t.Errorf("ledger modes: %q %q", l.Acquirer, l.Vocabulary)
	}

	// The default acquirer captures what is asked.
	d := newHarness(t, a55sandbox.Config{})
	id = d.create(charge("4111111111111111", map[string]any{"capture": false})).str("uuid")
	if r := d.capture(id, json.Number("320.00")); r.body["local_currency"] != json.Number("320.00") {
		t.Errorf("partial-capture acquirer: %s", r.raw)
	}
	if e, _ := d.srv.Charge(id); e.Captured.Minor != 32000 || e.CaptureRequested.Minor != 32000 || e.Released.Minor != 18000 {
		t.Errorf("partial-capture ledger: %+v", e)
	}
}

func TestModesAreValidated(t *testing.T) {
	for _, cfg := range []a55sandbox.Config{{Vocabulary: "confirmed"}, {Acquirer: "full"}} {
		if err := cfg.Validate(); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
		if _, err := a55sandbox.Listen("127.0.0.1:0", cfg); err == nil {
			t.Errorf("Listen accepted %+v", cfg)
		}
	}
}

// SetClock moves the sandbox's time (not the process's): dates in answers,
// token expiry and the idempotency window follow it. A create retried across
// the sandbox's midnight with the same body is replayed; another body under
// the key is refused and counted.
func TestSetClockAcrossMidnight(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, a55sandbox.Config{Clock: clock.Now, TokenLifetime: 2 * time.Hour})
	start := clock.Now()
	beforeMidnight := time.Date(start.Year(), start.Month(), start.Day(), 23, 59, 58, 0, time.UTC)
	h.srv.SetClock(beforeMidnight)
	if got := h.srv.Now(); !got.Equal(beforeMidnight) {
		t.Fatalf("Now after SetClock = %v, want %v", got, beforeMidnight)
	}
	h.token = h.getToken() // the jump outlived the first token
	body := charge("4111111111111111", map[string]any{"capture": false, "due_date": nil})
	first := h.create(body, "Idempotency-Key", "booking-midnight/authorize")
	if first.str("date") != beforeMidnight.Format("2006-01-02") || first.str("due_date") != beforeMidnight.Format("2006-01-02") {
		t.Errorf("dates before midnight: %s", first.raw)
	}
	clock.Advance(5 * time.Second) // the sandbox's clock runs on: past 00:00
	if h.srv.Now().Day() == beforeMidnight.Day() {
		t.Fatalf("the sandbox's clock did not cross midnight: %v", h.srv.Now())
	}
	again := h.create(body, "Idempotency-Key", "booking-midnight/authorize")
	if again.status != 200 || again.str("uuid") != first.str("uuid") || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the same body after midnight is replayed: %d %s", again.status, again.raw)
	}
	other := charge("4111111111111111", map[string]any{"capture": false, "due_date": h.srv.Now().Format("2006-01-02")})
	if r := h.create(other, "Idempotency-Key", "booking-midnight/authorize"); r.status != http.StatusConflict || r.code() != "IDEMPOTENCY_KEY_REUSED" {
		t.Errorf("another body under the key: %d %s", r.status, r.raw)
	}
	if l := h.srv.Ledger(); l.IdempotencyKeyReused != 1 || len(l.Charges) != 1 || l.ReplaysAcrossMidnight != 1 {
		t.Errorf("ledger: %d key reuses, %d charges, %d replays across midnight; want 1, 1, 1",
			l.IdempotencyKeyReused, len(l.Charges), l.ReplaysAcrossMidnight)
	}
	if r := h.create(charge("4111111111111111", map[string]any{"capture": false, "due_date": nil})); r.str("date") != h.srv.Now().Format("2006-01-02") {
		t.Errorf("a new charge after midnight is dated the new day: %s", r.raw)
	}

	// A jump past the token's lifetime expires it; the admin endpoint moves the clock too.
	r := h.do("POST", "/_sandbox/clock", map[string]any{"now": h.srv.Now().Add(3 * time.Hour).Format(time.RFC3339)})
	if r.status != 200 || r.str("now") == "" {
		t.Fatalf("POST /_sandbox/clock: %d %s", r.status, r.raw)
	}
	if g := h.get(first.str("uuid")); g.status != 401 {
		t.Errorf("a token older than its lifetime on the sandbox's clock: %d %s", g.status, g.raw)
	}
	if r := h.do("POST", "/_sandbox/clock", map[string]any{"at": "noon"}); r.status != 400 {
		t.Errorf("bad clock body: %d %s", r.status, r.raw)
	}
	if r := h.do("DELETE", "/_sandbox/clock", nil); r.status != 200 || !h.srv.Now().Equal(clock.Now()) {
		t.Errorf("DELETE /_sandbox/clock: %d %s; now %v, want the configured clock's %v", r.status, r.raw, h.srv.Now(), clock.Now())
	}
}

// The modes change on a running sandbox (the e2e suite runs its money paths
// in both vocabularies against one stack): charges answer in the new words.
func TestModesChangeAtRunTime(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{})
	id := h.create(charge("4111111111111111", map[string]any{"capture": false})).str("uuid")
	r := h.do("POST", "/_sandbox/modes", map[string]any{"vocabulary": "public-docs", "acquirer": "full-capture"})
	if r.status != 200 || r.str("vocabulary") != "public-docs" || r.str("acquirer") != "full-capture" {
		t.Fatalf("POST /_sandbox/modes: %d %s", r.status, r.raw)
	}
	if g := h.get(id); g.str("status") != "confirmed" {
		t.Errorf("the hold in the public words: %s", g.raw)
	}
	if c := h.capture(id, json.Number("100.00")); c.str("status") != "pre_captured" || c.body["local_currency"] != json.Number("500.00") {
		t.Errorf("capture under the new modes: %s", c.raw)
	}
	for _, bad := range []map[string]any{{"vocabulary": "confirmed"}, {"acquirer": "half"}, {"clock": "x"}} {
		if r := h.do("POST", "/_sandbox/modes", bad); r.status != 400 {
			t.Errorf("modes %v: %d %s", bad, r.status, r.raw)
		}
	}
	if err := h.srv.SetModes(a55sandbox.Modes{}); err != nil || h.srv.Modes() != (a55sandbox.Modes{Vocabulary: "seeds", Acquirer: "partial-capture"}) {
		t.Errorf("SetModes to the defaults: %v, %+v", err, h.srv.Modes())
	}
	if g := h.get(id); g.str("status") != "confirmed" || h.do("GET", "/_sandbox/modes", nil).str("vocabulary") != "seeds" {
		t.Errorf("back in the seeds' words the captured charge is confirmed: %s", g.raw)
	}
}
