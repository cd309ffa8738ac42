package a55client_test

import (
	"context"
	"fmt"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/money"
)

// Place a hold, then capture part of it (a hotel check-out).
func Example() {
	srv := a55sandbox.NewServer(a55sandbox.Config{})
	defer srv.Close()

	client, err := a55client.New(a55client.Config{
		BaseURL:      srv.URL,
		TokenURL:     srv.TokenURL(),
		ClientID:     a55sandbox.DefaultClientID,
		ClientSecret: a55sandbox.DefaultClientSecret, // from the environment in real code
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	card := a55client.Card{HolderName: "Ana Lima", Number: "4111 1111 1111 1111", ExpiryMonth: 12, ExpiryYear: 2099, CVV: "123"}
	hold, err := client.CreateCharge(ctx, &a55client.CreateChargeParams{
		WalletUUID: a55sandbox.DefaultWallet,
		MerchantID: "merchant_123",
		Payer:      a55client.Payer{Name: "Ana Lima", Email: "ana@example.com", CellPhone: "+5511999999999", TaxID: "12345678901"},
		Amount:     money.Amount{Minor: 50000, Currency: "BRL"},
		Card:       card,
		Capture:    false, // authorization only
	}, "booking-42-authorize")
	if err != nil {
		panic(err)
	}
	fmt.Println(card, hold.State, hold.Amount.Display())

	checkout := money.Amount{Minor: 32000, Currency: "BRL"}
	captured, err := client.CaptureCharge(ctx, &a55client.CaptureParams{
		WalletUUID: a55sandbox.DefaultWallet, ChargeUUID: hold.UUID, Amount: &checkout,
	}, "booking-42-capture")
	if err != nil {
		panic(err)
	}
	fmt.Println(captured.State, captured.Amount.Display())
	// Output:
	// card ****1111 authorized R$ 500,00
	// captured R$ 320,00
}
