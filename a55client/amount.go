package a55client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hotelpay/a55-temporal/internal/cardnum"
	"github.com/hotelpay/a55-temporal/money"
)

// This file is the one place where the project's integer minor units meet
// A55's decimal major units (R$ 320,00 is 320.00 on the wire, not 32000); the
// digits of an amount come from money.Amount.Decimal.
// Everything is exact string arithmetic: no float64 ever holds an amount.

// Decimal is an amount as A55 writes it: a plain decimal number in major
// units. It keeps the exact text it was decoded from ("10000", "199.90"),
// accepts a JSON number or a numeric JSON string when decoding, and always
// encodes as a JSON number.
type Decimal string

var errNotDecimal = errors.New("must be a plain decimal number such as 320.00")

// checkDecimal accepts -?digits(.digits)? and explains anything else.
func checkDecimal(s string) error {
	if s == "" {
		return errors.New("empty amount")
	}
	body := strings.TrimPrefix(s, "-")
	if strings.ContainsAny(body, "eE") && !strings.ContainsAny(strings.ToLower(body), "nf") {
		return errors.New("exponent notation is not accepted in amounts")
	}
	whole, frac, hasDot := strings.Cut(body, ".")
	if !cardnum.AllDigits(whole) || (hasDot && !cardnum.AllDigits(frac)) {
		return errNotDecimal
	}
	return nil
}

// MarshalJSON writes the decimal as a JSON number.
func (d Decimal) MarshalJSON() ([]byte, error) {
	if err := checkDecimal(string(d)); err != nil {
		return nil, fmt.Errorf("amount %q: %w", string(d), err)
	}
	return []byte(d), nil
}

// UnmarshalJSON reads a JSON number or a string holding one ("199.90").
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else if s == "null" {
		return nil
	}
	if err := checkDecimal(s); err != nil {
		return fmt.Errorf("amount %s: %w", quoteShort(s), err)
	}
	*d = Decimal(s)
	return nil
}

// quoteShort quotes a value for an error message, cut to a readable length.
func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

// FormatAmount renders a as A55's decimal with exactly the currency's number
// of decimals: BRL 32000 minor → "320.00", CLP 50000 → "50000".
func FormatAmount(a money.Amount) (Decimal, error) {
	if !a.Currency.Known() {
		return "", fmt.Errorf("%w %q (accepted: %v)", money.ErrUnknownCurrency, string(a.Currency), money.KnownCurrencies())
	}
	return Decimal(a.Decimal()), nil
}

// ParseAmount converts A55's decimal into minor units of currency c. Decimals
// beyond the currency's are accepted only when they are zeros ("320.000" is
// BRL 32000); "0.001" BRL, exponents, NaN and values beyond int64 are errors.
func ParseAmount(d Decimal, c money.Currency) (money.Amount, error) {
	exp, ok := money.Exponent(c)
	if !ok {
		return money.Amount{}, fmt.Errorf("%w %q (accepted: %v)", money.ErrUnknownCurrency, string(c), money.KnownCurrencies())
	}
	s := string(d)
	if err := checkDecimal(s); err != nil {
		return money.Amount{}, fmt.Errorf("amount %s: %w", quoteShort(s), err)
	}
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if len(frac) > exp {
		if strings.Trim(frac[exp:], "0") != "" {
			return money.Amount{}, fmt.Errorf("amount %s has more than %d decimal places for %s", quoteShort(s), exp, c)
		}
		frac = frac[:exp]
	}
	frac += strings.Repeat("0", exp-len(frac))
	digits := strings.TrimLeft(whole+frac, "0")
	if digits == "" {
		digits = "0"
	}
	if neg {
		digits = "-" + digits
	}
	minor, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return money.Amount{}, fmt.Errorf("amount %s is out of range", quoteShort(s))
	}
	return money.Amount{Minor: minor, Currency: c}, nil
}
