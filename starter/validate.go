package starter

import (
	"time"

	"github.com/hotelpay/a55-temporal/workflows"
)

// summary is the one-line StaticSummary shown in the UI and CLI (no PII).
func summary(in workflows.BookingPaymentInput) string { return workflows.StaticSummary(in) }

// validateInput runs the workflow's own input rules before anything starts.
func validateInput(in workflows.BookingPaymentInput) error {
	return workflows.ValidateInput(in, time.Now())
}
