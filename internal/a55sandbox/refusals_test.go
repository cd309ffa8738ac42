package a55sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
)

// An injected 4xx is A55 refusing the call before any work: the endpoint's
// code and body shape, nothing changed, nothing stored for the
// Idempotency-Key (the same key then runs for real).
func TestFaultRefusals(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{})
	hold := h.create(charge("4111111111111111", map[string]any{"capture": false}))
	challenge := h.create(charge("4000000000000101", map[string]any{"capture": false, "threeds_authentication": true, "device_info": deviceInfo()}))
	uuid, pending := hold.str("uuid"), challenge.str("uuid")
	if hold.status != 200 || challenge.status != 200 {
		t.Fatalf("setup: %s / %s", hold.raw, challenge.raw)
	}
	cancelPath := "/api/v1/bank/wallet/charge/" + uuid + "/cancel/" + wallet + "/"
	validatePath := "/api/v1/bank/public/charge/authentication/" + pending + "/validate"
	key := 0
	nextKey := func() []string { key++; return []string{"Idempotency-Key", "refusal-" + strconv.Itoa(key)} }

	for _, tc := range []struct {
		endpoint string
		status   int
		send     func(headers []string) result
		code     string
		shapeA   bool // {"charge_uuid","status":"error","message":[{code,source,description}]}
	}{
		{"create", 422, func(hd []string) result { return h.create(charge("4111111111111111", nil), hd...) }, "VALIDATION_ERROR", false},
		{"create", 400, func(hd []string) result { return h.create(charge("4111111111111111", nil), hd...) }, "VALIDATION_ERROR", false},
		{"create", 404, func(hd []string) result { return h.create(charge("4111111111111111", nil), hd...) }, "errors.wallet.not_found", false},
		{"create", 409, func(hd []string) result { return h.create(charge("4111111111111111", nil), hd...) }, "IDEMPOTENCY_KEY_REUSED", false},
		{"get", 404, func([]string) result { return h.get(uuid) }, "CHARGE_NOT_FOUND", false},
		{"get", 403, func([]string) result { return h.get(uuid) }, "FORBIDDEN", false},
		{"capture", 400, func(hd []string) result {
			return h.do("POST", "/api/v1/bank/wallet/charge/capture/", map[string]any{"charge_uuid": uuid, "wallet_uuid": wallet}, hd...)
		}, "VALIDATION_ERROR", false},
		{"cancel", 403, func(hd []string) result { return h.do("POST", cancelPath, map[string]any{}, hd...) }, "FORBIDDEN", true},
		{"cancel", 409, func(hd []string) result { return h.do("POST", cancelPath, map[string]any{}, hd...) }, "CANCEL_NOT_ALLOWED", true},
		{"cancel", 422, func(hd []string) result { return h.do("POST", cancelPath, map[string]any{}, hd...) }, "VALIDATION_ERROR", true},
		{"validate", 422, func([]string) result {
			return h.do("POST", validatePath, map[string]any{"transaction_id": "tx-1"}, "Authorization", "")
		}, "AUTHENTICATION_EXPIRED", true},
	} {
		name := tc.endpoint + "/" + strconv.Itoa(tc.status)
		if err := h.srv.SetFault(tc.endpoint, a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{tc.status}}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		before := len(h.srv.Ledger().Charges)
		entry, _ := h.srv.Charge(uuid)
		headers := nextKey()
		r := tc.send(headers)
		if r.status != tc.status || r.code() != tc.code || r.str("status") != "error" {
			t.Errorf("%s: HTTP %d %s, want %d with code %s", name, r.status, r.raw, tc.status, tc.code)
			continue
		}
		if r.header.Get("Retry-After") != "" {
			t.Errorf("%s: a refusal carries Retry-After", name)
		}
		var first map[string]any
		if msgs, _ := r.body["message"].([]any); len(msgs) > 0 {
			first, _ = msgs[0].(map[string]any)
		}
		switch {
		case first == nil || first["code"] != tc.code:
			t.Errorf("%s: message array %s", name, r.raw)
		case tc.shapeA && (first["source"] == nil || first["description"] == nil):
			t.Errorf("%s: want A55's shape A, got %s", name, r.raw)
		case !tc.shapeA && (first["message"] == nil || r.str("request_id") == ""):
			t.Errorf("%s: want the seeds' error shape, got %s", name, r.raw)
		}
		if want := map[string]string{"cancel": uuid, "validate": pending}[tc.endpoint]; want != "" && r.str("charge_uuid") != want {
			t.Errorf("%s: charge_uuid %q, want %q", name, r.str("charge_uuid"), want)
		}
		// Nothing was done.
		if after, _ := h.srv.Charge(uuid); len(h.srv.Ledger().Charges) != before || after.Status != entry.Status || after.Calls != entry.Calls {
			t.Errorf("%s: the refusal changed the ledger", name)
		}
		if tc.endpoint == "create" {
			if again := tc.send(headers); again.status != 200 || again.header.Get("Idempotent-Replayed") != "" {
				t.Errorf("%s: the same key after the refusal: HTTP %d %s", name, again.status, again.raw)
			}
		}
	}
	counts := h.srv.FaultCounts()
	if counts["create:error_422"] != 1 || counts["cancel:error_403"] != 1 || counts["validate:error_422"] != 1 {
		t.Errorf("fault counts: %v", counts)
	}
	// After every refusal the charges work as before.
	if r := h.cancel(uuid); r.status != 200 || r.str("status") != "canceled" {
		t.Errorf("cancel after the refusals: %d %s", r.status, r.raw)
	}
}

// An injected 401 looks like an expired token (a client re-authenticates and
// sends the call again); on the token endpoint, like rejected credentials.
func TestFaultRefusalUnauthorized(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{})
	hold := h.create(charge("4111111111111111", map[string]any{"capture": false}))
	h.srv.SetFault("get", a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{401}})
	r := h.get(hold.str("uuid"))
	if r.status != 401 || r.code() != "unauthorized" || r.header.Get("Www-Authenticate") == "" {
		t.Errorf("injected 401: %d %v %s", r.status, r.header, r.raw)
	}
	if r := h.get(hold.str("uuid")); r.status != 200 {
		t.Errorf("the next read: %d %s", r.status, r.raw)
	}
	for status, want := range map[int]string{401: "invalid_client", 403: "unauthorized_client", 400: "invalid_request"} {
		h.srv.SetFault("token", a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{status}})
		resp, err := http.PostForm(h.srv.TokenURL(), url.Values{"grant_type": {"client_credentials"},
			"client_id": {a55sandbox.DefaultClientID}, "client_secret": {a55sandbox.DefaultClientSecret}})
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if resp.StatusCode != status || m["error"] != want {
			t.Errorf("token %d: %d %v", status, resp.StatusCode, m)
		}
	}
}

func TestFaultRefusalStatusesValidated(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{})
	for _, ok := range []int{400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504} {
		if err := h.srv.SetFault("create", a55sandbox.Fault{ErrorStatuses: []int{ok}}); err != nil {
			t.Errorf("%d refused: %v", ok, err)
		}
	}
	for _, bad := range []int{200, 302, 405, 418, 501} {
		if err := h.srv.SetFault("create", a55sandbox.Fault{ErrorStatuses: []int{bad}}); err == nil {
			t.Errorf("%d accepted", bad)
		}
	}
	// The admin endpoint takes them too.
	resp, err := http.Post(h.srv.URL+"/_sandbox/faults", "application/json",
		strings.NewReader(`{"cancel":{"error_next":1,"error_statuses":[403]}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || h.srv.Faults()["cancel"].ErrorStatuses[0] != 403 {
		t.Errorf("POST /_sandbox/faults with 403: %d", resp.StatusCode)
	}
}
