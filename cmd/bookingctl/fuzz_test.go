package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/workflows"
)

// FuzzDecodeAuthorizeInput: decoding never panics; a rejected input gets an
// InputError that does not quote a card number; an accepted one survives a
// round trip through JSON unchanged.
func FuzzDecodeAuthorizeInput(f *testing.F) {
	f.Add([]byte(`{"booking_id":"BK-1","amount":{"minor":50000,"currency":"BRL"},"card":{"number":"4111111111111111","cvv":"123"}}`))
	f.Add([]byte(`{"booking_id":"BK-1","unknown":"4111111111111111"}`))
	f.Add([]byte(`{"expected_capture_at":"2026-12-03T11:00:00-03:00","capture_grace":86400000000000}`)) // clock: a fuzz seed, decoded and never validated against a clock
	f.Add([]byte(`null`))
	f.Add([]byte(`{"card":{"number":4111111111111111}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := decodeAuthorizeInput(bytes.NewReader(data))
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if strings.Contains(err.Error(), "4111111111111111") {
				t.Fatalf("error quotes a card number: %q", err)
			}
			return
		}
		enc, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("accepted input does not re-encode: %v", err)
		}
		back, err := decodeAuthorizeInput(bytes.NewReader(enc))
		if err != nil {
			t.Fatalf("re-encoded input rejected: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(normalize(back), normalize(in)) {
			t.Fatalf("round trip changed the input:\n%+v\n%+v", in, back)
		}
	})
}

// normalize drops what JSON does not carry: a time's location pointer.
func normalize(in workflows.BookingPaymentInput) workflows.BookingPaymentInput {
	in.ExpectedCaptureAt = in.ExpectedCaptureAt.UTC()
	return in
}
