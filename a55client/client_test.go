package a55client

// clock: injected — every date here is read by the client at fixedNow or only compared as text.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/a55seeds"
	"github.com/hotelpay/a55-temporal/money"
)

// decodeGeneric decodes JSON keeping numbers as their exact text.
func decodeGeneric(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return m
}

func TestCreateChargeWireRequest(t *testing.T) {
	f := newFake(t)
	f.reply(200, `{"uuid":"`+testCharge+`","status":"authorized","reference_external_id":"ord_001","local_currency":320.00,"currency":"BRL"}`)
	c := f.client()
	p := validParams()
	p.InstallmentCount = 2
	ch, err := c.CreateCharge(ctxT(t), p, "ord_001")
	if err != nil {
		t.Fatalf("CreateCharge: %v", err)
	}
	if ch.UUID != testCharge || ch.State != StateAuthorized || ch.Amount == nil || *ch.Amount != brl(32000) {
		t.Fatalf("charge = %+v", ch)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d API requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/api/v1/bank/wallet/charge/" || r.RawQuery != "" {
		t.Errorf("request line = %s %s?%s", r.Method, r.Path, r.RawQuery)
	}
	wantHeaders := map[string]string{
		"Authorization":   "Bearer tok-1",
		"Content-Type":    "application/json",
		"Idempotency-Key": "ord_001",
		"Accept":          "application/json",
		"User-Agent":      "a55client-test/1",
	}
	for k, v := range wantHeaders {
		if got := r.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	got := decodeGeneric(t, r.Body)
	want := decodeGeneric(t, []byte(`{
		"wallet_uuid": "00000000-0000-4000-8000-000000000001",
		"merchant_id": "merchant_123",
		"payer_name": "Zhang Wei",
		"payer_email": "zhangwei@example.com",
		"payer_cell_phone": "+5511999999999",
		"payer_tax_id": "12345678901",
		"items": [{"name": "Diária", "quantity": 2, "value": 160.00, "unit_amount": 160.00, "total_amount": 320.00, "sku": "room-1"}],
		"payer_address": {"street": "Av. Paulista 1000", "address_number": "1000", "city": "São Paulo", "state": "SP",
			"zip_code": "01310100", "postal_code": "01310100", "country": "BR"},
		"currency": "BRL",
		"amount": 320.00,
		"installment_value": 160.00,
		"installment_count": 2,
		"due_date": "2026-12-31",
		"description": "Hotel booking",
		"type_charge": "credit_card",
		"card_name": "Zhang Wei",
		"card_number": "4111111111111111",
		"card_expiry_month": 12,
		"card_expiry_year": 2099,
		"card_cvv": "123",
		"reference_external_id": "ord_001",
		"capture": false,
		"threeds_authentication": false,
		"webhook_url": "https://merchant.example/webhooks/a55",
		"redirect_url": "https://merchant.example/return"
	}`))
	if !reflect.DeepEqual(got, want) {
		gb, _ := json.MarshalIndent(got, "", " ")
		t.Errorf("body mismatch:\n got %s", gb)
	}
	// JSON types, byte for byte: amounts are numbers with two decimals,
	// expiry numbers, CVV a string, capture explicit.
	for _, frag := range []string{`"amount":320.00`, `"installment_value":160.00`, `"card_expiry_month":12`, `"card_expiry_year":2099`, `"card_cvv":"123"`, `"card_number":"4111111111111111"`, `"capture":false`} {
		if !bytes.Contains(r.Body, []byte(frag)) {
			t.Errorf("body lacks %s: %s", frag, r.Body)
		}
	}
}

func TestCreateChargeDefaultsAnd3DS(t *testing.T) {
	f := newFake(t)
	f.reply(200, `{"uuid":"`+testCharge+`","status":"pending","url_3ds":"https://confirmacion.a55.tech/charge/`+testCharge+`"}`)
	c := f.client()
	p := validParams()
	p.Items = nil
	p.DueDate = ""
	p.Capture = true
	p.ThreeDS = true
	p.DeviceInfo = fullDeviceInfo()
	p.Amount = money.Amount{Minor: 50000, Currency: "CLP"}
	ch, err := c.CreateCharge(ctxT(t), p, "key-3ds")
	if err != nil {
		t.Fatalf("CreateCharge: %v", err)
	}
	if ch.State != StatePending3DS || !strings.HasPrefix(ch.URL3DS, "https://confirmacion.a55.tech/") {
		t.Fatalf("charge = %+v", ch)
	}
	body := f.requests()[0].Body
	got := decodeGeneric(t, body)
	checks := map[string]any{
		"due_date":               fixedNow.Format(time.DateOnly), // today at the injected clock
		"type_charge":            "credit_card",
		"capture":                true,
		"threeds_authentication": true,
		"currency":               "CLP",
		"amount":                 json.Number("50000"),
		"installment_value":      json.Number("50000"),
		"installment_count":      json.Number("1"),
	}
	for k, v := range checks {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if _, ok := got["items"]; ok {
		t.Errorf("items sent although none given")
	}
	if _, ok := got["data_only"]; ok {
		t.Errorf("data_only sent although false")
	}
	di, _ := got["device_info"].(map[string]any)
	if di["http_browser_java_enabled"] != false || di["http_browser_javascript_enabled"] != true || di["http_browser_color_depth"] != "24" {
		t.Errorf("device_info = %#v", di)
	}
}

func TestCreateChargeDataOnlySent(t *testing.T) {
	f := newFake(t)
	f.reply(200, `{"uuid":"`+testCharge+`","status":"confirmed"}`)
	p := validParams()
	p.DataOnly = true
	p.DeviceInfo = fullDeviceInfo()
	if _, err := f.client().CreateCharge(ctxT(t), p, "k1"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(f.requests()[0].Body, []byte(`"data_only":true`)) {
		t.Errorf("data_only missing: %s", f.requests()[0].Body)
	}
}

func TestInstallmentsMustDivideExactly(t *testing.T) {
	f := newFake(t)
	p := validParams()
	p.Items = nil
	p.Amount = brl(10001)
	p.InstallmentCount = 3
	_, err := f.client().CreateCharge(ctxT(t), p, "k")
	if !IsInvalid(err) || !hasField(err, "installment_count") {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func hasField(err error, field string) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

func TestOperationsOnTheWire(t *testing.T) {
	capAmt := brl(32000)
	refAmt := brl(5050)
	tests := []struct {
		name      string
		do        func(c *Client) error
		method    string
		path      string
		query     string
		body      string // exact JSON; "" = no body
		idemKey   string
		public    bool
		chargeOut string
	}{
		{
			name:   "get",
			do:     func(c *Client) error { _, err := c.GetCharge(ctxBG, testWallet, testCharge); return err },
			method: "GET", path: "/api/v1/bank/wallet/charge/",
			query: "charge_uuid=" + testCharge + "&wallet_uuid=" + testWallet,
		},
		{
			name: "capture full",
			do: func(c *Client) error {
				_, err := c.CaptureCharge(ctxBG, &CaptureParams{WalletUUID: testWallet, ChargeUUID: testCharge}, "cap-1")
				return err
			},
			method: "POST", path: "/api/v1/bank/wallet/charge/capture/",
			body:    `{"charge_uuid":"` + testCharge + `","wallet_uuid":"` + testWallet + `"}`,
			idemKey: "cap-1",
		},
		{
			name: "capture partial",
			do: func(c *Client) error {
				_, err := c.CaptureCharge(ctxBG, &CaptureParams{WalletUUID: testWallet, ChargeUUID: testCharge, Amount: &capAmt}, "cap-2")
				return err
			},
			method: "POST", path: "/api/v1/bank/wallet/charge/capture/",
			body:    `{"charge_uuid":"` + testCharge + `","wallet_uuid":"` + testWallet + `","amount":320.00}`,
			idemKey: "cap-2",
		},
		{
			name: "cancel without reason",
			do: func(c *Client) error {
				_, err := c.CancelCharge(ctxBG, &CancelParams{WalletUUID: testWallet, ChargeUUID: testCharge}, "can-1")
				return err
			},
			method: "POST", path: "/api/v1/bank/wallet/charge/" + testCharge + "/cancel/" + testWallet + "/",
			body: `{}`, idemKey: "can-1",
		},
		{
			name: "cancel with reason",
			do: func(c *Client) error {
				_, err := c.CancelCharge(ctxBG, &CancelParams{WalletUUID: testWallet, ChargeUUID: testCharge, Reason: "guest left"}, "can-2")
				return err
			},
			method: "POST", path: "/api/v1/bank/wallet/charge/" + testCharge + "/cancel/" + testWallet + "/",
			body: `{"reason":"guest left"}`, idemKey: "can-2",
		},
		{
			name: "refund partial",
			do: func(c *Client) error {
				_, err := c.RefundCharge(ctxBG, &RefundParams{WalletUUID: testWallet, ChargeUUID: testCharge, Amount: &refAmt, Reason: "minibar"}, "ref-1")
				return err
			},
			method: "POST", path: "/api/v1/bank/wallet/charge/" + testCharge + "/refund/" + testWallet + "/",
			body: `{"amount":50.50,"reason":"minibar"}`, idemKey: "ref-1",
		},
		{
			name: "refund full",
			do: func(c *Client) error {
				_, err := c.RefundCharge(ctxBG, &RefundParams{WalletUUID: testWallet, ChargeUUID: testCharge}, "ref-2")
				return err
			},
			method: "POST", path: "/api/v1/bank/wallet/charge/" + testCharge + "/refund/" + testWallet + "/",
			body: `{}`, idemKey: "ref-2",
		},
		{
			name: "escaped path segment",
			do: func(c *Client) error {
				_, err := c.CancelCharge(ctxBG, &CancelParams{WalletUUID: "w 1", ChargeUUID: "c%1"}, "can-3")
				return err
			},
			method: "POST", path: "/api/v1/bank/wallet/charge/c%251/cancel/w%201/",
			body: `{}`, idemKey: "can-3",
		},
		{
			name: "validate 3ds",
			do: func(c *Client) error {
				_, err := c.Validate3DS(ctxBG, testCharge, "txn-77", "val-1")
				return err
			},
			method: "POST", path: "/api/v1/bank/public/charge/authentication/" + testCharge + "/validate",
			body: `{"transaction_id":"txn-77"}`, idemKey: "val-1", public: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.reply(200, `{"charge_uuid":"`+testCharge+`","status":"confirmed","message":null}`)
			if err := tt.do(f.client()); err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.Method != tt.method || r.Path != tt.path || r.RawQuery != tt.query {
				t.Errorf("got %s %s?%s, want %s %s?%s", r.Method, r.Path, r.RawQuery, tt.method, tt.path, tt.query)
			}
			if string(r.Body) != tt.body {
				t.Errorf("body = %s, want %s", r.Body, tt.body)
			}
			if got := r.Header.Get("Idempotency-Key"); got != tt.idemKey {
				t.Errorf("Idempotency-Key = %q, want %q", got, tt.idemKey)
			}
			wantAuth := "Bearer tok-1"
			if tt.public {
				wantAuth = ""
				if f.tokenCount() != 0 {
					t.Errorf("public call fetched a token")
				}
			}
			if got := r.Header.Get("Authorization"); got != wantAuth {
				t.Errorf("Authorization = %q, want %q", got, wantAuth)
			}
			wantCT := "application/json"
			if tt.body == "" {
				wantCT = ""
			}
			if got := r.Header.Get("Content-Type"); got != wantCT {
				t.Errorf("Content-Type = %q, want %q", got, wantCT)
			}
			if r.Header.Get("Accept") != "application/json" || r.Header.Get("User-Agent") != "a55client-test/1" {
				t.Errorf("Accept/User-Agent = %q/%q", r.Header.Get("Accept"), r.Header.Get("User-Agent"))
			}
		})
	}
}

func TestListCharges(t *testing.T) {
	item1 := `{"charge_uuid":"c1","status":"confirmed","local_currency":"100.50","currency":"BRL"}`
	item2 := `{"uuid":"c2","status":"pending","url_3ds":"https://x/3ds"}`
	envelopes := map[string]string{
		"sandbox data": `{"data":[` + item1 + `,` + item2 + `],"page":2,"limit":20,"total":42}`,
		"bare array":   `[` + item1 + `,` + item2 + `]`,
		"charges key":  `{"charges":[` + item1 + `,` + item2 + `],"page":"2","limit":20,"total":42}`,
		"results key":  `{"results":[` + item1 + `,` + item2 + `],"page":2,"limit":20,"total":42}`,
		"items key":    `{"items":[` + item1 + `,` + item2 + `],"page":2,"limit":20,"total":42}`,
	}
	for name, body := range envelopes {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			f.reply(200, body)
			list, err := f.client().ListCharges(ctxT(t), &ListChargesParams{
				WalletUUID: testWallet, MerchantUUID: "m-1", DateStart: "2026-01-01", Page: 2, Limit: 20, Filter: "status:confirmed", Sort: "created:desc",
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Charges) != 2 || list.Charges[0].UUID != "c1" || list.Charges[1].UUID != "c2" {
				t.Fatalf("charges = %+v", list.Charges)
			}
			if *list.Charges[0].Amount != brl(10050) || list.Charges[1].State != StatePending3DS {
				t.Errorf("decoded = %+v", list.Charges)
			}
			if name == "bare array" {
				if list.Total != 2 {
					t.Errorf("total = %d", list.Total)
				}
			} else if list.Page != 2 || list.Limit != 20 || list.Total != 42 {
				t.Errorf("page/limit/total = %d/%d/%d", list.Page, list.Limit, list.Total)
			}
			r := f.requests()[0]
			if r.Method != "GET" || r.Path != "/api/v1/bank/wallet/charges/" {
				t.Errorf("request = %s %s", r.Method, r.Path)
			}
			wantQ := "date_start=2026-01-01&filter=status%3Aconfirmed&limit=20&merchant_uuid=m-1&page=2&sort=created%3Adesc&wallet_uuid=" + testWallet
			if r.RawQuery != wantQ {
				t.Errorf("query = %s\nwant    %s", r.RawQuery, wantQ)
			}
		})
	}
}

func TestListChargesOnlyNonEmptyParams(t *testing.T) {
	f := newFake(t)
	f.reply(200, `{"data":[]}`)
	list, err := f.client().ListCharges(ctxT(t), &ListChargesParams{WalletUUID: testWallet})
	if err != nil || len(list.Charges) != 0 {
		t.Fatalf("list=%+v err=%v", list, err)
	}
	if q := f.requests()[0].RawQuery; q != "wallet_uuid="+testWallet {
		t.Errorf("query = %s", q)
	}
}

func TestListChargesBadAnswers(t *testing.T) {
	for _, body := range []string{`{"foo":[]}`, `"x"`, `{"data":[{"uuid":"c","local_currency":"1e3","currency":"BRL"}]}`, `[1]`} {
		f := newFake(t)
		f.reply(200, body)
		_, err := f.client().ListCharges(ctxT(t), &ListChargesParams{WalletUUID: testWallet})
		var e *Error
		if !errors.As(err, &e) || e.Class != ClassUnknown || e.HTTPStatus != 200 {
			t.Errorf("%s: err = %v", body, err)
		}
	}
}

func TestListChargesValidation(t *testing.T) {
	f := newFake(t)
	_, err := f.client().ListCharges(ctxT(t), &ListChargesParams{Page: -1, Limit: 101})
	for _, field := range []string{"wallet_uuid", "page", "limit"} {
		if !hasField(err, field) {
			t.Errorf("no problem for %s in %v", field, err)
		}
	}
	if _, err := f.client().ListCharges(ctxT(t), nil); !IsInvalid(err) {
		t.Errorf("nil params: %v", err)
	}
	if len(f.requests()) != 0 {
		t.Errorf("requests were sent")
	}
}

// The seeds' create-charge examples decode into ChargeRequest and re-encode
// without losing or changing a field, numbers included.
func TestChargeRequestRoundTripsSeedExamples(t *testing.T) {
	seeds := map[string]string{
		"h2h": a55seeds.H2HCharge,
		"3ds": a55seeds.ThreeDSCharge,
	}
	for name, seed := range seeds {
		t.Run(name, func(t *testing.T) {
			dec := json.NewDecoder(strings.NewReader(seed))
			dec.DisallowUnknownFields() // every seed field has a home in ChargeRequest
			var req ChargeRequest
			if err := dec.Decode(&req); err != nil {
				t.Fatalf("decode: %v", err)
			}
			out, err := json.Marshal(req)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if got, want := decodeGeneric(t, out), decodeGeneric(t, []byte(seed)); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the payload:\n got %s", out)
			}
			// fmt of the wire type never shows the card.
			for _, s := range []string{fmt.Sprint(req), fmt.Sprintf("%+v", req), fmt.Sprintf("%#v", req)} {
				mustNotContain(t, "fmt of ChargeRequest", s, testPAN, `"123"`, "card_cvv")
			}
		})
	}
}

func TestValidate3DSAnswers(t *testing.T) {
	f := newFake(t)
	f.reply(200, `{"charge_uuid":"`+testCharge+`","authentication_status":"authenticated","eci":"05","cavv":"AAAB","status":"confirmed","message":null}`)
	v, err := f.client().Validate3DS(ctxT(t), testCharge, "txn", "k")
	if err != nil {
		t.Fatal(err)
	}
	want := ThreeDSValidation{ChargeUUID: testCharge, AuthenticationStatus: "authenticated", ECI: "05", CAVV: "AAAB", Status: "confirmed", State: StateCaptured}
	if *v != want {
		t.Errorf("validation = %+v", *v)
	}

	f.reply(200, `{"status":"error","authentication_status":"failed","message":[{"code":"AUTHENTICATION_FAILED","source":"3ds","description":"3DS authentication failed"}]}`)
	v, err = f.client().Validate3DS(ctxT(t), testCharge, "txn", "k2")
	if !IsDeclined(err) || v == nil || v.AuthenticationStatus != "failed" || v.ChargeUUID != testCharge {
		t.Fatalf("v=%+v err=%v", v, err)
	}
	var e *Error
	errors.As(err, &e)
	if e.Code != "AUTHENTICATION_FAILED" || e.Charge == nil || e.Charge.UUID != testCharge {
		t.Errorf("error = %+v", e)
	}

	_, err = f.client().Validate3DS(ctxT(t), "a/b", "", "")
	for _, field := range []string{"charge_uuid", "transaction_id", "idempotency_key"} {
		if !hasField(err, field) {
			t.Errorf("missing problem %s in %v", field, err)
		}
	}
}

func TestValidate3DSUnauthorizedIsNotRetriedWithToken(t *testing.T) {
	f := newFake(t)
	f.reply(401, `{"code":"unauthorized","message":"no"}`)
	_, err := f.client().Validate3DS(ctxT(t), testCharge, "txn", "k")
	if !IsUnauthorized(err) || len(f.requests()) != 1 || f.tokenCount() != 0 {
		t.Errorf("err=%v requests=%d tokens=%d", err, len(f.requests()), f.tokenCount())
	}
}

func TestDeclineReturnsChargeAndError(t *testing.T) {
	tests := []struct {
		name, body, code, msg string
	}{
		{"seed shape", `{"uuid":"` + testCharge + `","status":"error","message":[{"message":"Declined or validation failed"}],"code":"CARD_DECLINED"}`, "CARD_DECLINED", "Declined or validation failed"},
		{"3ds failed", `{"uuid":"` + testCharge + `","status":"error","message":[{"message":"3DS authentication failed"}],"code":"error_threeds_authentication"}`, "error_threeds_authentication", "3DS authentication failed"},
		{"shape A", `{"charge_uuid":"` + testCharge + `","status":"error","message":[{"code":"INSUFFICIENT_FUNDS","source":"acquirer","description":"Insufficient funds"}]}`, "INSUFFICIENT_FUNDS", "Insufficient funds"},
		{"no message", `{"charge_uuid":"` + testCharge + `","status":"error","code":"51"}`, "51", "charge declined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.reply(200, tt.body)
			ch, err := f.client().CreateCharge(ctxT(t), validParams(), "ord_001")
			if ch == nil || ch.UUID != testCharge || ch.State != StateFailed || ch.Code != tt.code {
				t.Fatalf("charge = %+v", ch)
			}
			var e *Error
			if !errors.As(err, &e) || e.Class != ClassDeclined || !IsDeclined(err) || IsRetryable(err) {
				t.Fatalf("err = %#v", err)
			}
			if e.Charge != ch || e.Code != tt.code || e.Message != tt.msg || e.HTTPStatus != 200 {
				t.Errorf("error = %+v", e)
			}
		})
	}
}

func TestGetChargeValidatesIdentifiers(t *testing.T) {
	f := newFake(t)
	c := f.client()
	for _, tt := range []struct{ wallet, charge, field string }{
		{"", testCharge, "wallet_uuid"},
		{testWallet, " ", "charge_uuid"},
		{"a/b", testCharge, "wallet_uuid"},
		{testWallet, "x?y", "charge_uuid"},
		{testWallet, "x#y", "charge_uuid"},
	} {
		_, err := c.GetCharge(ctxT(t), tt.wallet, tt.charge)
		if !IsInvalid(err) || !hasField(err, tt.field) {
			t.Errorf("%q/%q: %v", tt.wallet, tt.charge, err)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestCaptureRefundCancelValidation(t *testing.T) {
	f := newFake(t)
	c := f.client()
	neg := brl(-1)
	usdUnknown := money.Amount{Minor: 100, Currency: "XXX"}
	tests := []struct {
		name   string
		err    error
		fields []string
	}{
		{"capture nil", func() error { _, e := c.CaptureCharge(ctxBG, nil, ""); return e }(), []string{"idempotency_key", "charge_uuid", "wallet_uuid"}},
		{"capture negative", func() error {
			_, e := c.CaptureCharge(ctxBG, &CaptureParams{WalletUUID: "w", ChargeUUID: "c", Amount: &neg}, "k")
			return e
		}(), []string{"amount"}},
		{"refund unknown currency", func() error {
			_, e := c.RefundCharge(ctxBG, &RefundParams{WalletUUID: "w", ChargeUUID: "c", Amount: &usdUnknown}, "k")
			return e
		}(), []string{"amount"}},
		{"refund nil", func() error { _, e := c.RefundCharge(ctxBG, nil, "k"); return e }(), []string{"charge_uuid", "wallet_uuid"}},
		{"cancel nil", func() error { _, e := c.CancelCharge(ctxBG, nil, "bad key"); return e }(), []string{"idempotency_key", "charge_uuid", "wallet_uuid"}},
		{"long key", func() error {
			_, e := c.CancelCharge(ctxBG, &CancelParams{WalletUUID: "w", ChargeUUID: "c"}, strings.Repeat("k", 256))
			return e
		}(), []string{"idempotency_key"}},
	}
	for _, tt := range tests {
		if !IsInvalid(tt.err) {
			t.Errorf("%s: not invalid: %v", tt.name, tt.err)
		}
		for _, fld := range tt.fields {
			if !hasField(tt.err, fld) {
				t.Errorf("%s: no problem for %s in %v", tt.name, fld, tt.err)
			}
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
	if f.tokenCount() != 0 {
		t.Errorf("validation fetched a token")
	}
}

func TestIdempotencyKeyShortAccepted(t *testing.T) {
	f := newFake(t)
	f.reply(200, `{"charge_uuid":"c","status":"canceled","message":{}}`)
	ch, err := f.client().CancelCharge(ctxT(t), &CancelParams{WalletUUID: "w", ChargeUUID: "c"}, "o")
	if err != nil || ch.State != StateCanceled || ch.Message != "" {
		t.Fatalf("ch=%+v err=%v", ch, err)
	}
}

func TestUndecodableSuccess(t *testing.T) {
	f := newFake(t)
	f.reply(200, `not json`)
	_, err := f.client().GetCharge(ctxT(t), testWallet, testCharge)
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassUnknown || e.Op != "get_charge" {
		t.Fatalf("err = %v", err)
	}
	f.reply(200, `{"uuid":"c","status":"confirmed","value":"12.345","currency":"BRL"}`)
	_, err = f.client().GetCharge(ctxT(t), testWallet, testCharge)
	if err == nil || !strings.Contains(err.Error(), "more than 2 decimal places") {
		t.Fatalf("err = %v", err)
	}
	f.reply(200, `nope`)
	_, err = f.client().Validate3DS(ctxT(t), testCharge, "t", "k")
	if ClassOf(err) != ClassUnknown || err == nil {
		t.Fatalf("validate err = %v", err)
	}
}

func TestResponseBodyLimit(t *testing.T) {
	f := newFake(t)
	f.setHandler(func(w http.ResponseWriter, r *http.Request, _ int) {
		_, _ = w.Write([]byte(`{"uuid":"`))
		_, _ = w.Write(bytes.Repeat([]byte("a"), maxBody+10))
		_, _ = w.Write([]byte(`"}`))
	})
	_, err := f.client().GetCharge(ctxT(t), testWallet, testCharge)
	if err == nil || !strings.Contains(err.Error(), "exceeds 1 MiB") {
		t.Fatalf("err = %v", err)
	}
}

// Reading a failed charge is a successful read, not a decline.
func TestGetFailedChargeIsNotAnError(t *testing.T) {
	f := newFake(t)
	f.reply(200, `{"uuid":"`+testCharge+`","status":"error","message":[{"message":"Declined"}],"code":"CARD_DECLINED"}`)
	ch, err := f.client().GetCharge(ctxT(t), testWallet, testCharge)
	if err != nil || ch.State != StateFailed || ch.Code != "CARD_DECLINED" || ch.Message != "Declined" {
		t.Fatalf("ch=%+v err=%v", ch, err)
	}
}

func TestMutatingCallsDecline(t *testing.T) {
	f := newFake(t)
	f.reply(200, `{"charge_uuid":"`+testCharge+`","status":"error","message":[{"code":"PROCESSING_ERROR","source":"acquirer","description":"try later"}]}`)
	c := f.client()
	_, err1 := c.CaptureCharge(ctxT(t), &CaptureParams{WalletUUID: testWallet, ChargeUUID: testCharge}, "k1")
	_, err2 := c.RefundCharge(ctxT(t), &RefundParams{WalletUUID: testWallet, ChargeUUID: testCharge}, "k2")
	_, err3 := c.CancelCharge(ctxT(t), &CancelParams{WalletUUID: testWallet, ChargeUUID: testCharge}, "k3")
	for i, err := range []error{err1, err2, err3} {
		if !IsDeclined(err) || !strings.Contains(err.Error(), "PROCESSING_ERROR") {
			t.Errorf("call %d: %v", i, err)
		}
	}
}

// A redirect is never followed: Go would turn the POST into a GET.
func TestRedirectsAreNotFollowed(t *testing.T) {
	f := newFake(t)
	f.setHandler(func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Location", "/api/v1/bank/wallet/charge/?charge_uuid=x&wallet_uuid=y")
		w.WriteHeader(http.StatusFound)
	})
	_, err := f.client().CaptureCharge(ctxT(t), &CaptureParams{WalletUUID: testWallet, ChargeUUID: testCharge}, "k")
	var e *Error
	if !errors.As(err, &e) || e.HTTPStatus != 302 || e.Class != ClassUnknown || !strings.Contains(e.Message, "redirect") {
		t.Fatalf("err = %v", err)
	}
	if reqs := f.requests(); len(reqs) != 1 || reqs[0].Method != "POST" {
		t.Errorf("requests = %+v", reqs)
	}
}

// A mutating call is never started when the caller's deadline (an activity
// attempt's) would cut it before its own timeout: a request cut on our side
// may still run at A55 when the next attempt sends the same key. Reads may
// be cut; they change nothing.
func TestMutatingCallNotStartedWhenTheDeadlineWouldCutIt(t *testing.T) {
	f := newFake(t)
	f.reply(200, `{"charge_uuid":"`+testCharge+`","status":"canceled"}`)
	c := f.client(func(cfg *Config) { cfg.Timeout = 5 * time.Second })
	short, cancel := context.WithTimeout(ctxT(t), 2*time.Second)
	defer cancel()
	_, err := c.CancelCharge(short, &CancelParams{WalletUUID: testWallet, ChargeUUID: testCharge}, "booking-1/cancel")
	if !IsRetryable(err) || !strings.Contains(err.Error(), "not sent") {
		t.Fatalf("cancel with 2 s left = %v, want a retryable 'not sent'", err)
	}
	if n := len(f.requests()); n != 0 {
		t.Fatalf("%d requests reached A55", n)
	}
	if _, err := c.GetCharge(short, testWallet, testCharge); err != nil {
		t.Fatalf("read with 2 s left: %v", err)
	}
	roomy, cancel2 := context.WithTimeout(ctxT(t), 6*time.Second)
	defer cancel2()
	if _, err := c.CancelCharge(roomy, &CancelParams{WalletUUID: testWallet, ChargeUUID: testCharge}, "booking-1/cancel"); err != nil {
		t.Fatalf("cancel with 6 s left: %v", err)
	}
	if n := len(f.requests()); n != 2 {
		t.Fatalf("%d requests reached A55, want the read and the cancel", n)
	}
}

func TestChargeCreatedAt(t *testing.T) {
	for raw, want := range map[string]time.Time{
		`"2099-11-27T12:00:01Z"`:        time.Date(2099, 11, 27, 12, 0, 1, 0, time.UTC),
		`"2099-11-27T09:00:01.5-03:00"`: time.Date(2099, 11, 27, 12, 0, 1, 5e8, time.UTC),
		`"2099-11-27 12:00:01"`:         time.Date(2099, 11, 27, 12, 0, 1, 0, time.UTC),
		`"yesterday"`:                   {},
		`null`:                          {},
	} {
		c, err := DecodeCharge([]byte(`{"charge_uuid":"c1","status":"authorized","created_at":`+raw+`}`), VocabularySeeds)
		if err != nil || !c.CreatedAt.Equal(want) {
			t.Errorf("created_at %s = %v (%v), want %v", raw, c.CreatedAt, err, want)
		}
	}
}

// refunded_amount is A55's total refunded of the charge (several partial
// refunds add up there): decoded exactly, in the charge's currency.
func TestDecodeChargeRefundedAmount(t *testing.T) {
	c, err := DecodeCharge([]byte(`{"uuid":"c1","status":"refunded","currency":"BRL","local_currency":320.00,"refunded_amount":120.5,"amount_remaining":"199.50"}`), VocabularySeeds)
	if err != nil {
		t.Fatal(err)
	}
	if c.Refunded == nil || c.Refunded.Minor != 12050 || c.Refunded.Currency != "BRL" {
		t.Fatalf("refunded = %+v", c.Refunded)
	}
	if c.AmountRemaining == nil || c.AmountRemaining.Minor != 19950 {
		t.Fatalf("amount_remaining = %+v", c.AmountRemaining)
	}
	if c, err = DecodeCharge([]byte(`{"uuid":"c1","status":"confirmed","currency":"BRL"}`), VocabularySeeds); err != nil || c.Refunded != nil {
		t.Fatalf("a charge without refunded_amount: %+v, %v", c.Refunded, err)
	}
	if _, err := DecodeCharge([]byte(`{"uuid":"c1","currency":"BRL","refunded_amount":1.005}`), VocabularySeeds); err == nil {
		t.Fatal("an inexact refunded_amount was accepted")
	}
}
