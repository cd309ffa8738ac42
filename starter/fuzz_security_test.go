package starter

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/workflows"
)

// FuzzAuthorizeInput decodes arbitrary JSON the way the data converter turns
// a caller's booking into BookingPaymentInput, then runs the starter's checks.
// They never panic; a refusal is an *InputError whose problems each name a
// field and never quote the card number, CVV or holder name (unless the same
// text sits in a field that is not card data); an accepted input is accepted
// by the workflow's own rules too. Seeds live in testdata/fuzz/FuzzAuthorizeInput.
func FuzzAuthorizeInput(f *testing.F) {
	valid, _ := json.Marshal(bookingInput("BK-fuzz-1"))
	f.Add(valid)
	f.Add([]byte(`{"booking_id":"BK-1","card":{"number":"4111111111111112","cvv":"7391","holder_name":"Zacharias Quintero"}}`))
	f.Add([]byte(`{"booking_id":"../x","amount":{"minor":-1,"currency":"XYZ"},"threeds":true,"device_info":{}}`))
	f.Add([]byte(`{"payer":{"name":"` + strings.Repeat("x", 20000) + `"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var in workflows.BookingPaymentInput
		if json.Unmarshal(data, &in) != nil {
			return
		}
		// A missing check-out gets a valid one, so that the fuzzer explores
		// the other rules rather than stopping at this one.
		if in.ExpectedCaptureAt.IsZero() {
			in.ExpectedCaptureAt = time.Now().Add(48 * time.Hour)
		}
		err := validateInput(in, workflows.HoldLimits{})
		if err == nil {
			if werr := workflows.ValidateInput(in, time.Now()); werr != nil {
				t.Fatalf("the starter accepted what the workflow refuses: %v", werr)
			}
			return
		}
		var ie *workflows.InputError
		if !errors.As(err, &ie) || len(ie.Problems) == 0 {
			t.Fatalf("error %T %v, want an InputError with problems", err, err)
		}
		for _, p := range ie.Problems {
			if p.Field == "" || p.Reason == "" {
				t.Fatalf("problem %+v names no field or rule", p)
			}
		}
		// Values are echoed only %q-quoted; a card value may appear so only
		// where the same text is also a non-card field's value or a rule's
		// own literal.
		rest := in
		rest.Card = a55client.Card{}
		others, _ := json.Marshal(rest)
		msg := err.Error()
		for name, secret := range map[string]string{"card number": in.Card.Number, "cvv": in.Card.CVV, "holder name": in.Card.HolderName} {
			quoted := strconv.Quote(secret)
			if secret != "" && strings.Contains(msg, quoted) && !strings.Contains(string(others), quoted) && !ruleLiterals[secret] {
				t.Fatalf("the error quotes the %s: %.300s", name, msg)
			}
		}
		if digits := strings.Trim(in.Card.Number, "0123456789"); digits == "" && len(in.Card.Number) >= 12 &&
			strings.Contains(msg, in.Card.Number) && !strings.Contains(string(others), in.Card.Number) {
			t.Fatalf("the error contains the card number: %.300s", msg)
		}
	})
}

// ruleLiterals are the values the rules themselves quote.
var ruleLiterals = map[string]bool{"hotel_stay": true, "car_rental": true, "release": true, "capture": true}
