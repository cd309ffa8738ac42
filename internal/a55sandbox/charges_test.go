package a55sandbox_test

// clock: injected — the sandbox under test runs on the fake clock of harness_test.go.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/a55seeds"
)

func TestSeedCards(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{})
	cards := []struct {
		number    string
		challenge bool
		approved  bool
		code      string
	}{
		{"4111111111111111", false, true, ""},
		{"5500000000000004", false, true, ""},
		{"4000000000000101", true, false, ""},
		{"4000000000000002", false, false, "CARD_DECLINED"},
		{"5105105105105100", false, false, "INSUFFICIENT_FUNDS"},
		{"4000000000000069", false, false, "PROCESSING_ERROR"},
	}
	for _, card := range cards {
		for _, threeDS := range []bool{false, true} {
			for _, capture := range []bool{false, true} {
				name := fmt.Sprintf("%s/3ds=%v/capture=%v", card.number, threeDS, capture)
				t.Run(name, func(t *testing.T) {
					h.t = t
					body := charge(card.number, map[string]any{"threeds_authentication": threeDS, "capture": capture})
					if threeDS {
						body["device_info"] = deviceInfo()
					}
					r := h.create(body)
					if r.status != 200 {
						t.Fatalf("HTTP %d: %s", r.status, r.raw)
					}
					id := r.str("uuid")
					if u, err := uuid.Parse(id); err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 || u.String() != id {
						t.Fatalf("uuid %q is not a random (version 4) UUID in canonical form: %v", id, err)
					}
					if r.str("charge_uuid") != id {
						t.Fatalf("uuid %q and charge_uuid %q must both carry the id", id, r.str("charge_uuid"))
					}
					if r.str("reference_external_id") != "ord_001" {
						t.Errorf("reference_external_id = %q", r.str("reference_external_id"))
					}
					switch {
					case card.challenge:
						if r.str("status") != "pending" || !strings.Contains(r.str("url_3ds"), "/3ds/challenge/"+id) {
							t.Fatalf("want pending with url_3ds, got %s", r.raw)
						}
					case card.approved:
						want := "authorized"
						if capture {
							want = "confirmed"
						}
						if r.str("status") != want {
							t.Fatalf("status = %q, want %q", r.str("status"), want)
						}
						if _, has := r.body["url_3ds"]; has {
							t.Error("approved charge must not carry url_3ds")
						}
						if threeDS && (r.str("eci") != "05" || r.str("authentication_status") != "success") {
							t.Errorf("frictionless 3DS must add eci 05 and authentication_status success: %s", r.raw)
						}
						if !threeDS && r.str("eci") != "" {
							t.Errorf("no 3DS requested, yet eci %q", r.str("eci"))
						}
					default:
						if r.str("status") != "error" || r.code() != card.code {
							t.Fatalf("want status error code %s, got %s", card.code, r.raw)
						}
						msgs, _ := r.body["message"].([]any)
						if len(msgs) != 1 || msgs[0].(map[string]any)["message"] == "" {
							t.Errorf("decline message must be [{message}], got %v", r.body["message"])
						}
					}
					// Every outcome, declines included, is a stored charge.
					g := h.get(id)
					if g.status != 200 || g.str("status") != r.str("status") {
						t.Fatalf("GET: HTTP %d status %q, create said %q", g.status, g.str("status"), r.str("status"))
					}
				})
			}
		}
	}
}

func TestLastDigitRule(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{Seed: 7})
	cases := map[byte]string{'0': "", '1': "", '4': "", '2': "05", '3': "57", '5': "78", '6': "99", '7': "77", '8': "70"}
	for d, code := range cases {
		t.Run(string(d), func(t *testing.T) {
			h.t = t
			r := h.create(charge(cardEndingIn(d), map[string]any{"capture": false}))
			if code == "" {
				if r.str("status") != "authorized" {
					t.Fatalf("last digit %c must approve, got %s", d, r.raw)
				}
				return
			}
			if r.status != 200 || r.str("status") != "error" || r.code() != code {
				t.Fatalf("last digit %c: want status error code %s, got HTTP %d %s", d, code, r.status, r.raw)
			}
		})
	}
}

// Last digit 9 is random success or timeout, reproducible with the same seed.
func TestLastDigitNineIsSeeded(t *testing.T) {
	outcomes := func(seed uint64) []string {
		h := newHarness(t, a55sandbox.Config{Seed: seed})
		var out []string
		for range 24 {
			r := h.create(charge(cardEndingIn('9'), nil))
			switch {
			case r.str("status") == "confirmed":
			case r.str("status") == "error" && r.code() == "99":
			default:
				t.Fatalf("last digit 9 must give confirmed or error 99, got %s", r.raw)
			}
			out = append(out, r.str("status"))
		}
		return out
	}
	a, b := outcomes(42), outcomes(42)
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("same seed, different outcomes:\n%v\n%v", a, b)
	}
	if !strings.Contains(strings.Join(a, ","), "confirmed") || !strings.Contains(strings.Join(a, ","), "error") {
		t.Fatalf("24 draws should include both outcomes: %v", a)
	}
}

func TestCreateValidation(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{Wallets: map[string]string{wallet: "BRL", "11111111-1111-4111-8111-111111111111": "CLP"}})
	cases := []struct {
		name      string
		overrides map[string]any
		status    int
		code      string
		field     string
	}{
		{"wallet required", map[string]any{"wallet_uuid": nil}, 400, "VALIDATION_ERROR", "wallet_uuid"},
		{"unknown wallet", map[string]any{"wallet_uuid": "99999999-9999-4999-8999-999999999999"}, 404, "errors.wallet.not_found", "wallet_uuid"},
		{"currency required", map[string]any{"currency": nil}, 400, "VALIDATION_ERROR", "currency"},
		{"unknown currency", map[string]any{"currency": "XYZ"}, 422, "CURRENCY_NOT_SUPPORTED", "currency"},
		{"currency differs from wallet", map[string]any{"currency": "MXN"}, 422, "CURRENCY_NOT_SUPPORTED", "currency"},
		{"amount missing", map[string]any{"installment_value": nil}, 400, "VALIDATION_ERROR", "installment_value"},
		{"amount zero", map[string]any{"installment_value": 0}, 422, "AMOUNT_INVALID", "installment_value"},
		{"amount negative", map[string]any{"installment_value": -5}, 422, "AMOUNT_INVALID", "installment_value"},
		{"amount too many decimals", map[string]any{"installment_value": json.Number("10.001")}, 422, "AMOUNT_INVALID", "installment_value"},
		{"amount exponent form", map[string]any{"installment_value": json.Number("1e3")}, 422, "AMOUNT_INVALID", "installment_value"},
		{"amount as bool", map[string]any{"installment_value": true}, 422, "AMOUNT_INVALID", "installment_value"},
		{"amount disagrees with installments", map[string]any{"installment_value": 100, "installment_count": 2, "amount": 150}, 422, "AMOUNT_INVALID", "amount"},
		{"installment_count out of range", map[string]any{"installment_count": 13}, 422, "VALIDATION_ERROR", "installment_count"},
		{"card number required", map[string]any{"card_number": nil}, 400, "VALIDATION_ERROR", "card_number"},
		{"card number letters", map[string]any{"card_number": "4111x11111111111"}, 400, "INVALID_CARD_NUMBER", "card_number"},
		{"card number short", map[string]any{"card_number": "41111"}, 400, "INVALID_CARD_NUMBER", "card_number"},
		{"card number Luhn", map[string]any{"card_number": "4111111111111112"}, 400, "INVALID_CARD_NUMBER", "card_number"},
		{"card number as number", map[string]any{"card_number": 4111111111111111}, 400, "VALIDATION_ERROR", "card_number"},
		{"expired card", map[string]any{"card_expiry_year": 2020}, 422, "EXPIRED_CARD", "card_expiry_year"},
		{"month out of range", map[string]any{"card_expiry_month": 13}, 400, "VALIDATION_ERROR", "card_expiry_month"},
		{"month not a number", map[string]any{"card_expiry_month": "July"}, 400, "VALIDATION_ERROR", "card_expiry_month"},
		{"year two digits", map[string]any{"card_expiry_year": 30}, 400, "VALIDATION_ERROR", "card_expiry_year"},
		{"cvv as number", map[string]any{"card_cvv": 123}, 400, "VALIDATION_ERROR", "card_cvv"},
		{"cvv too short", map[string]any{"card_cvv": "12"}, 400, "INVALID_CVC", "card_cvv"},
		{"card name required", map[string]any{"card_name": ""}, 400, "VALIDATION_ERROR", "card_name"},
		{"3ds without device_info", map[string]any{"threeds_authentication": true}, 400, "VALIDATION_ERROR", "device_info"},
		{"3ds with incomplete device_info", map[string]any{"threeds_authentication": true, "device_info": map[string]any{"ip_address": "203.0.113.10"}}, 400, "VALIDATION_ERROR", "device_info.user_agent"},
		{"device_info boolean typed", map[string]any{"device_info": map[string]any{"http_browser_java_enabled": "no"}}, 400, "VALIDATION_ERROR", "device_info.http_browser_java_enabled"},
		{"3ds and data_only", map[string]any{"threeds_authentication": true, "device_info": deviceInfo(), "data_only": true}, 400, "VALIDATION_ERROR", "data_only"},
		{"threeds not boolean", map[string]any{"threeds_authentication": "yes"}, 400, "VALIDATION_ERROR", "threeds_authentication"},
		{"capture not boolean", map[string]any{"capture": "false"}, 400, "VALIDATION_ERROR", "capture"},
		{"webhook_url relative", map[string]any{"webhook_url": "/hooks"}, 400, "VALIDATION_ERROR", "webhook_url"},
		{"webhook_url ftp", map[string]any{"webhook_url": "ftp://example.com/x"}, 400, "VALIDATION_ERROR", "webhook_url"},
		{"redirect_url relative", map[string]any{"redirect_url": "return"}, 400, "VALIDATION_ERROR", "redirect_url"},
		{"due_date format", map[string]any{"due_date": "31/12/2026"}, 400, "VALIDATION_ERROR", "due_date"},
		{"type_charge pix", map[string]any{"type_charge": "pix"}, 422, "VALIDATION_ERROR", "type_charge"},
		{"payer_email", map[string]any{"payer_email": "nobody"}, 400, "VALIDATION_ERROR", "payer_email"},
		{"item value decimals", map[string]any{"items": []any{map[string]any{"name": "x", "quantity": 1, "value": json.Number("1.001")}}}, 422, "AMOUNT_INVALID", "items[0].value"},
		{"item value negative", map[string]any{"items": []any{map[string]any{"name": "x", "quantity": 1, "unit_amount": -1}}}, 422, "AMOUNT_INVALID", "items[0].unit_amount"},
		{"item quantity", map[string]any{"items": []any{map[string]any{"name": "x", "quantity": 0}}}, 422, "VALIDATION_ERROR", "items[0].quantity"},
		{"payer_address typed", map[string]any{"payer_address": map[string]any{"zip_code": 1310100}}, 400, "VALIDATION_ERROR", "payer_address.zip_code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			r := h.create(charge("4111111111111111", tc.overrides))
			if r.status != tc.status || r.code() != tc.code {
				t.Fatalf("want HTTP %d %s, got %d %s", tc.status, tc.code, r.status, r.raw)
			}
			if r.str("status") != "error" || r.str("request_id") == "" {
				t.Errorf("error body must carry status error and request_id: %s", r.raw)
			}
			found := false
			for _, m := range r.body["message"].([]any) {
				item := m.(map[string]any)
				if item["field"] == tc.field && strings.Contains(item["message"].(string), tc.field) {
					found = true
				}
			}
			if !found {
				t.Errorf("no message names field %s: %s", tc.field, r.raw)
			}
		})
	}
	h.t = t
	if n := len(h.srv.Ledger().Charges); n != 0 {
		t.Fatalf("rejected requests must create nothing, ledger has %d charges", n)
	}

	t.Run("zero-decimal currency", func(t *testing.T) {
		h.t = t
		clp := "11111111-1111-4111-8111-111111111111"
		r := h.create(charge("4111111111111111", map[string]any{"wallet_uuid": clp, "currency": "CLP", "installment_value": json.Number("50000.5")}))
		if r.status != 422 || r.code() != "AMOUNT_INVALID" {
			t.Fatalf("CLP with decimals: %d %s", r.status, r.raw)
		}
		r = h.create(charge("4111111111111111", map[string]any{"wallet_uuid": clp, "currency": "CLP", "installment_value": 50000}))
		if r.status != 200 || r.body["local_currency"] != json.Number("50000") {
			t.Fatalf("CLP whole amount: %d %s", r.status, r.raw)
		}
	})
	t.Run("bad JSON", func(t *testing.T) {
		h.t = t
		for _, body := range []string{"", "{", "[1]", "null", `{"a":1} {}`} {
			r := h.do("POST", "/api/v1/bank/wallet/charge/", body)
			if r.status != 400 || r.code() != "INVALID_JSON" {
				t.Errorf("body %q: %d %s", body, r.status, r.raw)
			}
		}
	})
}

func TestAmountForms(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{})
	cases := []struct {
		name      string
		overrides map[string]any
		minor     int64
	}{
		{"installment_value number", map[string]any{"installment_value": json.Number("320.00")}, 32000},
		{"installment_value string", map[string]any{"installment_value": "320.5"}, 32050},
		{"installment_value trailing zeros", map[string]any{"installment_value": json.Number("320.000")}, 32000},
		{"installments multiply", map[string]any{"installment_value": json.Number("100.10"), "installment_count": 3}, 30030},
		{"amount only", map[string]any{"installment_value": nil, "amount": json.Number("10000")}, 1000000},
		{"amount and installments agree", map[string]any{"installment_value": 50, "installment_count": 2, "amount": 100}, 10000},
		{"free item", map[string]any{"items": []any{map[string]any{"name": "breakfast", "quantity": 1, "value": 0, "unit_amount": "0.00"}}}, 50000},
		{"month and year as strings", map[string]any{"card_expiry_month": "07", "card_expiry_year": "2099"}, 50000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			r := h.create(charge("4111111111111111", tc.overrides))
			if r.status != 200 {
				t.Fatalf("HTTP %d %s", r.status, r.raw)
			}
			e, _ := h.srv.Charge(r.str("uuid"))
			if e.Authorized.Minor != tc.minor || e.Authorized.Currency != "BRL" {
				t.Fatalf("authorized %+v, want %d BRL", e.Authorized, tc.minor)
			}
		})
	}
}

// Requests shaped exactly like the seeds' examples, with the seeds' JSON types.
func TestSeedShapedRequests(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{})
	r := h.do("POST", "/api/v1/bank/wallet/charge/", a55seeds.H2HCharge, "Idempotency-Key", "ord_001")
	if r.status != 200 || r.str("status") != "confirmed" || r.str("uuid") == "" || r.str("reference_external_id") != "ord_001" {
		t.Fatalf("H2H example: %d %s", r.status, r.raw)
	}
	if r.body["message"] != nil {
		t.Errorf("message must be null on success, got %v", r.body["message"])
	}
	if r.body["local_currency"] != json.Number("10000.00") {
		t.Errorf("installment_value 10000 is R$ 10,000.00: local_currency = %v", r.body["local_currency"])
	}

	threeDS := a55seeds.ThreeDSCharge
	r = h.do("POST", "/api/v1/bank/wallet/charge/", threeDS)
	if r.status != 200 || r.str("status") != "confirmed" || r.str("eci") != "05" || r.str("authentication_status") != "success" {
		t.Fatalf("3DS frictionless example: %d %s", r.status, r.raw)
	}
	r = h.do("POST", "/api/v1/bank/wallet/charge/", strings.Replace(threeDS, "4111111111111111", "4000000000000101", 1))
	if r.status != 200 || r.str("status") != "pending" || !strings.HasPrefix(r.str("url_3ds"), h.srv.URL+"/3ds/challenge/") {
		t.Fatalf("3DS challenge example: %d %s", r.status, r.raw)
	}
	r = h.do("POST", "/api/v1/bank/wallet/charge/", strings.Replace(threeDS, "4111111111111111", "4000000000000002", 1))
	if r.str("status") != "error" || r.code() != "CARD_DECLINED" || !strings.HasPrefix(r.body["message"].([]any)[0].(map[string]any)["message"].(string), "Declined") {
		t.Fatalf("decline example: %s", r.raw)
	}

	// The capture example: hold in the seeds' second wallet, capture 320.00.
	hold := h.create(charge("4111111111111111", map[string]any{
		"wallet_uuid": a55sandbox.SecondWallet, "capture": false, "installment_value": 500,
		"description": "酒店预订——豪华套房", "due_date": "2026-03-20",
	}))
	if hold.str("status") != "authorized" {
		t.Fatalf("hold: %s", hold.raw)
	}
	capture := h.do("POST", "/api/v1/bank/wallet/charge/capture/", fmt.Sprintf(`{
"charge_uuid": %q,
"wallet_uuid": "f47ac10b-58cc-4372-a567-0e02b2c3d479",
"amount": 320.00
}`, hold.str("uuid")))
	if capture.status != 200 {
		t.Fatalf("capture: %d %s", capture.status, capture.raw)
	}
	for _, field := range []string{"status", "charge_uuid", "local_currency", "currency", "usd_currency", "eur_currency", "type",
		"date", "description", "due_date", "message", "installment_count", "installments"} {
		if _, ok := capture.body[field]; !ok {
			t.Errorf("capture response lacks %s: %s", field, capture.raw)
		}
	}
	want := map[string]any{
		"status": "confirmed", "charge_uuid": hold.str("uuid"), "local_currency": json.Number("320.00"), "currency": "BRL",
		"usd_currency": json.Number("57.41"), "eur_currency": json.Number("50.33"), "type": "credit_card",
		"description": "酒店预订——豪华套房", "due_date": "2026-03-20", "message": nil, "installment_count": json.Number("1"),
	}
	for k, v := range want {
		if capture.body[k] != v {
			t.Errorf("capture %s = %#v, want %#v", k, capture.body[k], v)
		}
	}
	inst := capture.body["installments"].([]any)
	if len(inst) != 1 {
		t.Fatalf("installments: %v", inst)
	}
	i0 := inst[0].(map[string]any)
	for k, v := range map[string]any{"local_currency": json.Number("320.00"), "currency": "BRL", "usd_currency": json.Number("57.41"),
		"eur_currency": json.Number("50.33"), "due_date": "2026-03-20", "status": "confirmed", "installment_number": json.Number("1")} {
		if i0[k] != v {
			t.Errorf("installments[0].%s = %#v, want %#v", k, i0[k], v)
		}
	}
	e, _ := h.srv.Charge(hold.str("uuid"))
	if e.Captured.Minor != 32000 || e.Released.Minor != 18000 {
		t.Errorf("ledger after partial capture: captured %d released %d", e.Captured.Minor, e.Released.Minor)
	}
}

func TestInstallmentsSplit(t *testing.T) {
	h := newHarness(t, a55sandbox.Config{})
	r := h.create(charge("4111111111111111", map[string]any{"installment_value": nil, "amount": json.Number("100.00"), "installment_count": 3}))
	inst := r.body["installments"].([]any)
	var got []any
	for _, i := range inst {
		got = append(got, i.(map[string]any)["local_currency"])
	}
	if fmt.Sprint(got) != "[33.34 33.33 33.33]" {
		t.Fatalf("100.00 in 3 installments: %v", got)
	}
}
