package webhook

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/workflows"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

var routeSecret = []byte("route-secret-for-tests-0123456789abcdef")

type signal struct {
	workflowID, name string
	arg              workflows.ChargeChangedSignal
}

// fakeTemporal records signals and updates. A signal answers err; an
// update answers updateErr from UpdateWorkflow, else outcome from the
// handle's Get (the workflow's answer).
type fakeTemporal struct {
	mu        sync.Mutex
	signals   []signal
	err       error
	updates   []client.UpdateWorkflowOptions
	updateErr error
	outcome   error
}

func (f *fakeTemporal) UpdateWorkflow(_ context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, opts)
	if f.updateErr != nil {
		return nil, f.updateErr
	}
	return fakeUpdateHandle{opts: opts, outcome: f.outcome}, nil
}

func (f *fakeTemporal) updateCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.updates)
}

type fakeUpdateHandle struct {
	opts    client.UpdateWorkflowOptions
	outcome error
}

func (h fakeUpdateHandle) WorkflowID() string                 { return h.opts.WorkflowID }
func (h fakeUpdateHandle) RunID() string                      { return h.opts.RunID }
func (h fakeUpdateHandle) UpdateID() string                   { return h.opts.UpdateID }
func (h fakeUpdateHandle) Get(_ context.Context, _ any) error { return h.outcome }

func (f *fakeTemporal) SignalWorkflow(_ context.Context, workflowID, runID, name string, arg interface{}) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.signals = append(f.signals, signal{workflowID, name, arg.(workflows.ChargeChangedSignal)})
	return nil
}

func (f *fakeTemporal) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.signals)
}

func newReceiver(t *testing.T, fake *fakeTemporal, mutate func(*Options)) *Receiver {
	t.Helper()
	opts := Options{RouteSecret: routeSecret, Signaler: fake}
	if mutate != nil {
		mutate(&opts)
	}
	rc, err := NewReceiver(opts)
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// post sends a webhook built like A55 would from the URL the worker handed it.
func post(rc http.Handler, target, body string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	rc.ServeHTTP(rec, req)
	return rec
}

func hookURL(bookingID string) string {
	return URL("", routeSecret, workflows.WorkflowIDPrefix+bookingID)
}

const goodBody = `{"charge_uuid":"5f0e4e0a-3c2b-4f4a-9d55-0d6f1e2a7b11","status":"confirmed","transaction_reference":"BK-1"}`

func TestWebhookSignalsTheBookingsWorkflow(t *testing.T) {
	fake := &fakeTemporal{}
	rc := newReceiver(t, fake, nil)
	rec := post(rc, hookURL("BK-1001"), goodBody, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	want := signal{"booking-BK-1001", workflows.SignalChargeChanged,
		workflows.ChargeChangedSignal{ChargeUUID: "5f0e4e0a-3c2b-4f4a-9d55-0d6f1e2a7b11", Status: "confirmed"}}
	if fake.count() != 1 || fake.signals[0] != want {
		t.Fatalf("signals = %+v, want %+v", fake.signals, want)
	}
	// A55 delivers at least once: a repeat is signalled again (the workflow re-reads the charge).
	if rec := post(rc, hookURL("BK-1001"), goodBody, nil); rec.Code != http.StatusOK || fake.count() != 2 {
		t.Fatalf("repeat: status %d, %d signals", rec.Code, fake.count())
	}
}

func TestHostileRequestsSignalNothing(t *testing.T) {
	valid := hookURL("BK-1")
	cases := []struct {
		name   string
		method string
		target string
		ctype  string
		body   string
		want   int
	}{
		{"GET", http.MethodGet, valid, "application/json", "", http.StatusMethodNotAllowed},
		{"PUT", http.MethodPut, valid, "application/json", goodBody, http.StatusMethodNotAllowed},
		{"DELETE", http.MethodDelete, valid, "application/json", goodBody, http.StatusMethodNotAllowed},
		{"missing token", http.MethodPost, PathPrefix + "booking-BK-1", "application/json", goodBody, http.StatusUnauthorized},
		{"empty token", http.MethodPost, PathPrefix + "booking-BK-1?token=", "application/json", goodBody, http.StatusUnauthorized},
		{"forged token", http.MethodPost, PathPrefix + "booking-BK-1?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "application/json", goodBody, http.StatusUnauthorized},
		{"token of another booking", http.MethodPost, PathPrefix + "booking-BK-1?token=" + Token(routeSecret, "booking-BK-2"), "application/json", goodBody, http.StatusUnauthorized},
		{"token made with another secret", http.MethodPost, URL("", []byte("some-other-secret-0123456789abcdefgh"), "booking-BK-1"), "application/json", goodBody, http.StatusUnauthorized},
		{"not a booking workflow", http.MethodPost, URL("", routeSecret, "payroll-run-7"), "application/json", goodBody, http.StatusNotFound},
		{"path traversal", http.MethodPost, PathPrefix + "booking-..%2F..%2Fetc%2Fpasswd?token=" + Token(routeSecret, "booking-../../etc/passwd"), "application/json", goodBody, http.StatusNotFound},
		{"shell characters", http.MethodPost, URL("", routeSecret, "booking-BK-1;rm -rf $HOME`id`"), "application/json", goodBody, http.StatusNotFound},
		{"unicode id", http.MethodPost, URL("", routeSecret, "booking-BK-ü№1"), "application/json", goodBody, http.StatusNotFound},
		{"empty id", http.MethodPost, URL("", routeSecret, "booking-"), "application/json", goodBody, http.StatusNotFound},
		{"id too long", http.MethodPost, URL("", routeSecret, "booking-"+strings.Repeat("a", 65)), "application/json", goodBody, http.StatusNotFound},
		{"no content type", http.MethodPost, valid, "", goodBody, http.StatusUnsupportedMediaType},
		{"form content type", http.MethodPost, valid, "application/x-www-form-urlencoded", "charge_uuid=x&status=paid", http.StatusUnsupportedMediaType},
		{"huge body", http.MethodPost, valid, "application/json", `{"charge_uuid":"c","status":"paid","pad":"` + strings.Repeat("x", 70<<10) + `"}`, http.StatusRequestEntityTooLarge},
		{"malformed JSON", http.MethodPost, valid, "application/json", `{"charge_uuid":`, http.StatusBadRequest},
		{"not an object", http.MethodPost, valid, "application/json", `["charge_uuid","status"]`, http.StatusBadRequest},
		{"two objects", http.MethodPost, valid, "application/json", goodBody + goodBody, http.StatusBadRequest},
		{"trailing garbage", http.MethodPost, valid, "application/json", goodBody + "xyz", http.StatusBadRequest},
		{"empty body", http.MethodPost, valid, "application/json", ``, http.StatusBadRequest},
		{"charge_uuid a number", http.MethodPost, valid, "application/json", `{"charge_uuid":123,"status":"paid"}`, http.StatusBadRequest},
		{"status an object", http.MethodPost, valid, "application/json", `{"charge_uuid":"c-1","status":{"x":1}}`, http.StatusBadRequest},
		{"missing charge_uuid", http.MethodPost, valid, "application/json", `{"status":"paid"}`, http.StatusBadRequest},
		{"missing status", http.MethodPost, valid, "application/json", `{"charge_uuid":"c-1"}`, http.StatusBadRequest},
		{"blank status", http.MethodPost, valid, "application/json", `{"charge_uuid":"c-1","status":"   "}`, http.StatusBadRequest},
		{"control characters", http.MethodPost, valid, "application/json", `{"charge_uuid":"c-1\n\u0000","status":"paid"}`, http.StatusBadRequest},
		{"unicode status", http.MethodPost, valid, "application/json", `{"charge_uuid":"c-1","status":"páid☃"}`, http.StatusBadRequest},
		{"null", http.MethodPost, valid, "application/json", `null`, http.StatusBadRequest},
		{"outside the prefix", http.MethodPost, "/webhooks/other/booking-BK-1", "application/json", goodBody, http.StatusNotFound},
		{"below the workflow id", http.MethodPost, PathPrefix + "booking-BK-1/more?token=" + Token(routeSecret, "booking-BK-1"), "application/json", goodBody, http.StatusNotFound},
		{"GET below the workflow id", http.MethodGet, PathPrefix + "booking-BK-1/more", "application/json", "", http.StatusMethodNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeTemporal{}
			rc := newReceiver(t, fake, func(o *Options) { o.Updater = fake })
			for attempt := 0; attempt < 2; attempt++ { // repeated requests are refused alike
				req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
				if tc.ctype != "" {
					req.Header.Set("Content-Type", tc.ctype)
				}
				rec := httptest.NewRecorder()
				rc.ServeHTTP(rec, req)
				if rec.Code != tc.want {
					t.Fatalf("attempt %d: status %d, want %d (%s)", attempt, rec.Code, tc.want, rec.Body)
				}
				if tc.want == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != http.MethodPost {
					t.Errorf("Allow = %q", rec.Header().Get("Allow"))
				}
			}
			if fake.count() != 0 || fake.updateCount() != 0 {
				t.Fatalf("signalled %+v, updated %+v", fake.signals, fake.updates)
			}
		})
	}
}

func TestTemporalOutcomesMapToStatuses(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"workflow already completed", serviceerror.NewNotFound("workflow execution already completed"), http.StatusOK},
		{"workflow never existed", serviceerror.NewNotFound("workflow not found"), http.StatusOK},
		{"temporal unavailable", serviceerror.NewUnavailable("connection refused"), http.StatusServiceUnavailable},
		{"deadline", context.DeadlineExceeded, http.StatusServiceUnavailable},
		{"anything else", errors.New("boom"), http.StatusServiceUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, &fakeTemporal{err: tc.err}, nil)
			if rec := post(rc, hookURL("BK-9"), goodBody, nil); rec.Code != tc.want {
				t.Fatalf("status %d, want %d", rec.Code, tc.want)
			}
		})
	}
}

func TestSignatureVerification(t *testing.T) {
	signing := []byte("a55-signing-secret-xyz")
	now := time.Unix(1_800_000_000, 0)
	fake := &fakeTemporal{}
	rc := newReceiver(t, fake, func(o *Options) {
		o.SigningSecret = signing
		o.Now = func() time.Time { return now }
	})
	sign := func(ts time.Time, body string) map[string]string {
		s := strconv.FormatInt(ts.Unix(), 10)
		return map[string]string{HeaderTimestamp: s, HeaderSignature: hex.EncodeToString(Sign(signing, s, []byte(body)))}
	}
	good := sign(now.Add(-time.Minute), goodBody)
	if rec := post(rc, hookURL("BK-7"), goodBody, good); rec.Code != http.StatusOK {
		t.Fatalf("good signature: %d %s", rec.Code, rec.Body)
	}
	prefixed := sign(now, goodBody)
	prefixed[HeaderSignature] = "sha256=" + prefixed[HeaderSignature]
	if rec := post(rc, hookURL("BK-7"), goodBody, prefixed); rec.Code != http.StatusOK {
		t.Fatalf("sha256= prefixed signature: %d %s", rec.Code, rec.Body)
	}
	signed := fake.count()

	bad := map[string]map[string]string{
		"missing headers":     {},
		"stale":               sign(now.Add(-6*time.Minute), goodBody),
		"from the future":     sign(now.Add(6*time.Minute), goodBody),
		"body changed":        sign(now, strings.Replace(goodBody, "confirmed", "paid", 1)),
		"malformed timestamp": {HeaderTimestamp: "yesterday", HeaderSignature: good[HeaderSignature]},
		"not hex":             {HeaderTimestamp: good[HeaderTimestamp], HeaderSignature: "zz"},
		"timestamp swapped":   {HeaderTimestamp: strconv.FormatInt(now.Unix(), 10), HeaderSignature: good[HeaderSignature]},
	}
	for name, h := range bad {
		if rec := post(rc, hookURL("BK-7"), goodBody, h); rec.Code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, rec.Code)
		}
	}
	if fake.count() != signed {
		t.Fatalf("bad signatures signalled: %+v", fake.signals[signed:])
	}
}

func TestHealthz(t *testing.T) {
	var healthErr error
	rc := newReceiver(t, &fakeTemporal{}, func(o *Options) {
		o.Health = func(context.Context) error { return healthErr }
	})
	get := func() int {
		rec := httptest.NewRecorder()
		rc.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		return rec.Code
	}
	if get() != http.StatusOK {
		t.Error("healthy receiver not 200")
	}
	rec := httptest.NewRecorder()
	rc.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/healthz", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /healthz: %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
	healthErr = errors.New("down")
	if get() != http.StatusServiceUnavailable {
		t.Error("unhealthy receiver not 503")
	}
}

func TestNewReceiverRequiresSecretAndSignaler(t *testing.T) {
	if _, err := NewReceiver(Options{Signaler: &fakeTemporal{}}); err == nil {
		t.Error("no route secret accepted")
	}
	if _, err := NewReceiver(Options{RouteSecret: routeSecret}); err == nil {
		t.Error("no signaler accepted")
	}
}
