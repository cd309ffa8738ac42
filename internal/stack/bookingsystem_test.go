package stack

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hotelpay/a55-temporal/workflows"
)

func TestBookingSystemVerifiesAndRecordsOncePerID(t *testing.T) {
	secret, err := NewNotifySecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := StartBookingSystem("127.0.0.1:0", secret)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	post := func(secret string, ev workflows.Event, signedAt time.Time) int {
		t.Helper()
		body, _ := json.Marshal(ev)
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := wh.Sign(ev.ID, signedAt, body)
		req, _ := http.NewRequest(http.MethodPost, b.URL, bytes.NewReader(body))
		req.Header.Set("webhook-id", ev.ID)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(signedAt.Unix(), 10))
		req.Header.Set("webhook-signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ev := workflows.Event{ID: "booking-B-1/1/authorized", Sequence: 1, Type: workflows.EventAuthorized, BookingID: "B-1", Status: workflows.StatusAuthorized}
	b.FailNext("B-1", 1)
	if code := post(secret, ev, time.Now()); code != http.StatusInternalServerError {
		t.Errorf("while failing: %d", code)
	}
	for range 2 {
		if code := post(secret, ev, time.Now()); code != http.StatusNoContent {
			t.Errorf("delivery: %d", code)
		}
	}
	other, _ := NewNotifySecret()
	forged := ev
	forged.ID, forged.Sequence = "booking-B-1/2/captured", 2
	if code := post(other, forged, time.Now()); code != http.StatusBadRequest {
		t.Errorf("forged: %d", code)
	}
	if code := post(secret, forged, time.Now().Add(-time.Hour)); code != http.StatusBadRequest {
		t.Errorf("replayed an hour later: %d", code)
	}
	if got := b.Events("B-1"); len(got) != 1 || got[0] != ev || b.Deliveries(ev.ID) != 2 || b.Refused() != 2 {
		t.Errorf("events %+v, deliveries %d, refused %d", got, b.Deliveries(ev.ID), b.Refused())
	}
}
