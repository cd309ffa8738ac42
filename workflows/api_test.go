package workflows_test

import (
	"testing"

	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// A finished booking answers an authorization with what its result holds.
func TestResultAuthorizationCarriesTheOutcome(t *testing.T) {
	r := workflows.BookingPaymentResult{
		BookingID: "B-1", Status: workflows.StatusDeclined, ChargeUUID: "c-1",
		Authorized: money.Amount{Minor: 500, Currency: "BRL"}, Captured: money.Amount{Minor: 400, Currency: "BRL"},
		DeclineCode: "51", DeclineMessage: "insufficient funds", Reason: "issuer",
	}
	want := workflows.AuthorizationResult{
		Status: workflows.StatusDeclined, ChargeUUID: "c-1", Authorized: money.Amount{Minor: 500, Currency: "BRL"},
		DeclineCode: "51", DeclineMessage: "insufficient funds", Reason: "issuer",
	}
	if got := r.Authorization(); got != want {
		t.Errorf("Authorization() = %+v, want %+v", got, want)
	}
}
