package security

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/tests/testkit"
	"github.com/hotelpay/a55-temporal/workflows"
)

// ids names the package's bookings: ids.Next(purpose) is unique per run.
var ids = testkit.NewIDs("sec")

// booking is a hotel hold on card with this package's distinctive card data.
func booking(id, pan string, minor int64) workflows.BookingPaymentInput {
	return workflows.BookingPaymentInput{
		BookingID: id, Kind: workflows.KindHotelStay, MerchantID: "security-hotel",
		WalletUUID: a55sandbox.DefaultWallet,
		Payer: a55client.Payer{Name: payerName, Email: "guest@example.com", CellPhone: "+5511987654321", TaxID: "12345678909",
			Address: &a55client.Address{Street: "Rua das Flores", AddressNumber: "10", City: "Curitiba", State: "PR",
				PostalCode: "80000-000", Country: "BR"}},
		Amount:      testkit.BRL(minor),
		Description: "security proof stay",
		Card: a55client.Card{HolderName: holderName, Number: pan, ExpiryMonth: 12,
			ExpiryYear: time.Now().Year() + 3, CVV: cardCVV},
		ExpectedCaptureAt: time.Now().Add(48 * time.Hour),
		DeadlinePolicy:    workflows.DeadlinePolicy{Action: workflows.DeadlineRelease},
		RefundWindow:      stack.ShortRefundWindow, // the tests wait for captured bookings to close
	}
}

func with3DS(in workflows.BookingPaymentInput) workflows.BookingPaymentInput {
	in.ThreeDS = true
	in.DeviceInfo = stack.SampleDeviceInfo("", "Mozilla/5.0 security")
	in.DeviceInfo.IPAddress = "198.51.100.7"
	in.ReturnURL = "https://booking.example/3ds-return"
	return in
}

func inputJSON(t *testing.T, in workflows.BookingPaymentInput) string {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cardBookings are the bookings whose traces the leak tests inspect, driven
// end to end through the real bookingctl binary.
type cardBookings struct {
	threeDS, frictionless, declined string // booking ids
}

func (b cardBookings) all() []string { return []string{b.threeDS, b.frictionless, b.declined} }

var (
	cardOnce sync.Once
	cardRun  cardBookings
	cardErr  error
)

// runCardBookings runs, once per package run:
//   - a 3DS booking (4000000000000101): authorize → challenge approved on the
//     sandbox's page over HTTP → 3ds-complete → partial capture;
//   - a frictionless booking (4111111111111111): authorize → cancel;
//   - a declined booking (4000000000000002).
//
// Every step goes through bookingctl, so its output joins the logs.
func runCardBookings(t *testing.T) cardBookings {
	t.Helper()
	cardOnce.Do(func() { cardRun, cardErr = driveCardBookings(t) })
	if cardErr != nil {
		t.Fatalf("the card bookings did not run: %v", cardErr)
	}
	return cardRun
}

func driveCardBookings(t *testing.T) (cardBookings, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b := cardBookings{threeDS: ids.Next("3ds"), frictionless: ids.Next("frictionless"), declined: ids.Next("declined")}

	// 3DS: challenge, approved by the card holder, then a partial capture.
	r := bookingctl(t, inputJSON(t, with3DS(booking(b.threeDS, pan3DS, 80000))), "authorize")
	var auth workflows.AuthorizationResult
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &auth) != nil || auth.Status != workflows.StatusAwaiting3DS || auth.URL3DS == "" {
		return b, fmt.Errorf("3DS authorize: exit %d, out %s, err %s", r.code, r.stdout, r.stderr)
	}
	if err := env.Sandbox.CompleteChallenge(ctx, auth.URL3DS, true); err != nil {
		return b, err
	}
	if r := bookingctl(t, "", "3ds-complete", "-booking", b.threeDS, "-charge", auth.ChargeUUID); r.code != 0 {
		return b, fmt.Errorf("3ds-complete: exit %d, err %s", r.code, r.stderr)
	}
	if err := awaitStatus(ctx, b.threeDS, workflows.StatusAuthorized); err != nil {
		return b, err
	}
	if r := bookingctl(t, "", "status", "-booking", b.threeDS); r.code != 0 {
		return b, fmt.Errorf("status: exit %d, err %s", r.code, r.stderr)
	}
	if r := bookingctl(t, "", "capture", "-booking", b.threeDS, "-amount", "500.00"); r.code != 0 {
		return b, fmt.Errorf("capture: exit %d, out %s, err %s", r.code, r.stdout, r.stderr)
	}

	// Frictionless: authorized at once, then released.
	r = bookingctl(t, inputJSON(t, booking(b.frictionless, panFrictionless, 45000)), "authorize")
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &auth) != nil || auth.Status != workflows.StatusAuthorized {
		return b, fmt.Errorf("frictionless authorize: exit %d, out %s, err %s", r.code, r.stdout, r.stderr)
	}
	if r := bookingctl(t, "", "cancel", "-booking", b.frictionless, "-reason", "guest cancelled"); r.code != 0 {
		return b, fmt.Errorf("cancel: exit %d, out %s, err %s", r.code, r.stdout, r.stderr)
	}

	// Declined by the issuer (exit 3).
	if r := bookingctl(t, inputJSON(t, booking(b.declined, panDeclined, 30000)), "authorize"); r.code != 3 {
		return b, fmt.Errorf("declined authorize: exit %d, out %s, err %s", r.code, r.stdout, r.stderr)
	}

	for _, id := range b.all() {
		if r := bookingctl(t, "", "result", "-booking", id, "-timeout", "30s"); r.code != 0 && r.code != 3 {
			return b, fmt.Errorf("result of %s: exit %d, err %s", id, r.code, r.stderr)
		}
	}
	return b, nil
}

// awaitStatus polls the status query until the booking reaches want.
func awaitStatus(ctx context.Context, id string, want workflows.Status) error {
	_, err := stack.WaitStatus(ctx, env.Starter(), id, want)
	return err
}

// history is the booking's full raw history as the server stores it, read
// with the plain client (no payload codec).
func history(t *testing.T, ctx context.Context, id string) []*historypb.HistoryEvent {
	t.Helper()
	return testkit.History(t, ctx, env.plain, id)
}
