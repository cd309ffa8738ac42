package a55sandbox_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
)

func postToken(t *testing.T, tokenURL string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(tokenURL, form)
	return jsonAnswer(t, resp, err)
}

func TestOAuthToken(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, a55sandbox.Config{Clock: clock.Now, TokenLifetime: 30 * time.Second, ClientID: "id-1", ClientSecret: "s3cret"})
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {"id-1"}, "client_secret": {"s3cret"}}
	status, body := postToken(t, h.srv.TokenURL(), good)
	if status != 200 || body["token_type"] != "Bearer" || body["expires_in"] != float64(30) || body["access_token"] == "" {
		t.Fatalf("token: %d %v", status, body)
	}
	h.token = body["access_token"].(string)

	bad := url.Values{"grant_type": {"client_credentials"}, "client_id": {"id-1"}, "client_secret": {"wrong"}}
	if status, body := postToken(t, h.srv.TokenURL(), bad); status != 401 || body["error"] != "invalid_client" || body["error_description"] == "" {
		t.Errorf("wrong secret: %d %v", status, body)
	}
	grant := url.Values{"grant_type": {"password"}, "client_id": {"id-1"}, "client_secret": {"s3cret"}}
	if status, body := postToken(t, h.srv.TokenURL(), grant); status != 400 || body["error"] != "unsupported_grant_type" {
		t.Errorf("wrong grant: %d %v", status, body)
	}
	if status, body := postToken(t, h.srv.TokenURL(), url.Values{"client_id": {"id-1"}}); status != 400 || body["error"] != "invalid_request" {
		t.Errorf("no grant: %d %v", status, body)
	}
	resp, _ := http.Post(h.srv.TokenURL(), "application/json", strings.NewReader(`{}`))
	if resp.StatusCode != 400 {
		t.Errorf("JSON token request: %d", resp.StatusCode)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("POST", h.srv.TokenURL(), strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("id-1", "s3cret")
	resp, _ = http.DefaultClient.Do(req)
	if resp.StatusCode != 200 {
		t.Errorf("HTTP Basic credentials: %d", resp.StatusCode)
	}
	resp.Body.Close()

	if r := h.create(charge("4111111111111111", nil)); r.status != 200 {
		t.Fatalf("fresh token refused: %d %s", r.status, r.raw)
	}
	clock.Advance(31 * time.Second)
	r := h.create(charge("4111111111111111", nil))
	if r.status != 401 || r.code() != "unauthorized" {
		t.Fatalf("expired token: %d %s", r.status, r.raw)
	}
	for _, auth := range []string{"", "Bearer nope", "Basic abc", "Bearer "} {
		req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/bank/wallet/charges/?wallet_uuid="+wallet, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, _ := http.DefaultClient.Do(req)
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if resp.StatusCode != 401 || m["code"] != "unauthorized" {
			t.Errorf("Authorization %q: %d %v", auth, resp.StatusCode, m)
		}
	}
	if n := len(h.srv.Ledger().Charges); n != 1 {
		t.Errorf("unauthorized calls must create nothing; ledger has %d", n)
	}
}

func TestCaptureCancelRefund(t *testing.T) {
	clock := newFakeClock()
	hook := newReceiver(t)
	h := newHarness(t, a55sandbox.Config{Clock: clock.Now, SettlementDelay: time.Minute})
	hold := func() string {
		r := h.create(charge("4111111111111111", map[string]any{"capture": false, "webhook_url": hook.URL}))
		if r.str("status") != "authorized" {
			t.Fatalf("hold: %s", r.raw)
		}
		return r.str("uuid")
	}

	id := hold()
	if r := h.capture(id, json.Number("500.01")); r.status != 422 || r.code() != "amount_exceeds_authorization" {
		t.Errorf("over-capture: %d %s", r.status, r.raw)
	}
	if r := h.capture(id, json.Number("1.001")); r.status != 422 || r.code() != "AMOUNT_INVALID" {
		t.Errorf("capture decimals: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/api/v1/bank/wallet/charge/capture/", map[string]any{"charge_uuid": id, "wallet_uuid": "99999999-9999-4999-8999-999999999999"}); r.status != 404 || r.code() != "errors.wallet.not_found" {
		t.Errorf("capture unknown wallet: %d %s", r.status, r.raw)
	}
	if r := h.capture("00000000-0000-4000-8000-00000000dead", nil); r.status != 404 || r.code() != "CHARGE_NOT_FOUND" {
		t.Errorf("capture unknown charge: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/api/v1/bank/wallet/charge/capture/", map[string]any{"wallet_uuid": wallet}); r.status != 400 {
		t.Errorf("capture without charge_uuid: %d %s", r.status, r.raw)
	}
	r := h.capture(id, json.Number("320.00"))
	if r.status != 200 || r.str("status") != "confirmed" || r.body["local_currency"] != json.Number("320.00") {
		t.Fatalf("partial capture: %d %s", r.status, r.raw)
	}
	if r := h.capture(id, nil); r.status != 400 || r.code() != "errors.wallet.charge_capture_not_available" {
		t.Errorf("second capture: %d %s", r.status, r.raw)
	}
	if r := h.cancel(id); r.status != 409 || r.code() != "CANCEL_NOT_ALLOWED" {
		t.Errorf("cancel after capture: %d %s", r.status, r.raw)
	} else if m := r.body["message"].([]any)[0].(map[string]any); m["code"] != "CANCEL_NOT_ALLOWED" || m["source"] != "charge" || r.str("charge_uuid") != id {
		t.Errorf("cancel error must be shape A: %s", r.raw)
	}

	// Settlement: confirmed → paid once the delay passes on the clock.
	clock.Advance(time.Minute)
	if g := h.get(id); g.str("status") != "paid" {
		t.Fatalf("after settlement delay: %s", g.raw)
	}
	if r := h.refund(id, json.Number("400.00")); r.status != 422 || r.code() != "amount_exceeds_refundable" {
		t.Errorf("refund over captured: %d %s", r.status, r.raw)
	}
	if r := h.refund(id, json.Number("20.00")); r.status != 200 || r.str("status") != "refunded" || r.body["amount_remaining"] != json.Number("300.00") {
		t.Fatalf("partial refund: %d %s", r.status, r.raw)
	}
	if r := h.refund(id, nil); r.status != 200 || r.body["refund_amount"] != json.Number("300.00") {
		t.Fatalf("refund of the rest: %d %s", r.status, r.raw)
	}
	if r := h.refund(id, nil); r.status != 409 || r.code() != "REFUND_NOT_ALLOWED" {
		t.Errorf("refund beyond captured: %d %s", r.status, r.raw)
	}
	e, _ := h.srv.Charge(id)
	if e.Authorized.Minor != 50000 || e.Captured.Minor != 32000 || e.Released.Minor != 18000 || e.Refunded.Minor != 32000 {
		t.Errorf("ledger amounts: %+v", e)
	}
	if e.Calls.Create != 1 || e.Calls.Capture != 1 || e.Calls.Refund != 2 || e.Calls.Cancel != 0 {
		t.Errorf("ledger calls count only effective calls: %+v", e.Calls)
	}
	var hist []string
	for _, c := range e.History {
		hist = append(hist, c.Status)
	}
	if strings.Join(hist, ",") != "authorized,confirmed,paid,refunded,refunded" {
		t.Errorf("history: %v", hist)
	}
	got := hook.waitFor(t, 5)
	for i, want := range []string{"authorized", "confirmed", "paid", "refunded", "refunded"} {
		if got[i]["status"] != want || got[i]["charge_uuid"] != id || got[i]["transaction_reference"] == "" {
			t.Errorf("webhook %d: %v, want status %s", i, got[i], want)
		}
	}

	// Cancel releases a hold; a second cancel is 409; refund of a hold points to cancel.
	id2 := hold()
	if r := h.refund(id2, nil); r.status != 409 || r.code() != "REFUND_NOT_ALLOWED" {
		t.Errorf("refund of uncaptured hold: %d %s", r.status, r.raw)
	}
	r = h.cancel(id2)
	if r.status != 200 || r.str("status") != "canceled" || r.str("wallet_uuid") != wallet {
		t.Fatalf("cancel: %d %s", r.status, r.raw)
	}
	if _, isObj := r.body["message"].(map[string]any); !isObj {
		t.Errorf("cancel success message must be {}: %s", r.raw)
	}
	if r := h.cancel(id2); r.status != 409 || r.code() != "CANCEL_NOT_ALLOWED" {
		t.Errorf("second cancel: %d %s", r.status, r.raw)
	}
	if r := h.capture(id2, nil); r.status != 400 || r.code() != "errors.wallet.charge_capture_not_available" {
		t.Errorf("capture after cancel: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/api/v1/bank/wallet/charge/"+id2+"/cancel/99999999-9999-4999-8999-999999999999/", nil); r.status != 404 || r.code() != "errors.wallet.not_found" {
		t.Errorf("cancel unknown wallet: %d %s", r.status, r.raw)
	}
	if e, _ := h.srv.Charge(id2); e.Released.Minor != 50000 || e.Calls.Cancel != 1 {
		t.Errorf("cancel ledger: %+v", e)
	}
	// A declined charge cannot be canceled (400, not 409).
	d := h.create(charge("4000000000000002", nil))
	if r := h.cancel(d.str("uuid")); r.status != 400 || r.code() != "CANCEL_NOT_ALLOWED" {
		t.Errorf("cancel of declined: %d %s", r.status, r.raw)
	}
}

func TestGetAndList(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{})
	var ids []string
	for i, card := range []string{"4111111111111111", "4000000000000002", "4111111111111111"} {
		r := h.create(charge(card, map[string]any{"capture": false, "reference_external_id": "ref-" + string(rune('a'+i))}))
		ids = append(ids, r.str("uuid"))
	}
	if r := h.do("GET", "/api/v1/bank/wallet/charge/"+ids[0]+"/", nil); r.status != 200 || r.str("uuid") != ids[0] {
		t.Errorf("GET by path: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/api/v1/bank/wallet/charge/?charge_uuid="+ids[0], nil); r.status != 400 {
		t.Errorf("GET without wallet_uuid: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/api/v1/bank/wallet/charge/?charge_uuid="+ids[0]+"&wallet_uuid="+a55sandbox.SecondWallet, nil); r.status != 404 || r.code() != "CHARGE_NOT_FOUND" {
		t.Errorf("charge of another wallet: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/api/v1/bank/wallet/charge/00000000-0000-4000-8000-00000000dead/", nil); r.status != 404 || r.code() != "CHARGE_NOT_FOUND" {
		t.Errorf("unknown charge by path: %d %s", r.status, r.raw)
	}

	list := func(query string) result {
		return h.do("GET", "/api/v1/bank/wallet/charges/?wallet_uuid="+wallet+query, nil)
	}
	r := list("")
	if r.status != 200 || r.body["total"] != json.Number("3") || r.body["page"] != json.Number("1") || r.body["limit"] != json.Number("20") {
		t.Fatalf("list: %d %s", r.status, r.raw)
	}
	r = list("&filter=status:authorized&limit=1&page=2")
	data := r.body["data"].([]any)
	if r.body["total"] != json.Number("2") || len(data) != 1 || data[0].(map[string]any)["uuid"] != ids[2] {
		t.Fatalf("filtered page 2: %s", r.raw)
	}
	r = list("&sort=created:desc")
	if r.body["data"].([]any)[0].(map[string]any)["uuid"] != ids[2] {
		t.Errorf("created:desc: %s", r.raw)
	}
	r = list("&filter=reference_external_id:ref-b")
	if r.body["total"] != json.Number("1") {
		t.Errorf("reference filter: %s", r.raw)
	}
	r = list("&date_start=2000-01-01&date_end=2000-12-31")
	if r.body["total"] != json.Number("0") {
		t.Errorf("date filter: %s", r.raw)
	}
	for _, q := range []string{"&limit=0", "&limit=101", "&page=0", "&filter=color:red", "&sort=amount", "&date_start=yesterday"} {
		if r := list(q); r.status != 400 {
			t.Errorf("list %s: %d %s", q, r.status, r.raw)
		}
	}
	if r := h.do("GET", "/api/v1/bank/wallet/charges/", nil); r.status != 400 {
		t.Errorf("list without wallet: %d", r.status)
	}
	if r := h.do("GET", "/api/v1/bank/wallet/charges/?wallet_uuid=99999999-9999-4999-8999-999999999999", nil); r.status != 404 {
		t.Errorf("list unknown wallet: %d", r.status)
	}
	if r := h.do("DELETE", "/api/v1/bank/wallet/charge/", nil); r.status != 405 {
		t.Errorf("DELETE: %d", r.status)
	}
	if r := h.do("GET", "/api/v1/bank/wallet/nothing/", nil); r.status != 404 {
		t.Errorf("unknown path: %d", r.status)
	}
	for path, want := range map[string]int{
		"/elsewhere":    404,
		"/oauth2/token": 405,
		"/api/v1/bank/public/charge/authentication/" + ids[0] + "/validate": 405,
		"/api/v1/bank/public/charge/authentication/" + ids[0] + "/other":    404,
		"/api/v1/bank/wallet/charge/capture/":                               405,
		"/api/v1/bank/wallet/charge/" + ids[0] + "/cancel/" + wallet + "/":  405,
		"/oauth2/token/":                     405,
		"/api/v1/bank/wallet/charge/capture": 405,
		"/api/v1/bank/wallet/charge/" + ids[0] + "/other/" + wallet + "/":    404,
		"/api/v1/bank/public/charge/authentication/" + ids[0] + "/validate/": 405,
		"/3ds/challenge/": 404,
	} {
		if r := h.do("GET", path, nil); r.status != want {
			t.Errorf("GET %s: %d, want %d", path, r.status, want)
		}
	}
	// Wrong methods and unknown paths answer in A55's error shape; Allow names what the path takes.
	for _, tc := range []struct {
		method, path string
		status       int
		allow, code  string // code: none for HEAD, whose answer has no body
	}{
		{"GET", "/api/v1/bank/wallet/charge/capture/", 405, "POST", "METHOD_NOT_ALLOWED"},
		{"HEAD", "/api/v1/bank/wallet/charge/" + ids[0], 405, "GET", ""},
		{"PUT", "/api/v1/bank/wallet/charge/", 405, "GET, POST", "METHOD_NOT_ALLOWED"},
		{"GET", "/api/v1/bank/wallet/charge/" + ids[0] + "/void/" + wallet, 404, "", "NOT_FOUND"},
	} {
		r := h.do(tc.method, tc.path, nil)
		if r.status != tc.status || r.header.Get("Allow") != tc.allow || r.code() != tc.code {
			t.Errorf("%s %s: %d Allow %q %s, want %d Allow %q code %q", tc.method, tc.path, r.status, r.header.Get("Allow"), r.raw, tc.status, tc.allow, tc.code)
		}
	}
}

func TestAuthorizationExpiry(t *testing.T) {
	clock := newFakeClock()
	hook := newReceiver(t)
	h := newHarness(t, a55sandbox.Config{Clock: clock.Now, HoldWindow: 7 * 24 * time.Hour})
	r := h.create(charge("4111111111111111", map[string]any{"capture": false, "webhook_url": hook.URL}))
	id := r.str("uuid")
	clock.Advance(7*24*time.Hour - time.Second)
	h.token = h.getToken() // the first token expired after an hour of the clock
	if g := h.get(id); g.str("status") != "authorized" {
		t.Fatalf("before the hold window ends: %s", g.raw)
	}
	clock.Advance(time.Second)
	if g := h.get(id); g.str("status") != "canceled" {
		t.Fatalf("after the hold window: %s", g.raw)
	}
	if r := h.capture(id, nil); r.status != 400 || r.code() != "errors.wallet.charge_capture_not_available" {
		t.Fatalf("capture of a lapsed hold: %d %s", r.status, r.raw)
	}
	got := hook.waitFor(t, 2)
	if got[1]["status"] != "canceled" {
		t.Errorf("lapse webhook: %v", got)
	}
	e, _ := h.srv.Charge(id)
	if e.Released.Minor != e.Authorized.Minor {
		t.Errorf("a lapsed hold releases everything: %+v", e)
	}
	if len(e.History) != 2 || !e.History[1].At.Equal(e.History[0].At.Add(7*24*time.Hour)) {
		t.Errorf("the lapse is recorded when it fell due: %+v", e.History)
	}
}

// The background sweeper applies expiry with the real clock too.
func TestSweeperExpiresInBackground(t *testing.T) {
	hook := newReceiver(t)
	h := newHarness(t, a55sandbox.Config{HoldWindow: 20 * time.Millisecond, SettlementDelay: 20 * time.Millisecond})
	hold := h.create(charge("4111111111111111", map[string]any{"capture": false, "webhook_url": hook.URL}))
	sale := h.create(charge("4111111111111111", map[string]any{"capture": true, "webhook_url": hook.URL}))
	hook.waitFor(t, 4) // authorized, confirmed, then canceled and paid without any API call
	st := map[string]bool{}
	for _, s := range hook.statuses() {
		st[s] = true
	}
	if !st["canceled"] || !st["paid"] {
		t.Fatalf("webhooks: %v", hook.statuses())
	}
	a, _ := h.srv.Charge(hold.str("uuid"))
	b, _ := h.srv.Charge(sale.str("uuid"))
	if a.Status != "canceled" || b.Status != "paid" {
		t.Fatalf("statuses %s %s", a.Status, b.Status)
	}
}

func TestChallengePage(t *testing.T) {
	for _, tc := range []struct {
		action, capture  string
		status, authStat string
	}{
		{"approve", "false", "authorized", "success"},
		{"approve", "true", "confirmed", "success"},
		{"fail", "false", "error", "failed"},
	} {
		t.Run(tc.action+"/capture="+tc.capture, func(t *testing.T) {
			hook := newReceiver(t)
			h := newHarness(t, a55sandbox.Config{})
			r := h.create(charge("4000000000000101", map[string]any{"capture": tc.capture == "true", "webhook_url": hook.URL, "redirect_url": "https://merchant.example/return"}))
			id := r.str("uuid")
			page, err := http.Get(r.str("url_3ds"))
			if err != nil {
				t.Fatal(err)
			}
			html, _ := io.ReadAll(page.Body)
			page.Body.Close()
			if page.StatusCode != 200 || !strings.Contains(string(html), `value="approve"`) || !strings.Contains(string(html), `value="fail"`) ||
				!strings.Contains(string(html), "<form") || !strings.Contains(string(html), "ending 0101") {
				t.Fatalf("challenge page: %d %s", page.StatusCode, html)
			}
			if strings.Contains(string(html), "4000000000000101") {
				t.Fatal("challenge page shows the full card number")
			}
			res, err := http.PostForm(r.str("url_3ds"), url.Values{"action": {tc.action}})
			if err != nil {
				t.Fatal(err)
			}
			html, _ = io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("submit: %d %s", res.StatusCode, html)
			}
			for _, want := range []string{"3ds-auth-complete", "postMessage", id, "window.opener", `"https://merchant.example/return"`, "3000"} {
				if !strings.Contains(string(html), want) {
					t.Errorf("result page lacks %q:\n%s", want, html)
				}
			}
			g := h.get(id)
			if g.str("status") != tc.status || g.str("authentication_status") != tc.authStat {
				t.Fatalf("after %s: %s", tc.action, g.raw)
			}
			if tc.action == "fail" && g.code() != "error_threeds_authentication" {
				t.Errorf("failed 3DS code: %s", g.raw)
			}
			if got := hook.waitFor(t, 2); got[0]["status"] != "pending" || got[1]["status"] != tc.status {
				t.Errorf("webhooks: %v", got)
			}
			again, _ := http.PostForm(r.str("url_3ds"), url.Values{"action": {"approve"}})
			again.Body.Close()
			if again.StatusCode != 409 {
				t.Errorf("second submit: %d", again.StatusCode)
			}
			if g := h.get(id); g.str("status") != tc.status {
				t.Errorf("second submit changed the charge: %s", g.raw)
			}
		})
	}
	t.Run("bad requests", func(t *testing.T) {
		h := newHarness(t, a55sandbox.Config{})
		r := h.create(charge("4000000000000101", nil))
		if res, _ := http.PostForm(r.str("url_3ds"), url.Values{"action": {"maybe"}}); res.StatusCode != 400 {
			t.Errorf("bad action: %d", res.StatusCode)
		}
		if res, _ := http.Get(h.srv.URL + "/3ds/challenge/unknown"); res.StatusCode != 404 {
			t.Errorf("unknown challenge: %d", res.StatusCode)
		}
		ok := h.create(charge("4111111111111111", nil))
		if res, _ := http.Get(h.srv.URL + "/3ds/challenge/" + ok.str("uuid")); res.StatusCode != 404 {
			t.Errorf("charge without challenge: %d", res.StatusCode)
		}
	})
}

func TestValidate3DS(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, a55sandbox.Config{Clock: clock.Now, ChallengeTimeout: 10 * time.Minute})
	validate := func(id string, body any) result {
		return h.do("POST", "/api/v1/bank/public/charge/authentication/"+id+"/validate", body, "Authorization", "")
	}
	pending := func(capture bool) string {
		return h.create(charge("4000000000000101", map[string]any{"capture": capture})).str("uuid")
	}
	id := pending(false)
	if r := validate(id, map[string]any{}); r.status != 400 || r.code() != "VALIDATION_ERROR" {
		t.Errorf("missing transaction_id: %d %s", r.status, r.raw)
	}
	r := validate(id, map[string]any{"transaction_id": "txn-3ds-1"})
	if r.status != 200 || r.str("status") != "authorized" || r.str("authentication_status") != "authenticated" || r.str("eci") != "05" || r.str("cavv") == "" || r.body["message"] != nil {
		t.Fatalf("validate: %d %s", r.status, r.raw)
	}
	if r := validate(id, map[string]any{"transaction_id": "txn-3ds-1"}); r.status != 409 {
		t.Errorf("validate twice: %d %s", r.status, r.raw)
	}
	id = pending(true)
	if r := validate(id, map[string]any{"transaction_id": "x"}); r.str("status") != "confirmed" {
		t.Errorf("validate capture:true: %s", r.raw)
	}
	id = pending(false)
	r = validate(id, map[string]any{"transaction_id": "fail-123"})
	if r.status != 200 || r.str("status") != "error" || r.str("authentication_status") != "failed" || r.code() != "error_threeds_authentication" {
		t.Fatalf("validate fail: %d %s", r.status, r.raw)
	}
	ok := h.create(charge("4111111111111111", nil)).str("uuid")
	if r := validate(ok, map[string]any{"transaction_id": "x"}); r.status != 404 {
		t.Errorf("validate a charge without challenge: %d %s", r.status, r.raw)
	}
	if r := validate("00000000-0000-4000-8000-00000000dead", map[string]any{"transaction_id": "x"}); r.status != 404 || r.code() != "CHARGE_NOT_FOUND" {
		t.Errorf("validate unknown: %d %s", r.status, r.raw)
	}
	// An abandoned challenge lapses to canceled; validate then reports the expired session.
	id = pending(false)
	clock.Advance(10 * time.Minute)
	if g := h.get(id); g.str("status") != "canceled" {
		t.Fatalf("abandoned challenge: %s", g.raw)
	}
	if r := validate(id, map[string]any{"transaction_id": "x"}); r.status != 422 {
		t.Errorf("validate after timeout: %d %s", r.status, r.raw)
	}
	// Go tests without a browser answer the challenge directly.
	id = pending(true)
	if err := h.srv.CompleteChallenge(id, true); err != nil {
		t.Fatal(err)
	}
	if g := h.get(id); g.str("status") != "confirmed" || g.str("eci") != "05" {
		t.Errorf("CompleteChallenge: %s", g.raw)
	}
	if err := h.srv.CompleteChallenge(id, true); err == nil {
		t.Error("a challenge answered twice")
	}
	if err := h.srv.CompleteChallenge("nope", false); err == nil {
		t.Error("unknown charge accepted")
	}
	// Cancel works on a pending charge too.
	id = pending(false)
	if r := h.cancel(id); r.status != 200 {
		t.Errorf("cancel pending: %d %s", r.status, r.raw)
	}
}
