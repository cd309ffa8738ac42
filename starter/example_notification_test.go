package starter_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/workflows"
)

// A booking system's notification endpoint: verify, decode, store (once
// per event id), then answer 2xx. The secret is the merchant's whsec_
// secret, the worker's NOTIFY_SECRET_BY_MERCHANT entry.
func ExampleConstructEvent() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	seen := map[string]bool{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		ev, err := starter.ConstructEvent(body, r.Header, secret)
		if err != nil {
			http.Error(w, "invalid notification", http.StatusBadRequest)
			return
		}
		if !seen[ev.ID] { // a redelivery carries the same id
			seen[ev.ID] = true
			switch ev.Type {
			case workflows.EventCaptured:
				fmt.Printf("booking %s captured %d %s (event %d)\n", ev.BookingID, ev.Captured.Minor, ev.Captured.Currency, ev.Sequence)
			case workflows.EventVoided:
				fmt.Printf("booking %s released (%s)\n", ev.BookingID, ev.VoidedBy)
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()

	// What the worker sends (signed with the specification's library).
	now := time.Now()
	body := []byte(`{"id":"booking-H-1/2/captured","sequence":2,"type":"captured","booking_id":"H-1","status":"captured",` +
		`"time":"` + now.UTC().Format(time.RFC3339) + `","hold":{"minor":50000,"currency":"BRL"},"captured":{"minor":32000,"currency":"BRL"}}`)
	wh, _ := standardwebhooks.NewWebhook(secret)
	sig, _ := wh.Sign("booking-H-1/2/captured", now, body)
	for range 2 { // delivered twice: stored once
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header.Set("webhook-id", "booking-H-1/2/captured")
		req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
		req.Header.Set("webhook-signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	// Output:
	// booking H-1 captured 32000 BRL (event 2)
	// 204
	// 204
}
