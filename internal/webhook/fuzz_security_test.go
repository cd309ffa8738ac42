package webhook

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/workflows"
)

// FuzzWebhookBody posts arbitrary bodies to a genuine route of the receiver.
// It must never panic; it answers 200 exactly when it signalled, and then the
// signal carries the body's trimmed charge_uuid and status (non-empty,
// printable ASCII, at most 64 bytes); otherwise a 4xx and no signal. The
// answer is always a short JSON message that does not echo the body. Seeds
// live in testdata/fuzz/FuzzWebhookBody.
func FuzzWebhookBody(f *testing.F) {
	f.Add([]byte(goodBody), "application/json")
	f.Add([]byte(`{"charge_uuid":" c-1 ","status":"authorized","amount":"500.00","extra":{"a":[1,2]}}`), "application/json; charset=utf-8")
	f.Add([]byte(`{"charge_uuid":"c-1","status":"paid"}{"charge_uuid":"c-2","status":"paid"}`), "application/json")
	f.Add([]byte(`["c-1","paid"]`), "application/json")
	f.Add([]byte(`{"charge_uuid":4111111111111111,"status":"paid"}`), "application/json")
	f.Add([]byte(`{"charge_uuid":"c-1","status":"p\u00e1id"}`), "application/json")
	f.Add([]byte(`charge_uuid=c-1&status=paid`), "application/x-www-form-urlencoded")
	rc, err := NewReceiver(Options{RouteSecret: routeSecret, Signaler: &fakeTemporal{}, MaxBodyBytes: 4096})
	if err != nil {
		f.Fatal(err)
	}
	target := hookURL("BK-fuzz")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		fake := &fakeTemporal{}
		rc.opts.Signaler = fake
		req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		rc.ServeHTTP(rec, req)

		var answer struct{ Message string }
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Message == "" || rec.Body.Len() > 256 {
			t.Fatalf("answer %q is not a short JSON message", rec.Body)
		}
		switch {
		case rec.Code == http.StatusOK:
			if fake.count() != 1 {
				t.Fatalf("200 with %d signals", fake.count())
			}
			s := fake.signals[0]
			for name, v := range map[string]string{"charge_uuid": s.arg.ChargeUUID, "status": s.arg.Status} {
				if v == "" || len(v) > 64 || !printableASCII(v) || strings.TrimSpace(v) != v {
					t.Fatalf("signalled %s %q from body %q", name, v, body)
				}
			}
			if s.workflowID != "booking-BK-fuzz" || s.name != workflows.SignalChargeChanged {
				t.Fatalf("signal %+v", s)
			}
		case rec.Code >= 400 && rec.Code < 500:
			if fake.count() != 0 {
				t.Fatalf("HTTP %d but signalled", rec.Code)
			}
		default:
			t.Fatalf("HTTP %d for body %q", rec.Code, body)
		}
		if len(body) >= 8 && strings.Contains(rec.Body.String(), string(body)) {
			t.Fatalf("the answer echoes the body: %s", rec.Body)
		}
	})
}
