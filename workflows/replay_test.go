package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/cardvault/sqlitestore"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/historytest"
	"github.com/hotelpay/a55-temporal/starter"
	wk "github.com/hotelpay/a55-temporal/worker"
	"github.com/hotelpay/a55-temporal/workflows"
)

// historyDirs are the recorded histories, one directory per workflow
// change that running bookings may still need (the README's "Changing the
// workflow"): release-1 is the first release's code; each patch adds a
// directory recorded from the patched code. CI replays every directory; one
// goes, with the branch it exercises, once no booking can still run that
// branch. RECORD_HISTORIES=1 writes into the last one. card-vault: the
// card travels as a card token whose key is destroyed once A55 answers
// (workflows.ChangeCardVault). card-token-only: a new booking's plain card
// is refused (workflows.ChangeCardTokenOnly); its bookings with a token are
// as in card-vault, and plain_card_refused is the refusal. long-stays:
// long-stay policies and replaced holds (workflows.ChangeLongStays).
// notifications: every booking's events are delivered to the booking
// system (workflows.ChangeNotifications). refunds: a captured booking stays
// open for its refund window and takes refunds (workflows.ChangeRefunds);
// its recordings use refund windows of seconds.
var historyDirs = []string{"release-1", "find-charges-by-booking", "bounded-history", "card-vault", "card-token-only", "long-stays", "notifications", "refunds"}

// TestReplayRecordedHistories replays the histories in testdata/ (recorded
// from a real dev server by TestRecordHistories) against today's workflow
// code: a change that would break a running booking fails here.
func TestReplayRecordedHistories(t *testing.T) {
	for _, dir := range historyDirs {
		for _, file := range historytest.Files(t, dir, "./workflows") {
			t.Run(dir+"/"+filepath.Base(file), func(t *testing.T) {
				replay(t, readHistory(t, file))
			})
		}
	}
}

// TestRecordHistories runs the main paths on a real Temporal dev server
// (bin/temporal) with an in-process worker and the real activities and A55
// client against the A55 sandbox (on the real clock) and writes each
// history to testdata/<path>.json. It runs only with RECORD_HISTORIES=1.
// The recorded card is a public test number with a fake holder name.
func TestRecordHistories(t *testing.T) {
	if os.Getenv("RECORD_HISTORIES") == "" {
		t.Skip("set RECORD_HISTORIES=1 to record histories from a dev server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var extra []string
	for _, f := range workflows.SearchAttributeFlags {
		extra = append(extra, "--search-attribute", f)
	}
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  filepath.Join("..", "bin", "temporal"),
		ClientOptions: &client.Options{HostPort: "", Logger: quietLogger},
		LogLevel:      "error",
		ExtraArgs:     extra,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c := srv.Client()

	sb, a55 := startSandbox(t, a55sandbox.Config{})
	keys, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "cardkeys.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	// The booking system's notification endpoint: verifies and accepts.
	const notifySecret = "whsec_dGhlLWJvb2tpbmctc3lzdGVtcy10ZXN0LXNlY3JldA=="
	var notified atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := starter.ConstructEvent(body, r.Header, notifySecret); err != nil {
			t.Errorf("notification: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		notified.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	acts := activities.New(a55, activities.Config{CardKeys: keys, Notifications: activities.NotifyEndpoints{
		Default: activities.NotifyEndpoint{URL: receiver.URL, Secret: notifySecret}}})
	// afterCreate, when set, runs once, after the next Authorize attempt did
	// its work at A55 and before its answer reaches the workflow.
	// expireNextKey destroys the card key before the next Authorize attempt.
	var (
		mu            sync.Mutex
		afterCreate   func(bookingID string)
		expireNextKey bool
	)
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(workflows.BookingPayment, workflow.RegisterOptions{Name: workflows.WorkflowName})
	w.RegisterActivity(acts)
	w.RegisterActivityWithOptions(func(ctx context.Context, in workflows.AuthorizeInput) (*workflows.AuthorizeResult, error) {
		mu.Lock()
		expire := expireNextKey
		expireNextKey = false
		mu.Unlock()
		if expire && in.CardToken != nil {
			if _, err := keys.Destroy(ctx, in.CardToken.KeyID, cardvault.ReasonExpired, time.Now()); err != nil {
				return nil, err
			}
		}
		res, err := acts.Authorize(ctx, in)
		mu.Lock()
		hook := afterCreate
		afterCreate = nil
		mu.Unlock()
		if hook != nil {
			hook(in.BookingID)
		}
		return res, err
	}, activity.RegisterOptions{Name: workflows.ActivityAuthorize, DisableAlreadyRegisteredCheck: true})
	var reads atomic.Int64 // GetCharge calls
	w.RegisterActivityWithOptions(func(ctx context.Context, in workflows.GetChargeInput) (*workflows.ChargeView, error) {
		reads.Add(1)
		return acts.GetCharge(ctx, in)
	}, activity.RegisterOptions{Name: workflows.ActivityGetCharge, DisableAlreadyRegisteredCheck: true})
	complete := func(uuid string) { // also from the worker's goroutines: no Fatal
		t.Helper()
		if err := sb.CompleteChallenge(uuid, true); err != nil {
			t.Error(err)
		}
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	notifier := wk.NewNotifier(c, wk.Tuning{}, wk.Deployment{}, acts)
	if err := notifier.Start(); err != nil {
		t.Fatal(err)
	}
	defer notifier.Stop()

	now := time.Now().UTC()
	base := func(id string) workflows.BookingPaymentInput {
		in := validInput(id)
		in.Card.ExpiryYear = now.Year() + 3
		in.ExpectedCaptureAt = now.Add(48 * time.Hour)
		in.RefundWindow = 3 * time.Second // a captured booking closes 3 s after its capture
		return in
	}
	authorize := func(in workflows.BookingPaymentInput) workflows.AuthorizationResult {
		t.Helper()
		// As the starter does: the card goes sealed under a fresh key.
		tok, err := cardvault.Seal(ctx, keys, in.BookingID, in.Card, time.Now(), 0)
		if err != nil {
			t.Fatal(err)
		}
		in.Card, in.CardToken = a55client.Card{}, &tok
		opts := starter.StartOptions(in) // as booking systems start it
		h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
			StartWorkflowOperation: c.NewWithStartWorkflowOperation(opts, workflows.WorkflowName, in),
			UpdateOptions: client.UpdateWorkflowOptions{
				UpdateName: workflows.UpdateAuthorization, UpdateID: "authorization", WaitForStage: client.WorkflowUpdateStageCompleted,
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		var a workflows.AuthorizationResult
		if err := h.Get(ctx, &a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	updates := 0
	update := func(id, name string, arg any, out any) error {
		updates++
		var args []any
		if arg != nil {
			args = []any{arg}
		}
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: workflows.WorkflowID(id), UpdateName: name, UpdateID: fmt.Sprintf("%s-recorded-%d", name, updates), Args: args,
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err != nil {
			return err
		}
		return h.Get(ctx, out)
	}
	finish := func(name, id string, want workflows.Status) {
		t.Helper()
		var res workflows.BookingPaymentResult
		if err := c.GetWorkflow(ctx, workflows.WorkflowID(id), "").Get(ctx, &res); err != nil {
			t.Fatal(err)
		}
		if res.Status != want {
			t.Fatalf("%s ended %s (%s), want %s", name, res.Status, res.Reason, want)
		}
		var st workflows.PaymentState
		if v, err := c.QueryWorkflow(ctx, workflows.WorkflowID(id), "", workflows.QueryStatus); err != nil || v.Get(&st) != nil {
			t.Fatalf("%s: status query: %v", name, err)
		}
		if n := st.Notifications; n == nil || n.Delivered == 0 || n.Delivered != n.LastSequence {
			t.Fatalf("%s: notifications %+v", name, st.Notifications)
		}
		writeHistory(ctx, t, c, workflows.WorkflowID(id), filepath.Join("testdata", historyDirs[len(historyDirs)-1], name+".json"))
	}

	// Frictionless hold, partial capture at check-out.
	in := base("REC-capture")
	if a := authorize(in); a.Status != workflows.StatusAuthorized {
		t.Fatalf("authorization = %+v", a)
	}
	part := brl(32000)
	var cr workflows.CaptureResult
	if err := update(in.BookingID, workflows.UpdateCapture, workflows.CaptureRequest{Amount: &part}, &cr); err != nil {
		t.Fatal(err)
	}
	finish("capture_partial", in.BookingID, workflows.StatusCaptured)

	// Refunds: part, the same refund id again (the first result), the
	// rest: the booking ends refunded at once.
	in = base("REC-refund-all")
	in.RefundWindow = time.Minute
	authorize(in)
	if err := update(in.BookingID, workflows.UpdateCapture, workflows.CaptureRequest{Amount: &part}, &cr); err != nil {
		t.Fatal(err)
	}
	var rr workflows.RefundResult
	for _, req := range []workflows.RefundRequest{
		{RefundID: "minibar-1", Amount: brl(12000), Reason: "minibar charged in error"},
		{RefundID: "minibar-1", Amount: brl(12000), Reason: "minibar charged in error"},
		{RefundID: "rest", Amount: brl(20000)},
	} {
		if err := update(in.BookingID, workflows.UpdateRefund, req, &rr); err != nil {
			t.Fatal(err)
		}
	}
	finish("refund_partial_then_rest", in.BookingID, workflows.StatusRefunded)

	// A refund whose answer is lost (resolved by reading the charge), a
	// refund A55 refuses (money refunded in its dashboard meanwhile), a
	// webhook read in the window, then the window closes.
	in = base("REC-refund-window")
	in.RefundWindow = 20 * time.Second
	windowAuth := authorize(in)
	if err := update(in.BookingID, workflows.UpdateCapture, workflows.CaptureRequest{}, &cr); err != nil {
		t.Fatal(err)
	}
	if err := sb.SetFault("refund", lostResponses(1)); err != nil {
		t.Fatal(err)
	}
	if err := update(in.BookingID, workflows.UpdateRefund, workflows.RefundRequest{RefundID: "r1", Amount: brl(5000)}, &rr); err != nil {
		t.Fatal(err)
	}
	dashboard := brl(40000)
	if _, err := a55.RefundCharge(ctx, &a55client.RefundParams{WalletUUID: in.WalletUUID, ChargeUUID: windowAuth.ChargeUUID, Amount: &dashboard}, "dashboard/refund/"+windowAuth.ChargeUUID); err != nil {
		t.Fatal(err)
	}
	if err := update(in.BookingID, workflows.UpdateRefund, workflows.RefundRequest{RefundID: "r2", Amount: brl(20000)}, &rr); err == nil {
		t.Fatal("A55 refunded more than it captured")
	}
	if err := c.SignalWorkflow(ctx, workflows.WorkflowID(in.BookingID), "", workflows.SignalChargeChanged,
		workflows.ChargeChangedSignal{ChargeUUID: windowAuth.ChargeUUID, Status: "refunded"}); err != nil {
		t.Fatal(err)
	}
	finish("refund_lost_answer_refusal_window_closes", in.BookingID, workflows.StatusCaptured)

	// 3DS challenge approved, then the booking is cancelled.
	in = base("REC-3ds-cancel")
	in.Card.Number, in.ThreeDS = cardChallenge, true
	a := authorize(in)
	if a.Status != workflows.StatusAwaiting3DS {
		t.Fatalf("authorization = %+v", a)
	}
	complete(a.ChargeUUID)
	if err := c.SignalWorkflow(ctx, workflows.WorkflowID(in.BookingID), "", workflows.Signal3DSComplete, workflows.ThreeDSCompleteSignal{ChargeUUID: a.ChargeUUID}); err != nil {
		t.Fatal(err)
	}
	var again workflows.AuthorizationResult
	if err := update(in.BookingID, workflows.UpdateAuthorization, nil, &again); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, c, in.BookingID, workflows.StatusAuthorized)
	var cancelRes workflows.CancelResult
	if err := update(in.BookingID, workflows.UpdateCancel, workflows.CancelRequest{Reason: "guest cancelled"}, &cancelRes); err != nil {
		t.Fatal(err)
	}
	finish("threeds_cancel", in.BookingID, workflows.StatusVoided)

	// 3DS challenge approved, its webhook delivered as the charge_changed
	// update (the receiver's way), then captured in full.
	in = base("REC-3ds-webhook-update")
	in.Card.Number, in.ThreeDS = cardChallenge, true
	a = authorize(in)
	if a.Status != workflows.StatusAwaiting3DS {
		t.Fatalf("authorization = %+v", a)
	}
	complete(a.ChargeUUID)
	if err := update(in.BookingID, workflows.UpdateChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: a.ChargeUUID, Status: "authorized"}, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, c, in.BookingID, workflows.StatusAuthorized)
	// The same webhook again is rejected: nothing new, no history event.
	if err := update(in.BookingID, workflows.UpdateChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: a.ChargeUUID, Status: "authorized"}, nil); err == nil {
		t.Fatal("a repeated webhook was accepted")
	}
	if err := update(in.BookingID, workflows.UpdateCapture, workflows.CaptureRequest{}, &cr); err != nil {
		t.Fatal(err)
	}
	finish("threeds_webhook_update_capture", in.BookingID, workflows.StatusCaptured)

	// A55 failing past the local attempts: the create call goes on as a
	// regular activity.
	in = base("REC-regular-fallback")
	if err := sb.SetFault("create", unavailable(4)); err != nil {
		t.Fatal(err)
	}
	if a := authorize(in); a.Status != workflows.StatusAuthorized {
		t.Fatalf("authorization = %+v", a)
	}
	if err := update(in.BookingID, workflows.UpdateCapture, workflows.CaptureRequest{}, &cr); err != nil {
		t.Fatal(err)
	}
	finish("create_falls_back_to_regular_activity", in.BookingID, workflows.StatusCaptured)

	// Declined card.
	in = base("REC-decline")
	in.Card.Number = cardDecline
	if a := authorize(in); a.Status != workflows.StatusDeclined {
		t.Fatalf("authorization = %+v", a)
	}
	finish("decline", in.BookingID, workflows.StatusDeclined)

	// Deadline policy release after a moved check-out (seconds, not days).
	in = base("REC-deadline")
	in.ExpectedCaptureAt = time.Now().Add(2 * time.Second) // not the test's start: earlier paths take seconds
	in.CaptureGrace = time.Second
	authorize(in)
	var moved workflows.MoveCaptureTimeResult
	if err := update(in.BookingID, workflows.UpdateMoveCaptureTime, workflows.MoveCaptureTimeRequest{ExpectedCaptureAt: time.Now().Add(3 * time.Second)}, &moved); err != nil {
		t.Fatal(err)
	}
	finish("deadline_release", in.BookingID, workflows.StatusVoided)

	// Webhook before the create call returns; lost answers on create and capture.
	in = base("REC-early-webhook")
	in.Card.Number, in.ThreeDS = cardChallenge, true
	if err := sb.SetFaults(map[string]a55sandbox.Fault{"create": lostResponses(1), "capture": lostResponses(1)}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	afterCreate = func(bookingID string) {
		uuid := sb.ChargesByReference(bookingID)[0].ChargeUUID
		complete(uuid)
		_ = c.SignalWorkflow(ctx, workflows.WorkflowID(bookingID), "", workflows.SignalChargeChanged,
			workflows.ChargeChangedSignal{ChargeUUID: uuid, Status: "authorized"})
	}
	mu.Unlock()
	authorize(in)
	waitFor(ctx, t, c, in.BookingID, workflows.StatusAuthorized)
	if err := update(in.BookingID, workflows.UpdateCapture, workflows.CaptureRequest{}, &cr); err != nil {
		t.Fatal(err)
	}
	finish("early_webhook_lost_responses", in.BookingID, workflows.StatusCaptured)

	// A hold A55 already has for the booking (an earlier run's, reset away
	// after its key expired) is adopted, not placed again; then released.
	in = base("REC-adopt")
	if _, err := a55.CreateCharge(ctx, &a55client.CreateChargeParams{
		WalletUUID: in.WalletUUID, MerchantID: in.MerchantID, Payer: in.Payer, Amount: in.Amount, Card: in.Card,
		ReferenceExternalID: in.BookingID,
	}, "earlier-run/authorize"); err != nil {
		t.Fatal(err)
	}
	if a := authorize(in); a.Status != workflows.StatusAuthorized {
		t.Fatalf("authorization = %+v", a)
	}
	if err := update(in.BookingID, workflows.UpdateCancel, workflows.CancelRequest{Reason: "guest cancelled"}, &cancelRes); err != nil {
		t.Fatal(err)
	}
	finish("adopt_existing_hold", in.BookingID, workflows.StatusVoided)

	// A webhook flood: reads stop after 20 that brought nothing new (the
	// bounded-history patch), then the booking is captured.
	in = base("REC-webhook-flood")
	a = authorize(in)
	for i := 0; ; i++ {
		before := reads.Load()
		if err := c.SignalWorkflow(ctx, workflows.WorkflowID(in.BookingID), "", workflows.SignalChargeChanged,
			workflows.ChargeChangedSignal{ChargeUUID: a.ChargeUUID, Status: "canceled"}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for reads.Load() == before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if reads.Load() == before {
			if i != 20 {
				t.Fatalf("signal %d made no read", i+1)
			}
			break
		}
	}
	if err := update(in.BookingID, workflows.UpdateCapture, workflows.CaptureRequest{}, &cr); err != nil {
		t.Fatal(err)
	}
	finish("webhook_flood", in.BookingID, workflows.StatusCaptured)

	// 3DS never completed: abandoned after the (shortened) timeout.
	in = base("REC-3ds-abandoned")
	in.Card.Number, in.ThreeDS = cardChallenge, true
	in.ThreeDSTimeout = 3 * time.Second
	authorize(in)
	finish("threeds_abandoned", in.BookingID, workflows.StatusDeclined)

	// The card's key gone before the create call: declined card_data_expired.
	in = base("REC-card-data-expired")
	mu.Lock()
	expireNextKey = true
	mu.Unlock()
	if a := authorize(in); a.Status != workflows.StatusDeclined || a.DeclineCode != workflows.ReasonCardDataExpired {
		t.Fatalf("authorization = %+v", a)
	}
	finish("card_data_expired", in.BookingID, workflows.StatusDeclined)

	// A55 refuses the request (unknown wallet): no charge, the key goes.
	in = base("REC-no-charge")
	in.WalletUUID = "00000000-0000-4000-8000-00000000dead"
	if a := authorize(in); a.Status != workflows.StatusFailed {
		t.Fatalf("authorization = %+v", a)
	}
	finish("no_charge_key_destroyed", in.BookingID, workflows.StatusFailed)

	// A booking system that skips the card token sends the card in clear,
	// the way booking systems start a booking (update-with-start): refused
	// before anything, the card-token-only marker recorded.
	in = base("REC-plain-card")
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: c.NewWithStartWorkflowOperation(starter.StartOptions(in), workflows.WorkflowName, in),
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName: workflows.UpdateAuthorization, UpdateID: "authorization", WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	if err == nil || !strings.Contains(err.Error(), "card: a card in clear is refused") {
		t.Fatalf("a plain card's authorization update: %v, want the refusal", err)
	}
	var app *temporal.ApplicationError
	if err := c.GetWorkflow(ctx, workflows.WorkflowID(in.BookingID), "").Get(ctx, nil); !errors.As(err, &app) || app.Type() != workflows.ErrTypeInvalidInput {
		t.Fatalf("a plain card's booking ended with %v, want %s", err, workflows.ErrTypeInvalidInput)
	}
	if n := len(sb.ChargesByReference(in.BookingID)); n != 0 {
		t.Fatalf("A55 holds %d charges for a refused plain card", n)
	}
	writeHistory(ctx, t, c, workflows.WorkflowID(in.BookingID), filepath.Join("testdata", historyDirs[len(historyDirs)-1], "plain_card_refused.json"))

	// Long stays (seconds-long holds on the workflow's side): the deposit
	// captured before the hold lapses.
	in = base("REC-long-deposit")
	in.HoldWindow, in.SafetyMargin, in.LongStayPolicy = 8*time.Second, 4*time.Second, workflows.LongStayDeposit
	if a := authorize(in); a.Status != workflows.StatusAuthorized {
		t.Fatalf("authorization = %+v", a)
	}
	finish("long_stay_deposit", in.BookingID, workflows.StatusCaptured)

	// reauthorize without a new authorization: the wait, then the deadline policy.
	in = base("REC-long-reauthorize")
	in.HoldWindow, in.SafetyMargin, in.LongStayPolicy, in.ReauthorizeNotice = 10*time.Second, 3*time.Second, workflows.LongStayReauthorize, 4*time.Second
	if a := authorize(in); a.Status != workflows.StatusAuthorized {
		t.Fatalf("authorization = %+v", a)
	}
	finish("long_stay_reauthorize_deadline_policy", in.BookingID, workflows.StatusVoided)

	replaceHold := func(in workflows.BookingPaymentInput, number string, req workflows.ReplaceHoldRequest) workflows.ReplaceHoldResult {
		t.Helper()
		card := in.Card
		card.Number = number
		tok, err := cardvault.Seal(ctx, keys, in.BookingID, card, time.Now(), 0)
		if err != nil {
			t.Fatal(err)
		}
		req.CardToken = &tok
		var res workflows.ReplaceHoldResult
		if err := update(in.BookingID, workflows.UpdateReplaceHold, req, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	// reauthorize answered by replace_hold during the wait, then captured.
	in = base("REC-long-replaced")
	in.HoldWindow, in.SafetyMargin, in.LongStayPolicy, in.ReauthorizeNotice = 40*time.Second, 5*time.Second, workflows.LongStayReauthorize, 33*time.Second
	in.DeadlinePolicy = workflows.DeadlinePolicy{Action: workflows.DeadlineCapture}
	if a := authorize(in); a.Status != workflows.StatusAuthorized {
		t.Fatalf("authorization = %+v", a)
	}
	for st := (workflows.PaymentState{}); st.Reauthorization == nil; time.Sleep(100 * time.Millisecond) {
		v, err := c.QueryWorkflow(ctx, workflows.WorkflowID(in.BookingID), "", workflows.QueryStatus)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Get(&st); err != nil {
			t.Fatal(err)
		}
	}
	if r := replaceHold(in, cardApprove, workflows.ReplaceHoldRequest{Amount: brl(90000), ExpectedCaptureAt: time.Now().Add(96 * time.Hour)}); r.Status != workflows.StatusAuthorized {
		t.Fatalf("replace_hold = %+v", r)
	}
	if err := update(in.BookingID, workflows.UpdateCapture, workflows.CaptureRequest{}, &cr); err != nil {
		t.Fatal(err)
	}
	finish("long_stay_reauthorize_replaced", in.BookingID, workflows.StatusCaptured)

	// A replacement through a 3DS challenge (approved, 3ds_complete), then cancelled.
	in = base("REC-replace-3ds")
	authorize(in)
	r3 := replaceHold(in, cardChallenge, workflows.ReplaceHoldRequest{Amount: brl(70000), ThreeDS: true, DeviceInfo: in.DeviceInfo})
	if r3.Status != workflows.StatusAwaiting3DS {
		t.Fatalf("replace_hold = %+v", r3)
	}
	complete(r3.ChargeUUID)
	if err := c.SignalWorkflow(ctx, workflows.WorkflowID(in.BookingID), "", workflows.Signal3DSComplete, workflows.ThreeDSCompleteSignal{ChargeUUID: r3.ChargeUUID}); err != nil {
		t.Fatal(err)
	}
	for st := (workflows.PaymentState{}); st.ChargeUUID != r3.ChargeUUID || st.Replacement.Status != workflows.StatusAuthorized; time.Sleep(100 * time.Millisecond) {
		v, err := c.QueryWorkflow(ctx, workflows.WorkflowID(in.BookingID), "", workflows.QueryStatus)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Get(&st); err != nil {
			t.Fatal(err)
		}
	}
	if err := update(in.BookingID, workflows.UpdateCancel, workflows.CancelRequest{Reason: "guest cancelled"}, &cancelRes); err != nil {
		t.Fatal(err)
	}
	finish("replace_hold_3ds_cancel", in.BookingID, workflows.StatusVoided)

	// A declined replacement: the booking keeps its hold and captures it.
	in = base("REC-replace-declined")
	authorize(in)
	if r := replaceHold(in, cardDecline, workflows.ReplaceHoldRequest{Amount: brl(70000)}); r.Status != workflows.StatusDeclined {
		t.Fatalf("replace_hold = %+v", r)
	}
	if err := update(in.BookingID, workflows.UpdateCapture, workflows.CaptureRequest{}, &cr); err != nil {
		t.Fatal(err)
	}
	finish("replace_hold_declined", in.BookingID, workflows.StatusCaptured)
}

func waitFor(ctx context.Context, t *testing.T, c client.Client, bookingID string, want workflows.Status) {
	t.Helper()
	for ctx.Err() == nil {
		v, err := c.QueryWorkflow(ctx, workflows.WorkflowID(bookingID), "", workflows.QueryStatus)
		if err == nil {
			var st workflows.PaymentState
			if err := v.Get(&st); err == nil && st.Status == want {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never reached %s", bookingID, want)
}

func writeHistory(ctx context.Context, t *testing.T, c client.Client, workflowID, file string) {
	t.Helper()
	historytest.Write(ctx, t, c, workflowID, file)
}

// replay runs today's workflow code over hist; a change that would break a
// running booking fails it.
func replay(t *testing.T, hist *historypb.History) {
	t.Helper()
	replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	replayer.RegisterWorkflowWithOptions(workflows.BookingPayment, workflow.RegisterOptions{Name: workflows.WorkflowName})
	if err := replayer.ReplayWorkflowHistory(quietLogger, hist); err != nil {
		t.Fatalf("replay: %v", err)
	}
}

func readHistory(t *testing.T, file string) *historypb.History {
	t.Helper()
	return historytest.Read(t, file)
}

// An update accepted under an older rule replays: the SDK skips validators
// on replay so rules can change, and handlers do not run them again. Here a
// recorded capture's amount is raised above the hold, which today's
// validator refuses (as if the rule had been added after it was accepted):
// the history must still replay.
func TestUpdatesAcceptedUnderAnOlderRuleReplay(t *testing.T) {
	hist := readHistory(t, filepath.Join("testdata", "release-1", "capture_partial.json"))
	changed := false
	for _, ev := range hist.Events {
		acc := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes()
		if acc == nil || acc.GetAcceptedRequest().GetInput().GetName() != workflows.UpdateCapture {
			continue
		}
		arg := acc.GetAcceptedRequest().GetInput().GetArgs().GetPayloads()[0]
		var req workflows.CaptureRequest
		if err := json.Unmarshal(arg.Data, &req); err != nil || req.Amount == nil {
			t.Fatalf("recorded capture request %s: %v", arg.Data, err)
		}
		req.Amount.Minor = 60000 // the hold is R$ 500,00
		arg.Data, _ = json.Marshal(req)
		changed = true
	}
	if !changed {
		t.Fatal("no accepted capture update in the history")
	}
	replay(t, hist)
}
