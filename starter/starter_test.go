package starter

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/cardvault/sqlitestore"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/starter/startertest"
	"github.com/hotelpay/a55-temporal/workflows"
)

// contractWorkflow plays the server side of the workflow contract (names,
// validators, results) so these tests exercise the starter's use of
// update-with-start, update ids, queries and error mapping on a real server.
func contractWorkflow(ctx workflow.Context, in workflows.BookingPaymentInput) (workflows.BookingPaymentResult, error) {
	st := workflows.PaymentState{BookingID: in.BookingID, Kind: in.Kind, Status: workflows.StatusAuthorizing, Hold: in.Amount}
	move := func(to workflows.Status, reason string) {
		st.History = append(st.History, workflows.Transition{At: workflow.Now(ctx), From: st.Status, To: to, Reason: reason})
		st.Status = to
	}
	// The card arrives sealed, never in clear.
	if in.Card != (a55client.Card{}) || in.CardToken == nil {
		return workflows.BookingPaymentResult{}, errors.New("the start input carries the card in clear")
	}
	// Authorization happens once, whoever asks.
	if in.CardToken.Last4 == "0002" {
		move(workflows.StatusDeclined, "card declined")
		st.DeclineCode = "CARD_DECLINED"
	} else {
		st.ChargeUUID, st.Authorized = "ch-"+in.BookingID, in.Amount
		move(workflows.StatusAuthorized, "")
	}
	if err := workflow.SetQueryHandler(ctx, workflows.QueryStatus, func() (workflows.PaymentState, error) { return st, nil }); err != nil {
		return workflows.BookingPaymentResult{}, err
	}
	if err := workflow.SetUpdateHandler(ctx, workflows.UpdateAuthorization, func(ctx workflow.Context) (workflows.AuthorizationResult, error) {
		return workflows.AuthorizationResult{Status: st.Status, ChargeUUID: st.ChargeUUID, Authorized: st.Authorized, DeclineCode: st.DeclineCode}, nil
	}); err != nil {
		return workflows.BookingPaymentResult{}, err
	}
	var capturedBy string
	if err := workflow.SetUpdateHandlerWithOptions(ctx, workflows.UpdateCapture,
		func(ctx workflow.Context, req workflows.CaptureRequest) (workflows.CaptureResult, error) {
			amt := st.Authorized
			if req.Amount != nil {
				amt = *req.Amount
			}
			st.Captured = amt
			capturedBy = "request"
			move(workflows.StatusCaptured, "captured by request")
			released, _ := st.Authorized.Sub(amt)
			return workflows.CaptureResult{ChargeUUID: st.ChargeUUID, Captured: amt, Released: released, Status: st.Status}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req workflows.CaptureRequest) error {
			if st.Status != workflows.StatusAuthorized {
				return errors.New("capture needs an authorized hold; status is " + string(st.Status))
			}
			if req.Amount != nil {
				if c, err := req.Amount.Cmp(st.Authorized); err != nil || c > 0 {
					return errors.New("capture amount exceeds the authorized " + st.Authorized.String())
				}
			}
			return nil
		}}); err != nil {
		return workflows.BookingPaymentResult{}, err
	}
	if err := workflow.SetUpdateHandler(ctx, workflows.UpdateMoveCaptureTime,
		func(ctx workflow.Context, req workflows.MoveCaptureTimeRequest) (workflows.MoveCaptureTimeResult, error) {
			st.ExpectedCaptureAt = req.ExpectedCaptureAt
			return workflows.MoveCaptureTimeResult{ExpectedCaptureAt: req.ExpectedCaptureAt, CaptureDeadline: req.ExpectedCaptureAt.Add(24 * time.Hour)}, nil
		}); err != nil {
		return workflows.BookingPaymentResult{}, err
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, workflows.Signal3DSComplete)
		for {
			var sig workflows.ThreeDSCompleteSignal
			ch.Receive(ctx, &sig)
			st.Reason = "3ds_complete:" + sig.ChargeUUID
		}
	})
	// The booking ends when captured or declined and every update finished.
	_ = workflow.Await(ctx, func() bool { return st.Status.Terminal() && workflow.AllHandlersFinished(ctx) })
	return workflows.BookingPaymentResult{BookingID: in.BookingID, Status: st.Status, ChargeUUID: st.ChargeUUID,
		Authorized: st.Authorized, Captured: st.Captured, CapturedBy: capturedBy, DeclineCode: st.DeclineCode}, nil
}

func startServer(t *testing.T) (*Starter, client.Client) {
	t.Helper()
	srv := startertest.StartDevServer(t)
	c := srv.Client()
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(contractWorkflow, workflow.RegisterOptions{Name: workflows.WorkflowName})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	keys, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "cardkeys.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = keys.Close() })
	return New(c, WithCardKeys(keys)), c
}

func bookingInput(id string) workflows.BookingPaymentInput {
	return workflows.BookingPaymentInput{
		BookingID:         id,
		Kind:              workflows.KindHotelStay,
		MerchantID:        "m-1",
		WalletUUID:        "w-1",
		Payer:             a55client.Payer{Name: "Ana Souza", Email: "ana@example.com"},
		Amount:            money.Amount{Minor: 50000, Currency: "BRL"},
		Card:              a55client.Card{HolderName: "ANA SOUZA", Number: "4111111111111111", ExpiryMonth: 12, ExpiryYear: time.Now().Year() + 3, CVV: "123"},
		ExpectedCaptureAt: time.Now().Add(72 * time.Hour).Truncate(time.Hour).UTC(),
		DeadlinePolicy:    workflows.DeadlinePolicy{Action: workflows.DeadlineRelease},
	}
}

func TestStarterAgainstADevServer(t *testing.T) {
	s, c := startServer(t)
	ctx := context.Background()

	t.Run("authorize starts once and answers synchronously", func(t *testing.T) {
		in := bookingInput("BK-auth-1")
		res, err := s.Authorize(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != workflows.StatusAuthorized || res.ChargeUUID != "ch-BK-auth-1" || res.Authorized != in.Amount {
			t.Fatalf("result = %+v", res)
		}
		again, err := s.Authorize(ctx, in)
		if err != nil || again != res {
			t.Fatalf("second authorize = %+v, %v; want the first result", again, err)
		}
		desc, err := c.DescribeWorkflowExecution(ctx, workflows.WorkflowID(in.BookingID), "")
		if err != nil {
			t.Fatal(err)
		}
		if got := desc.GetWorkflowExecutionInfo().GetTaskQueue(); got != workflows.TaskQueue {
			t.Errorf("task queue = %q", got)
		}
		sa := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()["BookingID"]
		if sa == nil || !bytesContain(sa.GetData(), in.BookingID) {
			t.Errorf("BookingID search attribute = %v", sa)
		}
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowId = 'booking-BK-auth-1'"})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(resp.GetExecutions()); n != 1 {
			t.Errorf("%d executions for the booking, want 1", n)
		}
	})

	t.Run("invalid input starts nothing", func(t *testing.T) {
		in := bookingInput("BK-bad-1")
		in.Amount.Minor = 0
		_, err := s.Authorize(ctx, in)
		var rej *RejectedError
		if !errors.As(err, &rej) || rej.Type != "InvalidInput" || !strings.Contains(rej.Reason, "amount") {
			t.Fatalf("err = %v, want a RejectedError about the amount", err)
		}
		if _, err := c.DescribeWorkflowExecution(ctx, workflows.WorkflowID(in.BookingID), ""); err == nil {
			t.Fatal("a workflow was started for invalid input")
		}
		in = bookingInput("../etc")
		if _, err := s.Authorize(ctx, in); !errors.As(err, &rej) || !strings.Contains(rej.Reason, "booking_id") {
			t.Fatalf("bad booking id: %v", err)
		}
	})

	// The card cannot be sealed (no store, or the store unreachable): a
	// clear error and no workflow.
	t.Run("no card-key store starts nothing", func(t *testing.T) {
		for name, starter := range map[string]*Starter{
			"none":        New(c),
			"unreachable": New(c, WithCardKeys(downStore{})),
		} {
			id := "BK-nokeys-" + name
			_, err := starter.Authorize(ctx, bookingInput(id))
			var rej *RejectedError
			switch {
			case err == nil:
				t.Fatalf("%s: authorize succeeded", name)
			case name == "none" && (!errors.As(err, &rej) || !strings.Contains(rej.Reason, "card-key store")):
				t.Errorf("%s: %v, want a rejection naming the card-key store", name, err)
			case name == "unreachable" && (!strings.Contains(err.Error(), "nothing was started") || strings.Contains(err.Error(), "4111111111111111")):
				t.Errorf("%s: %v", name, err)
			}
			if _, err := c.DescribeWorkflowExecution(ctx, workflows.WorkflowID(id), ""); err == nil {
				t.Errorf("%s: a workflow was started", name)
			}
		}
	})

	t.Run("declined", func(t *testing.T) {
		in := bookingInput("BK-decl-1")
		in.Card.Number = "4000000000000002"
		res, err := s.Authorize(ctx, in)
		if err != nil || res.Status != workflows.StatusDeclined || res.DeclineCode != "CARD_DECLINED" {
			t.Fatalf("result = %+v, %v", res, err)
		}
		final, err := s.Result(ctx, in.BookingID)
		if err != nil || final.Status != workflows.StatusDeclined {
			t.Fatalf("final = %+v, %v", final, err)
		}
		// The booking's payment is over: a retried authorize gets the same
		// answer and starts nothing.
		again, err := s.Authorize(ctx, in)
		if err != nil || again != res {
			t.Fatalf("authorize after the end = %+v, %v; want %+v", again, err, res)
		}
	})

	t.Run("capture, retried capture, rejected over-capture", func(t *testing.T) {
		in := bookingInput("BK-cap-1")
		if _, err := s.Authorize(ctx, in); err != nil {
			t.Fatal(err)
		}
		over := money.Amount{Minor: 50001, Currency: "BRL"}
		_, err := s.Capture(ctx, in.BookingID, &over)
		var rej *RejectedError
		if !errors.As(err, &rej) || !strings.Contains(rej.Reason, "exceeds") {
			t.Fatalf("over-capture err = %v, want a RejectedError saying why", err)
		}
		if _, err := s.Capture(ctx, in.BookingID, &money.Amount{Minor: -5, Currency: "BRL"}); !errors.As(err, &rej) || rej.Type != "InvalidInput" {
			t.Fatalf("negative capture err = %v", err)
		}
		later := in.ExpectedCaptureAt.Add(21 * time.Hour)
		if _, err := s.MoveCaptureTime(ctx, in.BookingID, later); err != nil {
			t.Fatal(err)
		}
		st, err := s.Status(ctx, in.BookingID)
		if err != nil || st.Status != workflows.StatusAuthorized || !st.ExpectedCaptureAt.Equal(later) {
			t.Fatalf("status = %+v, %v", st, err)
		}
		if err := s.Report3DSComplete(ctx, in.BookingID, "ch-BK-cap-1"); err != nil {
			t.Fatal(err)
		}
		part := money.Amount{Minor: 32000, Currency: "BRL"}
		res, err := s.Capture(ctx, in.BookingID, &part)
		if err != nil {
			t.Fatal(err)
		}
		if res.Captured != part || res.Released != (money.Amount{Minor: 18000, Currency: "BRL"}) {
			t.Fatalf("capture = %+v", res)
		}
		final, err := s.Result(ctx, in.BookingID)
		if err != nil || final.Status != workflows.StatusCaptured || final.Captured != part {
			t.Fatalf("final = %+v, %v", final, err)
		}
		// A booking system retrying after a lost answer gets the first capture back.
		again, err := s.Capture(ctx, in.BookingID, &part)
		if err != nil || again != res {
			t.Fatalf("capture retried after the end = %+v, %v; want %+v", again, err, res)
		}
	})

	t.Run("retried capture while the workflow runs is one capture", func(t *testing.T) {
		in := bookingInput("BK-cap-2")
		in.Kind = workflows.KindCarRental
		if _, err := s.Authorize(ctx, in); err != nil {
			t.Fatal(err)
		}
		first, err := s.Capture(ctx, in.BookingID, nil)
		if err != nil {
			t.Fatal(err)
		}
		second, err := s.Capture(ctx, in.BookingID, nil)
		if err != nil || second != first {
			t.Fatalf("retried capture = %+v, %v; want %+v", second, err, first)
		}
		// A capture of another amount is a second capture, not a retry: refused.
		other := money.Amount{Minor: 100, Currency: "BRL"}
		var rej *RejectedError
		if res, err := s.Capture(ctx, in.BookingID, &other); !errors.As(err, &rej) || rej.Type != TypeBookingFinished {
			t.Fatalf("second capture of another amount = %+v, %v; want a BookingFinished refusal", res, err)
		}
		final, err := s.Result(ctx, in.BookingID)
		if err != nil || final.Captured != first.Captured {
			t.Fatalf("result after a refused second capture = %+v, %v; want captured %v", final, err, first.Captured)
		}
	})

	t.Run("unknown booking", func(t *testing.T) {
		if _, err := s.Status(ctx, "BK-nobody"); !errors.Is(err, ErrBookingNotFound) {
			t.Errorf("status: %v", err)
		}
		if _, err := s.Capture(ctx, "BK-nobody", nil); !errors.Is(err, ErrBookingNotFound) {
			t.Errorf("capture: %v", err)
		}
		if err := s.Report3DSComplete(ctx, "BK-nobody", "x"); !errors.Is(err, ErrBookingNotFound) {
			t.Errorf("3ds: %v", err)
		}
	})
}

func bytesContain(b []byte, s string) bool { return strings.Contains(string(b), s) }

// downStore is a card-key store that cannot be reached.
type downStore struct{ cardvault.Store }

func (downStore) Create(context.Context, cardvault.Key) error {
	return errors.New("dial tcp 10.0.0.5:5432: connection refused")
}
