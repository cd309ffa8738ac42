package stack

import (
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// The sample booking data below is what the demo and the whole-stack tests
// book with: complete enough for every rule A55 and the workflow apply, so
// that a test changes only the fields it is about.

// SamplePayer is a guest with everything A55 asks of a card payer.
func SamplePayer() a55client.Payer {
	return a55client.Payer{
		Name: "Ana Souza", Email: "ana.souza@example.com", CellPhone: "+5511987654321", TaxID: "12345678909",
		Address: &a55client.Address{
			Street: "Avenida Atlântica", AddressNumber: "1702", Neighborhood: "Copacabana",
			City: "Rio de Janeiro", State: "RJ", PostalCode: "22021-001", Country: "BR",
		},
	}
}

// SampleCard is the sample guest's card with this number (the number picks
// the sandbox's outcome), valid for three more years.
func SampleCard(number string) a55client.Card {
	return a55client.Card{HolderName: "ANA SOUZA", Number: number, ExpiryMonth: 12, ExpiryYear: time.Now().Year() + 3, CVV: "123"}
}

// SampleDeviceInfo is what a desktop browser reports for 3DS: a 1920×1080
// screen in Brazil's time zone.
func SampleDeviceInfo(sessionID, userAgent string) *a55client.DeviceInfo {
	yes, no := true, false
	return &a55client.DeviceInfo{
		IPAddress: "127.0.0.1", UserAgent: userAgent, HTTPAcceptContent: "text/html",
		HTTPAcceptBrowserValue: "text/html", HTTPBrowserLanguage: "pt-BR",
		HTTPBrowserJavaEnabled: &no, HTTPBrowserJavascriptEnabled: &yes, HTTPBrowserColorDepth: "24",
		HTTPBrowserScreenHeight: "1080", HTTPBrowserScreenWidth: "1920", HTTPBrowserTimeDifference: "180",
		SessionID: sessionID,
	}
}

// ShortRefundWindow is the refund window of the test suites' bookings: a
// captured booking's workflow stays open that long for refunds and then
// completes with its result (a booking left at the default keeps it open 30
// days, workflows.DefaultRefundWindow). A test that refunds sets a longer one.
const ShortRefundWindow = 2 * time.Second

// HotelHold is a hotel booking's input on the sandbox's default wallet: the
// amount held on the sample guest's card, check-out in two days, released
// at the deadline, refunds for ShortRefundWindow after a capture. Callers
// name the merchant and describe the stay.
func HotelHold(bookingID, merchantID, description, card string, amount money.Amount) workflows.BookingPaymentInput {
	return workflows.BookingPaymentInput{
		BookingID: bookingID, Kind: workflows.KindHotelStay, MerchantID: merchantID,
		WalletUUID:        a55sandbox.DefaultWallet,
		Payer:             SamplePayer(),
		Amount:            amount,
		Description:       description,
		Card:              SampleCard(card),
		ExpectedCaptureAt: time.Now().Add(48 * time.Hour),
		DeadlinePolicy:    workflows.DeadlinePolicy{Action: workflows.DeadlineRelease},
		RefundWindow:      ShortRefundWindow,
	}
}
