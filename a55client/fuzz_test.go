package a55client

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

var knownStates = map[State]bool{
	StatePending3DS: true, StateProcessing: true, StateAuthorized: true, StateCaptured: true, StateCanceled: true,
	StateFailed: true, StateRefunded: true, StateRefundFailed: true, StateDisputed: true, StateUnknown: true,
}

// FuzzDecodeCharge feeds arbitrary bodies to the charge decoder. It must
// never panic, must map every status to a known State, and an amount it
// decodes must be numerically the text A55 sent and re-encode to itself.
// Seed corpus: testdata/fuzz/FuzzDecodeCharge.
func FuzzDecodeCharge(f *testing.F) {
	f.Add([]byte(`{"uuid":"u","status":"confirmed","local_currency":320.00,"currency":"BRL"}`))
	f.Add([]byte(`{"charge_uuid":"u","status":"error","message":[{"code":"X","source":"s","description":"d"}],"value":"199.90","currency":"brl"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []Vocabulary{VocabularySeeds, VocabularyPublicDocs} {
			ch, err := decodeCharge(body, v)
			if err != nil {
				if ch != nil {
					t.Fatalf("charge and error both returned")
				}
				continue
			}
			if !knownStates[ch.State] {
				t.Fatalf("state %q", ch.State)
			}
			if !bytes.Equal(ch.Raw, body) {
				t.Fatalf("Raw differs from the body")
			}
			if ch.Amount == nil {
				continue
			}
			wire, err := FormatAmount(*ch.Amount)
			if err != nil {
				t.Fatalf("decoded amount %v does not re-encode: %v", *ch.Amount, err)
			}
			back, err := ParseAmount(wire, ch.Amount.Currency)
			if err != nil || back != *ch.Amount {
				t.Fatalf("re-encoding %v → %s → %v, %v", *ch.Amount, wire, back, err)
			}
			sent, ok := sentAmount(body)
			if !ok {
				t.Fatalf("decoded an amount %v from a body without one", *ch.Amount)
			}
			if normalizeDecimal(sent) != normalizeDecimal(string(wire)) {
				t.Fatalf("A55 sent %s, client decoded %v (%s)", sent, *ch.Amount, wire)
			}
		}
	})
}

// sentAmount finds the amount text the way encoding/json fills chargeWire:
// keys match case-insensitively, the last occurrence wins, null clears, and
// local_currency beats value beats amount.
func sentAmount(body []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", false
	}
	found := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return "", false
		}
		for _, name := range []string{"local_currency", "value", "amount"} {
			if strings.EqualFold(key, name) {
				text := strings.TrimSpace(string(raw))
				if text == "null" {
					delete(found, name)
				} else {
					var s string
					if json.Unmarshal(raw, &s) == nil {
						text = s
					}
					found[name] = text
				}
			}
		}
	}
	for _, name := range []string{"local_currency", "value", "amount"} {
		if s, ok := found[name]; ok {
			return s, true
		}
	}
	return "", false
}

// normalizeDecimal writes a plain decimal in a canonical form: no leading
// zeros, no trailing fractional zeros, no "-0".
func normalizeDecimal(s string) string {
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	whole = strings.TrimLeft(whole, "0")
	frac = strings.TrimRight(frac, "0")
	if whole == "" {
		whole = "0"
	}
	out := whole
	if frac != "" {
		out += "." + frac
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out
}

func TestDecodeChargeVocabularies(t *testing.T) {
	tests := []struct {
		name, body string
		want       Charge
	}{
		{
			name: "seed success",
			body: `{"uuid":"a1","status":"confirmed","reference_external_id":"ord_001"}`,
			want: Charge{UUID: "a1", Status: "confirmed", State: StateCaptured, ReferenceExternalID: "ord_001"},
		},
		{
			name: "public docs capture answer",
			body: `{"status":"confirmed","charge_uuid":"51dc","local_currency":320.00,"currency":"BRL","usd_currency":57.41,"message":null,"installments":[{"local_currency":320.00}]}`,
			want: Charge{UUID: "51dc", Status: "confirmed", State: StateCaptured, Amount: amountp(brl(32000))},
		},
		{
			name: "action_url and value string",
			body: `{"charge_uuid":"c","status":"pending","action_url":"https://acs","value":"100.5","currency":" brl "}`,
			want: Charge{UUID: "c", Status: "pending", State: StatePending3DS, URL3DS: "https://acs", Amount: amountp(brl(10050))},
		},
		{
			name: "amount only, 3DS fields, numbers as text",
			body: `{"uuid":"c","wallet_uuid":"w","status":"authorized","amount":50000,"currency":"CLP","eci":5,"authentication_status":"success","transaction_reference":"txn_ref_001"}`,
			want: Charge{UUID: "c", WalletUUID: "w", Status: "authorized", State: StateAuthorized, Amount: amountp(moneyAmount(50000, "CLP")), ECI: "5", AuthenticationStatus: "success", TransactionReference: "txn_ref_001"},
		},
		{
			name: "unknown currency keeps no amount",
			body: `{"uuid":"c","status":"mystery","amount":10,"currency":"EUR","extra":{"nested":[1,2]}}`,
			want: Charge{UUID: "c", Status: "mystery", State: StateUnknown},
		},
		{
			name: "mixed message array",
			body: `{"uuid":"c","status":"error","message":["plain",{"message":"seed"},{"code":"C1","source":"acquirer","description":"desc"},{"message":"m","description":"d"},7]}`,
			want: Charge{UUID: "c", Status: "error", State: StateFailed, Code: "C1", Message: "plain; seed; desc; m: d"},
		},
		{
			name: "odd types do not break decoding",
			body: `{"uuid":{"x":1},"charge_uuid":"c","status":["x"],"message":42,"code":null}`,
			want: Charge{UUID: "c", State: StateUnknown},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := DecodeCharge([]byte(tt.body), VocabularySeeds)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Raw = []byte(tt.body)
			if ch.UUID != tt.want.UUID || ch.WalletUUID != tt.want.WalletUUID || ch.Status != tt.want.Status || ch.State != tt.want.State ||
				ch.URL3DS != tt.want.URL3DS || ch.ReferenceExternalID != tt.want.ReferenceExternalID || ch.TransactionReference != tt.want.TransactionReference ||
				ch.ECI != tt.want.ECI || ch.AuthenticationStatus != tt.want.AuthenticationStatus || ch.Code != tt.want.Code || ch.Message != tt.want.Message ||
				!bytes.Equal(ch.Raw, tt.want.Raw) || (ch.Amount == nil) != (tt.want.Amount == nil) || (ch.Amount != nil && *ch.Amount != *tt.want.Amount) {
				t.Errorf("got  %+v (amount %v)\nwant %+v (amount %v)", *ch, ch.Amount, tt.want, tt.want.Amount)
			}
		})
	}
	for _, bad := range []string{`[]`, `"x"`, `{"uuid":"c","currency":"BRL","value":1e2}`, `{"local_currency":"0.001","currency":"BRL"}`} {
		if _, err := decodeCharge([]byte(bad), VocabularySeeds); err == nil {
			t.Errorf("%s decoded without error", bad)
		}
	}
}
