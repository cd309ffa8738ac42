package starter

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/starter/startertest"
	"github.com/hotelpay/a55-temporal/workflows"
)

// TestStarterDrivesTheRealWorkflow wires the whole chain in one process: the
// starter, a dev server, a worker with the real workflow and activities, the
// A55 sandbox and the webhook receiver.
func TestStarterDrivesTheRealWorkflow(t *testing.T) {
	stack := startertest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := New(stack.Client, WithCardKeys(stack.CardKeys))

	booking := func(id, card string) workflows.BookingPaymentInput {
		in := bookingInput(id)
		in.WalletUUID = stack.Wallet
		in.Card.Number = card
		in.ExpectedCaptureAt = time.Now().Add(72 * time.Hour)
		// A captured booking stays open this long for refunds, then
		// completes (30 days by default).
		in.RefundWindow = 2 * time.Minute
		return in
	}

	t.Run("frictionless hold, partial capture", func(t *testing.T) {
		in := booking("BK-real-1", "4111111111111111")
		res, err := s.Authorize(ctx, in)
		if err != nil || res.Status != workflows.StatusAuthorized || res.ChargeUUID == "" {
			t.Fatalf("authorize = %+v, %v", res, err)
		}
		part := money.Amount{Minor: 32000, Currency: "BRL"}
		capRes, err := s.Capture(ctx, in.BookingID, &part)
		if err != nil || capRes.Captured != part || capRes.Released.Minor != 18000 {
			t.Fatalf("capture = %+v, %v", capRes, err)
		}
		again, err := s.Capture(ctx, in.BookingID, &part)
		if err != nil || again != capRes {
			t.Fatalf("retried capture = %+v, %v", again, err)
		}
		// Refunds: a partial one, the same refund id again (the first
		// result, refunded once), the same id with another amount (refused
		// by name), then the rest, which ends the booking refunded at once.
		minibar := money.Amount{Minor: 4500, Currency: "BRL"}
		ref, err := s.Refund(ctx, in.BookingID, "minibar-1", minibar, "minibar charged in error")
		if err != nil || ref.Refunded != minibar || ref.Refundable.Minor != 27500 || ref.Status != workflows.StatusCaptured {
			t.Fatalf("refund = %+v, %v", ref, err)
		}
		if again, err := s.Refund(ctx, in.BookingID, "minibar-1", minibar, "asked twice"); err != nil || again != ref {
			t.Fatalf("the same refund again = %+v, %v; want %+v", again, err, ref)
		}
		var rej *RejectedError
		if _, err := s.Refund(ctx, in.BookingID, "minibar-1", money.Amount{Minor: 5000, Currency: "BRL"}, ""); !errors.As(err, &rej) || rej.Type != workflows.ErrTypeRefundIDReused {
			t.Fatalf("the same refund id with another amount = %v, want %s", err, workflows.ErrTypeRefundIDReused)
		}
		if st, err := s.Status(ctx, in.BookingID); err != nil || st.Refunded != minibar || len(st.Refunds) != 1 || st.RefundWindowEndsAt.IsZero() {
			t.Fatalf("status after a refund = %+v, %v", st, err)
		}
		rest, err := s.Refund(ctx, in.BookingID, "rest", money.Amount{Minor: 27500, Currency: "BRL"}, "stay cancelled")
		if err != nil || rest.Refunded != part || rest.Status != workflows.StatusRefunded {
			t.Fatalf("refund of the rest = %+v, %v", rest, err)
		}
		final, err := s.Result(ctx, in.BookingID)
		if err != nil || final.Status != workflows.StatusRefunded || final.Captured != part || final.Refunded != part || final.CapturedBy != "request" {
			t.Fatalf("result = %+v, %v", final, err)
		}
		if e, _ := stack.Sandbox.Charge(capRes.ChargeUUID); e.Refunded != part || e.Calls.Refund != 2 {
			t.Errorf("A55 refunded %v in %d calls", e.Refunded, e.Calls.Refund)
		}
		// This path records four patches: notifications (asked first), the
		// look-up by booking (find-charges-by-booking), the card key's
		// destruction (card-vault) and the refund window (refunds): a
		// version marker and a TemporalChangeVersion upsert each. The
		// bounded-history patch
		// costs nothing until a bound is reached.
		markers := 0
		var upserts []string
		iter := stack.Client.GetWorkflowHistory(ctx, workflows.WorkflowID(in.BookingID), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			if err != nil {
				t.Fatal(err)
			}
			if m := ev.GetMarkerRecordedEventAttributes(); m != nil && m.GetMarkerName() == "Version" {
				markers++ // its details are encrypted; the upsert names the change
			}
			if u := ev.GetUpsertWorkflowSearchAttributesEventAttributes(); u != nil {
				if p, ok := u.GetSearchAttributes().GetIndexedFields()["TemporalChangeVersion"]; ok {
					upserts = append(upserts, string(p.GetData()))
				}
			}
		}
		want := []string{"find-charges-by-booking-1", workflows.ChangeCardVault + "-1", workflows.ChangeNotifications + "-1", workflows.ChangeRefunds + "-1"}
		var last []string
		if len(upserts) > 0 {
			_ = json.Unmarshal([]byte(upserts[len(upserts)-1]), &last)
		}
		slices.Sort(last) // the SDK's order varies
		slices.Sort(want)
		if markers != 4 || len(upserts) != 4 || !slices.Equal(last, want) {
			t.Errorf("%d version markers, TemporalChangeVersion upserts %q; want four, the last %v", markers, upserts, want)
		}
	})

	t.Run("over-capture is refused with the reason", func(t *testing.T) {
		in := booking("BK-real-2", "5500000000000004")
		if _, err := s.Authorize(ctx, in); err != nil {
			t.Fatal(err)
		}
		over := money.Amount{Minor: 60000, Currency: "BRL"}
		_, err := s.Capture(ctx, in.BookingID, &over)
		var rej *RejectedError
		if !errors.As(err, &rej) || rej.Reason == "" {
			t.Fatalf("over-capture = %v, want a RejectedError", err)
		}
		if st, err := s.Status(ctx, in.BookingID); err != nil || st.Status != workflows.StatusAuthorized {
			t.Fatalf("after a refused capture: %+v, %v", st.Status, err)
		}
		if res, err := s.Cancel(ctx, in.BookingID, "guest cancelled"); err != nil || res.Status != workflows.StatusVoided {
			t.Fatalf("cancel = %+v, %v", res, err)
		}
	})

	t.Run("3DS challenge passed through the webhook", func(t *testing.T) {
		in := booking("BK-real-3", "4000000000000101")
		in.ThreeDS = true
		in.DeviceInfo = &a55client.DeviceInfo{IPAddress: "203.0.113.10", UserAgent: "Mozilla/5.0", HTTPAcceptContent: "text/html",
			HTTPAcceptBrowserValue: "text/html", HTTPBrowserLanguage: "pt-BR", HTTPBrowserColorDepth: "24",
			HTTPBrowserScreenHeight: "900", HTTPBrowserScreenWidth: "1440", HTTPBrowserTimeDifference: "180",
			HTTPBrowserJavaEnabled: new(bool), HTTPBrowserJavascriptEnabled: new(bool)}
		res, err := s.Authorize(ctx, in)
		if err != nil || res.Status != workflows.StatusAwaiting3DS || res.URL3DS == "" {
			t.Fatalf("authorize = %+v, %v", res, err)
		}
		resp, err := http.PostForm(res.URL3DS, url.Values{"action": {"approve"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// The sandbox's webhook reaches the receiver, which signals the workflow.
		var st workflows.PaymentState
		for st.Status != workflows.StatusAuthorized {
			if st, err = s.Status(ctx, in.BookingID); err != nil {
				t.Fatal(err)
			}
			if st.Status.Terminal() || ctx.Err() != nil {
				t.Fatalf("status %s (%s), want authorized", st.Status, st.Reason)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := s.Capture(ctx, in.BookingID, nil); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("declined card", func(t *testing.T) {
		in := booking("BK-real-4", "4000000000000002")
		res, err := s.Authorize(ctx, in)
		if err != nil || res.Status != workflows.StatusDeclined || res.DeclineCode == "" {
			t.Fatalf("authorize = %+v, %v", res, err)
		}
		if strings.Contains(res.DeclineMessage, "4000000000000002") {
			t.Fatal("the decline quotes the card number")
		}
	})

	t.Run("a decline is reported although a signal failed the task that accepted it", func(t *testing.T) {
		// The create call is slow, so the first workflow task (which runs it
		// as a local activity, declines and ends the workflow) is still open
		// when a signal arrives: the server fails that task and aborts the
		// authorization update it accepted.
		if err := stack.Sandbox.SetFault("create", a55sandbox.Fault{Latency: a55sandbox.Duration(1500 * time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = stack.Sandbox.SetFault("create", a55sandbox.Fault{}) }()
		in := booking("BK-real-5", "4000000000000002")
		type outcome struct {
			res workflows.AuthorizationResult
			err error
		}
		done := make(chan outcome, 1)
		go func() {
			res, err := s.Authorize(ctx, in)
			done <- outcome{res, err}
		}()
		id := workflows.WorkflowID(in.BookingID)
		waitForEvent(ctx, t, stack, id, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED)
		if err := s.Report3DSComplete(ctx, in.BookingID, ""); err != nil {
			t.Fatal(err)
		}
		got := <-done
		if got.err != nil || got.res.Status != workflows.StatusDeclined || got.res.DeclineCode == "" {
			t.Fatalf("authorize = %+v, %v", got.res, got.err)
		}
		// With a card token the declining task does not end the workflow
		// (it schedules the key's destruction first), so the signal no
		// longer fails it; the outcome must be the same either way.
		waitForEvent(ctx, t, stack, id, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
	})
}

// waitForEvent waits until the workflow's history has an event of the type.
func waitForEvent(ctx context.Context, t *testing.T, stack *startertest.Stack, workflowID string, want enumspb.EventType) {
	t.Helper()
	for ctx.Err() == nil {
		it := stack.Client.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				break
			}
			if e.GetEventType() == want {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s event in %s's history", want, workflowID)
}
