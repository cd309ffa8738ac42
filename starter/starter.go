// Package starter is what a booking system written in Go uses to drive a
// booking's payment: authorize (update-with-start), capture, cancel, move the
// capture time, report a finished 3DS challenge, read the status and wait for
// the result. Every call is safe to retry: the workflow id is derived from
// the booking id and every update carries an id derived from the operation.
package starter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Update ids: the same operation sent twice to one booking is one update, so
// a booking system that retries after a timeout never captures twice.
const (
	UpdateIDAuthorization = "authorization" // the prefix of AuthorizationUpdateID
	UpdateIDCancel        = "cancel"
)

// CaptureUpdateID names a capture by its amount: a retried capture is the same
// update (answered with the first result), while a capture of a different
// amount is a new update that the workflow's validator refuses as a second
// capture, instead of silently receiving the first capture's answer.
func CaptureUpdateID(amount *money.Amount) string {
	if amount == nil {
		return "capture:full"
	}
	return fmt.Sprintf("capture:%d:%s", amount.Minor, amount.Currency)
}

// ErrBookingNotFound is returned when no workflow exists for the booking.
var ErrBookingNotFound = errors.New("no payment workflow for this booking")

// TypeBookingFinished is the RejectedError.Type of an operation on a booking
// whose payment has already finished (its workflow is closed).
const TypeBookingFinished = "BookingFinished"

// RejectedError says why the request was refused: invalid input (nothing was
// started) or the workflow's validator / handler refused the operation.
type RejectedError struct {
	Operation string // authorize, capture, cancel, refund, move_capture_time, 3ds_complete
	BookingID string
	Reason    string // human-readable, never card data
	Type      string // the application error type, e.g. InvalidInput
	Err       error
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("%s for booking %q rejected: %s", e.Operation, e.BookingID, e.Reason)
}

func (e *RejectedError) Unwrap() error { return e.Err }

// Starter drives booking payments through a Temporal client.
type Starter struct {
	c        client.Client
	limits   workflows.HoldLimits
	cardKeys cardvault.Store
	now      func() time.Time
}

// Option configures a Starter.
type Option func(*Starter)

// WithHoldLimits sets the largest hold per merchant (default:
// workflows.DefaultMaxHoldMinor for every merchant). Keep it in step with
// the worker's, which checks again.
func WithHoldLimits(l workflows.HoldLimits) Option { return func(s *Starter) { s.limits = l } }

// WithCardKeys is the card-key store (the workers' CARD_KEY_STORE):
// Authorize seals the input's card under a fresh key kept there and starts
// the workflow with the sealed card only (see package cardvault). Required
// to authorize with a card; an input that already carries a card_token
// (from the card intake) needs none.
func WithCardKeys(store cardvault.Store) Option { return func(s *Starter) { s.cardKeys = store } }

// New wraps a Temporal client whose data converter is the project's
// encrypting codec (codec.ClientOptions): the booking input carries payer
// data and the sealed card.
func New(c client.Client, opts ...Option) *Starter {
	s := &Starter{c: c, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Client returns the underlying Temporal client.
func (s *Starter) Client() client.Client { return s.c }

// StartOptions are the workflow start options Authorize uses, exported so
// callers in other languages can mirror them.
func StartOptions(in workflows.BookingPaymentInput) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       workflows.WorkflowID(in.BookingID),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		StaticSummary:            summary(in),
		// Set at start, they cost no command: the workflow upserts only
		// what changes later.
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.BookingIDKey.ValueSet(in.BookingID),
			workflows.PaymentStatusKey.ValueSet(string(workflows.StatusAuthorizing))),
	}
}

// Authorize starts the booking's payment workflow (or attaches to the running
// one) and waits for the authorization's outcome: authorized, awaiting_3ds
// (send the card holder to URL3DS), declined or failed. Invalid input starts
// nothing and returns a *RejectedError.
func (s *Starter) Authorize(ctx context.Context, in workflows.BookingPaymentInput) (workflows.AuthorizationResult, error) {
	var res workflows.AuthorizationResult
	if err := validateInput(in, s.limits); err != nil {
		return res, &RejectedError{Operation: "authorize", BookingID: in.BookingID, Reason: err.Error(), Type: "InvalidInput", Err: err}
	}
	if in.CardToken == nil {
		if s.cardKeys == nil {
			// The workflow would refuse the card too (patch card-token-only):
			// say so before anything starts.
			ie := &workflows.InputError{Problems: []a55client.FieldError{{Field: "card",
				Reason: workflows.PlainCardRefused + "; this starter has no card-key store to seal it (starter.WithCardKeys): nothing was started"}}}
			return res, &RejectedError{Operation: "authorize", BookingID: in.BookingID, Type: "InvalidInput", Reason: ie.Error(), Err: ie}
		}
		tok, err := cardvault.Seal(ctx, s.cardKeys, in.BookingID, in.Card, s.now(), cardvault.MaxKeyLifetime)
		if err != nil {
			// Nothing started: the booking system may try again.
			return res, fmt.Errorf("authorize for booking %q: sealing the card (nothing was started): %w", in.BookingID, err)
		}
		in.Card, in.CardToken = a55client.Card{}, &tok
	}
	start := s.c.NewWithStartWorkflowOperation(StartOptions(in), workflows.WorkflowName, in)
	req := workflows.AuthorizationRequestOf(in)
	handle, err := s.c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		// One update per distinct request: a repeat is deduplicated to the
		// first answer, another request reaches the validator.
		UpdateOptions: updateOptions(in.BookingID, AuthorizationUpdateID(req), workflows.UpdateAuthorization, req),
	})
	if err == nil {
		err = handle.Get(ctx, &res)
	}
	// The server aborts an update when the workflow task that accepted it
	// fails. A decline can end the workflow in its first task (the create
	// call is a local activity), and a signal arriving during that task
	// fails it (UnhandledCommand); under load a first task can also time
	// out. The workflow then runs the task again and goes on. The booking
	// exists: ask it for the outcome again.
	if isUpdateAborted(err) {
		err = retryWhileNotReady(ctx, func() error {
			var e error
			res, e = s.authorizationOutcome(ctx, in.BookingID, req)
			return e
		})
	}
	if err != nil {
		return res, classify("authorize", in.BookingID, err)
	}
	return res, nil
}

// authorizationOutcome asks a started booking for its authorization outcome:
// the authorization update again (same id), or, once the workflow has ended,
// its result.
func (s *Starter) authorizationOutcome(ctx context.Context, bookingID string, req workflows.AuthorizationRequest) (workflows.AuthorizationResult, error) {
	var res workflows.AuthorizationResult
	handle, err := s.c.UpdateWorkflow(ctx, updateOptions(bookingID, AuthorizationUpdateID(req), workflows.UpdateAuthorization, req))
	if err == nil {
		err = handle.Get(ctx, &res)
	}
	var notFound *serviceerror.NotFound
	if !errors.As(err, &notFound) || !strings.Contains(notFound.Error(), "completed") {
		return res, err
	}
	var final workflows.BookingPaymentResult
	if err := s.c.GetWorkflow(ctx, workflows.WorkflowID(bookingID), "").Get(ctx, &final); err != nil {
		return res, err
	}
	return final.Authorization(), nil
}

func isUpdateAborted(err error) bool {
	var notReady *serviceerror.WorkflowNotReady
	return errors.As(err, &notReady)
}

// notReadyBackoff paces the retries of an update the server refused or
// aborted because the workflow's task is failing (WorkflowNotReady): the
// worker runs the task again within seconds (10 s when a task timed out
// under load), and the update id makes every retry the same update. About
// 30 s in all, then the error goes to the caller.
var notReadyBackoff = []time.Duration{
	100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond,
	1600 * time.Millisecond, 3200 * time.Millisecond, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second,
}

// retryWhileNotReady runs op again after each pause of notReadyBackoff
// while it fails with WorkflowNotReady, and returns its last error.
func retryWhileNotReady(ctx context.Context, op func() error) error {
	err := op()
	for _, pause := range notReadyBackoff {
		if !isUpdateAborted(err) {
			return err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		err = op()
	}
	return err
}

// Capture captures the hold: amount nil captures all of it, a smaller amount
// captures part and releases the rest. Retrying with the same amount returns
// the first capture's result; a different amount is refused.
func (s *Starter) Capture(ctx context.Context, bookingID string, amount *money.Amount) (workflows.CaptureResult, error) {
	var res workflows.CaptureResult
	if amount != nil {
		if err := amount.Validate(); err != nil {
			return res, &RejectedError{Operation: "capture", BookingID: bookingID, Reason: "amount: " + err.Error(), Type: "InvalidInput", Err: err}
		}
	}
	err := s.update(ctx, bookingID, "capture", CaptureUpdateID(amount), workflows.UpdateCapture, workflows.CaptureRequest{Amount: amount}, &res)
	return res, err
}

// Cancel releases the hold.
func (s *Starter) Cancel(ctx context.Context, bookingID, reason string) (workflows.CancelResult, error) {
	var res workflows.CancelResult
	err := s.update(ctx, bookingID, "cancel", UpdateIDCancel, workflows.UpdateCancel, workflows.CancelRequest{Reason: reason}, &res)
	return res, err
}

// Refund refunds part or all of a captured booking's payment within its
// refund window (BookingPaymentInput.RefundWindow, 30 days after the capture
// by default). refundID is the booking system's own id for this refund
// (1-48 letters, digits, '.', '_' or '-'): asking again with the same id and
// amount returns the first result and A55 refunds once; the same id with
// another amount is refused (Type workflows.ErrTypeRefundIDReused). Several
// refunds may follow one another up to what was captured. Refusals come
// back as *RejectedError whose Type names them: InvalidRefund (the field and
// rule are in Reason), RefundNotAvailable (not captured, window closed),
// RefundExceedsCaptured, RefundIDReused, A55's RefundExceedsRefundable and
// RefundNotAllowed, and RefundFailed (no outcome: ask again with the same id).
func (s *Starter) Refund(ctx context.Context, bookingID, refundID string, amount money.Amount, reason string) (workflows.RefundResult, error) {
	var res workflows.RefundResult
	if err := amount.Validate(); err != nil {
		return res, &RejectedError{Operation: "refund", BookingID: bookingID, Reason: "amount: " + err.Error(), Type: workflows.ErrTypeInvalidRefund, Err: err}
	}
	req := workflows.RefundRequest{RefundID: refundID, Amount: amount, Reason: reason}
	// One update per refund id and amount: a repeat is deduplicated to the
	// first answer, another amount reaches the validator (RefundIDReused).
	id := contentUpdateID("refund:"+refundID, struct {
		Amount money.Amount `json:"amount"`
	}{amount})
	err := s.update(ctx, bookingID, "refund", id, workflows.UpdateRefund, req, &res)
	return res, err
}

// Resolve sends an operator's decision on a booking in needs_attention:
// retry the operation that could not finish, or record what was done at A55
// by hand (mark_captured with the amount A55 shows, mark_released). The
// same decision sent twice is one update.
func (s *Starter) Resolve(ctx context.Context, bookingID string, req workflows.ResolveRequest) (workflows.ResolveResult, error) {
	var res workflows.ResolveResult
	if req.Amount != nil {
		if err := req.Amount.Validate(); err != nil {
			return res, &RejectedError{Operation: "resolve", BookingID: bookingID, Reason: "amount: " + err.Error(), Type: "InvalidInput", Err: err}
		}
	}
	err := s.update(ctx, bookingID, "resolve", contentUpdateID("resolve", req), workflows.UpdateResolve, req, &res)
	return res, err
}

// MoveCaptureTime moves the expected check-out / return; the deadline policy
// moves with it (never past the hold's expiry minus the safety margin).
func (s *Starter) MoveCaptureTime(ctx context.Context, bookingID string, at time.Time) (workflows.MoveCaptureTimeResult, error) {
	var res workflows.MoveCaptureTimeResult
	if at.IsZero() {
		return res, &RejectedError{Operation: "move_capture_time", BookingID: bookingID, Reason: "expected_capture_at is required", Type: "InvalidInput"}
	}
	// The same move sent twice is one update; a different time is a new one.
	id := "move_capture_time:" + at.UTC().Format(time.RFC3339Nano)
	err := s.update(ctx, bookingID, "move_capture_time", id, workflows.UpdateMoveCaptureTime,
		workflows.MoveCaptureTimeRequest{ExpectedCaptureAt: at}, &res)
	return res, err
}

// Report3DSComplete forwards the front end's 3ds-auth-complete message; the
// workflow then re-reads the charge (the message itself proves nothing).
func (s *Starter) Report3DSComplete(ctx context.Context, bookingID, chargeUUID string) error {
	if err := workflows.ValidateBookingID(bookingID); err != nil {
		return &RejectedError{Operation: "3ds_complete", BookingID: bookingID, Reason: err.Error(), Type: "InvalidInput", Err: err}
	}
	err := s.c.SignalWorkflow(ctx, workflows.WorkflowID(bookingID), "", workflows.Signal3DSComplete,
		workflows.ThreeDSCompleteSignal{ChargeUUID: chargeUUID})
	if err != nil {
		return classify("3ds_complete", bookingID, err)
	}
	return nil
}

// Status returns the payment's current state (never card data).
func (s *Starter) Status(ctx context.Context, bookingID string) (workflows.PaymentState, error) {
	var st workflows.PaymentState
	if err := workflows.ValidateBookingID(bookingID); err != nil {
		return st, &RejectedError{Operation: "status", BookingID: bookingID, Reason: err.Error(), Type: "InvalidInput", Err: err}
	}
	v, err := s.c.QueryWorkflow(ctx, workflows.WorkflowID(bookingID), "", workflows.QueryStatus)
	if err != nil {
		return st, classify("status", bookingID, err)
	}
	if err := v.Get(&st); err != nil {
		return st, fmt.Errorf("status of booking %q: decoding: %w", bookingID, err)
	}
	return st, nil
}

// Result waits for the booking's workflow to finish and returns its result.
func (s *Starter) Result(ctx context.Context, bookingID string) (workflows.BookingPaymentResult, error) {
	var res workflows.BookingPaymentResult
	if err := workflows.ValidateBookingID(bookingID); err != nil {
		return res, &RejectedError{Operation: "result", BookingID: bookingID, Reason: err.Error(), Type: "InvalidInput", Err: err}
	}
	if err := s.c.GetWorkflow(ctx, workflows.WorkflowID(bookingID), "").Get(ctx, &res); err != nil {
		return res, classify("result", bookingID, err)
	}
	return res, nil
}

func (s *Starter) update(ctx context.Context, bookingID, op, updateID, name string, arg, result any) error {
	if err := workflows.ValidateBookingID(bookingID); err != nil {
		return &RejectedError{Operation: op, BookingID: bookingID, Reason: err.Error(), Type: "InvalidInput", Err: err}
	}
	err := retryWhileNotReady(ctx, func() error {
		handle, err := s.c.UpdateWorkflow(ctx, updateOptions(bookingID, updateID, name, arg))
		if err != nil {
			return err
		}
		return handle.Get(ctx, result)
	})
	if err != nil {
		return classify(op, bookingID, err)
	}
	return nil
}

// updateOptions is the update name(arg) of the booking's workflow, with its
// id, waited for until the workflow has answered.
func updateOptions(bookingID, updateID, name string, arg any) client.UpdateWorkflowOptions {
	return client.UpdateWorkflowOptions{
		WorkflowID:   workflows.WorkflowID(bookingID),
		UpdateID:     updateID,
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	}
}

// classify turns SDK errors into ErrBookingNotFound, *RejectedError (the
// workflow refused) or a wrapped transport error.
func classify(op, bookingID string, err error) error {
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		// The server answers an update to a closed workflow with NotFound
		// "workflow execution already completed": the booking exists.
		if strings.Contains(notFound.Error(), "completed") {
			return &RejectedError{Operation: op, BookingID: bookingID, Type: TypeBookingFinished, Err: err,
				Reason: "this booking's payment already finished; read its outcome with Result or Status"}
		}
		return fmt.Errorf("%s for booking %q: %w", op, bookingID, ErrBookingNotFound)
	}
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return &RejectedError{Operation: op, BookingID: bookingID, Type: TypeBookingFinished, Err: err,
			Reason: "this booking's payment already finished; a new payment needs a new booking id"}
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return &RejectedError{Operation: op, BookingID: bookingID, Reason: app.Message(), Type: app.Type(), Err: err}
	}
	return fmt.Errorf("%s for booking %q: %w", op, bookingID, err)
}

// AuthorizationUpdateID is the update id of one authorization request: the
// same request always gets the same id (a repeat is the same update).
func AuthorizationUpdateID(req workflows.AuthorizationRequest) string {
	return contentUpdateID(UpdateIDAuthorization, req)
}

// contentUpdateID is prefix + a digest of the request: the same request is
// the same update (deduplicated by Temporal), another one a new update.
func contentUpdateID(prefix string, req any) string {
	b, _ := json.Marshal(req) // the contract's request types always encode
	sum := sha256.Sum256(b)
	return prefix + ":" + hex.EncodeToString(sum[:12])
}
