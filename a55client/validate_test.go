package a55client

// clock: injected — validation runs at fixedNow.

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/money"
)

func fieldNames(err error) []string {
	var e *Error
	if !errors.As(err, &e) {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestCreateChargeValidationListsEveryProblem(t *testing.T) {
	f := newFake(t)
	f.reply(200, `{"uuid":"c","status":"authorized"}`)
	c := f.client()
	p := &CreateChargeParams{
		WalletUUID:       "",
		Amount:           money.Amount{Minor: 0, Currency: "BRL"},
		InstallmentCount: 13,
		DueDate:          "31/12/2026",
		Card:             Card{HolderName: " ", Number: "4111 1111 1111 1112", ExpiryMonth: 13, ExpiryYear: 30, CVV: "12a"},
		ThreeDS:          true,
		DataOnly:         true,
		DeviceInfo:       &DeviceInfo{UserAgent: "Mozilla", HTTPBrowserJavaEnabled: boolp(false)},
		Items:            []Item{{Name: "", Quantity: 0, UnitAmount: money.Amount{Minor: 100, Currency: "USD"}}},
	}
	_, err := c.CreateCharge(ctxT(t), p, "")
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassInvalid || e.Op != "create_charge" {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		"idempotency_key", "wallet_uuid", "amount", "installment_count",
		"card_number", "card_expiry_month", "card_expiry_year", "card_cvv", "card_name",
		"due_date", "data_only",
		"device_info.ip_address", "device_info.http_accept_content",
		"device_info.http_browser_language", "device_info.http_browser_screen_height",
		"device_info.http_browser_screen_width", "device_info.http_browser_time_difference",
		"device_info.http_accept_browser_value", "device_info.http_browser_color_depth",
		"device_info.http_browser_javascript_enabled",
		"items[0].name", "items[0].quantity", "items[0].unit_amount",
	}
	if got := fieldNames(err); !reflect.DeepEqual(got, want) {
		t.Errorf("fields:\n got %v\nwant %v", got, want)
	}
	for _, fe := range e.Fields {
		if fe.Reason == "" {
			t.Errorf("%s has no reason", fe.Field)
		}
	}
	mustNotContain(t, "validation error", err.Error(), "4111111111111112", "4111 1111 1111 1112", "12a")
	if n := len(f.requests()); n != 0 || f.tokenCount() != 0 {
		t.Errorf("validation reached the network: %d requests, %d tokens", n, f.tokenCount())
	}
}

func TestThreeDSWithoutDeviceInfoListsAllFields(t *testing.T) {
	f := newFake(t)
	p := validParams()
	p.ThreeDS = true
	_, err := f.client().CreateCharge(ctxT(t), p, "k")
	got := fieldNames(err)
	if len(got) != len(threeDSDeviceFields) {
		t.Fatalf("fields = %v", got)
	}
	for i, name := range threeDSDeviceFields {
		if got[i] != "device_info."+name {
			t.Errorf("field %d = %s, want device_info.%s", i, got[i], name)
		}
	}
}

func TestCardRules(t *testing.T) {
	now := fixedNow // November 2026
	tests := []struct {
		name   string
		card   Card
		fields []string
	}{
		{"valid", Card{"Ana", "4111111111111111", 12, 2099, "123"}, nil},
		{"spaces stripped", Card{"Ana", "5500 0000 0000 0004", 1, 2099, "1234"}, nil},
		{"this month still valid", Card{"Ana", "4000000000000002", int(now.Month()), now.Year(), "123"}, nil},
		{"last month expired", Card{"Ana", "4000000000000002", int(now.AddDate(0, -1, 0).Month()), now.AddDate(0, -1, 0).Year(), "123"}, []string{"card_expiry_year"}},
		{"last year", Card{"Ana", "4000000000000002", 12, 2025, "123"}, []string{"card_expiry_year"}},
		{"luhn", Card{"Ana", "4111111111111112", 12, 2099, "123"}, []string{"card_number"}},
		{"letters", Card{"Ana", "4111-1111-abcd-1111", 12, 2099, "123"}, []string{"card_number"}},
		{"dashes stripped", Card{"Ana", "4111-1111-1111-1111", 12, 2099, "123"}, nil},
		{"too short", Card{"Ana", "41111111111", 12, 2099, "123"}, []string{"card_number"}},
		{"too long", Card{"Ana", "41111111111111111111", 12, 2099, "123"}, []string{"card_number"}},
		{"empty", Card{}, []string{"card_number", "card_expiry_month", "card_expiry_year", "card_cvv", "card_name"}},
		{"month 0", Card{"Ana", "4111111111111111", 0, 2099, "123"}, []string{"card_expiry_month"}},
		{"cvv 2 digits", Card{"Ana", "4111111111111111", 12, 2099, "12"}, []string{"card_cvv"}},
		{"cvv 5 digits", Card{"Ana", "4111111111111111", 12, 2099, "12345"}, []string{"card_cvv"}},
	}
	for _, tt := range tests {
		var p problems
		p.checkCard(tt.card, now)
		var got []string
		for _, fe := range p {
			got = append(got, fe.Field)
		}
		if !reflect.DeepEqual(got, tt.fields) {
			t.Errorf("%s: fields = %v, want %v", tt.name, got, tt.fields)
		}
	}
}

func TestInvalidItemsAndParams(t *testing.T) {
	f := newFake(t)
	c := f.client()
	if _, err := c.CreateCharge(ctxT(t), nil, "k"); !hasField(err, "params") {
		t.Errorf("nil params: %v", err)
	}
	p := validParams()
	p.Items = []Item{{Name: "x", Quantity: 1, UnitAmount: brl(-5)}}
	p.Amount = money.Amount{Minor: 100, Currency: "EUR"}
	_, err := c.CreateCharge(ctxT(t), p, "k")
	got := fieldNames(err)
	if !reflect.DeepEqual(got, []string{"amount", "items[0].unit_amount"}) {
		t.Errorf("fields = %v (%v)", got, err)
	}
	if !strings.Contains(err.Error(), "unknown currency") {
		t.Errorf("error does not name the rule: %v", err)
	}
	p = validParams()
	p.Items = []Item{{Name: "x", Quantity: 1, UnitAmount: brl(-5)}}
	_, err = c.CreateCharge(ctxT(t), p, "k")
	if !hasField(err, "items[0].unit_amount") || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative item: %v", err)
	}
	p = validParams()
	p.Items = []Item{{Name: "x", Quantity: 4, UnitAmount: brl(1 << 61)}}
	_, err = c.CreateCharge(ctxT(t), p, "k")
	if !hasField(err, "items[0].unit_amount") {
		t.Errorf("overflowing item: %v", err)
	}
	if len(f.requests()) != 0 {
		t.Errorf("requests sent")
	}
}
