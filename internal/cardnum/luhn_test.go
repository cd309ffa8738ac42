package cardnum

import "testing"

func TestNumberProblem(t *testing.T) {
	for in, want := range map[string]string{
		"4111111111111111":     "",
		"":                     "is required",
		"4111-1111":            "must contain digits only",
		"41111111111":          "must have 12 to 19 digits (got 11)",
		"41111111111111111111": "must have 12 to 19 digits (got 20)",
		"4111111111111112":     "fails the Luhn check",
	} {
		if got := NumberProblem(in); got != want {
			t.Errorf("NumberProblem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLuhn(t *testing.T) {
	for in, want := range map[string]bool{
		"4111111111111111": true, "5500000000000004": true, "4000000000000002": true, "4000000000000101": true,
		"4000000000000069": true, "5105105105105100": true, "378282246310005": true, "79927398713": true,
		"4111111111111112": false, "5500000000000005": false, "1234567812345678": false,
		"": false, "12a4": false, "4111 1111 1111 1111": false,
	} {
		if got := Luhn(in); got != want {
			t.Errorf("Luhn(%q) = %v, want %v", in, got, want)
		}
	}
}
