package main

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/cardvault/cardstore"
	"github.com/hotelpay/a55-temporal/internal/config"
	"github.com/hotelpay/a55-temporal/starter/startertest"
	"github.com/hotelpay/a55-temporal/workflows"
)

// TestCommandsAgainstTheStack runs bookingctl's commands against the real
// workflow and the A55 sandbox and checks output and exit codes.
func TestCommandsAgainstTheStack(t *testing.T) {
	stack := startertest.Start(t)
	example, err := os.ReadFile("testdata/booking.json")
	if err != nil {
		t.Fatal(err)
	}
	booking := func(id, card string) string {
		var in map[string]any
		if err := json.Unmarshal(example, &in); err != nil {
			t.Fatal(err)
		}
		in["booking_id"] = id
		in["wallet_uuid"] = stack.Wallet
		in["threeds"] = false
		in["card"].(map[string]any)["number"] = card
		in["card"].(map[string]any)["expiry_year"] = time.Now().Year() + 3
		in["expected_capture_at"] = time.Now().Add(72 * time.Hour).Format(time.RFC3339)
		in["refund_window"] = int64(2 * time.Minute) // refunds for 2 minutes after the capture (nanoseconds)
		b, _ := json.Marshal(in)
		return string(b)
	}
	cli := func(stdin string, args ...string) (int, string, string) {
		a, out, errOut, _ := newTestApp(stdin)
		a.env = config.Map{cardstore.EnvStore: stack.CardKeyStore}
		a.dial = func(context.Context, bool) (client.Client, error) {
			return client.NewClientFromExisting(stack.Client, stack.ClientOptions)
		}
		code := a.run(context.Background(), args)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := cli(booking("BK-cli-1", "4111111111111111"), "authorize")
	if code != exitOK || !strings.Contains(out, `"status": "authorized"`) {
		t.Fatalf("authorize: exit %d, out %s, err %s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "4111111111111111") {
		t.Fatal("authorize output quotes the card number")
	}
	if code, _, errOut := cli("", "capture", "BK-cli-1", "-amount", "600.00"); code != exitRejected || !strings.Contains(errOut, `"reason"`) {
		t.Fatalf("over-capture: exit %d, stderr %s", code, errOut)
	}
	code, out, errOut = cli("", "capture", "BK-cli-1", "-amount", "320.00")
	var capRes workflows.CaptureResult
	if code != exitOK || json.Unmarshal([]byte(out), &capRes) != nil || capRes.Captured.Minor != 32000 || capRes.Released.Minor != 18000 {
		t.Fatalf("capture: exit %d, out %s, err %s", code, out, errOut)
	}
	// Refunds: part, the same id with another amount (refused by name,
	// exit 4), a refund id missing (usage), then the rest: the booking
	// ends refunded and its workflow closes at once.
	code, out, errOut = cli("", "refund", "BK-cli-1", "-id", "minibar-1", "-amount", "45.00", "-reason", "minibar charged in error")
	var ref workflows.RefundResult
	if code != exitOK || json.Unmarshal([]byte(out), &ref) != nil || ref.Refunded.Minor != 4500 || ref.Refundable.Minor != 27500 {
		t.Fatalf("refund: exit %d, out %s, err %s", code, out, errOut)
	}
	if code, _, errOut := cli("", "refund", "BK-cli-1", "-id", "minibar-1", "-amount", "50.00"); code != exitRejected || !strings.Contains(errOut, workflows.ErrTypeRefundIDReused) {
		t.Fatalf("refund id reused: exit %d, stderr %s", code, errOut)
	}
	if code, _, errOut := cli("", "refund", "BK-cli-1", "-amount", "50.00"); code != exitUsage || !strings.Contains(errOut, "-id is required") {
		t.Fatalf("refund without an id: exit %d, stderr %s", code, errOut)
	}
	if code, out, errOut := cli("", "refund", "BK-cli-1", "-id", "rest", "-minor", "27500"); code != exitOK || !strings.Contains(out, `"status": "refunded"`) {
		t.Fatalf("refund of the rest: exit %d, out %s, err %s", code, out, errOut)
	}
	code, out, _ = cli("", "result", "-booking", "BK-cli-1")
	var final workflows.BookingPaymentResult
	if code != exitOK || json.Unmarshal([]byte(out), &final) != nil || final.Status != workflows.StatusRefunded || final.Refunded.Minor != 32000 {
		t.Fatalf("result: exit %d, out %s", code, out)
	}

	if code, out, _ := cli(booking("BK-cli-2", "4000000000000002"), "authorize"); code != exitDeclined || !strings.Contains(out, `"status": "declined"`) {
		t.Fatalf("declined card: exit %d, out %s", code, out)
	}
	if code, _, _ := cli("", "status", "BK-cli-nobody"); code != exitNotFound {
		t.Fatalf("unknown booking: exit %d, want %d", code, exitNotFound)
	}
	if code, _, _ := cli(booking("BK-cli-3", "4111111111111111"), "authorize"); code != exitOK {
		t.Fatalf("authorize BK-cli-3: exit %d", code)
	}
	if code, out, _ := cli("", "move-checkout", "BK-cli-3", "-at", time.Now().Add(96*time.Hour).Format(time.RFC3339)); code != exitOK || !strings.Contains(out, "capture_deadline") {
		t.Fatalf("move-checkout: exit %d, out %s", code, out)
	}
	card := func(number string) string {
		return `{"card": {"holder_name": "ANA SOUZA", "number": "` + number + `", "expiry_month": 12, "expiry_year": ` +
			strconv.Itoa(time.Now().Year()+3) + `, "cvv": "123"}}`
	}
	code, out, errOut = cli(card("5500000000000004"), "replace-hold", "BK-cli-3", "-id", "longer-stay", "-amount", "700.00",
		"-checkout", time.Now().Add(120*time.Hour).Format(time.RFC3339))
	if code != exitOK || !strings.Contains(out, `"status": "authorized"`) || strings.Contains(out+errOut, "5500000000000004") {
		t.Fatalf("replace-hold: exit %d, out %s, err %s", code, out, errOut)
	}
	if code, out, errOut := cli(card("4000000000000002"), "replace-hold", "BK-cli-3", "-id", "card-change", "-amount", "800.00"); code != exitDeclined || !strings.Contains(out, `"status": "declined"`) {
		t.Fatalf("declined replace-hold: exit %d, out %s, err %s", code, out, errOut)
	}
	if code, out, _ := cli("", "cancel", "BK-cli-3", "-reason", "guest cancelled"); code != exitOK || !strings.Contains(out, `"status": "voided"`) {
		t.Fatalf("cancel: exit %d, out %s", code, out)
	}
}
