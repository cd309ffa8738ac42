package a55sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
)

// The sandbox parses A55's decimal amounts itself, exactly, from the JSON
// text of the number (json.Number) or from a numeric string. No floats.

var errNotDecimal = errors.New("must be a plain decimal number such as 320.00")

// maxMinor matches the project's bound on amounts.
const maxMinor = math.MaxInt64 / 4

// parseDecimal converts "320", "320.5" or "320.50" into minor units of a
// currency with exp decimals. Extra decimals are accepted only when they are
// zeros ("320.000" is 320.00); a non-zero digit beyond exp is an error.
func parseDecimal(s string, exp int) (int64, error) {
	if s == "" {
		return 0, errNotDecimal
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") {
		return 0, errNotDecimal
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, errNotDecimal
			}
		}
	}
	if len(frac) > exp {
		if strings.Trim(frac[exp:], "0") != "" {
			return 0, fmt.Errorf("has more than %d decimal places", exp)
		}
		frac = frac[:exp]
	}
	frac += strings.Repeat("0", exp-len(frac))
	digits := strings.TrimLeft(whole+frac, "0")
	if digits == "" {
		return 0, nil
	}
	if len(digits) > 19 {
		return 0, errors.New("is too large")
	}
	var v int64
	for _, r := range digits {
		v = v*10 + int64(r-'0')
		if v > maxMinor {
			return 0, errors.New("is too large")
		}
	}
	if neg {
		v = -v
	}
	return v, nil
}

// formatDecimal renders minor units with exp decimals: 32000, 2 → "320.00".
func formatDecimal(minor int64, exp int) string {
	neg := minor < 0
	if neg {
		minor = -minor
	}
	s := fmt.Sprintf("%0*d", exp+1, minor)
	out := s
	if exp > 0 {
		out = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		out = "-" + out
	}
	return out
}

// decimalNumber renders minor units as a JSON number ("local_currency": 320.00).
func decimalNumber(minor int64, exp int) json.Number {
	return json.Number(formatDecimal(minor, exp))
}

// Illustrative fixed exchange rates (millionths of a USD / EUR per major
// unit) for usd_currency and eur_currency. BRL's match the seeds' capture
// example (320.00 BRL → 57.41 USD, 50.33 EUR).
var fxMicros = map[string][2]int64{
	"BRL": {179400, 157280},
	"MXN": {58000, 51000},
	"USD": {1000000, 920000},
	"PEN": {270000, 236000},
	"ARS": {1000, 880},
	"CLP": {1050, 920},
	"COP": {250, 220},
}

// convert returns the amount in USD (which 0) or EUR (which 1) cents, rounded half up.
func convert(minor int64, exp int, currency string, which int) int64 {
	rates, ok := fxMicros[currency]
	if !ok {
		return 0
	}
	n := new(big.Int).Mul(big.NewInt(minor), big.NewInt(rates[which]))
	n.Mul(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(2)), nil))
	d := new(big.Int).Mul(big.NewInt(1000000), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
	n.Add(n, new(big.Int).Quo(d, big.NewInt(2)))
	return n.Quo(n, d).Int64()
}
