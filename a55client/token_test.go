package a55client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/testclock"
)

func TestTokenRequestIsClientCredentialsForm(t *testing.T) {
	f := newFake(t)
	var contentType string
	f.seeToken = func(r *http.Request) { contentType = r.Header.Get("Content-Type") }
	tok, err := f.client().Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "tok-1" || !tok.ExpiresAt.Equal(fixedNow.Add(3540*time.Second)) {
		t.Errorf("token = %+v", tok)
	}
	if contentType != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", contentType)
	}
	form := f.tokenForms[0]
	if form.Get("grant_type") != "client_credentials" || form.Get("client_id") != testClientID || form.Get("client_secret") != testClientSecret || len(form) != 3 {
		t.Errorf("form = %v", form)
	}
}

func TestTokenCachedAndRefreshedBeforeExpiry(t *testing.T) {
	tests := []struct {
		expiresIn    int
		refreshAfter time.Duration
	}{
		{3600, 3540 * time.Second}, // 60 s before expiry
		{600, 540 * time.Second},   // 10 min: still 60 s before
		{300, 270 * time.Second},   // short token: at 90% of its life
		{0, 3540 * time.Second},    // no expires_in: documented default 3600 s
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.expiresIn), func(t *testing.T) {
			f := newFake(t)
			f.expiresIn = tt.expiresIn
			f.reply(200, `{"uuid":"c","status":"authorized"}`)
			clk := testclock.New(fixedNow)
			c := f.client(func(cfg *Config) { cfg.Now = clk.Now })
			get := func() string {
				t.Helper()
				if _, err := c.GetCharge(ctxT(t), testWallet, testCharge); err != nil {
					t.Fatal(err)
				}
				reqs := f.requests()
				return reqs[len(reqs)-1].Header.Get("Authorization")
			}
			if got := get(); got != "Bearer tok-1" {
				t.Fatalf("first call used %q", got)
			}
			clk.Advance(tt.refreshAfter - time.Second)
			if got := get(); got != "Bearer tok-1" || f.tokenCount() != 1 {
				t.Fatalf("before the refresh point: %q, %d token requests", got, f.tokenCount())
			}
			clk.Advance(time.Second)
			if got := get(); got != "Bearer tok-2" || f.tokenCount() != 2 {
				t.Fatalf("at the refresh point: %q, %d token requests", got, f.tokenCount())
			}
		})
	}
}

func TestConcurrentCallersShareOneTokenRequest(t *testing.T) {
	f := newFake(t)
	gate := make(chan struct{})
	f.tokenGate = gate
	f.reply(200, `{"uuid":"c","status":"authorized"}`)
	c := f.client()
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.GetCharge(context.Background(), testWallet, testCharge)
			errs <- err
		}()
	}
	for i := 0; i < 100; i++ {
		runtime.Gosched()
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.tokenCount(); got != 1 {
		t.Errorf("%d token requests, want 1", got)
	}
	if got := len(f.requests()); got != n {
		t.Errorf("%d API requests, want %d", got, n)
	}
}

func TestUnauthorizedRefreshesOnceAndRetriesSameRequest(t *testing.T) {
	f := newFake(t)
	f.setHandler(func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"code":"unauthorized","message":"token expired"}`)
			return
		}
		_, _ = io.WriteString(w, `{"charge_uuid":"`+testCharge+`","status":"confirmed"}`)
	})
	capAmt := brl(32000)
	ch, err := f.client().CaptureCharge(ctxT(t), &CaptureParams{WalletUUID: testWallet, ChargeUUID: testCharge, Amount: &capAmt}, "cap-key")
	if err != nil || ch.UUID != testCharge {
		t.Fatalf("ch=%+v err=%v", ch, err)
	}
	reqs := f.requests()
	if len(reqs) != 2 || f.tokenCount() != 2 {
		t.Fatalf("%d API requests, %d token requests; want 2 and 2", len(reqs), f.tokenCount())
	}
	if reqs[1].Header.Get("Authorization") != "Bearer tok-2" {
		t.Errorf("retry used %q", reqs[1].Header.Get("Authorization"))
	}
	for _, r := range reqs {
		if r.Header.Get("Idempotency-Key") != "cap-key" || string(r.Body) != string(reqs[0].Body) || r.Path != reqs[0].Path {
			t.Errorf("retry differs: %+v", r)
		}
	}
}

func TestSecondUnauthorizedIsFinal(t *testing.T) {
	f := newFake(t)
	f.reply(401, `{"code":"unauthorized","message":"Invalid or expired Bearer token"}`)
	_, err := f.client().GetCharge(ctxT(t), testWallet, testCharge)
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassUnauthorized || e.HTTPStatus != 401 || e.Code != "unauthorized" {
		t.Fatalf("err = %v", err)
	}
	if got := len(f.requests()); got != 2 {
		t.Errorf("%d API requests, want exactly 2", got)
	}
	if f.tokenCount() != 2 {
		t.Errorf("%d token requests, want 2", f.tokenCount())
	}
	mustNotContain(t, "Error()", err.Error(), "tok-1", "tok-2", testClientSecret)
}

func TestConcurrent401sShareOneRefresh(t *testing.T) {
	f := newFake(t)
	f.setHandler(func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			w.WriteHeader(401)
			return
		}
		_, _ = io.WriteString(w, `{"uuid":"c","status":"authorized"}`)
	})
	c := f.client()
	if _, err := c.Token(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.GetCharge(context.Background(), testWallet, testCharge); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if f.tokenCount() != 2 {
		t.Errorf("%d token requests, want 2", f.tokenCount())
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		class  Class
		code   string
		inMsg  string
	}{
		{"invalid client 400", 400, `{"error":"invalid_client","error_description":"Client authentication failed"}`, ClassUnauthorized, "invalid_client", "Client authentication failed"},
		{"invalid client 401", 401, `{"error":"invalid_client"}`, ClassUnauthorized, "invalid_client", "token request rejected"},
		{"unavailable", 503, `oops`, ClassRetryable, "", "token request rejected"},
		{"rate limited", 429, `{}`, ClassRetryable, "", "token request rejected"},
		{"no token", 200, `{"token_type":"Bearer"}`, ClassUnknown, "", "no access_token"},
		{"not json", 200, `<html>`, ClassUnknown, "", "no access_token"},
		{"wrong type", 200, `{"access_token":"x","token_type":"mac"}`, ClassUnknown, "", "not Bearer"},
		{"odd status", 302, ``, ClassUnknown, "", "token request rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.tokenStatus, f.tokenBody = tt.status, tt.body
			if tt.status == 200 {
				f.tokenRaw = tt.body
			}
			f.reply(200, `{}`)
			_, err := f.client().CreateCharge(ctxT(t), validParams(), "k")
			var e *Error
			if !errors.As(err, &e) || e.Class != tt.class || e.Op != "create_charge" || e.Code != tt.code {
				t.Fatalf("err = %#v", err)
			}
			if !strings.Contains(e.Message, tt.inMsg) {
				t.Errorf("message %q lacks %q", e.Message, tt.inMsg)
			}
			if len(f.requests()) != 0 {
				t.Errorf("API called without a token")
			}
			mustNotContain(t, "Error()", err.Error(), testClientSecret, testPAN)
		})
	}
}

func TestTokenNetworkError(t *testing.T) {
	f := newFake(t)
	c := f.client(func(cfg *Config) { cfg.TokenURL = "http://127.0.0.1:1/oauth2/token" })
	_, err := c.GetCharge(ctxT(t), testWallet, testCharge)
	if !IsRetryable(err) {
		t.Fatalf("err = %v", err)
	}
	mustNotContain(t, "Error()", err.Error(), testClientSecret)
}

func TestWaitingForTokenHonoursContext(t *testing.T) {
	f := newFake(t)
	gate := make(chan struct{})
	f.tokenGate = gate
	defer close(gate)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.client().GetCharge(ctx, testWallet, testCharge)
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassRetryable || e.Op != "get_charge" || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %#v", err)
	}
}

func TestRefreshBefore(t *testing.T) {
	for _, tt := range []struct{ life, want time.Duration }{
		{time.Hour, 59 * time.Minute},
		{10 * time.Minute, 9 * time.Minute},
		{100 * time.Second, 90 * time.Second},
		{10 * time.Second, 9 * time.Second},
	} {
		if got := refreshBefore(tt.life); got != tt.want {
			t.Errorf("refreshBefore(%v) = %v, want %v", tt.life, got, tt.want)
		}
	}
}
