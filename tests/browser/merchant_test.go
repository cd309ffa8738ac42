package browser

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/workflows"
)

// The merchant's back end refuses what it must not pass on, naming the field,
// and passes on exactly what the page sent.
func TestMerchantValidatesItsInput(t *testing.T) {
	var got reports
	failing := errors.New("workflow unavailable")
	m := &Merchant{ChallengeOrigin: "http://127.0.0.1:8055/", Report3DSComplete: func(ctx context.Context, b, c string) error {
		if c == "boom" {
			return failing
		}
		return got.report(ctx, b, c)
	}}
	h, err := m.Handler()
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, target, contentType, body string) (int, string) {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}

	for _, tc := range []struct {
		name, method, target, contentType, body string
		want                                    int
		wantText                                string
	}{
		{"checkout", "GET", CheckoutURL("", "BK-1", "http://127.0.0.1:8055/3ds/challenge/c1"), "", "", 200, "BK-1"},
		{"url_3ds on another origin", "GET", CheckoutURL("", "BK-1", "http://evil.example/3ds/challenge/c1"), "", "", 400, "url_3ds must be a URL on http://127.0.0.1:8055"},
		{"url_3ds on another port", "GET", CheckoutURL("", "BK-1", "http://127.0.0.1:9999/3ds/challenge/c1"), "", "", 400, "url_3ds"},
		{"bad booking id", "GET", CheckoutURL("", "BK 1;rm", "http://127.0.0.1:8055/3ds/challenge/c1"), "", "", 400, "booking_id"},
		{"complete", "POST", CompletePath, "application/json", `{"booking_id":"BK-1","charge_uuid":"c1"}`, 204, ""},
		{"complete as a form", "POST", CompletePath, "application/x-www-form-urlencoded", `booking_id=BK-1&charge_uuid=c1`, 415, "Content-Type"},
		{"complete with unknown field", "POST", CompletePath, "application/json", `{"booking_id":"BK-1","charge_uuid":"c1","status":"authorized"}`, 400, "status"},
		{"complete without charge", "POST", CompletePath, "application/json", `{"booking_id":"BK-1"}`, 400, "charge_uuid"},
		{"complete with bad booking", "POST", CompletePath, "application/json", `{"booking_id":"../x","charge_uuid":"c1"}`, 400, "booking_id"},
		{"report fails", "POST", CompletePath, "application/json", `{"booking_id":"BK-1","charge_uuid":"boom"}`, 502, "workflow unavailable"},
		{"no status source", "GET", StatusPath + "?booking=BK-1", "", "", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(tc.method, tc.target, tc.contentType, tc.body)
			if code != tc.want || !strings.Contains(body, tc.wantText) {
				t.Errorf("%s %s: %d %q, want %d containing %q", tc.method, tc.target, code, body, tc.want, tc.wantText)
			}
		})
	}
	if calls := got.all(); len(calls) != 1 || calls[0] != (report{"BK-1", "c1"}) {
		t.Errorf("reports = %+v, want only the valid one", calls)
	}
}

func TestMerchantCheckoutFramesOnlyA55(t *testing.T) {
	m := &Merchant{ChallengeOrigin: "http://127.0.0.1:8055", Report3DSComplete: func(context.Context, string, string) error { return nil }}
	h, err := m.Handler()
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", CheckoutURL("", "BK-1", "http://127.0.0.1:8055/3ds/challenge/c1"), nil))
	if csp := rec.Header().Get("Content-Security-Policy"); csp != "frame-src http://127.0.0.1:8055; frame-ancestors 'none'" {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}

func TestMerchantStatus(t *testing.T) {
	m := &Merchant{ChallengeOrigin: "http://127.0.0.1:8055", Report3DSComplete: func(context.Context, string, string) error { return nil },
		PaymentStatus: func(_ context.Context, id string) (workflows.Status, error) {
			if id == "missing" {
				return "", errors.New("no payment workflow for this booking")
			}
			return workflows.StatusDeclined, nil
		}}
	h, err := m.Handler()
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]string{
		StatusPath + "?booking=BK-1":    `{"status":"declined","terminal":true}`,
		StatusPath + "?booking=missing": "no payment workflow",
		StatusPath + "?booking=":        "booking_id",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("GET %s = %d %q, want %q", target, rec.Code, rec.Body.String(), want)
		}
	}
}

func TestMerchantNeedsItsSettings(t *testing.T) {
	report := func(context.Context, string, string) error { return nil }
	for _, m := range []*Merchant{
		{ChallengeOrigin: "", Report3DSComplete: report},
		{ChallengeOrigin: "127.0.0.1:8055", Report3DSComplete: report},
		{ChallengeOrigin: "http://127.0.0.1:8055/3ds", Report3DSComplete: report},
		{ChallengeOrigin: "http://127.0.0.1:8055"},
	} {
		if _, err := m.Handler(); err == nil {
			t.Errorf("Handler() with %+v: no error", *m)
		}
	}
}
