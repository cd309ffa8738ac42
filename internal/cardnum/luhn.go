// Package cardnum holds the card-number arithmetic the API client, the
// workflow's input validation and the log redactor share.
package cardnum

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
