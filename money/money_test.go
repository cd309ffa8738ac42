package money

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		a    Amount
		want error
		text string
	}{
		{Amount{50000, "BRL"}, nil, ""},
		{Amount{1, "CLP"}, nil, ""},
		{Amount{maxMinor, "USD"}, nil, ""},
		{Amount{0, "BRL"}, ErrNotPositive, "got 0 minor units"},
		{Amount{-100, "BRL"}, ErrNotPositive, "got -100 minor units"},
		{Amount{100, "EUR"}, ErrUnknownCurrency, `"EUR"`},
		{Amount{100, "brl"}, ErrUnknownCurrency, `"brl"`},
		{Amount{100, ""}, ErrUnknownCurrency, `""`},
		{Amount{maxMinor + 1, "BRL"}, nil, "too large"},
	}
	for _, tt := range tests {
		err := tt.a.Validate()
		if tt.text == "" {
			if err != nil {
				t.Errorf("%+v: unexpected %v", tt.a, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%+v: err = %v, want it to mention %s", tt.a, err, tt.text)
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%+v: err = %v, want %v", tt.a, err, tt.want)
		}
	}
	if _, err := New(100, "XYZ"); !errors.Is(err, ErrUnknownCurrency) {
		t.Errorf("New unknown currency: %v", err)
	}
	a, err := New(100, "MXN")
	if err != nil || a != (Amount{100, "MXN"}) {
		t.Errorf("New = %v, %v", a, err)
	}
}

func TestUnknownCurrencyErrorListsAccepted(t *testing.T) {
	err := Amount{1, "EUR"}.Validate()
	for _, c := range KnownCurrencies() {
		if !strings.Contains(err.Error(), string(c)) {
			t.Errorf("error %q does not list %s", err, c)
		}
	}
}

func TestExponentAndKnown(t *testing.T) {
	for c, want := range map[Currency]int{"BRL": 2, "MXN": 2, "USD": 2, "PEN": 2, "ARS": 2, "CLP": 0, "COP": 0} {
		if got, ok := Exponent(c); !ok || got != want || !c.Known() {
			t.Errorf("Exponent(%s) = %d, %v", c, got, ok)
		}
	}
	if _, ok := Exponent("EUR"); ok || Currency("EUR").Known() {
		t.Errorf("EUR is known")
	}
	if len(KnownCurrencies()) != len(exponents) {
		t.Errorf("KnownCurrencies lists %d, exponents %d", len(KnownCurrencies()), len(exponents))
	}
	for _, c := range KnownCurrencies() {
		if !c.Known() {
			t.Errorf("%s listed but unknown", c)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		a    Amount
		want string
	}{
		{Amount{50000, "BRL"}, "BRL 500.00"},
		{Amount{123456, "BRL"}, "BRL 1234.56"},
		{Amount{5, "BRL"}, "BRL 0.05"},
		{Amount{0, "USD"}, "USD 0.00"},
		{Amount{-150, "BRL"}, "BRL -1.50"},
		{Amount{50000, "CLP"}, "CLP 50000"},
		{Amount{7, "COP"}, "COP 7"},
		{Amount{math.MinInt64, "BRL"}, "BRL -92233720368547758.08"},
		{Amount{1234, "EUR"}, "EUR 12.34"}, // unknown currencies render with 2 decimals
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("String(%d %s) = %q, want %q", tt.a.Minor, tt.a.Currency, got, tt.want)
		}
		// Decimal is String without the code: the digits A55's wire format gets.
		if got, want := tt.a.Decimal(), strings.TrimPrefix(tt.want, string(tt.a.Currency)+" "); got != want {
			t.Errorf("Decimal(%d %s) = %q, want %q", tt.a.Minor, tt.a.Currency, got, want)
		}
	}
}

func TestDisplay(t *testing.T) {
	tests := []struct {
		a    Amount
		want string
	}{
		{Amount{123456, "BRL"}, "R$ 1.234,56"},
		{Amount{50000, "BRL"}, "R$ 500,00"},
		{Amount{99, "BRL"}, "R$ 0,99"},
		{Amount{123456789012, "BRL"}, "R$ 1.234.567.890,12"},
		{Amount{100000, "BRL"}, "R$ 1.000,00"},
		{Amount{-123456, "BRL"}, "R$ -1.234,56"},
		{Amount{1500000, "CLP"}, "CLP$ 1.500.000"},
		{Amount{999, "CLP"}, "CLP$ 999"},
		{Amount{250000, "COP"}, "COP$ 250.000"},
		{Amount{1999, "USD"}, "US$ 19,99"},
		{Amount{1999, "MXN"}, "MX$ 19,99"},
		{Amount{1999, "ARS"}, "AR$ 19,99"},
		{Amount{1999, "PEN"}, "S/ 19,99"},
		{Amount{1999, "EUR"}, "EUR 19,99"},
	}
	for _, tt := range tests {
		if got := tt.a.Display(); got != tt.want {
			t.Errorf("Display(%d %s) = %q, want %q", tt.a.Minor, tt.a.Currency, got, tt.want)
		}
	}
}

func TestCmpAndSub(t *testing.T) {
	a, b := Amount{50000, "BRL"}, Amount{32000, "BRL"}
	for _, tt := range []struct {
		x, y Amount
		want int
	}{{a, b, 1}, {b, a, -1}, {a, a, 0}} {
		if got, err := tt.x.Cmp(tt.y); err != nil || got != tt.want {
			t.Errorf("Cmp(%v, %v) = %d, %v", tt.x, tt.y, got, err)
		}
	}
	if d, err := a.Sub(b); err != nil || d != (Amount{18000, "BRL"}) {
		t.Errorf("Sub = %v, %v", d, err)
	}
	if d, err := b.Sub(a); err != nil || d != (Amount{-18000, "BRL"}) {
		t.Errorf("Sub negative = %v, %v", d, err)
	}
	usd := Amount{100, "USD"}
	if _, err := a.Cmp(usd); !errors.Is(err, ErrCurrencyMismatch) || !strings.Contains(err.Error(), "BRL and USD") {
		t.Errorf("Cmp mismatch: %v", err)
	}
	if d, err := a.Sub(usd); !errors.Is(err, ErrCurrencyMismatch) || d != (Amount{}) {
		t.Errorf("Sub mismatch: %v, %v", d, err)
	}
}

func TestIsZeroAndJSON(t *testing.T) {
	if !(Amount{}).IsZero() || (Amount{0, "BRL"}).IsZero() || (Amount{1, ""}).IsZero() {
		t.Errorf("IsZero wrong")
	}
	b, err := json.Marshal(Amount{32000, "BRL"})
	if err != nil || string(b) != `{"minor":32000,"currency":"BRL"}` {
		t.Errorf("json = %s, %v", b, err)
	}
	var back Amount
	if err := json.Unmarshal(b, &back); err != nil || back != (Amount{32000, "BRL"}) {
		t.Errorf("round trip = %v, %v", back, err)
	}
}
