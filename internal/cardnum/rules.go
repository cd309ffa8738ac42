package cardnum

import (
	"strings"
	"time"
)

// Digits removes the separators people type in card numbers (spaces and
// dashes); anything else is kept, for NumberProblem to refuse.
func Digits(number string) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(number)
}

// AllDigits reports whether s is one or more ASCII digits.
func AllDigits(s string) bool {
	return s != "" && allDigits(s)
}

// YearProblem names the rule an expiry year breaks, or is "".
func YearProblem(year int) string {
	if year < 1000 || year > 9999 {
		return "must have 4 digits"
	}
	return ""
}

// MonthProblem names the rule an expiry month breaks, or is "".
func MonthProblem(month int) string {
	if month < 1 || month > 12 {
		return "must be 1 to 12"
	}
	return ""
}

// Expired reports whether a card valid through month/year has expired at
// now: a card is valid until the end of its expiry month.
func Expired(month, year int, now time.Time) bool {
	y, m := now.Year(), int(now.Month())
	return year < y || (year == y && month < m)
}

// CVVProblem names the rule a card verification code breaks, or is "".
func CVVProblem(cvv string) string {
	if n := len(cvv); (n != 3 && n != 4) || !AllDigits(cvv) {
		return "must be 3 or 4 digits"
	}
	return ""
}

// MaskPAN keeps the first six and last four digits of a card number
// ("411111******1111"), PCI DSS's most. A number shorter than 13 digits
// would show too much of itself that way and is masked entirely; characters
// other than digits are dropped first.
func MaskPAN(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	d := b.String()
	if len(d) < 13 {
		return strings.Repeat("*", max(len(d), 4))
	}
	return d[:6] + strings.Repeat("*", len(d)-10) + d[len(d)-4:]
}

// LastFour is the number's last four digits when it is long enough to show
// them (13 digits or more), else "".
func LastFour(s string) string {
	if m := MaskPAN(s); len(m) >= 13 {
		return m[len(m)-4:]
	}
	return ""
}
