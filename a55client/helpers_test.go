package a55client

// clock: injected — fixedNow is the clock every client test injects.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/money"
)

const (
	testClientID     = "client-id-123"
	testClientSecret = "s3cr3t-never-shown"
	testWallet       = "00000000-0000-4000-8000-000000000001"
	testCharge       = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
	testPAN          = "4111111111111111"
)

// recorded is one request as the fake A55 received it.
type recorded struct {
	Method   string
	Path     string // escaped path, as on the wire
	RawQuery string
	Header   http.Header
	Body     []byte
}

// fakeA55 is an httptest server playing A55's token endpoint and API.
type fakeA55 struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	api         []recorded
	tokenForms  []url.Values
	expiresIn   int
	tokenStatus int
	tokenBody   string
	tokenGate   chan struct{} // when set, token answers wait for it
	apiHandler  func(w http.ResponseWriter, r *http.Request, n int)
	validTokens map[string]bool
	seeToken    func(*http.Request) // observes token requests
	tokenRaw    string              // when set, the token endpoint answers 200 with this body
}

func newFake(t *testing.T) *fakeA55 {
	t.Helper()
	f := &fakeA55{t: t, expiresIn: 3600, validTokens: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeA55) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/oauth2/token" {
		f.mu.Lock()
		gate, see, raw := f.tokenGate, f.seeToken, f.tokenRaw
		f.mu.Unlock()
		if see != nil {
			see(r)
		}
		if raw != "" {
			_, _ = io.WriteString(w, raw)
			return
		}
		if gate != nil {
			<-gate
		}
		form, _ := url.ParseQuery(string(body))
		f.mu.Lock()
		f.tokenForms = append(f.tokenForms, form)
		n := len(f.tokenForms)
		status, tb, exp := f.tokenStatus, f.tokenBody, f.expiresIn
		tok := fmt.Sprintf("tok-%d", n)
		if status == 0 || status == 200 {
			f.validTokens[tok] = true
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if status != 0 && status != 200 {
			w.WriteHeader(status)
			_, _ = io.WriteString(w, tb)
			return
		}
		fmt.Fprintf(w, `{"access_token":%q,"expires_in":%d,"token_type":"Bearer"}`, tok, exp)
		return
	}
	f.mu.Lock()
	f.api = append(f.api, recorded{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	n := len(f.api)
	h := f.apiHandler
	f.mu.Unlock()
	if h == nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	h(w, r, n)
}

// reply answers every API call with status and body.
func (f *fakeA55) reply(status int, body string) {
	f.setHandler(func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

func (f *fakeA55) setHandler(h func(w http.ResponseWriter, r *http.Request, n int)) {
	f.mu.Lock()
	f.apiHandler = h
	f.mu.Unlock()
}

func (f *fakeA55) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.api...)
}

func (f *fakeA55) tokenCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.tokenForms)
}

// fixedNow is the test clock: 2026-11-27 12:00 UTC.
var fixedNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func (f *fakeA55) config() Config {
	return Config{
		BaseURL:      f.srv.URL,
		TokenURL:     f.srv.URL + "/oauth2/token",
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		HTTPClient:   f.srv.Client(),
		UserAgent:    "a55client-test/1",
		Now:          func() time.Time { return fixedNow },
	}
}

func (f *fakeA55) client(mutate ...func(*Config)) *Client {
	f.t.Helper()
	cfg := f.config()
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		f.t.Fatalf("New: %v", err)
	}
	return c
}

func brl(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "BRL"} }

func boolp(b bool) *bool { return &b }

func fullDeviceInfo() *DeviceInfo {
	return &DeviceInfo{
		IPAddress:                    "203.0.113.10",
		UserAgent:                    "Mozilla/5.0 ...",
		HTTPAcceptContent:            "text/html",
		HTTPAcceptBrowserValue:       "*/*",
		HTTPBrowserLanguage:          "pt-BR",
		HTTPBrowserJavaEnabled:       boolp(false),
		HTTPBrowserJavascriptEnabled: boolp(true),
		HTTPBrowserColorDepth:        "24",
		HTTPBrowserScreenHeight:      "900",
		HTTPBrowserScreenWidth:       "1440",
		HTTPBrowserTimeDifference:    "180",
	}
}

func validParams() *CreateChargeParams {
	return &CreateChargeParams{
		WalletUUID: testWallet,
		MerchantID: "merchant_123",
		Payer: Payer{
			Name: "Zhang Wei", Email: "zhangwei@example.com", CellPhone: "+5511999999999", TaxID: "12345678901",
			Address: &Address{Street: "Av. Paulista 1000", AddressNumber: "1000", City: "São Paulo", State: "SP", PostalCode: "01310100", Country: "BR"},
		},
		Items:               []Item{{Name: "Diária", Quantity: 2, UnitAmount: brl(16000), SKU: "room-1"}},
		Amount:              brl(32000),
		DueDate:             "2026-12-31",
		Description:         "Hotel booking",
		Card:                Card{HolderName: "Zhang Wei", Number: "4111 1111 1111 1111", ExpiryMonth: 12, ExpiryYear: 2099, CVV: "123"},
		ReferenceExternalID: "ord_001",
		WebhookURL:          "https://merchant.example/webhooks/a55",
		RedirectURL:         "https://merchant.example/return",
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// mustNotContain fails when s contains any of the secrets.
func mustNotContain(t *testing.T, what, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Errorf("%s leaks %q: %s", what, sec, s)
		}
	}
}

var ctxBG = context.Background()

func amountp(a money.Amount) *money.Amount { return &a }

func moneyAmount(minor int64, c money.Currency) money.Amount {
	return money.Amount{Minor: minor, Currency: c}
}
