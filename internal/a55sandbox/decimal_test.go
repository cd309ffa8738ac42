package a55sandbox

import (
	"testing"

	"github.com/hotelpay/a55-temporal/internal/cardnum"
)

func TestParseDecimal(t *testing.T) {
	ok := []struct {
		in    string
		exp   int
		minor int64
	}{
		{"320", 2, 32000}, {"320.5", 2, 32050}, {"320.50", 2, 32050}, {"320.000", 2, 32000}, {"0.01", 2, 1},
		{"50000", 0, 50000}, {"50000.0", 0, 50000}, {"-1.5", 2, -150}, {"+2", 2, 200}, {"0", 2, 0}, {"007.10", 2, 710},
	}
	for _, c := range ok {
		got, err := parseDecimal(c.in, c.exp)
		if err != nil || got != c.minor {
			t.Errorf("parseDecimal(%q, %d) = %d, %v; want %d", c.in, c.exp, got, err, c.minor)
		}
	}
	for _, in := range []string{"", "-", ".5", "5.", "1e3", "1,5", "abc", "1.2.3", "0.001", "99999999999999999999", "2305843009213693952"} {
		if got, err := parseDecimal(in, 2); err == nil {
			t.Errorf("parseDecimal(%q) = %d, want an error", in, got)
		}
	}
	if _, err := parseDecimal("1.5", 0); err == nil {
		t.Error("CLP with decimals accepted")
	}
}

func TestFormatDecimal(t *testing.T) {
	for _, c := range []struct {
		minor int64
		exp   int
		want  string
	}{{32000, 2, "320.00"}, {1, 2, "0.01"}, {0, 2, "0.00"}, {-150, 2, "-1.50"}, {50000, 0, "50000"}} {
		if got := formatDecimal(c.minor, c.exp); got != c.want {
			t.Errorf("formatDecimal(%d, %d) = %q, want %q", c.minor, c.exp, got, c.want)
		}
	}
}

func TestConvertMatchesSeedExample(t *testing.T) {
	if usd, eur := convert(32000, 2, "BRL", 0), convert(32000, 2, "BRL", 1); usd != 5741 || eur != 5033 {
		t.Errorf("320.00 BRL → %d USD cents, %d EUR cents; the seeds say 57.41 and 50.33", usd, eur)
	}
	if got := convert(100000, 0, "CLP", 0); got != 10500 {
		t.Errorf("100000 CLP → %d USD cents, want 10500", got)
	}
	if got := convert(100, 2, "XXX", 0); got != 0 {
		t.Errorf("unknown currency converted to %d", got)
	}
}

func TestLuhnAndBrand(t *testing.T) {
	for _, pan := range []string{"4111111111111111", "5500000000000004", "4000000000000101", "4000000000000002", "5105105105105100", "4000000000000069"} {
		if !cardnum.Luhn(pan) {
			t.Errorf("seed card %s fails Luhn", pan)
		}
	}
	for pan, brand := range map[string]string{"4111111111111111": "visa", "5500000000000004": "mastercard", "371449635398431": "amex", "6011111111111117": "discover", "9999": "unknown"} {
		if got := cardBrand(pan); got != brand {
			t.Errorf("cardBrand(%s) = %s, want %s", pan, got, brand)
		}
	}
}
