package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/tests/testkit"
	"github.com/hotelpay/a55-temporal/workflows"
)

// bookings is the stack's booking system (its notification endpoint).
func bookings(t *testing.T) *stack.BookingSystem {
	t.Helper()
	b := env.Proj.BookingSystem()
	if b == nil {
		t.Fatal("the stack runs no booking system (Project.Notify)")
	}
	return b
}

// checkNotified: the booking's events arrived (the workflow closes once
// they are delivered), each once, numbered 1, 2, 3... in order, verified
// by the booking system, of the types wanted.
func checkNotified(t *testing.T, id string, want ...workflows.EventType) []workflows.Event {
	t.Helper()
	b := bookings(t)
	got := b.Events(id)
	var types []string
	for i, ev := range got {
		types = append(types, string(ev.Type))
		if ev.Sequence != int64(i+1) || ev.BookingID != id || ev.ID != fmt.Sprintf("%s/%d/%s", workflows.WorkflowID(id), i+1, ev.Type) {
			t.Errorf("event %d of %s: %+v", i+1, id, ev)
		}
		if n := b.Deliveries(ev.ID); n != 1 {
			t.Errorf("%s delivered %d times, want once", ev.ID, n)
		}
	}
	var wantTypes []string
	for _, w := range want {
		wantTypes = append(wantTypes, string(w))
	}
	if strings.Join(types, ",") != strings.Join(wantTypes, ",") {
		t.Errorf("%s notified %v, want %v", id, types, wantTypes)
	}
	return got
}

func TestEveryOutcomeIsNotifiedOnceInOrder(t *testing.T) {
	t.Run("captured", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t)
		id, _ := authorizedHold(t, ctx, "notify-capture", 50000)
		part := testkit.BRL(32000)
		if _, err := env.Starter().Capture(ctx, id, &part); err != nil {
			t.Fatal(err)
		}
		res := result(t, ctx, id)
		evs := checkNotified(t, id, workflows.EventAuthorized, workflows.EventCaptured)
		if len(evs) == 2 && (evs[1].Captured != res.Captured || evs[0].Authorized != testkit.BRL(50000) || evs[1].ChargeUUID != res.ChargeUUID) {
			t.Errorf("events %+v, result %+v", evs, res)
		}
	})
	t.Run("3DS then cancelled", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t)
		id := ids.Next("notify-3ds")
		auth := env.Authorize(t, ctx, challengeHold(id, 80000))
		if auth.Status != workflows.StatusAwaiting3DS {
			t.Fatalf("authorization = %+v", auth)
		}
		if err := env.Sandbox.CompleteChallenge(ctx, auth.URL3DS, true); err != nil {
			t.Fatal(err)
		}
		env.WaitStatus(t, ctx, id, workflows.StatusAuthorized)
		if _, err := env.Starter().Cancel(ctx, id, "guest cancelled"); err != nil {
			t.Fatal(err)
		}
		result(t, ctx, id)
		evs := checkNotified(t, id, workflows.EventAwaiting3DS, workflows.EventAuthorized, workflows.EventVoided)
		if len(evs) == 3 && (evs[0].URL3DS != auth.URL3DS || evs[2].VoidedBy != workflows.VoidedByCancel) {
			t.Errorf("events %+v", evs)
		}
	})
	t.Run("declined", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t)
		id := ids.Next("notify-decline")
		auth := env.Authorize(t, ctx, hold(id, "4000000000000002", 50000))
		result(t, ctx, id)
		evs := checkNotified(t, id, workflows.EventDeclined)
		if len(evs) == 1 && (evs[0].DeclineCode == "" || evs[0].DeclineCode != auth.DeclineCode) {
			t.Errorf("declined event %+v, authorization %+v", evs[0], auth)
		}
	})
	t.Run("deadline release", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t)
		id := ids.Next("notify-deadline")
		in := hold(id, "4111111111111111", 50000)
		in.HoldWindow = sandboxHoldWindow
		in.SafetyMargin = sandboxHoldWindow - 4*time.Second
		in.ExpectedCaptureAt = time.Now().Add(time.Hour)
		// A long stay that gets no new authorization: the deadline policy.
		in.LongStayPolicy = workflows.LongStayReauthorize
		env.Authorize(t, ctx, in)
		result(t, ctx, id)
		// The deadline is seconds away: within the default notice at once.
		evs := checkNotified(t, id, workflows.EventAuthorized, workflows.EventHoldExpiring, workflows.EventVoided)
		if len(evs) == 3 && (evs[2].VoidedBy != workflows.VoidedByDeadlinePolicy || !evs[1].CaptureDeadline.Equal(evs[0].CaptureDeadline)) {
			t.Errorf("events %+v", evs)
		}
	})
}

// The booking system answers 500 to the booking's first four deliveries:
// the events arrive later, each once, in order, and the capture did not
// wait for them.
func TestBookingSystemDownForAWhileGetsEveryEventLater(t *testing.T) {
	ctx := testCtx(t)
	id := ids.Next("notify-down")
	bookings(t).FailNext(id, 4)
	env.Authorize(t, ctx, hold(id, "4111111111111111", 50000))
	if _, err := env.Starter().Capture(ctx, id, nil); err != nil {
		t.Fatal(err)
	}
	// The capture answered while the first event is still being retried.
	st, err := env.Starter().Status(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != workflows.StatusCaptured || st.Notifications == nil {
		t.Fatalf("status after the capture: %+v", st)
	}
	result(t, ctx, id) // closes once every event is delivered
	checkNotified(t, id, workflows.EventAuthorized, workflows.EventCaptured)
	if st, err = env.Starter().Status(ctx, id); err != nil || st.Notifications.Delivered != 2 || len(st.Notifications.Undelivered) != 0 {
		t.Errorf("notifications %+v, %v", st.Notifications, err)
	}
}

// A delivery altered or signed with another secret is refused by the
// booking system; a genuine one replayed after the tolerance fails
// verification; a genuine one replayed within it is recognised by its id.
func TestForgedOrReplayedNotificationFailsVerification(t *testing.T) {
	ctx := testCtx(t)
	id, _ := authorizedHold(t, ctx, "notify-forged", 50000)
	if _, err := env.Starter().Cancel(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	result(t, ctx, id)
	b := bookings(t)
	evs := checkNotified(t, id, workflows.EventAuthorized, workflows.EventVoided)
	if len(evs) != 2 {
		t.FailNow()
	}
	genuine, ok := b.Received(evs[1].ID)
	if !ok {
		t.Fatalf("no delivery of %s recorded", evs[1].ID)
	}
	post := func(body []byte, header http.Header) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, b.URL, bytes.NewReader(body))
		req.Header = header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	refused := b.Refused()
	forged := bytes.Replace(genuine.Body, []byte(`"type":"voided"`), []byte(`"type":"captured"`), 1)
	if bytes.Equal(forged, genuine.Body) {
		t.Fatalf("body %s has no type to alter", genuine.Body)
	}
	if code := post(forged, genuine.Header); code != http.StatusBadRequest {
		t.Errorf("altered body answered %d", code)
	}
	resigned := genuine.Header.Clone()
	resigned.Set("webhook-signature", "v1,"+strings.Repeat("A", 43)+"=")
	if code := post(genuine.Body, resigned); code != http.StatusBadRequest {
		t.Errorf("forged signature answered %d", code)
	}
	if b.Refused() != refused+2 {
		t.Errorf("refused %d, want %d", b.Refused(), refused+2)
	}
	secret := env.Proj.BookingSystemSecret()
	later := starter.NotificationOptions{Now: func() time.Time { return time.Now().Add(starter.DefaultNotificationTolerance + time.Minute) }}
	if _, err := starter.ConstructEventWithOptions(genuine.Body, genuine.Header, secret, later); !errors.Is(err, starter.ErrNotificationTimestamp) {
		t.Errorf("replayed after the tolerance: %v", err)
	}
	if post(genuine.Body, genuine.Header) != http.StatusNoContent || b.Deliveries(evs[1].ID) != 2 || len(b.Events(id)) != 2 {
		t.Errorf("replayed at once: deliveries %d, events %d (the id deduplicates it)", b.Deliveries(evs[1].ID), len(b.Events(id)))
	}
}
