// Package money is the project's one representation of an amount: an integer
// number of minor units (centavos for BRL) with its ISO 4217 currency.
//
// Nothing inside the project does arithmetic on decimal or floating-point
// money. Amount.Decimal is the one rendering of minor units as a decimal in
// major units; A55's decimal wire format (its type, parsing and JSON) lives in
// a55client, and nowhere else.
package money

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Currency is an ISO 4217 alphabetic code, upper case.
type Currency string

// Currencies A55 documents for card charges, with the number of decimals A55
// accepts for each. CLP and COP are whole units at A55 (ISO lists COP with two
// decimals; A55 truncates them, so the project treats one peso as one unit).
var exponents = map[Currency]int{
	"BRL": 2,
	"MXN": 2,
	"USD": 2,
	"PEN": 2,
	"ARS": 2,
	"CLP": 0,
	"COP": 0,
}

// Exponent reports how many decimal places the currency has at A55, and
// whether the currency is known at all.
func Exponent(c Currency) (int, bool) {
	e, ok := exponents[c]
	return e, ok
}

// Known reports whether A55 accepts the currency.
func (c Currency) Known() bool {
	_, ok := exponents[c]
	return ok
}

// KnownCurrencies lists the accepted codes, for error messages.
func KnownCurrencies() []Currency {
	return []Currency{"ARS", "BRL", "CLP", "COP", "MXN", "PEN", "USD"}
}

// Amount is an exact sum of money.
type Amount struct {
	// Minor is the amount in the currency's smallest unit (e.g. 50000 = R$ 500,00).
	Minor int64 `json:"minor"`
	// Currency is the ISO 4217 code.
	Currency Currency `json:"currency"`
}

// Errors returned by Validate; wrapped with the offending value.
var (
	ErrUnknownCurrency  = errors.New("unknown currency")
	ErrNotPositive      = errors.New("amount must be greater than zero")
	ErrCurrencyMismatch = errors.New("currencies differ")
)

// maxMinor bounds amounts so that any arithmetic the project does (sums of two
// amounts, decimal rendering) cannot overflow int64. It is far above any hold.
const maxMinor = math.MaxInt64 / 4

// New returns a validated positive amount.
func New(minor int64, currency Currency) (Amount, error) {
	a := Amount{Minor: minor, Currency: currency}
	return a, a.Validate()
}

// Validate checks that the amount is positive, not absurdly large, and in a
// currency A55 accepts.
func (a Amount) Validate() error {
	if !a.Currency.Known() {
		return fmt.Errorf("%w %q (accepted: %v)", ErrUnknownCurrency, string(a.Currency), KnownCurrencies())
	}
	if a.Minor <= 0 {
		return fmt.Errorf("%w (got %d minor units)", ErrNotPositive, a.Minor)
	}
	if a.Minor > maxMinor {
		return fmt.Errorf("amount %d minor units is too large", a.Minor)
	}
	return nil
}

// IsZero reports whether the amount is the zero value.
func (a Amount) IsZero() bool { return a == Amount{} }

// Cmp compares two amounts of the same currency: -1, 0 or +1.
func (a Amount) Cmp(b Amount) (int, error) {
	if a.Currency != b.Currency {
		return 0, fmt.Errorf("%w: %s and %s", ErrCurrencyMismatch, a.Currency, b.Currency)
	}
	switch {
	case a.Minor < b.Minor:
		return -1, nil
	case a.Minor > b.Minor:
		return 1, nil
	}
	return 0, nil
}

// Sub returns a − b (same currency).
func (a Amount) Sub(b Amount) (Amount, error) {
	if a.Currency != b.Currency {
		return Amount{}, fmt.Errorf("%w: %s and %s", ErrCurrencyMismatch, a.Currency, b.Currency)
	}
	return Amount{Minor: a.Minor - b.Minor, Currency: a.Currency}, nil
}

// String renders the amount for logs and errors: "BRL 500.00".
func (a Amount) String() string {
	return string(a.Currency) + " " + a.Decimal()
}

// Decimal renders the amount in major units as a plain decimal number with
// exactly the currency's number of decimals: BRL 32000 → "320.00", CLP 50000
// → "50000", BRL -5 → "-0.05" (two decimals for an unknown currency).
func (a Amount) Decimal() string {
	return a.digits(".", "")
}

// symbols for Display; currencies without one use their code.
var symbols = map[Currency]string{"BRL": "R$", "USD": "US$", "MXN": "MX$", "CLP": "CLP$", "COP": "COP$", "ARS": "AR$", "PEN": "S/"}

// Display renders the amount the way Latin American booking staff read it:
// "R$ 500,00", "R$ 1.234,56" (dot for thousands, comma for decimals).
func (a Amount) Display() string {
	sym, ok := symbols[a.Currency]
	if !ok {
		sym = string(a.Currency)
	}
	return sym + " " + a.digits(",", ".")
}

// digits renders |Minor| with the currency's exponent, the given decimal mark
// and thousands separator, and a leading minus when negative.
func (a Amount) digits(decimalMark, thousands string) string {
	exp, ok := exponents[a.Currency]
	if !ok {
		exp = 2
	}
	neg := a.Minor < 0
	u := uint64(a.Minor)
	if neg {
		u = uint64(-(a.Minor + 1)) + 1 // safe for MinInt64
	}
	s := strconv.FormatUint(u, 10)
	if len(s) <= exp {
		s = strings.Repeat("0", exp-len(s)+1) + s
	}
	whole, frac := s[:len(s)-exp], s[len(s)-exp:]
	if thousands != "" && len(whole) > 3 {
		var b strings.Builder
		lead := len(whole) % 3
		if lead > 0 {
			b.WriteString(whole[:lead])
		}
		for i := lead; i < len(whole); i += 3 {
			if b.Len() > 0 {
				b.WriteString(thousands)
			}
			b.WriteString(whole[i : i+3])
		}
		whole = b.String()
	}
	out := whole
	if exp > 0 {
		out += decimalMark + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}
