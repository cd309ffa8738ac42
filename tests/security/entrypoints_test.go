package security

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/internal/webhook"
)

// Part 4, continued: the other entry points, each the real binary of the
// running stack.

// hostileJSON returns a valid booking's JSON with edit applied to its
// decoded form (nil edit: unchanged).
func hostileJSON(t *testing.T, id string, edit func(m map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(inputJSON(t, booking(id, panFrictionless, 40000))), &m); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sub(m map[string]any, key string) map[string]any { return m[key].(map[string]any) }

func TestBookingctlRefusesHostileAuthorizeInput(t *testing.T) {
	ctx := testCtx(t)
	before := ledgerNow(t, ctx)
	cases := []struct {
		name, stdin, want string
		id                string // the booking id the input names, to check no workflow exists
	}{
		{"truncated JSON", `{"booking_id":"sec-cli-trunc","amount":`, "truncated", "sec-cli-trunc"},
		{"syntax error", `{"booking_id":"sec-cli-syntax", oops}`, "invalid JSON", "sec-cli-syntax"},
		{"empty", "", "empty", ""},
		{"null", "null", "want a JSON object", ""},
		{"array", `[{"booking_id":"sec-cli-array"}]`, "want a JSON object", "sec-cli-array"},
		{"two objects", `{"booking_id":"sec-cli-two"} {}`, "trailing data", "sec-cli-two"},
		{"huge body", `{"booking_id":"sec-cli-huge","description":"` + strings.Repeat("x", 2<<20) + `"}`, "larger than", "sec-cli-huge"},
	}
	for _, c := range []struct{ name, want, id string }{
		{"amount as text", "amount.minor", "sec-cli-amount-text"},
		{"amount with decimals", "amount.minor", "sec-cli-amount-decimals"},
		{"amount overflowing int64", "amount.minor", "sec-cli-amount-overflow"},
		{"negative amount", "amount", "sec-cli-amount-negative"},
		{"zero amount", "amount", "sec-cli-amount-zero"},
		{"unknown currency", "amount", "sec-cli-currency"},
		{"card number as a number", "card.number", "sec-cli-pan-number"},
		{"invalid PAN", "card.number", "sec-cli-pan-luhn"},
		{"expired card", "card.expiry_year", "sec-cli-expired"},
		{"CVV as a number", "card.cvv", "sec-cli-cvv-number"},
		{"3DS without device fields", "device_info", "sec-cli-3ds"},
		{"unknown field holding a PAN", "unknown field", "sec-cli-unknown"},
		{"booking id with shell characters", "booking_id", "sec-cli;rm -rf ~"},
		{"booking id with a path", "booking_id", "../../sec-cli"},
		{"unicode booking id", "booking_id", "sec-cli-ü☃"},
		{"time not RFC 3339", "RFC 3339", "sec-cli-time"},
		{"huge payer name", "payer.name", "sec-cli-payer"},
	} {
		edit := map[string]func(m map[string]any){
			"amount as text":           func(m map[string]any) { sub(m, "amount")["minor"] = "400.00" },
			"amount with decimals":     func(m map[string]any) { sub(m, "amount")["minor"] = 400.5 },
			"amount overflowing int64": func(m map[string]any) { sub(m, "amount")["minor"] = json.Number("100000000000000000000000") },
			"negative amount":          func(m map[string]any) { sub(m, "amount")["minor"] = -40000 },
			"zero amount":              func(m map[string]any) { sub(m, "amount")["minor"] = 0 },
			"unknown currency":         func(m map[string]any) { sub(m, "amount")["currency"] = "XYZ" },
			"card number as a number":  func(m map[string]any) { sub(m, "card")["number"] = json.Number(panFrictionless) },
			"invalid PAN":              func(m map[string]any) { sub(m, "card")["number"] = "4111111111111112" },
			"expired card":             func(m map[string]any) { sub(m, "card")["expiry_year"] = time.Now().Year() - 1 },
			"CVV as a number":          func(m map[string]any) { sub(m, "card")["cvv"] = json.Number(cardCVV) },
			"3DS without device fields": func(m map[string]any) {
				m["threeds"] = true
				m["device_info"] = map[string]any{"ip_address": "198.51.100.7"}
			},
			"unknown field holding a PAN":      func(m map[string]any) { m[pan3DS] = pan3DS },
			"booking id with shell characters": nil, "booking id with a path": nil, "unicode booking id": nil,
			"time not RFC 3339": func(m map[string]any) { m["expected_capture_at"] = "next friday" },
			"huge payer name":   func(m map[string]any) { sub(m, "payer")["name"] = strings.Repeat("x", 900<<10) },
		}[c.name]
		cases = append(cases, struct{ name, stdin, want, id string }{c.name, hostileJSON(t, c.id, edit), c.want, c.id})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 {
				r := bookingctl(t, tc.stdin, "authorize")
				if r.code != 2 {
					t.Fatalf("exit %d, want 2 (bad input); stdout %.300s; stderr %.300s", r.code, r.stdout, r.stderr)
				}
				if !strings.Contains(r.stderr, tc.want) {
					t.Errorf("stderr %.400q does not name %q", r.stderr, tc.want)
				}
				if l := cardLeaks(r.stdout+r.stderr, true); len(l) > 0 {
					t.Errorf("bookingctl's output leaks %v: %.400s", l, r.stderr)
				}
			}
			if tc.id != "" {
				assertNoWorkflow(t, ctx, tc.id)
			}
		})
	}
	assertLedgerUnchanged(t, ctx, before)
}

func TestBookingctlRefusesHostileCaptures(t *testing.T) {
	ctx := testCtx(t)
	id, charge := authorizedHold(t, ctx, "cli-capture")
	before := take(t, ctx, id, charge)
	ledgerBefore := ledgerNow(t, ctx)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"negative", []string{"-amount", "-1.00"}, 2, "-amount"},
		{"zero", []string{"-amount", "0"}, 2, "amount"},
		{"too many decimals", []string{"-amount", "1.001"}, 2, "decimals"},
		{"exponent", []string{"-amount", "1e3"}, 2, "-amount"},
		{"comma decimal", []string{"-amount", "320,00"}, 2, "-amount"},
		{"overflowing", []string{"-amount", "99999999999999999999999"}, 2, "too large"},
		{"unknown currency", []string{"-amount", "1.00", "-currency", "XYZ"}, 2, "-currency"},
		{"fractional minor units", []string{"-minor", "1.5"}, 2, "-minor"},
		{"unicode amount", []string{"-amount", "３２０"}, 2, "-amount"},
		{"above the hold", []string{"-amount", "9999.00"}, 4, "more than the authorized"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 {
				r := bookingctl(t, "", append([]string{"capture", "-booking", id}, tc.args...)...)
				if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
					t.Fatalf("exit %d (want %d), stderr %.300q (want it to say %q)", r.code, tc.code, r.stderr, tc.want)
				}
			}
		})
	}
	for _, bad := range []string{id + ";id", "$(id)", "../" + id, "ü"} {
		if r := bookingctl(t, "", "capture", "-booking", bad); r.code != 2 || !strings.Contains(r.stderr, "booking_id") {
			t.Errorf("capture -booking %q: exit %d, stderr %.300s", bad, r.code, r.stderr)
		}
	}
	assertUnchanged(t, id, before, take(t, ctx, id, charge))
	assertLedgerUnchanged(t, ctx, ledgerBefore)
}

// The real receiver, on a live booking's genuine route: malformed bodies are
// refused and signal nothing.
func TestReceiverRefusesHostileBodies(t *testing.T) {
	ctx := testCtx(t)
	id, charge := authorizedHold(t, ctx, "hook-hostile")
	before := take(t, ctx, id, charge)
	n0, _ := webhooks(t, ctx, id)
	target := genuineURL(id)
	cases := []struct {
		name, body string
		code       int
		want       string
	}{
		{"malformed JSON", `{"charge_uuid":`, 400, "not valid JSON"},
		{"not an object", `["` + charge + `","paid"]`, 400, "must be a JSON object"},
		{"huge body", `{"charge_uuid":"` + charge + `","status":"paid","pad":"` + strings.Repeat("x", 100<<10) + `"}`, 413, "exceeds"},
		{"charge_uuid a number", `{"charge_uuid":123,"status":"paid"}`, 400, "charge_uuid"},
		{"status an object", `{"charge_uuid":"` + charge + `","status":{"x":1}}`, 400, "status"},
		{"no status", `{"charge_uuid":"` + charge + `"}`, 400, "status"},
		{"unicode status", `{"charge_uuid":"` + charge + `","status":"páid☃"}`, 400, "status"},
		{"control characters", `{"charge_uuid":"` + charge + `\u0000","status":"paid"}`, 400, "charge_uuid"},
		{"two objects", `{"charge_uuid":"` + charge + `","status":"paid"}{}`, 400, "single JSON object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 {
				ts := fmt.Sprint(time.Now().Unix())
				r := httpDo(t, http.MethodPost, target, []byte(tc.body), map[string]string{
					webhook.HeaderTimestamp: ts,
					webhook.HeaderSignature: fmt.Sprintf("%x", webhook.Sign([]byte(env.secrets[stack.EnvWebhookSigningSecret]), ts, []byte(tc.body))),
				})
				if r.code != tc.code || !strings.Contains(r.body, tc.want) {
					t.Fatalf("HTTP %d %s, want %d saying %q", r.code, r.body, tc.code, tc.want)
				}
			}
		})
	}
	for name, path := range map[string]string{
		"path traversal":   webhook.PathPrefix + "booking-..%2F..%2Fetc%2Fpasswd?token=x",
		"shell characters": webhook.PathPrefix + url.PathEscape("booking-"+id+";id") + "?token=x",
		"unicode id":       webhook.PathPrefix + url.PathEscape("booking-ü☃") + "?token=x",
	} {
		if r := httpDo(t, http.MethodPost, env.Proj.ReceiverURL()+path, []byte(`{"charge_uuid":"`+charge+`","status":"paid"}`), nil); r.code != http.StatusNotFound {
			t.Errorf("%s: HTTP %d, want 404", name, r.code)
		}
	}
	if n, _ := webhooks(t, ctx, id); n != n0 {
		t.Fatalf("hostile bodies signalled the workflow (%d → %d)", n0, n)
	}
	assertUnchanged(t, id, before, take(t, ctx, id, charge))
}

// The real codec server: nothing decodes without the token, malformed
// requests get a 4xx, and a payload it cannot decrypt is never returned as
// plaintext.
func TestCodecServerRefusesHostileRequests(t *testing.T) {
	token := env.secrets[stack.EnvCodecAuthToken]
	bearer := map[string]string{"Authorization": "Bearer " + token}
	card := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte("json/plain")},
		Data: []byte(`{"card":{"number":"` + pan3DS + `","cvv":"` + cardCVV + `","holder_name":"` + holderName + `"}}`)}
	encrypted, err := codec.New(env.ring).Encode([]*commonpb.Payload{card})
	if err != nil {
		t.Fatal(err)
	}
	valid, _ := protojson.Marshal(&commonpb.Payloads{Payloads: encrypted})
	unknownKey := &commonpb.Payload{Metadata: map[string][]byte{
		converter.MetadataEncoding: []byte(codec.MetadataEncodingEncrypted), codec.MetadataEncryptionKeyID: []byte("someone-elses-key"),
	}, Data: encrypted[0].GetData()}
	tampered := &commonpb.Payload{Metadata: encrypted[0].GetMetadata(), Data: append([]byte(nil), encrypted[0].GetData()...)}
	tampered.Data[len(tampered.Data)-1] ^= 1
	body := func(p *commonpb.Payload) []byte {
		b, _ := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{p}})
		return b
	}

	cases := []struct {
		name   string
		method string
		path   string
		body   []byte
		header map[string]string
		code   int
	}{
		{"no token", http.MethodPost, "/decode", valid, nil, 401},
		{"wrong token", http.MethodPost, "/decode", valid, map[string]string{"Authorization": "Bearer " + strings.Repeat("a", len(token))}, 401},
		{"token as basic auth", http.MethodPost, "/decode", valid, map[string]string{"Authorization": "Basic " + token}, 401},
		{"foreign origin", http.MethodPost, "/decode", valid, map[string]string{"Authorization": "Bearer " + token, "Origin": "https://evil.example"}, 403},
		{"encode without token", http.MethodPost, "/encode", valid, nil, 401},
		{"GET", http.MethodGet, "/decode", nil, bearer, 404},
		{"malformed JSON", http.MethodPost, "/decode", []byte(`{"payloads":[`), bearer, 400},
		{"wrong types", http.MethodPost, "/decode", []byte(`{"payloads":"` + pan3DS + `"}`), bearer, 400},
		{"huge body", http.MethodPost, "/decode", []byte(`{"payloads":[{"data":"` + strings.Repeat("A", 5<<20) + `"}]}`), bearer, 413},
		{"unknown key id", http.MethodPost, "/decode", body(unknownKey), bearer, 400},
		{"tampered ciphertext", http.MethodPost, "/decode", body(tampered), bearer, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 {
				r := httpDo(t, tc.method, env.Proj.CodecURL()+tc.path, tc.body, tc.header)
				if r.code != tc.code {
					t.Fatalf("HTTP %d %.200s, want %d", r.code, r.body, tc.code)
				}
				if l := cardLeaks(r.body, true); len(l) > 0 {
					t.Errorf("the answer leaks %v: %.300s", l, r.body)
				}
			}
		})
	}
	// The control: the same payload with the token decodes, card masked.
	decoded := codecServerDecode(t, encrypted)
	if len(decoded) != 1 || !strings.Contains(string(decoded[0].GetData()), "400000******0101") {
		t.Fatalf("the genuine request did not decode to the masked card: %v", decoded)
	}
	if l := cardLeaks(string(decoded[0].GetData()), true); len(l) > 0 {
		t.Fatalf("the decoded payload leaks %v", l)
	}
}

// The real sandbox (A55's stand-in) over HTTP: hostile charge requests are
// refused naming the field and create nothing. The in-process table in
// a55sandbox covers every field rule; this checks the binary, with huge,
// unicode and repeated requests added.
func TestSandboxRefusesHostileCharges(t *testing.T) {
	ctx := testCtx(t)
	before := ledgerNow(t, ctx)
	tok := sandboxToken(t)
	auth := map[string]string{"Authorization": "Bearer " + tok}
	base := func() map[string]any {
		return map[string]any{
			"wallet_uuid": "00000000-0000-4000-8000-000000000001", "currency": "BRL", "installment_value": 100,
			"installment_count": 1, "capture": false, "card_name": holderName, "card_number": panFrictionless,
			"card_expiry_month": 12, "card_expiry_year": time.Now().Year() + 2, "card_cvv": cardCVV,
			"payer_name": payerName, "payer_email": "guest@example.com", "description": "hostile",
			"reference_external_id": "sec-sandbox-hostile",
		}
	}
	cases := []struct {
		name, field string
		edit        func(m map[string]any)
		raw         string
		code        int
	}{
		{"malformed JSON", "", nil, `{"wallet_uuid":`, 400},
		{"huge body", "larger than", nil, `{"description":"` + strings.Repeat("x", 3<<20) + `"}`, 0},
		{"negative amount", "installment_value", func(m map[string]any) { m["installment_value"] = -1 }, "", 422},
		{"zero amount", "installment_value", func(m map[string]any) { m["installment_value"] = 0 }, "", 422},
		{"overflowing amount", "installment_value", func(m map[string]any) { m["installment_value"] = json.Number("1e400") }, "", 422},
		{"too many decimals", "installment_value", func(m map[string]any) { m["installment_value"] = json.Number("1.001") }, "", 422},
		{"unknown currency", "currency", func(m map[string]any) { m["currency"] = "XYZ" }, "", 422},
		{"invalid PAN", "card_number", func(m map[string]any) { m["card_number"] = "4111111111111112" }, "", 400},
		{"unicode PAN", "card_number", func(m map[string]any) { m["card_number"] = "４１１１１１１１１１１１１１１１" }, "", 400},
		{"expired card", "card_expiry_year", func(m map[string]any) { m["card_expiry_year"] = 2020 }, "", 422},
		{"3DS without device_info", "device_info", func(m map[string]any) { m["threeds_authentication"] = true }, "", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.raw)
			if tc.edit != nil {
				m := base()
				tc.edit(m)
				body, _ = json.Marshal(m)
			}
			for range 2 {
				r := httpDo(t, http.MethodPost, env.Proj.SandboxURL()+"/api/v1/bank/wallet/charge/", body, auth)
				if r.code/100 != 4 || (tc.code != 0 && r.code != tc.code) {
					t.Fatalf("HTTP %d %.300s, want %d", r.code, r.body, tc.code)
				}
				if tc.field != "" && !strings.Contains(r.body, tc.field) {
					t.Errorf("the answer %.300s does not name %s", r.body, tc.field)
				}
				if strings.Contains(r.body, panFrictionless) || strings.Contains(r.body, holderName) {
					t.Errorf("the answer quotes card data: %.300s", r.body)
				}
			}
		})
	}
	assertLedgerUnchanged(t, ctx, before)
}

func sandboxToken(t *testing.T) string {
	t.Helper()
	tok, err := env.Sandbox.Token(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
