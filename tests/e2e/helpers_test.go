package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/tests/testkit"
	"github.com/hotelpay/a55-temporal/workflows"
)

var bookings = testkit.NewIDs("e2e")

// bookingID is unique per test run and names the test's purpose.
func bookingID(purpose string) string { return bookings.Next(purpose) }

func brl(minor int64) money.Amount { return testkit.BRL(minor) }

func st() *starter.Starter { return starter.New(env.client, starter.WithCardKeys(env.cardKeys)) }

func testCtx(t *testing.T) context.Context { return testkit.Context(t, 90*time.Second) }

// hold is a hotel booking's input: R$ amount on card, check-out in two days,
// release at the deadline.
func hold(id, card string, minor int64) workflows.BookingPaymentInput {
	return stack.HotelHold(id, "e2e-hotel", "e2e stay", card, brl(minor))
}

func deviceInfo(session string) *a55client.DeviceInfo {
	return stack.SampleDeviceInfo(session, "Mozilla/5.0 e2e")
}

func authorize(t *testing.T, ctx context.Context, in workflows.BookingPaymentInput) workflows.AuthorizationResult {
	t.Helper()
	return testkit.Authorize(t, ctx, st(), in)
}

// waitStatus polls the status query until the booking reaches want.
func waitStatus(t *testing.T, ctx context.Context, id string, want workflows.Status) workflows.PaymentState {
	t.Helper()
	return testkit.WaitStatus(t, ctx, st(), id, want)
}

func result(t *testing.T, ctx context.Context, id string) workflows.BookingPaymentResult {
	t.Helper()
	r, err := st().Result(ctx, id)
	if err != nil {
		t.Fatalf("result of %s: %v", id, err)
	}
	return r
}

// ledgerCharge reads the charge from the sandbox and checks the ledger's
// invariants for one booking: exactly one authorization (one charge for the
// booking, created once), at most one capture.
func ledgerCharge(t *testing.T, ctx context.Context, id, chargeUUID string) a55sandbox.LedgerEntry {
	t.Helper()
	e, err := env.sandbox.Charge(ctx, chargeUUID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.ReferenceExternalID, id) {
		t.Errorf("charge %s has reference_external_id %q, which does not name booking %s", chargeUUID, e.ReferenceExternalID, id)
	}
	same, err := env.sandbox.Ledger(ctx, e.ReferenceExternalID)
	if err != nil {
		t.Fatal(err)
	}
	if len(same) != 1 {
		t.Errorf("booking %s has %d charges at A55, want exactly 1", id, len(same))
	}
	if e.Calls.Create != 1 {
		t.Errorf("booking %s: charge created %d times, want 1", id, e.Calls.Create)
	}
	if e.Calls.Capture > 1 {
		t.Errorf("booking %s: %d captures, want at most 1", id, e.Calls.Capture)
	}
	if e.CaptureFlag {
		t.Errorf("booking %s: the charge was created with capture:true; a booking must only place a hold", id)
	}
	return e
}

// webhooksTaken counts the A55 webhooks the booking's workflow took: the
// receiver's charge_changed updates it accepted, and charge_changed signals
// (the receiver's fallback). A webhook the workflow rejected as nothing new
// leaves no event.
func webhooksTaken(t *testing.T, ctx context.Context, id string) int {
	return countEvents(t, ctx, id, func(ev *historypb.HistoryEvent) bool {
		if a := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
			return a.GetAcceptedRequest().GetInput().GetName() == workflows.UpdateChargeChanged
		}
		return ev.GetWorkflowExecutionSignaledEventAttributes().GetSignalName() == workflows.SignalChargeChanged
	})
}

// signalsReceived counts the signals of a name in the booking's history.
func signalsReceived(t *testing.T, ctx context.Context, id, name string) int {
	return countEvents(t, ctx, id, func(ev *historypb.HistoryEvent) bool {
		a := ev.GetWorkflowExecutionSignaledEventAttributes()
		return a != nil && a.GetSignalName() == name
	})
}

// countEvents counts the events of the booking's history that match.
func countEvents(t *testing.T, ctx context.Context, id string, match func(*historypb.HistoryEvent) bool) int {
	t.Helper()
	it := env.client.GetWorkflowHistory(ctx, workflows.WorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		if match(ev) {
			n++
		}
	}
	return n
}
