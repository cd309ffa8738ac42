package a55client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/money"
)

// These tests run the client against the project's A55 sandbox, which parses
// requests with its own code: the two agreeing on the wire is the point.

func sandboxClient(t *testing.T) (*a55client.Client, *a55sandbox.Server) {
	t.Helper()
	srv := a55sandbox.Start(t, a55sandbox.Config{})
	c, err := a55client.New(a55client.Config{
		BaseURL: srv.URL, TokenURL: srv.TokenURL(),
		ClientID: a55sandbox.DefaultClientID, ClientSecret: a55sandbox.DefaultClientSecret,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func sandboxParams(pan string, threeDS bool) *a55client.CreateChargeParams {
	p := &a55client.CreateChargeParams{
		WalletUUID: a55sandbox.DefaultWallet,
		MerchantID: "merchant_123",
		Payer: a55client.Payer{Name: "Ana Lima", Email: "ana@example.com", CellPhone: "+5511999999999", TaxID: "12345678901",
			Address: &a55client.Address{Street: "Av. Paulista 1000", City: "São Paulo", State: "SP", PostalCode: "01310100", Country: "BR"}},
		Items:       []a55client.Item{{Name: "Diária", Quantity: 2, UnitAmount: money.Amount{Minor: 25000, Currency: "BRL"}}},
		Amount:      money.Amount{Minor: 50000, Currency: "BRL"},
		Description: "Hotel booking",
		Card:        a55client.Card{HolderName: "Ana Lima", Number: pan, ExpiryMonth: 12, ExpiryYear: time.Now().Year() + 3, CVV: "123"},
		ThreeDS:     threeDS,
		WebhookURL:  "https://merchant.example/webhooks/a55", RedirectURL: "https://merchant.example/return",
		ReferenceExternalID: "booking-1",
	}
	if threeDS {
		no, yes := false, true
		p.DeviceInfo = &a55client.DeviceInfo{IPAddress: "203.0.113.10", UserAgent: "Mozilla/5.0", HTTPAcceptContent: "text/html",
			HTTPAcceptBrowserValue: "*/*", HTTPBrowserLanguage: "pt-BR", HTTPBrowserJavaEnabled: &no, HTTPBrowserJavascriptEnabled: &yes,
			HTTPBrowserColorDepth: "24", HTTPBrowserScreenHeight: "900", HTTPBrowserScreenWidth: "1440", HTTPBrowserTimeDifference: "180"}
	}
	return p
}

func TestSandboxHoldCaptureRefund(t *testing.T) {
	c, _ := sandboxClient(t)
	ctx := context.Background()
	ch, err := c.CreateCharge(ctx, sandboxParams("4111111111111111", false), "booking-1-authorize")
	if err != nil {
		t.Fatal(err)
	}
	if ch.State != a55client.StateAuthorized || ch.Amount == nil || *ch.Amount != (money.Amount{Minor: 50000, Currency: "BRL"}) {
		t.Fatalf("hold = %+v amount %v", ch, ch.Amount)
	}
	replay, err := c.CreateCharge(ctx, sandboxParams("4111111111111111", false), "booking-1-authorize")
	if err != nil || replay.UUID != ch.UUID {
		t.Fatalf("same key, same body: %v, %v", replay, err)
	}
	other := sandboxParams("4111111111111111", false)
	other.Amount = money.Amount{Minor: 60000, Currency: "BRL"}
	other.Items = nil
	if _, err := c.CreateCharge(ctx, other, "booking-1-authorize"); !a55client.IsConflict(err) {
		t.Fatalf("same key, other body: %v", err)
	}
	got, err := c.GetCharge(ctx, a55sandbox.DefaultWallet, ch.UUID)
	if err != nil || got.State != a55client.StateAuthorized || got.UUID != ch.UUID {
		t.Fatalf("get = %+v, %v", got, err)
	}
	part := money.Amount{Minor: 32000, Currency: "BRL"}
	captured, err := c.CaptureCharge(ctx, &a55client.CaptureParams{WalletUUID: a55sandbox.DefaultWallet, ChargeUUID: ch.UUID, Amount: &part}, "booking-1-capture")
	if err != nil || captured.State != a55client.StateCaptured || captured.Amount == nil || *captured.Amount != part {
		t.Fatalf("capture = %+v, %v", captured, err)
	}
	_, err = c.CaptureCharge(ctx, &a55client.CaptureParams{WalletUUID: a55sandbox.DefaultWallet, ChargeUUID: ch.UUID}, "booking-1-capture-again")
	if !a55client.IsNotCapturable(err) {
		t.Fatalf("second capture: %v", err)
	}
	refund := money.Amount{Minor: 1000, Currency: "BRL"}
	if _, err := c.RefundCharge(ctx, &a55client.RefundParams{WalletUUID: a55sandbox.DefaultWallet, ChargeUUID: ch.UUID, Amount: &refund, Reason: "minibar"}, "booking-1-refund"); err != nil {
		t.Fatalf("refund: %v", err)
	}
	list, err := c.ListCharges(ctx, &a55client.ListChargesParams{WalletUUID: a55sandbox.DefaultWallet})
	if err != nil || len(list.Charges) != 1 || list.Charges[0].UUID != ch.UUID || list.Total != 1 {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if _, err := c.GetCharge(ctx, a55sandbox.DefaultWallet, "00000000-0000-4000-8000-00000000dead"); !a55client.IsNotFound(err) {
		t.Fatalf("unknown charge: %v", err)
	}
}

func TestSandboxDeclines(t *testing.T) {
	c, _ := sandboxClient(t)
	for pan, code := range map[string]string{"4000000000000002": "CARD_DECLINED", "5105105105105100": "INSUFFICIENT_FUNDS", "4000000000000069": "PROCESSING_ERROR"} {
		ch, err := c.CreateCharge(context.Background(), sandboxParams(pan, false), "decline-"+pan)
		var e *a55client.Error
		if !errors.As(err, &e) || e.Class != a55client.ClassDeclined || e.Code != code {
			t.Errorf("%s: err = %v", pan, err)
			continue
		}
		if ch == nil || ch.UUID == "" || ch.State != a55client.StateFailed || e.Charge != ch {
			t.Errorf("%s: charge = %+v", pan, ch)
		}
	}
}

func TestSandboxChallengeValidateCancel(t *testing.T) {
	c, _ := sandboxClient(t)
	ctx := context.Background()
	ch, err := c.CreateCharge(ctx, sandboxParams("4000000000000101", true), "challenge-1")
	if err != nil || ch.State != a55client.StatePending3DS || ch.URL3DS == "" {
		t.Fatalf("create = %+v, %v", ch, err)
	}
	v, err := c.Validate3DS(ctx, ch.UUID, "txn-1", "challenge-1-validate")
	if err != nil || v.ChargeUUID != ch.UUID || v.State != a55client.StateAuthorized {
		t.Fatalf("validate = %+v, %v", v, err)
	}
	ch2, err := c.CreateCharge(ctx, sandboxParams("4000000000000101", true), "challenge-2")
	if err != nil {
		t.Fatal(err)
	}
	failed, err := c.Validate3DS(ctx, ch2.UUID, "fail-1", "challenge-2-validate")
	if !a55client.IsDeclined(err) || failed == nil || failed.State != a55client.StateFailed {
		t.Fatalf("failed validation = %+v, %v", failed, err)
	}
	canceled, err := c.CancelCharge(ctx, &a55client.CancelParams{WalletUUID: a55sandbox.DefaultWallet, ChargeUUID: ch.UUID, Reason: "booking canceled"}, "challenge-1-cancel")
	if err != nil || canceled.State != a55client.StateCanceled {
		t.Fatalf("cancel = %+v, %v", canceled, err)
	}
}

func TestSandboxRejectsWrongSecret(t *testing.T) {
	_, srv := sandboxClient(t)
	c, err := a55client.New(a55client.Config{BaseURL: srv.URL, TokenURL: srv.TokenURL(), ClientID: a55sandbox.DefaultClientID, ClientSecret: "wrong-secret"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetCharge(context.Background(), a55sandbox.DefaultWallet, "x")
	if !a55client.IsUnauthorized(err) {
		t.Fatalf("err = %v", err)
	}
}
