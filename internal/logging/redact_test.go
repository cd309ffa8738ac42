package logging

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string   // exact output, when set
		absent  []string // must not appear in the output
		present []string // must appear in the output
	}{
		{name: "ordinary text unchanged", in: "booking BK-1042 authorized for 12345 cents", want: "booking BK-1042 authorized for 12345 cents"},
		{name: "ordinary JSON unchanged", in: `{"level":"info","booking_id":"BK-7","amount":{"value":1999,"currency":"BRL"},"message":"captured"}`,
			want: `{"level":"info","booking_id":"BK-7","amount":{"value":1999,"currency":"BRL"},"message":"captured"}`},
		{name: "bare PAN", in: "charging card 4111111111111111 now", want: "charging card 411111******1111 now"},
		{name: "PAN with spaces", in: "card 4111 1111 1111 1111 exp 12/30", want: "card 411111******1111 exp 12/30"},
		{name: "PAN with dashes", in: "card 5555-5555-5555-4444.", want: "card 555555******4444."},
		{name: "PAN followed by a year", in: "4111 1111 1111 1111 2030", want: "411111******1111 2030"},
		{name: "Amex 15 digits", in: "pan=378282246310005", want: "pan=378282*****0005"},
		{name: "non-Luhn order id left alone", in: "order 4111111111111112 created", want: "order 4111111111111112 created"},
		{name: "long digit run left alone", in: "ref 41111111111111110000000", want: "ref 41111111111111110000000"},
		{name: "digits glued to letters left alone", in: "id a4111111111111111b", want: "id a4111111111111111b"},
		{name: "PAN after JSON escape", in: `{"message":"line one\n4111111111111111"}`, absent: []string{"4111111111111111"}, present: []string{"411111******1111"}},
		{name: "JSON card object", in: `{"card":{"holder_name":"John Doe","number":"4000000000001091","expiry_month":12,"expiry_year":2099,"cvv":"123"}}`,
			want: `{"card":{"holder_name":"J*** D**","number":"400000******1091","expiry_month":12,"expiry_year":2099,"cvv":"***"}}`},
		{name: "non-Luhn card number under a card key", in: `{"card_number":"4111111111111112","card_cvv":"999"}`, want: `{"card_number":"411111******1112","card_cvv":"***"}`},
		{name: "PAN as JSON number", in: `{"x":4111111111111111}`, want: `{"x":"411111******1111"}`},
		{name: "short number field untouched", in: `{"address":{"number":"123"}}`, want: `{"address":{"number":"123"}}`},
		{name: "nested JSON in a message", in: `{"level":"error","message":"request body {\"card\":{\"number\":\"4111111111111111\",\"cvv\":\"737\",\"holder_name\":\"Ana Silva\"}}"}`,
			absent: []string{"4111111111111111", "737", "Ana Silva"}, present: []string{"411111******1111", `\"cvv\":\"***\"`}},
		{name: "access token field", in: `{"access_token":"eyJhbGciOi.abc.def","token_type":"Bearer","expires_in":3600}`,
			want: `{"access_token":"[REDACTED]","token_type":"Bearer","expires_in":3600}`},
		{name: "client secret field", in: `{"client_id":"hotel-1","client_secret":"s3cr3t-value"}`, want: `{"client_id":"hotel-1","client_secret":"[REDACTED]"}`},
		{name: "authorization header in text", in: "GET /charges Authorization: Bearer abc.DEF-123_x", want: "GET /charges Authorization: Bearer [REDACTED]"},
		{name: "token query parameter", in: "POST /webhooks/a55/BK-1?token=Zm9vYmFy&x=1", want: "POST /webhooks/a55/BK-1?token=[REDACTED]&x=1"},
		{name: "form-encoded client secret", in: "grant_type=client_credentials&client_id=a&client_secret=xyz", want: "grant_type=client_credentials&client_id=a&client_secret=[REDACTED]"},
		{name: "cvv in text", in: "bad request: cvv=123 rejected", want: "bad request: cvv=*** rejected"},
		{name: "holder name in text", in: `card_name: "Maria Souza", ok`, want: `card_name: "M**** S****", ok`},
		{name: "UUID left alone", in: "charge 123e4567-e89b-12d3-a456-426614174000", want: "charge 123e4567-e89b-12d3-a456-426614174000"},
		{name: "timestamp left alone", in: `{"time":"2026-11-27T02:29:21Z"}`, want: `{"time":"2026-11-27T02:29:21Z"}`}, // clock: text to redact, never compared
		{name: "bare JSON number stays JSON", in: `4111111111111111`, want: `"411111******1111"`},
		{name: "HTML characters not escaped", in: `{"message":"a<b & c>d"}`, want: `{"message":"a<b & c>d"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Redact(tt.in)
			if tt.want != "" && got != tt.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("Redact(%q) = %q still contains %q", tt.in, got, a)
				}
			}
			for _, p := range tt.present {
				if !strings.Contains(got, p) {
					t.Errorf("Redact(%q) = %q lacks %q", tt.in, got, p)
				}
			}
		})
	}
}

func TestRedactJSONRejectsNonJSON(t *testing.T) {
	for _, in := range []string{`{"a":1} trailing`, `{"a":`, `not json`} {
		if _, err := RedactJSON([]byte(in)); err == nil {
			t.Errorf("RedactJSON(%q) succeeded; want an error", in)
		}
	}
}

func TestMaskPAN(t *testing.T) {
	for in, want := range map[string]string{
		"4111111111111111":    "411111******1111",
		"4111 1111 1111 1111": "411111******1111",
		"6011000990139424":    "601100******9424",
		"4111111111111111111": "411111*********1111",
		"123456789012":        "************",
		"12":                  "****",
	} {
		if got := MaskPAN(in); got != want {
			t.Errorf("MaskPAN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{
		"John Doe":      "J*** D**",
		"JOÃO da SILVA": "J*** d* S****",
		"":              "",
	} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLuhn(t *testing.T) {
	for in, want := range map[string]bool{
		"4111111111111111": true, "4111111111111112": false, "79927398713": true, "": false, "12a4": false,
	} {
		if got := Luhn(in); got != want {
			t.Errorf("Luhn(%q) = %v, want %v", in, got, want)
		}
	}
}
