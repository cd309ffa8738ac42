package intake_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/cardvault/cardvaulttest"
	"github.com/hotelpay/a55-temporal/cardvault/intake"
	"github.com/hotelpay/a55-temporal/cardvault/sqlitestore"
	"github.com/hotelpay/a55-temporal/starter/startertest"
	"github.com/hotelpay/a55-temporal/workflows"
)

const token = "intake-test-token-0123456789"

func serve(t *testing.T, store cardvault.Store) *httptest.Server {
	t.Helper()
	var logged []string
	h, err := intake.New(intake.Options{Store: store, Token: token, Logf: func(msg string, kv ...any) {
		logged = append(logged, fmt.Sprint(msg, kv))
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		for _, l := range logged {
			if strings.Contains(l, "4111111111111111") || strings.Contains(l, "ANA INTAKE") {
				t.Errorf("the intake logged card data: %s", l)
			}
		}
	})
	return srv
}

func post(t *testing.T, srv *httptest.Server, bearer, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+intake.Path, strings.NewReader(body))
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = fmt.Fprint(&b, mustRead(resp))
	return resp.StatusCode, b.String()
}

func mustRead(resp *http.Response) string {
	var v json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return string(v)
}

func openStore(t *testing.T) *sqlitestore.Store { return cardvaulttest.SQLiteStore(t) }

func cardJSON(booking, number string) string {
	return `{"booking_id":"` + booking + `","card":{"holder_name":"ANA INTAKE","number":"` + number +
		`","expiry_month":12,"expiry_year":2099,"cvv":"123"}}`
}

func TestIntakeSealsACardIntoAToken(t *testing.T) {
	store := openStore(t)
	srv := serve(t, store)
	code, body := post(t, srv, token, cardJSON("BK-i-1", "4111111111111111"))
	if code != http.StatusCreated {
		t.Fatalf("HTTP %d: %s", code, body)
	}
	if strings.Contains(body, "4111111111111111") || strings.Contains(body, "ANA INTAKE") {
		t.Fatalf("the answer shows card data: %s", body)
	}
	var res intake.Response
	if err := json.Unmarshal([]byte(body), &res); err != nil || res.CardToken.Last4 != "1111" {
		t.Fatalf("answer %s: %v", body, err)
	}
	card, err := cardvault.Open(context.Background(), store, "BK-i-1", res.CardToken, time.Now())
	if err != nil || card.Number != "4111111111111111" || card.CVV != "123" {
		t.Fatalf("the token does not open to the card: %v", err)
	}
}

func TestIntakeRefusesWithoutChangingAnything(t *testing.T) {
	store := openStore(t)
	srv := serve(t, store)
	cases := []struct {
		name, bearer, body string
		code               int
		want               []string
	}{
		{"no token", "", cardJSON("BK-i-2", "4111111111111111"), 401, nil},
		{"wrong token", "not-the-intake-token-at-all", cardJSON("BK-i-2", "4111111111111111"), 401, nil},
		{"bad card number", token, cardJSON("BK-i-2", "4111111111111112"), 400, []string{"card.number"}},
		{"bad booking id", token, cardJSON("BK i/2", "4111111111111111"), 400, []string{"booking_id"}},
		{"unknown field", token, `{"booking_id":"BK-i-2","pan":"4111111111111111"}`, 400, []string{"no other fields"}},
		{"not JSON", token, `4111111111111111`, 400, nil},
	}
	for _, c := range cases {
		code, body := post(t, srv, c.bearer, c.body)
		if code != c.code {
			t.Errorf("%s: HTTP %d, want %d: %s", c.name, code, c.code, body)
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the answer does not name %s: %s", c.name, w, body)
			}
		}
		if strings.Contains(body, "411111111111") || strings.Contains(body, "ANA INTAKE") {
			t.Errorf("%s: the answer echoes card data: %s", c.name, body)
		}
	}
	if ids, _ := store.DestroyExpired(context.Background(), time.Now().Add(cardvault.MaxKeyLifetime)); len(ids) != 0 {
		t.Errorf("refused requests stored %d keys", len(ids))
	}
	_ = store.Close() // the store unreachable: 503, retry later
	if code, body := post(t, srv, token, cardJSON("BK-i-3", "4111111111111111")); code != http.StatusServiceUnavailable {
		t.Errorf("store closed: HTTP %d: %s", code, body)
	}
}

// What a booking system in another language does, from the contract alone:
// POST the card to the intake, put the card_token it answers into the
// booking input as plain JSON, start the workflow with update-with-start
// (task queue, workflow id, update name from starter/README.md), get the
// outcome; the key is destroyed once A55 answered.
func TestABookingFromTheContractAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dev server")
	}
	stack := startertest.Start(t)
	srv := serve(t, stack.CardKeys)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	code, body := post(t, srv, token, cardJSON("BK-contract-1", "4111111111111111"))
	if code != http.StatusCreated {
		t.Fatalf("intake: HTTP %d %s", code, body)
	}
	var minted map[string]any
	if err := json.Unmarshal([]byte(body), &minted); err != nil {
		t.Fatal(err)
	}
	input := map[string]any{
		"booking_id": "BK-contract-1", "kind": "hotel_stay", "merchant_id": "m-1", "wallet_uuid": stack.Wallet,
		"payer":               map[string]any{"name": "Ana Souza", "email": "ana@example.com"},
		"amount":              map[string]any{"minor": 50000, "currency": "BRL"},
		"card_token":          minted["card_token"],
		"expected_capture_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339),
		"deadline_policy":     map[string]any{"action": "release"},
	}
	c := stack.Client
	start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: "booking-BK-contract-1", TaskQueue: "booking-payments",
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, "BookingPayment", input)
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions:          client.UpdateWorkflowOptions{UpdateName: "authorization", UpdateID: "authorization", WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		t.Fatal(err)
	}
	var auth map[string]any
	if err := h.Get(ctx, &auth); err != nil || auth["status"] != "authorized" {
		t.Fatalf("authorization %v, %v", auth, err)
	}
	if _, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: "booking-BK-contract-1", UpdateName: "cancel", UpdateID: "cancel",
		Args: []any{map[string]any{"reason": "test"}}, WaitForStage: client.WorkflowUpdateStageCompleted}); err != nil {
		t.Fatal(err)
	}
	var final workflows.BookingPaymentResult
	if err := c.GetWorkflow(ctx, "booking-BK-contract-1", "").Get(ctx, &final); err != nil || final.Status != workflows.StatusVoided {
		t.Fatalf("result %+v, %v", final, err)
	}
	keyID := minted["card_token"].(map[string]any)["key_id"].(string)
	if _, err := stack.CardKeys.Material(ctx, keyID, time.Now()); !errors.Is(err, cardvault.ErrKeyGone) {
		t.Errorf("the card key outlived the booking: %v", err)
	}
}
