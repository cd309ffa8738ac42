package workflows_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

func TestValidInputPasses(t *testing.T) {
	if err := workflows.ValidateInput(validInput("H-1001"), t0); err != nil {
		t.Fatal(err)
	}
	in := validInput("car.R-77_b")
	in.Kind = workflows.KindCarRental
	in.ThreeDS = true
	amount := brl(50000)
	in.DeadlinePolicy = workflows.DeadlinePolicy{Action: workflows.DeadlineCapture, Amount: &amount}
	in.HoldWindow = 30 * 24 * time.Hour
	in.SafetyMargin = 24 * time.Hour
	in.WebhookBaseURL = "http://127.0.0.1:8080"
	if err := workflows.ValidateInput(in, t0); err != nil {
		t.Fatal(err)
	}
}

// Each case breaks one rule; the error must name the field and the rule.
func TestValidateInputNamesFieldAndRule(t *testing.T) {
	usd := money.Amount{Minor: 100, Currency: "USD"}
	over := brl(50001)
	cases := []struct {
		name, field, rule string
		mutate            func(*workflows.BookingPaymentInput)
	}{
		{"booking id", "booking_id", "letters, digits", func(in *workflows.BookingPaymentInput) { in.BookingID = "-bad id" }},
		{"kind", "kind", "hotel_stay", func(in *workflows.BookingPaymentInput) { in.Kind = "boat" }},
		{"merchant", "merchant_id", "required", func(in *workflows.BookingPaymentInput) { in.MerchantID = " " }},
		{"wallet", "wallet_uuid", "required", func(in *workflows.BookingPaymentInput) { in.WalletUUID = "" }},
		{"wallet path", "wallet_uuid", "must not contain", func(in *workflows.BookingPaymentInput) { in.WalletUUID = "a/b" }},
		{"payer name", "payer.name", "required", func(in *workflows.BookingPaymentInput) { in.Payer.Name = "" }},
		{"payer email", "payer.email", "e-mail", func(in *workflows.BookingPaymentInput) { in.Payer.Email = "ana at example" }},
		{"amount", "amount", "greater than zero", func(in *workflows.BookingPaymentInput) { in.Amount = brl(0) }},
		{"currency", "amount", "unknown currency", func(in *workflows.BookingPaymentInput) { in.Amount = money.Amount{Minor: 1, Currency: "EUR"} }},
		{"card missing", "card.number", "required", func(in *workflows.BookingPaymentInput) { in.Card.Number = "" }},
		{"card luhn", "card.number", "Luhn", func(in *workflows.BookingPaymentInput) { in.Card.Number = "4111111111111112" }},
		{"card letters", "card.number", "digits only", func(in *workflows.BookingPaymentInput) { in.Card.Number = "4111abcd11111111" }},
		{"card month", "card.expiry_month", "1 to 12", func(in *workflows.BookingPaymentInput) { in.Card.ExpiryMonth = 13 }},
		{"card expired", "card.expiry_year", "expired", func(in *workflows.BookingPaymentInput) { in.Card.ExpiryYear, in.Card.ExpiryMonth = t0.Year()-1, 12 }},
		{"cvv", "card.cvv", "3 or 4 digits", func(in *workflows.BookingPaymentInput) { in.Card.CVV = "12" }},
		{"holder", "card.holder_name", "required", func(in *workflows.BookingPaymentInput) { in.Card.HolderName = "" }},
		{"device info", "device_info", "threeds", func(in *workflows.BookingPaymentInput) { in.ThreeDS, in.DeviceInfo = true, nil }},
		{"device field", "device_info.user_agent", "threeds", func(in *workflows.BookingPaymentInput) {
			d := *in.DeviceInfo
			d.UserAgent = ""
			in.ThreeDS, in.DeviceInfo = true, &d
		}},
		{"policy action", "deadline_policy.action", "release", func(in *workflows.BookingPaymentInput) { in.DeadlinePolicy.Action = "" }},
		{"policy over hold", "deadline_policy.amount", "more than the hold", func(in *workflows.BookingPaymentInput) {
			in.DeadlinePolicy = workflows.DeadlinePolicy{Action: workflows.DeadlineCapture, Amount: &over}
		}},
		{"policy currency", "deadline_policy.amount", "differs", func(in *workflows.BookingPaymentInput) {
			in.DeadlinePolicy = workflows.DeadlinePolicy{Action: workflows.DeadlineCapture, Amount: &usd}
		}},
		{"policy release with amount", "deadline_policy.amount", "empty", func(in *workflows.BookingPaymentInput) {
			a := brl(1)
			in.DeadlinePolicy.Amount = &a
		}},
		{"hold window", "hold_window", "30 days", func(in *workflows.BookingPaymentInput) { in.HoldWindow = 31 * 24 * time.Hour }},
		{"margin", "safety_margin", "shorter than hold_window", func(in *workflows.BookingPaymentInput) { in.SafetyMargin = 7 * 24 * time.Hour }},
		{"grace", "capture_grace", "negative", func(in *workflows.BookingPaymentInput) { in.CaptureGrace = -time.Second }},
		{"3ds timeout", "threeds_timeout", "negative", func(in *workflows.BookingPaymentInput) { in.ThreeDSTimeout = -time.Second }},
		{"refund window too short", "refund_window", "from 1s to 400 days", func(in *workflows.BookingPaymentInput) { in.RefundWindow = time.Second - 1 }},
		{"refund window negative", "refund_window", "from 1s to 400 days", func(in *workflows.BookingPaymentInput) { in.RefundWindow = -time.Hour }},
		{"refund window too long", "refund_window", "from 1s to 400 days", func(in *workflows.BookingPaymentInput) {
			in.RefundWindow = workflows.MaxRefundWindow + time.Second
		}},
		{"expected zero", "expected_capture_at", "required", func(in *workflows.BookingPaymentInput) { in.ExpectedCaptureAt = time.Time{} }},
		{"expected past", "expected_capture_at", "past", func(in *workflows.BookingPaymentInput) { in.ExpectedCaptureAt = t0.Add(-25 * time.Hour) }},
		{"webhook url", "webhook_base_url", "absolute http(s)", func(in *workflows.BookingPaymentInput) { in.WebhookBaseURL = "hooks.example/a55" }},
		{"return url", "return_url", "absolute http(s)", func(in *workflows.BookingPaymentInput) { in.ReturnURL = "ftp://x" }},
		{"notification url", "notification_url", "absolute http(s)", func(in *workflows.BookingPaymentInput) { in.NotificationURL = "booking.example/hooks" }},
		{"notification url with a password", "notification_url", "user or password", func(in *workflows.BookingPaymentInput) {
			in.NotificationURL = "https://u:whsec_x@booking.example/hooks"
		}},
		{"negative hold_expiring notice", "hold_expiring_notice", "negative", func(in *workflows.BookingPaymentInput) { in.HoldExpiringNotice = -time.Hour }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := validInput("H-1")
			tc.mutate(&in)
			err := workflows.ValidateInput(in, t0)
			var ie *workflows.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error = %v, want *InputError", err)
			}
			found := false
			for _, p := range ie.Problems {
				if p.Field == tc.field && strings.Contains(p.Reason, tc.rule) {
					found = true
				}
			}
			if !found {
				t.Errorf("problems %v do not name %s with %q", ie.Problems, tc.field, tc.rule)
			}
			if strings.Contains(err.Error(), "4111") || strings.Contains(err.Error(), testHolder) {
				t.Errorf("the error echoes card data: %v", err)
			}
		})
	}
}

func TestValidateInputListsEveryProblem(t *testing.T) {
	in := workflows.BookingPaymentInput{Card: a55client.Card{Number: "4111111111111112"}}
	err := workflows.ValidateInput(in, t0)
	var ie *workflows.InputError
	if !errors.As(err, &ie) {
		t.Fatal(err)
	}
	fields := map[string]bool{}
	for _, p := range ie.Problems {
		fields[p.Field] = true
	}
	for _, f := range []string{"booking_id", "kind", "merchant_id", "wallet_uuid", "payer.name", "payer.email", "amount",
		"card.number", "card.expiry_month", "card.cvv", "card.holder_name", "expected_capture_at", "deadline_policy.action"} {
		if !fields[f] {
			t.Errorf("%s missing from %v", f, ie.Problems)
		}
	}
	if strings.Contains(err.Error(), "4111111111111112") {
		t.Error("the error echoes the card number")
	}
}

func TestStaticSummary(t *testing.T) {
	in := validInput("H-1001")
	if got := workflows.StaticSummary(in); got != "Hotel stay H-1001 · hold R$ 500,00" {
		t.Errorf("summary = %q", got)
	}
	in.Kind, in.BookingID, in.Amount = workflows.KindCarRental, "C-9", brl(123456)
	if got := workflows.StaticSummary(in); got != "Car rental C-9 · hold R$ 1.234,56" {
		t.Errorf("summary = %q", got)
	}
}
