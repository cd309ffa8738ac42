package starter

import (
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// A runaway text field is refused by name before it reaches Temporal (whose
// own "blob size exceeds limit" names no field), and card data is never quoted.
func TestOversizedFieldsAreNamed(t *testing.T) {
	in := bookingInput("BK-big-1")
	in.ExpectedCaptureAt = time.Now().Add(48 * time.Hour)
	in.Payer.Name = strings.Repeat("x", 3<<20)
	in.Card.HolderName = strings.Repeat("Z", MaxFieldBytes+1)
	in.Card.CVV = "12" // also invalid: every problem is listed
	err := validateInput(in, workflows.HoldLimits{})
	if !workflows.IsInputError(err) {
		t.Fatalf("err = %v, want an InputError", err)
	}
	for _, want := range []string{"payer.name: must be at most 16384 bytes", "card.holder_name: must be at most", "card.cvv"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %.300s, want it to say %q", err, want)
		}
	}
	if len(err.Error()) > 1000 {
		t.Errorf("the error quotes the oversized value (%d bytes)", len(err.Error()))
	}

	in = bookingInput("BK-big-2")
	in.ExpectedCaptureAt = time.Now().Add(48 * time.Hour)
	in.Payer.Name = strings.Repeat("x", MaxFieldBytes)
	if err := validateInput(in, workflows.HoldLimits{}); err != nil {
		t.Fatalf("a field of exactly MaxFieldBytes was refused: %v", err)
	}
}

// An absurd hold (R$ 1 quadrillion) is refused before anything starts, with
// the field and the rule; a merchant's own maximum overrides the default.
func TestHoldAboveTheMerchantsMaximumIsRefused(t *testing.T) {
	in := bookingInput("BK-big-3")
	in.ExpectedCaptureAt = time.Now().Add(48 * time.Hour)
	in.Amount = money.Amount{Minor: 100_000_000_000_000_000, Currency: "BRL"}
	err := validateInput(in, workflows.HoldLimits{})
	if err == nil || !strings.Contains(err.Error(), "amount: must be at most R$ 100.000,00 for merchant "+in.MerchantID) {
		t.Fatalf("err = %v", err)
	}
	in.Amount.Minor = 20_000_000 // R$ 200.000,00
	if err := validateInput(in, workflows.HoldLimits{Merchant: map[string]int64{in.MerchantID: 50_000_000}}); err != nil {
		t.Errorf("within the merchant's own maximum: %v", err)
	}
	if err := validateInput(in, workflows.HoldLimits{Default: 1_000_000}); err == nil {
		t.Error("above a lower default: accepted")
	}
}

// A stay beyond the hold's reach is refused before anything starts, naming
// expected_capture_at, unless it chooses a long-stay policy.
func TestLongStayWithoutPolicyIsRefusedByTheStarter(t *testing.T) {
	in := bookingInput("BK-long-1")
	in.ExpectedCaptureAt = time.Now().Add(10 * 24 * time.Hour)
	err := validateInput(in, workflows.HoldLimits{})
	if !workflows.IsInputError(err) || !strings.Contains(err.Error(), "expected_capture_at") || !strings.Contains(err.Error(), "long_stay_policy") {
		t.Fatalf("err = %v, want expected_capture_at refused for want of a long_stay_policy", err)
	}
	in.LongStayPolicy = workflows.LongStayDeposit
	if err := validateInput(in, workflows.HoldLimits{}); err != nil {
		t.Fatalf("with the deposit policy: %v", err)
	}
}
