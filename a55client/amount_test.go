package a55client

import (
	"encoding/json"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/money"
)

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		a    money.Amount
		want Decimal
	}{
		{brl(32000), "320.00"},
		{brl(19990), "199.90"},
		{brl(1), "0.01"},
		{brl(10), "0.10"},
		{brl(0), "0.00"},
		{brl(-5050), "-50.50"},
		{money.Amount{Minor: 50000, Currency: "CLP"}, "50000"},
		{money.Amount{Minor: 7, Currency: "COP"}, "7"},
		{money.Amount{Minor: 123456789, Currency: "MXN"}, "1234567.89"},
		{money.Amount{Minor: math.MinInt64, Currency: "USD"}, "-92233720368547758.08"},
		{money.Amount{Minor: math.MaxInt64, Currency: "PEN"}, "92233720368547758.07"},
	}
	for _, tt := range tests {
		got, err := FormatAmount(tt.a)
		if err != nil || got != tt.want {
			t.Errorf("FormatAmount(%v) = %q, %v; want %q", tt.a, got, err, tt.want)
		}
	}
	if _, err := FormatAmount(money.Amount{Minor: 1, Currency: "EUR"}); err == nil || !strings.Contains(err.Error(), "unknown currency") {
		t.Errorf("EUR: %v", err)
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   Decimal
		cur  money.Currency
		want int64
		err  string
	}{
		{"320.00", "BRL", 32000, ""},
		{"320", "BRL", 32000, ""},
		{"320.5", "BRL", 32050, ""},
		{"320.000", "BRL", 32000, ""},
		{"0.01", "BRL", 1, ""},
		{"-1.50", "BRL", -150, ""},
		{"007.10", "BRL", 710, ""},
		{"50000", "CLP", 50000, ""},
		{"50000.00", "CLP", 50000, ""},
		{"92233720368547758.07", "BRL", math.MaxInt64, ""},
		{"0.001", "BRL", 0, "more than 2 decimal places"},
		{"50000.5", "CLP", 0, "more than 0 decimal places"},
		{"1e3", "BRL", 0, "exponent"},
		{"1E-2", "BRL", 0, "exponent"},
		{"NaN", "BRL", 0, "plain decimal"},
		{"Infinity", "BRL", 0, "plain decimal"},
		{"", "BRL", 0, "empty"},
		{"1.", "BRL", 0, "plain decimal"},
		{".5", "BRL", 0, "plain decimal"},
		{"+1", "BRL", 0, "plain decimal"},
		{"1,50", "BRL", 0, "plain decimal"},
		{" 1", "BRL", 0, "plain decimal"},
		{"92233720368547758.08", "BRL", 0, "out of range"},
		{"99999999999999999999999999", "CLP", 0, "out of range"},
		{"1.00", "EUR", 0, "unknown currency"},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in, tt.cur)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseAmount(%q, %s) err = %v, want %q", tt.in, tt.cur, err, tt.err)
			}
			continue
		}
		if err != nil || got != (money.Amount{Minor: tt.want, Currency: tt.cur}) {
			t.Errorf("ParseAmount(%q, %s) = %v, %v; want %d", tt.in, tt.cur, got, err, tt.want)
		}
	}
}

func TestDecimalJSON(t *testing.T) {
	var v struct {
		A *Decimal `json:"a"`
		B *Decimal `json:"b"`
		C *Decimal `json:"c"`
	}
	if err := json.Unmarshal([]byte(`{"a":320.00,"b":"199.90","c":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if *v.A != "320.00" || *v.B != "199.90" || v.C != nil {
		t.Errorf("decoded = %v %v %v", *v.A, *v.B, v.C)
	}
	out, err := json.Marshal(v)
	if err != nil || string(out) != `{"a":320.00,"b":199.90,"c":null}` {
		t.Errorf("encoded = %s, %v", out, err)
	}
	for _, bad := range []string{`{"a":1e5}`, `{"a":"abc"}`, `{"a":true}`, `{"a":{}}`, `{"a":"NaN"}`, `{"a":"1.5e3"}`} {
		var w struct {
			A Decimal `json:"a"`
		}
		if err := json.Unmarshal([]byte(bad), &w); err == nil {
			t.Errorf("%s accepted as %q", bad, w.A)
		}
	}
	if _, err := json.Marshal(Decimal("1e5")); err == nil {
		t.Errorf("marshalled an exponent")
	}
	if _, err := json.Marshal(Decimal("")); err == nil {
		t.Errorf("marshalled an empty decimal")
	}
}

// Property: for many random amounts in every currency, minor → wire decimal
// → JSON → decimal → minor is the identity, and the wire text has exactly
// the currency's number of decimals.
func TestAmountRoundTripProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(20261127))
	for i := 0; i < 20000; i++ {
		cur := money.KnownCurrencies()[rng.Intn(len(money.KnownCurrencies()))]
		var minor int64
		switch rng.Intn(4) {
		case 0:
			minor = rng.Int63n(1000)
		case 1:
			minor = rng.Int63n(100_000_000)
		case 2:
			minor = rng.Int63()
		default:
			minor = -rng.Int63()
		}
		a := money.Amount{Minor: minor, Currency: cur}
		d, err := FormatAmount(a)
		if err != nil {
			t.Fatalf("FormatAmount(%v): %v", a, err)
		}
		exp, _ := money.Exponent(cur)
		_, frac, _ := strings.Cut(string(d), ".")
		if len(frac) != exp {
			t.Fatalf("%v rendered %q: %d decimals, want %d", a, d, len(frac), exp)
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("marshal %q: %v", d, err)
		}
		var back Decimal
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		got, err := ParseAmount(back, cur)
		if err != nil || got != a {
			t.Fatalf("round trip %v → %s → %v, %v", a, b, got, err)
		}
		// The same value as a numeric string, with extra trailing zeros
		// after the decimal point, decodes to the same amount.
		text := string(d)
		if exp > 0 {
			text += strings.Repeat("0", rng.Intn(3))
		}
		quoted, _ := json.Marshal(text)
		var fromString Decimal
		if err := json.Unmarshal(quoted, &fromString); err != nil {
			t.Fatalf("unmarshal %s: %v", quoted, err)
		}
		if got, err := ParseAmount(fromString, cur); err != nil || got != a {
			t.Fatalf("string %s → %v, %v; want %v", quoted, got, err, a)
		}
	}
}
