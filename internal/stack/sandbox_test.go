package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
)

// The challenge helper answers the real sandbox's page, and the ledger
// shows the result.
func TestCompleteChallengeOnTheSandboxPage(t *testing.T) {
	srv := a55sandbox.Start(t, a55sandbox.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	token, err := SandboxAdmin{BaseURL: srv.URL}.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, approve := range []bool{true, false} {
		chargeUUID, url3DS := create3DSCharge(t, srv.URL, token)
		admin := SandboxAdmin{BaseURL: srv.URL}
		if err := admin.CompleteChallenge(ctx, url3DS, approve); err != nil {
			t.Fatal(err)
		}
		e, err := admin.Charge(ctx, chargeUUID)
		if err != nil {
			t.Fatal(err)
		}
		want := "authorized"
		if !approve {
			want = "error"
		}
		if e.Status != want {
			t.Fatalf("approve=%v: status %q, want %q", approve, e.Status, want)
		}
		if err := admin.CompleteChallenge(ctx, url3DS, approve); err == nil {
			t.Fatal("a challenge was answered twice")
		}
	}
	if _, err := (SandboxAdmin{BaseURL: srv.URL}).Charge(ctx, "no-such-charge"); err == nil {
		t.Fatal("an unknown charge was found")
	}
}

func create3DSCharge(t *testing.T, base, token string) (string, string) {
	t.Helper()
	body := map[string]any{
		"wallet_uuid": a55sandbox.DefaultWallet, "payer_name": "Ana Souza", "payer_email": "ana@example.com", "payer_cell_phone": "+5511999990000",
		"payer_tax_id": "12345678909", "currency": "BRL", "installment_value": 100.0, "installment_count": 1,
		"due_date": time.Now().Format("2006-01-02"), "description": "stack test", "type_charge": "credit_card",
		"card_name": "ANA SOUZA", "card_number": "4000000000000101", "card_expiry_month": "12",
		"card_expiry_year": strconv.Itoa(time.Now().Year() + 3), "card_cvv": "123", "capture": false, "threeds_authentication": true,
		"reference_external_id": "stack-test",
		"items":                 []map[string]any{{"name": "Stay", "quantity": 1, "total_amount": 100.0, "unit_amount": 100.0}},
		"payer_address": map[string]any{"street": "Rua A", "address_number": "1", "complement": "", "neighborhood": "Centro",
			"city": "Sao Paulo", "state": "SP", "postal_code": "01000-000", "country": "BR"},
		"device_info": map[string]any{"ip_address": "127.0.0.1", "user_agent": "test", "http_accept_content": "text/html",
			"http_accept_browser_value": "text/html", "http_browser_language": "pt-BR", "http_browser_java_enabled": false,
			"http_browser_javascript_enabled": true, "http_browser_color_depth": "24", "http_browser_screen_height": "800",
			"http_browser_screen_width": "1280", "http_browser_time_difference": "180"},
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/bank/wallet/charge/", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	uuid, _ := out["charge_uuid"].(string)
	if uuid == "" {
		uuid, _ = out["uuid"].(string)
	}
	url3DS, _ := out["url_3ds"].(string)
	if uuid == "" || url3DS == "" {
		t.Fatalf("create 3DS charge: %s %v", resp.Status, out)
	}
	return uuid, url3DS
}
