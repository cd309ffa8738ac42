package starter

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/workflows"
)

// Without a card-key store the starter cannot seal the card, and the
// workflow refuses a card in clear (card-token-only): Authorize says so,
// naming the field and the rule, and starts nothing (its client is nil: any
// call to Temporal would panic).
func TestAPlainCardWithoutCardKeysIsRefusedBeforeAnythingStarts(t *testing.T) {
	in := bookingInput("BK-plain-1")
	_, err := New(nil).Authorize(context.Background(), in)
	var rej *RejectedError
	if !errors.As(err, &rej) || rej.Type != "InvalidInput" || rej.Operation != "authorize" {
		t.Fatalf("Authorize = %v, want an InvalidInput rejection", err)
	}
	var ie *workflows.InputError
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].Field != "card" {
		t.Fatalf("Authorize = %v, want one problem naming card", err)
	}
	for _, want := range []string{"card: a card in clear is refused", "PCI DSS 3.3.1", "card_token", "starter.WithCardKeys", "nothing was started"} {
		if !strings.Contains(rej.Reason, want) {
			t.Errorf("the reason %q does not say %q", rej.Reason, want)
		}
	}
	for _, secret := range []string{in.Card.Number, in.Card.Number[len(in.Card.Number)-8:], in.Card.HolderName} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error quotes card data (%q)", secret)
		}
	}
}
