package starter

import (
	"fmt"

	"github.com/hotelpay/a55-temporal/workflows"
)

// summary is the one-line StaticSummary shown in the UI and CLI: kind,
// booking and hold, never PII or card data.
func summary(in workflows.BookingPaymentInput) string {
	return fmt.Sprintf("%s %s: hold %s", in.Kind, in.BookingID, in.Amount)
}

// validateInput runs the workflow's own input rules before anything starts.
// WIRING POINT: switch to workflows.ValidateInput once the workflow package
// exports it; until then the checks that need no workflow knowledge.
func validateInput(in workflows.BookingPaymentInput) error {
	if err := workflows.ValidateBookingID(in.BookingID); err != nil {
		return err
	}
	if err := in.Amount.Validate(); err != nil {
		return fmt.Errorf("amount: %w", err)
	}
	return nil
}
