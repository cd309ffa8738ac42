package cardnum

import (
	"testing"
	"time"
)

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

// One answer for each input, whoever asks (client, workflow, bookingctl, redactor).
func TestCardRules(t *testing.T) {
	for in, want := range map[string]string{"4111 1111 1111 1111": "4111111111111111", "4111-1111-1111-1111": "4111111111111111", "4111.1111": "4111.1111"} {
		if got := Digits(in); got != want {
			t.Errorf("Digits(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]bool{"": false, "0": true, "123": true, "12a": false, "١٢٣": false} {
		if got := AllDigits(in); got != want {
			t.Errorf("AllDigits(%q) = %v, want %v", in, got, want)
		}
	}
	for in, want := range map[int]string{0: "must be 1 to 12", 1: "", 12: "", 13: "must be 1 to 12"} {
		if got := MonthProblem(in); got != want {
			t.Errorf("MonthProblem(%d) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int]string{29: "must have 4 digits", 999: "must have 4 digits", 1000: "", 2029: "", 9999: "", 10000: "must have 4 digits"} {
		if got := YearProblem(in); got != want {
			t.Errorf("YearProblem(%d) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"123": "", "1234": "", "12": "must be 3 or 4 digits", "12345": "must be 3 or 4 digits", "12a": "must be 3 or 4 digits", "": "must be 3 or 4 digits"} {
		if got := CVVProblem(in); got != want {
			t.Errorf("CVVProblem(%q) = %q, want %q", in, got, want)
		}
	}
	now := time.Date(2031, 6, 30, 23, 59, 0, 0, time.UTC) // clock: injected
	for _, c := range []struct {
		month, year int
		expired     bool
	}{{6, 2031, false}, {5, 2031, true}, {12, 2030, true}, {1, 2032, false}} {
		if got := Expired(c.month, c.year, now); got != c.expired {
			t.Errorf("Expired(%d/%d) at %s = %v", c.month, c.year, now.Format("2006-01"), got)
		}
	}
	for in, want := range map[string]string{
		"4111111111111111": "411111******1111", "4111 1111 1111 1111": "411111******1111",
		"378282246310005": "378282*****0005", "123456789012": "************", "12": "****", "": "****",
	} {
		if got := MaskPAN(in); got != want {
			t.Errorf("MaskPAN(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"4111111111111111": "1111", "123456789012": "", "": ""} {
		if got := LastFour(in); got != want {
			t.Errorf("LastFour(%q) = %q, want %q", in, got, want)
		}
	}
}
