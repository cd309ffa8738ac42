package a55sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/testclock"
)

const wallet = a55sandbox.DefaultWallet

// newFakeClock is an injectable clock the tests move by hand.
func newFakeClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)) // clock: injected
}

type harness struct {
	t     *testing.T
	cfg   a55sandbox.Config
	srv   *a55sandbox.Server
	token string
}

// newHarness starts a sandbox with fast timings unless cfg sets them.
func newHarness(t *testing.T, cfg a55sandbox.Config) *harness {
	t.Helper()
	if cfg.WebhookRetryScale == 0 {
		cfg.WebhookRetryScale = 0.00001 // 1 min → 0.6 ms
	}
	if cfg.SweepInterval == 0 {
		cfg.SweepInterval = 5 * time.Millisecond
	}
	if cfg.SettlementDelay == 0 {
		cfg.SettlementDelay = -1 // tests that want settlement set it
	}
	h := &harness{t: t, cfg: cfg, srv: a55sandbox.Start(t, cfg)}
	h.token = h.getToken()
	return h
}

func (h *harness) getToken() string {
	h.t.Helper()
	id, secret := h.cfg.ClientID, h.cfg.ClientSecret
	if id == "" {
		id, secret = a55sandbox.DefaultClientID, a55sandbox.DefaultClientSecret
	}
	resp, err := http.PostForm(h.srv.TokenURL(), url.Values{
		"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != 200 {
		h.t.Fatalf("token: HTTP %d", resp.StatusCode)
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	return tok.AccessToken
}

// jsonAnswer reads an answer's status and JSON object (nil when the body is
// none); a request that got no answer fails the test.
func jsonAnswer(t *testing.T, resp *http.Response, err error) (int, map[string]any) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

type result struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r result) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

// code returns the error code wherever the body carries it.
func (r result) code() string { return r.str("code") }

// do sends a request; body may be a map (JSON-encoded), a string (sent as is) or nil.
func (h *harness) do(method, path string, body any, headers ...string) result {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	dec.Decode(&r.body)
	return r
}

func (h *harness) create(body map[string]any, headers ...string) result {
	h.t.Helper()
	return h.do("POST", "/api/v1/bank/wallet/charge/", body, headers...)
}

func (h *harness) get(chargeUUID string) result {
	h.t.Helper()
	return h.do("GET", "/api/v1/bank/wallet/charge/?charge_uuid="+chargeUUID+"&wallet_uuid="+wallet, nil)
}

func (h *harness) capture(chargeUUID string, amount any) result {
	h.t.Helper()
	b := map[string]any{"charge_uuid": chargeUUID, "wallet_uuid": wallet}
	if amount != nil {
		b["amount"] = amount
	}
	return h.do("POST", "/api/v1/bank/wallet/charge/capture/", b)
}

func (h *harness) cancel(chargeUUID string) result {
	h.t.Helper()
	return h.do("POST", "/api/v1/bank/wallet/charge/"+chargeUUID+"/cancel/"+wallet+"/", map[string]any{"reason": "guest canceled"})
}

func (h *harness) refund(chargeUUID string, amount any) result {
	h.t.Helper()
	b := map[string]any{}
	if amount != nil {
		b["amount"] = amount
	}
	return h.do("POST", "/api/v1/bank/wallet/charge/"+chargeUUID+"/refund/"+wallet+"/", b)
}

// charge is a minimal valid create body (the seeds' Go example) with overrides.
func charge(card string, overrides map[string]any) map[string]any {
	b := map[string]any{
		"wallet_uuid":            wallet,
		"type_charge":            "credit_card",
		"card_name":              "Zhang Wei",
		"card_number":            card,
		"card_expiry_month":      12,
		"card_expiry_year":       2099,
		"card_cvv":               "123",
		"currency":               "BRL",
		"installment_value":      json.Number("500.00"),
		"installment_count":      1,
		"reference_external_id":  "ord_001",
		"threeds_authentication": false,
	}
	for k, v := range overrides {
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
	}
	return b
}

func deviceInfo() map[string]any {
	return map[string]any{
		"ip_address": "203.0.113.10", "user_agent": "Mozilla/5.0 ...", "http_accept_content": "text/html",
		"http_accept_browser_value": "*/*", "http_browser_language": "pt-BR", "http_browser_java_enabled": false,
		"http_browser_javascript_enabled": true, "http_browser_color_depth": "24", "http_browser_screen_height": "900",
		"http_browser_screen_width": "1440", "http_browser_time_difference": "180",
	}
}

// receiver is a webhook endpoint that records bodies and answers from a script.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  []map[string]any
	headers []http.Header
	raw     [][]byte
	answers []int // status per delivery; after the script, 200
	arrived chan struct{}
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{answers: answers, arrived: make(chan struct{}, 1000)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		var m map[string]any
		json.Unmarshal(raw, &m)
		r.mu.Lock()
		n := len(r.bodies)
		r.bodies = append(r.bodies, m)
		r.headers = append(r.headers, req.Header.Clone())
		r.raw = append(r.raw, raw)
		status := 200
		if n < len(r.answers) {
			status = r.answers[n]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		r.arrived <- struct{}{}
	}))
	t.Cleanup(r.Server.Close)
	return r
}

// waitFor waits until n deliveries arrived (failing the test after 10 s).
func (r *receiver) waitFor(t *testing.T, n int) []map[string]any {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		got := len(r.bodies)
		out := append([]map[string]any(nil), r.bodies...)
		r.mu.Unlock()
		if got >= n {
			return out
		}
		select {
		case <-r.arrived:
		case <-deadline:
			t.Fatalf("waited for %d webhooks, got %d: %v", n, got, out)
		}
	}
}

func (r *receiver) statuses() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.bodies {
		s, _ := b["status"].(string)
		out = append(out, s)
	}
	return out
}

// eventually polls cond (a wait, not a timing assertion) and fails after 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventuallyf(t, cond, 10*time.Second, 2*time.Millisecond, "timed out waiting for %s", what)
}

// cardEndingIn returns a Luhn-valid 16-digit number ending in d, not one of the seed cards.
func cardEndingIn(d byte) string {
	base := []byte("402400715376319" + string(d))
	for x := byte('0'); x <= '9'; x++ {
		base[14] = x
		if luhnOK(string(base)) {
			return string(base)
		}
	}
	panic("unreachable")
}

func luhnOK(s string) bool {
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func newReceiverWithHandler(t *testing.T, h http.Handler) string {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}
