package security

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Part 4: hostile input at every entry point of the running stack. Each
// request is refused with an error naming the field, twice in a row (a
// retried bad request is refused alike), and leaves nothing behind: no
// workflow for the booking id, no signal, no charge or money movement at the
// sandbox. The tests of this file do not run in parallel with each other or
// with the rest of the package, so "the ledger did not change" is exact.

// ledgerState is the sandbox's money view: every charge's status and amounts.
type ledgerState map[string]string

func ledgerNow(t *testing.T, ctx context.Context) ledgerState {
	t.Helper()
	entries, err := env.Sandbox.Ledger(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	s := ledgerState{}
	for _, e := range entries {
		s[e.ChargeUUID] = fmt.Sprintf("%s authorized=%d captured=%d released=%d creates=%d captures=%d cancels=%d",
			e.Status, e.Authorized.Minor, e.Captured.Minor, e.Released.Minor, e.Calls.Create, e.Calls.Capture, e.Calls.Cancel)
	}
	return s
}

func assertLedgerUnchanged(t *testing.T, ctx context.Context, before ledgerState) {
	t.Helper()
	after := ledgerNow(t, ctx)
	if reflect.DeepEqual(before, after) {
		return
	}
	var diff []string
	for k, v := range after {
		if before[k] != v {
			diff = append(diff, fmt.Sprintf("%s: %q → %q", k, before[k], v))
		}
	}
	sort.Strings(diff)
	t.Fatalf("the sandbox ledger changed:\n  %s", strings.Join(diff, "\n  "))
}

// assertNoWorkflow checks that no workflow exists for the booking id.
func assertNoWorkflow(t *testing.T, ctx context.Context, bookingID string) {
	t.Helper()
	wf := workflows.WorkflowID(bookingID)
	_, err := env.plain.DescribeWorkflowExecution(ctx, wf, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return
	}
	if err == nil || !strings.Contains(err.Error(), "non-printable") {
		t.Fatalf("booking %q: describe = %v, want NotFound (a workflow was left behind)", bookingID, err)
	}
	// An id gRPC cannot carry in a header: look through every workflow.
	for _, id := range allWorkflowIDs(t, ctx) {
		if id == wf {
			t.Fatalf("booking %q: a workflow was left behind", bookingID)
		}
	}
}

// allWorkflowIDs lists every workflow of the namespace (this run's only).
func allWorkflowIDs(t *testing.T, ctx context.Context) []string {
	t.Helper()
	var ids []string
	var token []byte
	for {
		resp, err := env.plain.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{NextPageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range resp.GetExecutions() {
			ids = append(ids, e.GetExecution().GetWorkflowId())
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return ids
		}
	}
}

// assertQuotesNoCardData checks an error text shown to a caller.
func assertQuotesNoCardData(t *testing.T, text string, card a55client.Card) {
	t.Helper()
	if card.Number != "" && len(card.Number) >= 8 && strings.Contains(text, card.Number) {
		t.Errorf("the error quotes the card number: %s", text)
	}
	if l := cardLeaks(text, true); len(l) > 0 {
		t.Errorf("the error leaks %v: %s", l, text)
	}
}

func TestStarterRefusesHostileBookingInput(t *testing.T) {
	ctx := testCtx(t)
	before := ledgerNow(t, ctx)
	workflowsBefore := len(allWorkflowIDs(t, ctx))
	past := time.Now().AddDate(-1, 0, 0)
	cases := []struct {
		name  string
		field string // the field the error must name
		edit  func(*workflows.BookingPaymentInput)
	}{
		{"zero amount", "amount", func(in *workflows.BookingPaymentInput) { in.Amount.Minor = 0 }},
		{"negative amount", "amount", func(in *workflows.BookingPaymentInput) { in.Amount.Minor = -50000 }},
		{"overflowing amount", "amount", func(in *workflows.BookingPaymentInput) { in.Amount.Minor = math.MaxInt64 }},
		{"unknown currency", "amount", func(in *workflows.BookingPaymentInput) { in.Amount.Currency = "XYZ" }},
		{"lower-case currency", "amount", func(in *workflows.BookingPaymentInput) { in.Amount.Currency = "brl" }},
		{"no currency", "amount", func(in *workflows.BookingPaymentInput) { in.Amount.Currency = "" }},
		{"PAN fails Luhn", "card.number", func(in *workflows.BookingPaymentInput) { in.Card.Number = "4111111111111112" }},
		{"PAN with letters", "card.number", func(in *workflows.BookingPaymentInput) { in.Card.Number = "4111x11111111111" }},
		{"PAN too short", "card.number", func(in *workflows.BookingPaymentInput) { in.Card.Number = "41111" }},
		{"PAN too long", "card.number", func(in *workflows.BookingPaymentInput) { in.Card.Number = strings.Repeat("4", 25) }},
		{"PAN with unicode digits", "card.number", func(in *workflows.BookingPaymentInput) {
			in.Card.Number = "４１１１１１１１１１１１１１１１"
		}},
		{"no PAN", "card.number", func(in *workflows.BookingPaymentInput) { in.Card.Number = "" }},
		{"expired card", "card.expiry_year", func(in *workflows.BookingPaymentInput) {
			in.Card.ExpiryYear, in.Card.ExpiryMonth = past.Year(), int(past.Month())
		}},
		{"month 13", "card.expiry_month", func(in *workflows.BookingPaymentInput) { in.Card.ExpiryMonth = 13 }},
		{"two-digit year", "card.expiry_year", func(in *workflows.BookingPaymentInput) { in.Card.ExpiryYear = 29 }},
		{"CVV with letters", "card.cvv", func(in *workflows.BookingPaymentInput) { in.Card.CVV = "7a9" }},
		{"CVV of five digits", "card.cvv", func(in *workflows.BookingPaymentInput) { in.Card.CVV = "73912" }},
		{"no holder name", "card.holder_name", func(in *workflows.BookingPaymentInput) { in.Card.HolderName = "  " }},
		{"3DS without device_info", "device_info", func(in *workflows.BookingPaymentInput) {
			*in = with3DS(*in)
			in.DeviceInfo = nil
		}},
		{"3DS without ip_address", "device_info.ip_address", func(in *workflows.BookingPaymentInput) {
			*in = with3DS(*in)
			in.DeviceInfo.IPAddress = ""
		}},
		{"3DS without javascript flag", "device_info.http_browser_javascript_enabled", func(in *workflows.BookingPaymentInput) {
			*in = with3DS(*in)
			in.DeviceInfo.HTTPBrowserJavascriptEnabled = nil
		}},
		{"booking id with a path", "booking_id", func(in *workflows.BookingPaymentInput) { in.BookingID = "../../etc/passwd" }},
		{"booking id with shell characters", "booking_id", func(in *workflows.BookingPaymentInput) { in.BookingID = "BK-1;rm -rf ~" }},
		{"booking id with command substitution", "booking_id", func(in *workflows.BookingPaymentInput) { in.BookingID = "$(reboot)" }},
		{"booking id with a newline", "booking_id", func(in *workflows.BookingPaymentInput) { in.BookingID = "BK-1\nBK-2" }},
		{"unicode booking id", "booking_id", func(in *workflows.BookingPaymentInput) { in.BookingID = "BK-ü№☃" }},
		{"empty booking id", "booking_id", func(in *workflows.BookingPaymentInput) { in.BookingID = "" }},
		{"booking id too long", "booking_id", func(in *workflows.BookingPaymentInput) { in.BookingID = strings.Repeat("B", 65) }},
		{"unknown kind", "kind", func(in *workflows.BookingPaymentInput) { in.Kind = "timeshare" }},
		{"no merchant", "merchant_id", func(in *workflows.BookingPaymentInput) { in.MerchantID = "" }},
		{"wallet with a path", "wallet_uuid", func(in *workflows.BookingPaymentInput) { in.WalletUUID = "../charge/x" }},
		{"no payer name", "payer.name", func(in *workflows.BookingPaymentInput) { in.Payer.Name = "" }},
		{"payer e-mail with a display name", "payer.email", func(in *workflows.BookingPaymentInput) { in.Payer.Email = "Guest <guest@example.com>" }},
		{"javascript return_url", "return_url", func(in *workflows.BookingPaymentInput) { in.ReturnURL = "javascript:alert(1)" }},
		{"file webhook_base_url", "webhook_base_url", func(in *workflows.BookingPaymentInput) { in.WebhookBaseURL = "file:///etc/passwd" }},
		{"no expected_capture_at", "expected_capture_at", func(in *workflows.BookingPaymentInput) { in.ExpectedCaptureAt = time.Time{} }},
		{"expected_capture_at in the past", "expected_capture_at", func(in *workflows.BookingPaymentInput) { in.ExpectedCaptureAt = past }},
		{"hold window of a year", "hold_window", func(in *workflows.BookingPaymentInput) { in.HoldWindow = 365 * 24 * time.Hour }},
		{"negative capture grace", "capture_grace", func(in *workflows.BookingPaymentInput) { in.CaptureGrace = -time.Hour }},
		{"unknown deadline action", "deadline_policy.action", func(in *workflows.BookingPaymentInput) { in.DeadlinePolicy.Action = "donate" }},
		{"deadline capture above the hold", "deadline_policy.amount", func(in *workflows.BookingPaymentInput) {
			in.DeadlinePolicy = workflows.DeadlinePolicy{Action: workflows.DeadlineCapture, Amount: &money.Amount{Minor: in.Amount.Minor + 1, Currency: "BRL"}}
		}},
		{"huge description", "description", func(in *workflows.BookingPaymentInput) { in.Description = strings.Repeat("x", 64<<10) }},
		// Above Temporal's payload limit: refused by name, not by the server.
		{"huge payer name", "payer.name", func(in *workflows.BookingPaymentInput) { in.Payer.Name = strings.Repeat("x", 3<<20) }},
		{"huge user agent", "device_info.user_agent", func(in *workflows.BookingPaymentInput) {
			*in = with3DS(*in)
			in.DeviceInfo.UserAgent = strings.Repeat("Mozilla/5.0 ", 10000)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := booking(ids.Next("hostile"), panFrictionless, 40000)
			tc.edit(&in)
			for range 2 {
				_, err := env.Starter().Authorize(ctx, in)
				var rej *starter.RejectedError
				if !errors.As(err, &rej) || rej.Type != "InvalidInput" {
					t.Fatalf("Authorize = %v, want an InvalidInput rejection", err)
				}
				if !strings.Contains(rej.Reason, tc.field) {
					t.Errorf("the reason %q does not name %s", rej.Reason, tc.field)
				}
				assertQuotesNoCardData(t, err.Error(), in.Card)
			}
			assertNoWorkflow(t, ctx, in.BookingID)
		})
	}
	assertLedgerUnchanged(t, ctx, before)
	if n := len(allWorkflowIDs(t, ctx)); n != workflowsBefore {
		t.Fatalf("%d workflows before the hostile inputs, %d after", workflowsBefore, n)
	}
}

// The operations on a live hold, with hostile arguments: each is refused
// naming what is wrong, the hold stays authorized and untouched.
func TestStarterRefusesHostileOperationsOnAHold(t *testing.T) {
	ctx := testCtx(t)
	id, charge := authorizedHold(t, ctx, "hostile-ops")
	before := take(t, ctx, id, charge)
	ledgerBefore := ledgerNow(t, ctx)
	amount := func(minor int64, cur money.Currency) *money.Amount { return &money.Amount{Minor: minor, Currency: cur} }
	captures := []struct {
		name, want string
		amount     *money.Amount
	}{
		{"zero", "amount", amount(0, "BRL")},
		{"negative", "amount", amount(-100, "BRL")},
		{"overflowing", "amount", amount(math.MaxInt64, "BRL")},
		{"unknown currency", "amount", amount(100, "XYZ")},
		{"another currency", "currenc", amount(100, "USD")},
		{"above the hold", "more than the authorized", amount(52001, "BRL")},
	}
	for _, tc := range captures {
		t.Run("capture "+tc.name, func(t *testing.T) {
			for range 2 {
				_, err := env.Starter().Capture(ctx, id, tc.amount)
				var rej *starter.RejectedError
				if !errors.As(err, &rej) {
					t.Fatalf("Capture = %v, want a rejection", err)
				}
				if !strings.Contains(strings.ToLower(rej.Reason), tc.want) {
					t.Errorf("the reason %q does not say %q", rej.Reason, tc.want)
				}
			}
		})
	}
	t.Run("move the check-out to nothing", func(t *testing.T) {
		var rej *starter.RejectedError
		if _, err := env.Starter().MoveCaptureTime(ctx, id, time.Time{}); !errors.As(err, &rej) || !strings.Contains(rej.Reason, "expected_capture_at") {
			t.Fatalf("MoveCaptureTime(zero) = %v", err)
		}
	})
	t.Run("3ds_complete naming another charge", func(t *testing.T) {
		_, last := webhooks(t, ctx, id)
		if err := env.Starter().Report3DSComplete(ctx, id, "00000000-0000-4000-8000-00000000dead"); err != nil {
			t.Fatal(err) // a signal is accepted; the workflow ignores it (not its charge)
		}
		// The signal is a 3ds_complete, not a charge_changed: wait for the
		// workflow task that handled it.
		awaitTaskAfter(t, ctx, id, last)
	})
	for _, bad := range []string{"../" + id, id + ";rm -rf ~", id + "\x00", "ü" + id, ""} {
		t.Run(fmt.Sprintf("operations on booking id %q", bad), func(t *testing.T) {
			var rej *starter.RejectedError
			checks := map[string]error{}
			_, checks["capture"] = env.Starter().Capture(ctx, bad, nil)
			_, checks["cancel"] = env.Starter().Cancel(ctx, bad, "x")
			_, checks["status"] = env.Starter().Status(ctx, bad)
			_, checks["result"] = env.Starter().Result(ctx, bad)
			_, checks["move"] = env.Starter().MoveCaptureTime(ctx, bad, time.Now().Add(72*time.Hour))
			checks["3ds"] = env.Starter().Report3DSComplete(ctx, bad, charge)
			for op, err := range checks {
				if !errors.As(err, &rej) || rej.Type != "InvalidInput" || !strings.Contains(rej.Reason, "booking_id") {
					t.Errorf("%s: %v, want an InvalidInput rejection naming booking_id", op, err)
				}
			}
		})
	}
	assertUnchanged(t, id, before, take(t, ctx, id, charge))
	assertLedgerUnchanged(t, ctx, ledgerBefore)
	if _, err := env.Starter().Cancel(ctx, id, "done"); err != nil {
		t.Fatal(err)
	}
}

// awaitTaskAfter waits for a workflow task completed after event `after`
// that follows a signal.
func awaitTaskAfter(t *testing.T, ctx context.Context, id string, after int64) {
	t.Helper()
	for {
		var signalAt int64
		for _, ev := range history(t, ctx, id) {
			switch {
			case ev.GetEventId() <= after:
			case signalAt == 0 && ev.GetWorkflowExecutionSignaledEventAttributes() != nil:
				signalAt = ev.GetEventId()
			case signalAt > 0 && ev.GetWorkflowTaskCompletedEventAttributes() != nil:
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: no workflow task handled the signal after event %d", id, after)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// A caller in another language starts the workflow itself, without the
// starter's checks: the workflow validates its input first and fails
// before any activity, so nothing reaches A55. A card in clear is refused
// whole, valid or not (card-token-only, PCI DSS 3.3.1).
func TestWorkflowStartedDirectlyWithHostileInputChargesNothing(t *testing.T) {
	ctx := testCtx(t)
	before := ledgerNow(t, ctx)
	hostile := booking(ids.Next("direct"), "4111111111111112", 40000) // fails Luhn
	hostile.Amount.Minor = -1
	for _, c := range []struct {
		name string
		in   workflows.BookingPaymentInput
		want []string
	}{
		{"hostile", hostile, []string{"card: a card in clear is refused", "amount"}},
		{"a valid card in clear", booking(ids.Next("direct-plain"), panFrictionless, 40000), []string{"card: a card in clear is refused", "PCI DSS 3.3.1", "card_token"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			run, err := env.Client.ExecuteWorkflow(ctx, starter.StartOptions(in), workflows.WorkflowName, in)
			if err != nil {
				t.Fatal(err)
			}
			err = run.Get(ctx, nil)
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || app.Type() != "InvalidInput" {
				t.Fatalf("workflow result = %v, want an InvalidInput failure", err)
			}
			for _, want := range c.want {
				if !strings.Contains(app.Message(), want) {
					t.Errorf("the failure %q does not say %q", app.Message(), want)
				}
			}
			assertQuotesNoCardData(t, app.Message(), in.Card)
			for _, ev := range history(t, ctx, in.BookingID) {
				if ev.GetActivityTaskScheduledEventAttributes() != nil || ev.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" {
					t.Fatalf("an activity ran for refused input: %v", ev.GetEventType())
				}
			}
		})
	}
	assertLedgerUnchanged(t, ctx, before)
}
