// Package cardnum holds the card rules, once: what makes a card number, an
// expiry and a CVV acceptable, and how a card number is masked. The API
// client, the workflow's input validation, bookingctl, the log redactor and
// the A55 sandbox all ask it, so they give one answer for each input.
package cardnum

import "fmt"

// NumberProblem names the rule a card number (separators already removed)
// breaks, or is "" for a plausible card number: 12 to 19 digits that pass
// the Luhn check.
func NumberProblem(digits string) string {
	switch {
	case digits == "":
		return "is required"
	case !allDigits(digits):
		return "must contain digits only"
	case len(digits) < 12 || len(digits) > 19:
		return fmt.Sprintf("must have 12 to 19 digits (got %d)", len(digits))
	case !Luhn(digits):
		return "fails the Luhn check"
	}
	return ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Luhn reports whether digits (only '0'–'9', at least one) pass the Luhn
// check; any other character fails it.
func Luhn(digits string) bool {
	if digits == "" {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		n := int(c - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}
