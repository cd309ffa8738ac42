package prom

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/internal/metrics"
)

func scrape(t *testing.T, e *Exporter) string {
	t.Helper()
	rec := httptest.NewRecorder()
	e.Mux(nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", rec.Code)
	}
	return rec.Body.String()
}

func TestBusinessMetricsAreExported(t *testing.T) {
	e, err := New(func(err error) { t.Errorf("instrument error: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	metrics.Authorization(e.Handler(), "declined")
	metrics.Authorization(e.Handler(), "declined")
	metrics.ThreeDSChallenge(e.Handler())

	a55 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer a55.Close()
	hc := &http.Client{Transport: &metrics.RoundTripper{Handler: e.Handler()}}
	resp, err := hc.Get(a55.URL + "/api/v1/wallets/1b2c3d/charges")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	body := scrape(t, e)
	for _, want := range []string{
		`booking_payment_authorizations_total{outcome="declined"} 2`,
		`booking_payment_threeds_challenges_total 1`,
		`a55_request_errors_total{class="server_error",op="GET /api/v1/wallets/:id/charges"} 1`,
		`a55_request_latency_seconds_bucket{class="server_error",op="GET /api/v1/wallets/:id/charges",le="0.005"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s\n%s", want, body)
		}
	}
}

func TestHealthz(t *testing.T) {
	e, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	healthy := true
	srv := httptest.NewServer(e.Mux(func(context.Context) error {
		if healthy {
			return nil
		}
		return errors.New("temporal unreachable")
	}))
	defer srv.Close()
	get := func() (int, string) {
		resp, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(); code != http.StatusOK {
		t.Errorf("healthy /healthz = %d", code)
	}
	healthy = false
	if code, body := get(); code != http.StatusServiceUnavailable || !strings.Contains(body, "temporal unreachable") {
		t.Errorf("unhealthy /healthz = %d %q", code, body)
	}
}
