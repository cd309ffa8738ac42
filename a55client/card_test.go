package a55client

// clock: injected — no test here reads the real clock: the client runs on fixedNow.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestCardFormattingNeverLeaks(t *testing.T) {
	card := Card{HolderName: "Maria Souza", Number: "4111 1111 1111 1111", ExpiryMonth: 12, ExpiryYear: 2099, CVV: "987"}
	type wrapper struct {
		Booking string
		Card    Card
		Ptr     *Card
	}
	w := wrapper{Booking: "b1", Card: card, Ptr: &card}
	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs["card "+verb] = fmt.Sprintf(verb, card)
		outputs["ptr "+verb] = fmt.Sprintf(verb, &card)
		outputs["wrapper "+verb] = fmt.Sprintf(verb, w)
	}
	outputs["String"] = card.String()
	outputs["GoString"] = card.GoString()
	outputs["Masked"] = card.Masked()
	for what, s := range outputs {
		mustNotContain(t, what, s, "4111111111111111", "4111 1111 1111 1111", "1111 1111", "987", "Maria")
	}
	if got := card.String(); got != "card ****1111" {
		t.Errorf("String() = %q", got)
	}
	if got := fmt.Sprintf("%v", card); got != "card ****1111" {
		t.Errorf("%%v = %q", got)
	}
	if got := card.Masked(); got != "411111******1111" {
		t.Errorf("Masked() = %q", got)
	}
	amex := Card{Number: "378282246310005"}
	if got := amex.Masked(); got != "378282*****0005" {
		t.Errorf("Masked(amex) = %q", got)
	}
	for _, short := range []string{"", "4111", "41111111111", "4111abcd11111111"} {
		c := Card{Number: short}
		if strings.Trim(c.Masked(), "*") != "" || len(c.Masked()) < 4 || c.String() != "card ****" {
			t.Errorf("short %q: %q %q", short, c.Masked(), c.String())
		}
	}
}

// Card still marshals normally: it travels (encrypted by the payload codec)
// in the workflow input.
func TestCardJSONUnchanged(t *testing.T) {
	card := Card{HolderName: "Maria", Number: "4111111111111111", ExpiryMonth: 12, ExpiryYear: 2099, CVV: "987"}
	b, err := json.Marshal(card)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"holder_name":"Maria","number":"4111111111111111","expiry_month":12,"expiry_year":2099,"cvv":"987"}`
	if string(b) != want {
		t.Errorf("json = %s", b)
	}
	var back Card
	if err := json.Unmarshal(b, &back); err != nil || back != card {
		t.Errorf("round trip = %+v, %v", back, err)
	}
	if !strings.Contains(fmt.Sprint(back), "1111") {
		t.Errorf("String after round trip = %q", fmt.Sprint(back))
	}
}
