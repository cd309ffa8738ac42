package metrics

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
)

func TestOperationKeepsCardinalityBounded(t *testing.T) {
	cases := map[string]string{
		"/api/v1/wallets/7f1e7d2a-1111-4d7e-9d3c-2b5a8f0c1e9a/charges": "POST /api/v1/wallets/:id/charges",
		"/api/v1/charges/abc123/capture":                               "POST /api/v1/charges/:id/capture",
		"/oauth2/token":                                                "POST /oauth2/token",
	}
	for path, want := range cases {
		if got := Operation("POST", path); got != want {
			t.Errorf("Operation(%q) = %q, want %q", path, got, want)
		}
	}
}

type stubTransport struct {
	status int
	err    error
}

func (s stubTransport) RoundTrip(*http.Request) (*http.Response, error) {
	if s.err != nil {
		return nil, s.err
	}
	return &http.Response{StatusCode: s.status, Body: http.NoBody}, nil
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestRoundTripperClassifiesOutcomes(t *testing.T) {
	cases := []struct {
		transport stubTransport
		want      string
	}{
		{stubTransport{status: 200}, ClassOK},
		{stubTransport{status: 429}, ClassRateLimited},
		{stubTransport{status: 422}, ClassClient},
		{stubTransport{status: 503}, ClassServer},
		{stubTransport{err: timeoutErr{}}, ClassTimeout},
		{stubTransport{err: context.DeadlineExceeded}, ClassTimeout},
		{stubTransport{err: errors.New("connection refused")}, ClassNetwork},
	}
	for _, tc := range cases {
		rec := &recordingHandler{}
		rt := &RoundTripper{Next: tc.transport, Handler: rec}
		req, _ := http.NewRequest(http.MethodPost, "http://a55.test/api/v1/bank/wallet/charge", nil)
		resp, err := rt.RoundTrip(req)
		if (err != nil) != (tc.transport.err != nil) {
			t.Errorf("%+v: error %v not passed through", tc.transport, err)
		}
		if resp != nil {
			resp.Body.Close()
		}
		if rec.tags[TagClass] != tc.want || rec.tags[TagOp] != "POST /api/v1/bank/wallet/charge" {
			t.Errorf("%+v: tags %v, want class %s", tc.transport, rec.tags, tc.want)
		}
		wantErrors := int64(0)
		if tc.want != ClassOK {
			wantErrors = 1
		}
		if rec.counters[A55Requests] != 1 || rec.counters[A55RequestErrors] != wantErrors || rec.timers != 1 {
			t.Errorf("%+v: counters %v timers %d", tc.transport, rec.counters, rec.timers)
		}
	}
}

// recordingHandler is a client.MetricsHandler that remembers what it saw.
type recordingHandler struct {
	tags     map[string]string
	counters map[string]int64
	timers   int
}

func (r *recordingHandler) WithTags(tags map[string]string) client.MetricsHandler {
	r.tags = tags
	return r
}
func (r *recordingHandler) Counter(name string) client.MetricsCounter {
	if r.counters == nil {
		r.counters = map[string]int64{}
	}
	return counterFunc(func(d int64) { r.counters[name] += d })
}
func (r *recordingHandler) Gauge(string) client.MetricsGauge {
	return client.MetricsNopHandler.Gauge("")
}
func (r *recordingHandler) Timer(string) client.MetricsTimer {
	return timerFunc(func(time.Duration) { r.timers++ })
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }
