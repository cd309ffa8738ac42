package workflows

// The booking's payment, chapter by chapter: this file starts it and runs its
// stages in order; authorize.go places the hold, threeds.go waits for a 3DS
// challenge, hold.go keeps the hold until a capture, a cancel or the capture
// deadline, money.go captures and releases, handlers.go answers the booking
// system and A55's webhooks, a55.go runs the A55 calls, status.go records
// every change (status, search attributes, current details).

import (
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Error types of the workflow's own application errors.
const (
	// ErrTypeInvalidInput fails the workflow before any activity.
	ErrTypeInvalidInput = "InvalidInput"
	// ErrTypeCaptureFailed / ErrTypeCancelFailed are returned by the capture
	// and cancel updates when the money operation could not be done; the
	// payment is then failed (or expired) and the message says why.
	ErrTypeCaptureFailed = "CaptureFailed"
	ErrTypeCancelFailed  = "CancelFailed"
	// ErrTypeHoldExpired: the capture found the hold lapsed.
	ErrTypeHoldExpired = "HoldExpired"
	// ErrTypeWebhookIgnored rejects a charge_changed update that carries
	// nothing the workflow needs (see webhookIgnored): a rejected update
	// leaves no history event.
	ErrTypeWebhookIgnored = "WebhookIgnored"
)

// Who captured, in BookingPaymentResult.CapturedBy.
const (
	CapturedByRequest  = "request"  // the booking system's capture update
	CapturedByDeadline = "deadline" // the deadline policy
	CapturedByA55      = "a55"      // A55 reported the charge captured without our capture call
	CapturedByOperator = "operator" // an operator recorded a capture made by hand (UpdateResolve)
)

// Reasons the workflow reports for declines that have no A55 code.
const (
	Reason3DSAbandoned = "3ds_abandoned"
	Reason3DSFailed    = "3ds_failed"
	// ReasonUndecided: A55 neither approved nor declined a frictionless
	// authorization within ThreeDSTimeout; the charge was cancelled.
	ReasonUndecided = "authorization_undecided"
)

// payment is one booking's workflow state.
type payment struct {
	in   BookingPaymentInput
	wfID string
	st   PaymentState

	// pendingSA holds search attribute changes until the next status change
	// sends them as one command.
	pendingSA []temporal.SearchAttributeUpdate
	// statusSetAtStart: the starter set PaymentStatus=authorizing at start
	// (free), so the first transition need not upsert it.
	statusSetAtStart bool

	holdWindow, margin, grace, threeDSTimeout time.Duration
	// cardKeyGone is the card key's destruction once scheduled (shredCard);
	// the run waits for it before it closes.
	cardKeyGone        workflow.Future
	capturedBy         string
	authorizeStartedAt time.Time

	// readWanted is set by a signal that may mean the charge changed; the
	// main loop answers it with one read (signals are only triggers).
	readWanted     bool
	lastReadStatus string
	// busy: a money operation (capture or cancel) is in flight.
	busy bool
	// cancelRequested: someone asked Temporal to cancel the workflow (the
	// UI's Request Cancellation, `temporal workflow cancel`); see cancel.go.
	cancelRequested bool
	// cancelHandled: the cancellation request has been acted on.
	cancelHandled bool
	// attn is the operation a booking in needs_attention could not finish.
	attn *pendingOp
	// request is what the booking was started with (AuthorizationRequest,
	// kept before the card is dropped).
	request AuthorizationRequest

	// History bounds (history.go): fruitlessReads counts reads in a row that
	// found nothing new; bounded caches the bounded-history version (0 =
	// not asked yet, 1 = on, -1 = a history from before it); continuing:
	// this run hands over to a new one.
	fruitlessReads int
	bounded        int
	continuing     bool

	// stays caches the long-stays version (stay.go; 0 = not asked yet);
	// replacing is the replace_hold in progress (replace.go).
	stays            int
	replacing        *replacement
	replacedReleases int

	deadline deadlineTimer
	// refund is the refund window's own state (refund.go).
	refund refunding

	// Notifications (notify.go): voidedBy is why the hold is being
	// released (Event.VoidedBy); expiring is the hold_expiring timer.
	voidedBy string
	expiring holdExpiring
}

// BookingPayment runs one booking's card payment: authorize (with 3DS when the
// issuer asks), then capture or release on the booking system's word or at
// the capture deadline. See the package README section "How the workflow
// works".
func BookingPayment(ctx workflow.Context, in BookingPaymentInput) (BookingPaymentResult, error) {
	// The rules relative to now (card expiry, expected capture time) are the
	// starter's: the workflow may start seconds later (a slow start, a
	// server restart) and must not turn a booking the starter accepted into
	// invalid input. A deadline already past just runs the policy at once.
	if err := validateRunInput(ctx, in); err != nil {
		failure := temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidInput, nil)
		rejectAuthorization(ctx, failure)
		return BookingPaymentResult{}, failure
	}
	if err := refuseLongStayWithoutPolicy(ctx, in); err != nil {
		return BookingPaymentResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidInput, nil)
	}
	p := newPayment(ctx, in)
	// The payment runs on a context a cancellation request cannot cancel:
	// such a request is a business event that releases the hold, never an
	// abort that would leave it live at A55 (cancel.go).
	work := p.watchCancellation(ctx)
	if err := p.register(ctx, work); err != nil {
		return BookingPaymentResult{}, err
	}
	p.startNotifications(work)
	for first := true; ; first = false {
		// A booking in its refund window that could not hand over goes
		// on in the window, never through the payment's stages again.
		if first || !p.refundWindowOpen() {
			p.run(work)
		}
		p.keepRefundable(work)
		// Updates in flight (an authorization waiter, a capture that found
		// the hold lapsed) answer their callers before the run closes.
		// So do releases of replaced holds (replace.go).
		_ = workflow.Await(work, func() bool { return workflow.AllHandlersFinished(work) && p.replacedReleases == 0 })
		if p.cardKeyGone != nil {
			_ = p.cardKeyGone.Get(work, nil) // a failure is logged where it is scheduled
		}
		if !p.continuing {
			p.drainNotifications(work)
			return p.result(), nil
		}
		if p.st.Status == StatusAuthorized && !p.busy && !p.cancelRequested || p.refundsContinue() {
			return BookingPaymentResult{}, workflow.NewContinueAsNewError(work, WorkflowName, p.nextRunInput(work))
		}
		// An update acted on the hold while the run was handing over:
		// this run goes on.
		p.continuing = false
	}
}

// rejectAuthorization makes the authorization update of a booking refused
// at start (an update-with-start, the way booking systems start one) fail
// with the refusal itself rather than "unknown update". Its validator
// always rejects: no event, nothing to replay.
func rejectAuthorization(ctx workflow.Context, failure error) {
	_ = workflow.SetUpdateHandlerWithOptions(ctx, UpdateAuthorization,
		func(workflow.Context, AuthorizationRequest) (AuthorizationResult, error) {
			return AuthorizationResult{}, failure
		},
		workflow.UpdateHandlerOptions{Validator: func(workflow.Context, AuthorizationRequest) error { return failure }})
}

func newPayment(ctx workflow.Context, in BookingPaymentInput) *payment {
	p := &payment{
		in:             in,
		wfID:           workflow.GetInfo(ctx).WorkflowExecution.ID,
		holdWindow:     orDefault(in.HoldWindow, DefaultHoldWindow),
		margin:         orDefault(in.SafetyMargin, DefaultSafetyMargin),
		grace:          orDefault(in.CaptureGrace, DefaultCaptureGrace),
		threeDSTimeout: orDefault(in.ThreeDSTimeout, DefaultThreeDSTimeout),
		request:        AuthorizationRequestOf(in),
	}
	p.st = PaymentState{
		BookingID:         in.BookingID,
		Kind:              in.Kind,
		Hold:              in.Amount,
		ExpectedCaptureAt: in.ExpectedCaptureAt,
		DeadlinePolicy:    in.DeadlinePolicy,
		LongStayPolicy:    in.LongStayPolicy,
		History:           []Transition{},
	}
	if c := in.Continued; c != nil {
		p.resume(c)
	}
	return p
}

// logger is the replay-aware workflow logger. The workflow logs ids,
// statuses and reasons only, never the input's card or payer.
func (p *payment) logger(ctx workflow.Context) log.Logger {
	return workflow.GetLogger(ctx)
}

// run is the booking's life: authorize, wait out a 3DS challenge, keep the
// hold until it is captured or released.
func (p *payment) run(ctx workflow.Context) {
	// Search attributes given at start (starter.StartOptions) cost no
	// command: upsert only what the starter did not set.
	if p.in.Continued != nil {
		p.resumeSearchAttributes(ctx)
	} else {
		p.start(ctx)
	}
	for !p.st.Status.Terminal() && !p.continuing {
		switch status := p.st.Status; {
		case p.cancelRequested && !p.cancelHandled && !p.busy:
			p.cancelHandled = true
			p.releaseOnCancellation(ctx)
		case (status == StatusAuthorizing || status == StatusAwaiting3DS) && !p.busy && !p.cancelRequested:
			p.awaitChallenge(ctx)
		case status == StatusAuthorized && !p.busy && !p.cancelRequested:
			p.holdLoop(ctx)
		default:
			// An update is acting on the charge, or the booking needs an
			// operator: wait for either to change something.
			busy := p.busy
			_ = workflow.Await(ctx, func() bool {
				return p.st.Status != status || p.busy != busy || (p.cancelRequested && !p.cancelHandled && !p.busy)
			})
		}
	}
}

// start is a booking's first run: search attributes, then the authorization.
func (p *payment) start(ctx workflow.Context) {
	sa := workflow.GetTypedSearchAttributes(ctx)
	if v, ok := sa.GetKeyword(BookingIDKey); !ok || v != p.in.BookingID {
		p.upsert(BookingIDKey.ValueSet(p.in.BookingID))
	}
	if v, ok := sa.GetKeyword(PaymentStatusKey); ok && v == string(StatusAuthorizing) {
		p.statusSetAtStart = true
	}
	p.transition(ctx, StatusAuthorizing, "authorization started")
	p.authorize(ctx)
	p.flushSA(ctx) // an undecided authorization still shows its charge id
}
