package starter_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/starter"
)

// ReplaceHold refuses, before anything is sealed or sent, a request without
// an id, with a bad amount or card, or with a card and no card-key store;
// no refusal quotes the card.
func TestReplaceHoldRefusesBadRequestsBeforeSending(t *testing.T) {
	card := a55client.Card{HolderName: "TEST HOLDER", Number: "4111111111111111", ExpiryMonth: 12, ExpiryYear: 2099, CVV: "123"}
	amount := money.Amount{Minor: 90000, Currency: "BRL"}
	badCard := card
	badCard.Number = "4111111111111112"
	for name, tc := range map[string]struct {
		req  starter.ReplaceHold
		want string
	}{
		"no id":        {starter.ReplaceHold{Card: card, Amount: amount}, "id is required"},
		"bad amount":   {starter.ReplaceHold{ID: "r1", Card: card, Amount: money.Amount{Minor: -1, Currency: "BRL"}}, "amount"},
		"bad card":     {starter.ReplaceHold{ID: "r1", Card: badCard, Amount: amount}, "card.number"},
		"no key store": {starter.ReplaceHold{ID: "r1", Card: card, Amount: amount}, "card-key store"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := starter.New(nil).ReplaceHold(context.Background(), "B-1", tc.req)
			var rej *starter.RejectedError
			if !errors.As(err, &rej) || rej.Type != "InvalidInput" || !strings.Contains(rej.Reason, tc.want) {
				t.Fatalf("err = %v, want a rejection naming %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "411111111111") || strings.Contains(err.Error(), "TEST HOLDER") {
				t.Errorf("the refusal quotes the card: %v", err)
			}
		})
	}
}
