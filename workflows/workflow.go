package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/money"
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

// Workflow versions (workflow.GetVersion). Histories recorded before a
// change replay its DefaultVersion branch; see testdata/.
const (
	// changeLeanHistory: the create call and reads of the charge run as
	// local activities first (callA55), search attributes go out as one
	// command per status change (none for the transient capturing, none
	// already set at start), and a capture or cancel does not cancel the
	// deadline timer (the workflow's completion drops it). BENCHMARKS.md
	// counts what each saves.
	changeLeanHistory  = "lean-history"
	leanHistoryVersion = workflow.Version(1)
)

// Revisions, in BookingPaymentInput.Revision: the code path chosen at start.
// A path chosen in the input costs nothing more, as history keeps the input;
// one chosen by workflow.GetVersion costs every booking a version marker and
// a TemporalChangeVersion search attribute upsert (2 events, 1 billable
// action, 1 visibility write). New paths get a new revision; GetVersion stays
// for bookings started without one.
const (
	// RevisionLean takes changeLeanHistory's branch without asking
	// GetVersion.
	RevisionLean = 1
	// CurrentRevision is what starter.Authorize sets.
	CurrentRevision = RevisionLean
)

// Who captured, in BookingPaymentResult.CapturedBy.
const (
	CapturedByRequest  = "request"  // the booking system's capture update
	CapturedByDeadline = "deadline" // the deadline policy
	CapturedByA55      = "a55"      // A55 reported the charge captured without our capture call
)

// Reasons the workflow reports for declines that have no A55 code.
const (
	Reason3DSAbandoned = "3ds_abandoned"
	Reason3DSFailed    = "3ds_failed"
	// ReasonUndecided: A55 neither approved nor declined a frictionless
	// authorization within ThreeDSTimeout; the charge was cancelled.
	ReasonUndecided = "authorization_undecided"
)

// Activity timeouts. A55 calls take at most the client's 30 s timeout.
const (
	activityStartToClose = time.Minute
	// authorizeBudget bounds the authorization: a booking system waits for it.
	authorizeBudget = 10 * time.Minute
	// readBudget bounds one read of the charge (a read is only a refresh).
	readBudget = 5 * time.Minute
	// releaseBudget bounds a cancel when no hold expiry is known yet (3DS).
	releaseBudget = time.Hour
	// minMoneyBudget is the least a capture or cancel gets, even when the
	// hold is about to lapse.
	minMoneyBudget = 5 * time.Minute

	// A lean run tries an A55 call as a local activity first, within these
	// bounds, then goes on as a regular activity (see callA55). They are
	// short because a local activity holds its workflow task open (queries
	// and updates wait, up to a heartbeat of the task), and a healthy A55
	// answers in well under a second.
	localAttempts        = 3
	localStartToClose    = 10 * time.Second
	localScheduleToClose = 15 * time.Second
)

// allowed lists every legal transition; anything else is ignored and logged,
// so a late or duplicate event cannot move a terminal state.
var allowed = map[Status][]Status{
	"":                {StatusAuthorizing},
	StatusAuthorizing: {StatusAwaiting3DS, StatusAuthorized, StatusDeclined, StatusFailed, StatusCaptured, StatusVoiding},
	StatusAwaiting3DS: {StatusAuthorized, StatusDeclined, StatusFailed, StatusVoiding, StatusCaptured},
	StatusAuthorized:  {StatusCapturing, StatusVoiding, StatusExpired, StatusFailed, StatusCaptured},
	StatusCapturing:   {StatusCaptured, StatusExpired, StatusFailed},
	StatusVoiding:     {StatusVoided, StatusDeclined, StatusCaptured, StatusFailed},
}

func legal(from, to Status) bool {
	for _, s := range allowed[from] {
		if s == to {
			return true
		}
	}
	return false
}

// payment is one booking's workflow state.
type payment struct {
	in   BookingPaymentInput
	wfID string
	st   PaymentState

	// lean: this run takes changeLeanHistory's branch.
	lean bool
	// pendingSA holds search attribute changes until the next status change
	// sends them as one command (lean runs only).
	pendingSA []temporal.SearchAttributeUpdate
	// statusSetAtStart: the starter set PaymentStatus=authorizing at start
	// (free), so the first transition need not upsert it.
	statusSetAtStart bool

	holdWindow, margin, grace, threeDSTimeout time.Duration
	capturedBy                                string
	authorizeStartedAt                        time.Time

	// readWanted is set by a signal that may mean the charge changed; the
	// main loop answers it with one read (signals are only triggers).
	readWanted     bool
	lastReadStatus string
	// busy: a money operation (capture or cancel) is in flight.
	busy bool

	deadlineDue    bool
	armedFor       time.Time
	cancelDeadline workflow.CancelFunc
	timerGen       int
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
	if err := ValidateInput(in, time.Time{}); err != nil {
		return BookingPaymentResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidInput, nil)
	}
	p := newPayment(ctx, in)
	if err := p.register(ctx); err != nil {
		return BookingPaymentResult{}, err
	}
	p.run(ctx)
	// Updates in flight (an authorization waiter, a capture that found the
	// hold lapsed) answer their callers before the workflow closes.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return p.result(), nil
}

func newPayment(ctx workflow.Context, in BookingPaymentInput) *payment {
	p := &payment{
		in:             in,
		wfID:           workflow.GetInfo(ctx).WorkflowExecution.ID,
		holdWindow:     orDefault(in.HoldWindow, DefaultHoldWindow),
		margin:         orDefault(in.SafetyMargin, DefaultSafetyMargin),
		grace:          orDefault(in.CaptureGrace, DefaultCaptureGrace),
		threeDSTimeout: orDefault(in.ThreeDSTimeout, DefaultThreeDSTimeout),
	}
	p.st = PaymentState{
		BookingID:         in.BookingID,
		Kind:              in.Kind,
		Hold:              in.Amount,
		ExpectedCaptureAt: in.ExpectedCaptureAt,
		DeadlinePolicy:    in.DeadlinePolicy,
		History:           []Transition{},
	}
	return p
}

// logger is the replay-aware workflow logger. The workflow logs ids,
// statuses and reasons only, never the input's card or payer.
func (p *payment) logger(ctx workflow.Context) log.Logger {
	return workflow.GetLogger(ctx)
}

// ---- handlers ----

func (p *payment) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (PaymentState, error) {
		s := p.st
		s.History = append([]Transition(nil), p.st.History...)
		return s, nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, UpdateAuthorization, p.handleAuthorization); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCapture, p.handleCapture,
		workflow.UpdateHandlerOptions{Validator: p.validateCapture}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCancel, p.handleCancel,
		workflow.UpdateHandlerOptions{Validator: p.validateCancel}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateMoveCaptureTime, p.handleMoveCaptureTime,
		workflow.UpdateHandlerOptions{Validator: p.validateMoveCaptureTime}); err != nil {
		return err
	}
	// The webhook receiver delivers A55 webhooks as this update (a redundant
	// one is rejected and leaves no event), falling back to the signal below.
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateChargeChanged, p.handleChargeChanged,
		workflow.UpdateHandlerOptions{Validator: p.validateChargeChanged}); err != nil {
		return err
	}
	// Signals are drained by one coroutine for the whole run, so a webhook
	// that arrives before the create call returns is kept (as readWanted)
	// and answered by a read once the charge id is known.
	changed := workflow.GetSignalChannel(ctx, SignalChargeChanged)
	completed := workflow.GetSignalChannel(ctx, Signal3DSComplete)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(changed, func(c workflow.ReceiveChannel, _ bool) {
				var s ChargeChangedSignal
				c.Receive(ctx, &s)
				p.onChargeChanged(ctx, s)
			})
			sel.AddReceive(completed, func(c workflow.ReceiveChannel, _ bool) {
				var s ThreeDSCompleteSignal
				c.Receive(ctx, &s)
				p.on3DSComplete(ctx, s)
			})
			sel.Select(ctx)
		}
	})
	return nil
}

// onChargeChanged takes a webhook, as the signal or the accepted update: it
// only asks for a read of the charge. s.Status is only the sender's claim:
// LastA55Status records reads, never a webhook's word (a forged one must not
// show there).
func (p *payment) onChargeChanged(ctx workflow.Context, s ChargeChangedSignal) {
	if why := p.webhookIgnored(s); why != "" {
		p.logger(ctx).Info("webhook ignored", "charge_uuid", s.ChargeUUID, "why", why)
		return
	}
	p.readWanted = true
}

// webhookIgnored says why a webhook needs no read of the charge, or "" when
// it does. It only reads state: the update's validator must not change it.
// (A busy operation's own answer ends the payment, so a read it would ask for
// is never made; a read already due covers this webhook too.)
func (p *payment) webhookIgnored(s ChargeChangedSignal) string {
	switch {
	case p.st.ChargeUUID != "" && s.ChargeUUID != "" && s.ChargeUUID != p.st.ChargeUUID:
		return "it is about another charge"
	case p.st.Status.Terminal():
		return "the payment is already " + string(p.st.Status)
	case p.busy:
		return "a capture or cancel is in flight and its own answer decides"
	case p.readWanted:
		return "a read of the charge is already due"
	case p.st.ChargeUUID != "" && s.Status != "" && s.Status == p.lastReadStatus:
		return "the last read already showed " + s.Status
	}
	return ""
}

func (p *payment) validateChargeChanged(_ workflow.Context, s ChargeChangedSignal) error {
	if why := p.webhookIgnored(s); why != "" {
		return temporal.NewNonRetryableApplicationError("webhook ignored: "+why, ErrTypeWebhookIgnored, nil)
	}
	return nil
}

// handleChargeChanged runs for an update the validator accepted.
func (p *payment) handleChargeChanged(ctx workflow.Context, s ChargeChangedSignal) error {
	p.onChargeChanged(ctx, s)
	return nil
}

func (p *payment) on3DSComplete(ctx workflow.Context, s ThreeDSCompleteSignal) {
	if p.st.ChargeUUID != "" && s.ChargeUUID != "" && s.ChargeUUID != p.st.ChargeUUID {
		p.logger(ctx).Warn("3DS completion for another charge ignored", "charge_uuid", s.ChargeUUID)
		return
	}
	if !p.st.Status.Terminal() {
		p.readWanted = true
	}
}

func (p *payment) handleAuthorization(ctx workflow.Context) (AuthorizationResult, error) {
	if err := workflow.Await(ctx, func() bool { return p.st.Status != StatusAuthorizing && p.st.Status != "" }); err != nil {
		return AuthorizationResult{}, err
	}
	return p.authorizationResult(), nil
}

func (p *payment) authorizationResult() AuthorizationResult {
	r := AuthorizationResult{
		Status:          p.st.Status,
		ChargeUUID:      p.st.ChargeUUID,
		Authorized:      p.st.Authorized,
		CaptureDeadline: p.st.CaptureDeadline,
		DeclineCode:     p.st.DeclineCode,
		DeclineMessage:  p.st.DeclineMessage,
		Reason:          p.st.Reason,
	}
	if p.st.Status == StatusAwaiting3DS {
		r.URL3DS = p.st.URL3DS
	}
	return r
}

// moneyOpAllowed is the common rule of capture, cancel and move: the hold is
// authorized, nothing else is acting on it, and the deadline has not come.
func (p *payment) moneyOpAllowed(ctx workflow.Context, what string) error {
	switch p.st.Status {
	case StatusAuthorized:
	case StatusCapturing:
		return fmt.Errorf("%s refused: a capture is already in progress", what)
	case StatusVoiding:
		return fmt.Errorf("%s refused: the hold is being released", what)
	case StatusCaptured:
		return fmt.Errorf("%s refused: the payment is already captured (%s)", what, p.st.Captured.Display())
	default:
		return fmt.Errorf("%s refused: the payment is %s, not authorized", what, p.st.Status)
	}
	if p.busy {
		return fmt.Errorf("%s refused: another operation on the hold is in progress", what)
	}
	if p.deadlineDue || !workflow.Now(ctx).Before(p.st.CaptureDeadline) {
		return fmt.Errorf("%s refused: the capture deadline %s has passed and the deadline policy (%s) applies",
			what, p.st.CaptureDeadline.UTC().Format(time.RFC3339), p.in.DeadlinePolicy.Action)
	}
	return nil
}

func (p *payment) validateCapture(ctx workflow.Context, req CaptureRequest) error {
	if req.Amount != nil {
		a := *req.Amount
		if a.Currency != p.in.Amount.Currency {
			return fmt.Errorf("capture refused: amount.currency %q differs from the authorized currency %s", string(a.Currency), p.in.Amount.Currency)
		}
		if a.Minor <= 0 {
			return fmt.Errorf("capture refused: amount must be positive (got %d minor units)", a.Minor)
		}
		if a.Minor > p.in.Amount.Minor {
			return fmt.Errorf("capture refused: %s is more than the authorized %s", a.Display(), p.in.Amount.Display())
		}
	}
	return p.moneyOpAllowed(ctx, "capture")
}

func (p *payment) handleCapture(ctx workflow.Context, req CaptureRequest) (CaptureResult, error) {
	if err := p.validateCapture(ctx, req); err != nil {
		return CaptureResult{}, err
	}
	amount := p.st.Authorized
	if req.Amount != nil {
		amount = *req.Amount
	}
	return p.capture(ctx, amount, CapturedByRequest)
}

func (p *payment) validateCancel(ctx workflow.Context, _ CancelRequest) error {
	if p.st.Status == StatusAwaiting3DS && !p.busy {
		return nil // abandoning a challenge in progress is allowed
	}
	return p.moneyOpAllowed(ctx, "cancel")
}

func (p *payment) handleCancel(ctx workflow.Context, req CancelRequest) (CancelResult, error) {
	if err := p.validateCancel(ctx, req); err != nil {
		return CancelResult{}, err
	}
	reason := "cancel requested"
	if req.Reason != "" {
		reason += ": " + req.Reason
	}
	return p.release(ctx, reason, req.Reason)
}

func (p *payment) validateMoveCaptureTime(ctx workflow.Context, req MoveCaptureTimeRequest) error {
	if req.ExpectedCaptureAt.IsZero() {
		return errors.New("move_capture_time refused: expected_capture_at is required")
	}
	if !req.ExpectedCaptureAt.After(workflow.Now(ctx)) {
		return fmt.Errorf("move_capture_time refused: expected_capture_at %s is not in the future",
			req.ExpectedCaptureAt.UTC().Format(time.RFC3339))
	}
	return p.moneyOpAllowed(ctx, "move_capture_time")
}

func (p *payment) handleMoveCaptureTime(ctx workflow.Context, req MoveCaptureTimeRequest) (MoveCaptureTimeResult, error) {
	if err := p.validateMoveCaptureTime(ctx, req); err != nil {
		return MoveCaptureTimeResult{}, err
	}
	p.st.ExpectedCaptureAt = req.ExpectedCaptureAt
	p.st.CaptureDeadline = captureDeadline(req.ExpectedCaptureAt, p.grace, p.st.HoldExpiresAt, p.margin)
	p.logger(ctx).Info("capture time moved", "expected_capture_at", req.ExpectedCaptureAt, "capture_deadline", p.st.CaptureDeadline)
	p.upsert(ctx, CaptureDeadlineKey.ValueSet(p.st.CaptureDeadline))
	p.flushSA(ctx)
	p.details(ctx)
	// The main loop sees the new deadline and re-arms its timer.
	return MoveCaptureTimeResult{ExpectedCaptureAt: p.st.ExpectedCaptureAt, CaptureDeadline: p.st.CaptureDeadline}, nil
}

// ---- main flow ----

func (p *payment) run(ctx workflow.Context) {
	switch {
	case p.in.Revision > CurrentRevision:
		// Started by a newer starter: fail the task (the SDK retries it)
		// until a worker that knows this revision takes the booking, as
		// GetVersion does for a version it does not know.
		panic(fmt.Sprintf("booking started for workflow revision %d; this worker knows up to %d", p.in.Revision, CurrentRevision))
	case p.in.Revision >= RevisionLean:
		p.lean = true
	default:
		p.lean = workflow.GetVersion(ctx, changeLeanHistory, workflow.DefaultVersion, leanHistoryVersion) >= leanHistoryVersion
	}
	if p.lean {
		// Search attributes given at start (starter.StartOptions) cost no
		// command: upsert only what the starter did not set.
		sa := workflow.GetTypedSearchAttributes(ctx)
		if v, ok := sa.GetKeyword(BookingIDKey); !ok || v != p.in.BookingID {
			p.upsert(ctx, BookingIDKey.ValueSet(p.in.BookingID))
		}
		if v, ok := sa.GetKeyword(PaymentStatusKey); ok && v == string(StatusAuthorizing) {
			p.statusSetAtStart = true
		}
	} else {
		p.upsert(ctx, BookingIDKey.ValueSet(p.in.BookingID))
	}
	p.transition(ctx, StatusAuthorizing, "authorization started")
	p.authorize(ctx)
	p.flushSA(ctx) // an undecided authorization still shows its charge id
	if p.st.Status == StatusAuthorizing || p.st.Status == StatusAwaiting3DS {
		p.awaitChallenge(ctx)
	}
	if p.st.Status == StatusAuthorized {
		p.holdLoop(ctx)
	}
	// A capture or cancel update may still be acting on the hold.
	_ = workflow.Await(ctx, func() bool { return p.st.Status.Terminal() })
}

func (p *payment) authorize(ctx workflow.Context) {
	p.authorizeStartedAt = workflow.Now(ctx)
	in := AuthorizeInput{
		IdempotencyKey: p.wfID + "/authorize",
		WorkflowID:     p.wfID,
		BookingID:      p.in.BookingID,
		WalletUUID:     p.in.WalletUUID,
		MerchantID:     p.in.MerchantID,
		Payer:          p.in.Payer,
		Amount:         p.in.Amount,
		Description:    p.in.Description,
		Card:           p.in.Card,
		ThreeDS:        p.in.ThreeDS,
		DeviceInfo:     p.in.DeviceInfo,
		WebhookBaseURL: p.in.WebhookBaseURL,
		ReturnURL:      p.in.ReturnURL,
	}
	// The card goes to this one activity and nowhere else; drop our copies.
	p.in.Card = a55client.Card{}
	var res AuthorizeResult
	err := p.callA55(ctx, ActivityAuthorize, "authorize "+p.in.Amount.Display()+" (hold, capture:false)", authorizeBudget, in).Get(ctx, &res)
	in.Card = a55client.Card{}
	if err != nil {
		p.fail(ctx, "authorization failed: "+describe(err)+
			"; A55 may hold a charge with reference_external_id "+p.in.BookingID+": check it before booking again")
		return
	}
	p.setCharge(ctx, res.Charge.ChargeUUID)
	p.noteRead(res.Charge)
	if res.Declined {
		p.decline(ctx, res.DeclineCode, res.DeclineMessage, "declined by A55")
		return
	}
	p.applyAuthorizationRead(ctx, res.Charge)
}

// applyAuthorizationRead moves an authorization in progress according to what
// A55 says about the charge.
func (p *payment) applyAuthorizationRead(ctx workflow.Context, c ChargeView) {
	if p.st.Status != StatusAuthorizing && p.st.Status != StatusAwaiting3DS {
		return
	}
	in3DS := p.st.Status == StatusAwaiting3DS
	switch c.State {
	case a55client.StateAuthorized:
		p.authorized(ctx)
	case a55client.StatePending3DS:
		if c.URL3DS != "" {
			p.st.URL3DS = c.URL3DS
		}
		if !in3DS {
			p.transition(ctx, StatusAwaiting3DS, "the issuer asked for a 3DS challenge")
		}
	case a55client.StateFailed:
		reason := "declined by A55"
		if in3DS {
			reason = Reason3DSFailed
		}
		p.decline(ctx, c.Code, c.Message, reason)
	case a55client.StateCanceled:
		reason := "A55 canceled the charge before it was authorized"
		if in3DS {
			reason = Reason3DSAbandoned
		}
		p.decline(ctx, c.Code, c.Message, reason)
	case a55client.StateCaptured:
		p.st.Authorized = p.in.Amount
		p.st.Captured = p.in.Amount
		p.capturedBy = CapturedByA55
		p.upsert(ctx, AuthorizedAmountKey.ValueSet(p.in.Amount.Minor), CapturedAmountKey.ValueSet(p.in.Amount.Minor))
		p.transition(ctx, StatusCaptured, "A55 reports the charge captured ("+c.Status+") although it was created with capture:false")
	case a55client.StateProcessing, a55client.StateUnknown:
		// Not decided yet: wait for a webhook or the timeout.
	default:
		p.fail(ctx, "A55 reports the charge as "+c.Status+" during authorization")
	}
}

// awaitChallenge waits for the 3DS challenge (or an undecided charge) to end:
// each webhook or 3ds_complete signal triggers a read; after ThreeDSTimeout
// the charge is read once more and, still undecided, cancelled.
func (p *payment) awaitChallenge(ctx workflow.Context) {
	waiting := func() bool { return p.st.Status == StatusAuthorizing || p.st.Status == StatusAwaiting3DS }
	tctx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	timedOut := false
	timer := workflow.NewTimerWithOptions(tctx, p.threeDSTimeout, workflow.TimerOptions{Summary: "3DS challenge timeout"})
	workflow.Go(ctx, func(ctx workflow.Context) {
		if timer.Get(ctx, nil) == nil {
			timedOut = true
		}
	})
	for waiting() {
		_ = workflow.Await(ctx, func() bool { return timedOut || p.readWanted || !waiting() || p.busy })
		if !waiting() || p.busy {
			return // a cancel update took over
		}
		if p.readWanted && !timedOut {
			p.readWanted = false
			if c, ok := p.read(ctx); ok {
				p.applyAuthorizationRead(ctx, c)
			}
			continue
		}
		// Timed out: read once more before giving up.
		p.readWanted = false
		if c, ok := p.read(ctx); ok {
			p.applyAuthorizationRead(ctx, c)
		}
		if waiting() && !p.busy {
			p.abandon(ctx)
		}
		return
	}
}

// abandon cancels a challenge the card holder never completed (or a charge
// A55 left undecided).
func (p *payment) abandon(ctx workflow.Context) {
	reason := Reason3DSAbandoned
	if p.st.Status == StatusAuthorizing {
		reason = ReasonUndecided
	}
	if p.st.ChargeUUID == "" {
		p.fail(ctx, "A55 returned no charge id and no decision within "+p.threeDSTimeout.String())
		return
	}
	p.busy = true
	defer func() { p.busy = false }()
	p.transition(ctx, StatusVoiding, "no outcome within "+p.threeDSTimeout.String()+": cancelling the charge")
	res, err := p.cancelActivity(ctx, "3DS challenge abandoned", releaseBudget)
	if err != nil {
		p.fail(ctx, reason+": cancelling the charge failed: "+describe(err))
		return
	}
	switch res.Outcome {
	case OutcomeCaptured:
		p.st.Authorized, p.st.Captured, p.capturedBy = p.in.Amount, p.in.Amount, CapturedByA55
		p.upsert(ctx, AuthorizedAmountKey.ValueSet(p.in.Amount.Minor), CapturedAmountKey.ValueSet(p.in.Amount.Minor))
		p.transition(ctx, StatusCaptured, "the abandoned challenge's charge turned out captured ("+res.Charge.Status+")")
	case OutcomeNothingHeld:
		p.decline(ctx, res.Charge.Code, res.Charge.Message, Reason3DSFailed)
	default:
		p.decline(ctx, "", "", reason)
	}
}

// authorized records the hold and computes the capture deadline.
func (p *payment) authorized(ctx workflow.Context) {
	now := workflow.Now(ctx)
	p.st.Authorized = p.in.Amount
	p.st.AuthorizedAt = now
	// The hold is counted from when we asked for it: never later than A55's clock.
	p.st.HoldExpiresAt = p.authorizeStartedAt.Add(p.holdWindow)
	p.st.CaptureDeadline = captureDeadline(p.st.ExpectedCaptureAt, p.grace, p.st.HoldExpiresAt, p.margin)
	p.st.URL3DS = ""
	p.upsert(ctx, AuthorizedAmountKey.ValueSet(p.st.Authorized.Minor), CaptureDeadlineKey.ValueSet(p.st.CaptureDeadline))
	p.transition(ctx, StatusAuthorized, "hold placed")
}

// holdLoop waits in authorized for a capture or cancel update, a webhook, a
// moved capture time, or the deadline.
func (p *payment) holdLoop(ctx workflow.Context) {
	if !p.lean {
		defer p.disarmDeadline()
	}
	// Lean runs leave the deadline timer armed when the hold leaves
	// authorized: the capture or cancel ends the workflow, which drops a
	// pending timer without a TimerCanceled event (a re-armed deadline still
	// cancels the old timer).
	for p.st.Status == StatusAuthorized {
		if !p.armedFor.Equal(p.st.CaptureDeadline) {
			p.armDeadline(ctx)
		}
		_ = workflow.Await(ctx, func() bool {
			return p.st.Status != StatusAuthorized || p.deadlineDue || p.readWanted ||
				!p.armedFor.Equal(p.st.CaptureDeadline)
		})
		switch {
		case p.st.Status != StatusAuthorized || p.busy:
			return
		case p.deadlineDue:
			p.applyDeadlinePolicy(ctx)
			return
		case p.readWanted:
			p.readWanted = false
			// The deadline does not wait for a slow read.
			if c, ok := p.readUnless(ctx, func() bool { return p.deadlineDue }); ok {
				p.applyHeldRead(ctx, c)
			}
		}
	}
}

// applyHeldRead handles what A55 says about an authorized charge.
func (p *payment) applyHeldRead(ctx workflow.Context, c ChargeView) {
	if p.st.Status != StatusAuthorized || p.busy {
		return // an update is acting on the hold; its own result decides
	}
	switch c.State {
	case a55client.StateAuthorized, a55client.StateProcessing, a55client.StateUnknown, a55client.StatePending3DS:
	case a55client.StateCanceled:
		p.transition(ctx, StatusExpired, "A55 reports the hold "+c.Status+" before any capture or cancel")
	case a55client.StateCaptured:
		p.st.Captured = p.st.Authorized
		p.capturedBy = CapturedByA55
		p.upsert(ctx, CapturedAmountKey.ValueSet(p.st.Captured.Minor))
		p.transition(ctx, StatusCaptured, "A55 reports the charge captured ("+c.Status+") without a capture from this workflow")
	default:
		p.fail(ctx, "A55 reports the authorized charge as "+c.Status+": "+c.Code+" "+c.Message)
	}
}

func (p *payment) armDeadline(ctx workflow.Context) {
	p.disarmDeadline()
	p.deadlineDue = false
	p.armedFor = p.st.CaptureDeadline
	p.timerGen++
	gen := p.timerGen
	d := p.armedFor.Sub(workflow.Now(ctx))
	if d <= 0 {
		p.deadlineDue = true
		return
	}
	tctx, cancel := workflow.WithCancel(ctx)
	p.cancelDeadline = cancel
	timer := workflow.NewTimerWithOptions(tctx, d, workflow.TimerOptions{
		Summary: "capture deadline: " + p.policyText() + " at " + p.armedFor.UTC().Format(time.RFC3339),
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		if timer.Get(ctx, nil) == nil && gen == p.timerGen {
			p.deadlineDue = true
		}
	})
}

func (p *payment) disarmDeadline() {
	if p.cancelDeadline != nil {
		p.cancelDeadline()
		p.cancelDeadline = nil
	}
}

func (p *payment) policyText() string {
	if p.in.DeadlinePolicy.Action == DeadlineCapture {
		return "capture " + p.deadlineCaptureAmount().Display()
	}
	return "release the hold"
}

func (p *payment) deadlineCaptureAmount() money.Amount {
	if a := p.in.DeadlinePolicy.Amount; a != nil {
		return *a
	}
	return p.st.Authorized
}

func (p *payment) applyDeadlinePolicy(ctx workflow.Context) {
	p.logger(ctx).Info("capture deadline reached", "policy", string(p.in.DeadlinePolicy.Action))
	if p.in.DeadlinePolicy.Action == DeadlineCapture {
		_, _ = p.capture(ctx, p.deadlineCaptureAmount(), CapturedByDeadline)
		return
	}
	_, _ = p.release(ctx, "deadline policy: release the hold", "capture deadline reached")
}

// ---- money operations (one at a time: busy) ----

func (p *payment) capture(ctx workflow.Context, amount money.Amount, by string) (CaptureResult, error) {
	p.busy = true
	defer func() { p.busy = false }()
	p.transition(ctx, StatusCapturing, "capture "+amount.Display()+" ("+by+")")
	// A capture moves money: a regular activity, so the update's acceptance
	// and the scheduled call are recorded together before A55 is asked (see
	// callA55 for why reads and the create call differ).
	actx := p.activityContext(ctx, "capture "+amount.Display(), p.moneyBudget(ctx))
	var res OperationResult
	err := workflow.ExecuteActivity(actx, ActivityCapture, CaptureInput{
		IdempotencyKey: p.wfID + "/capture",
		WalletUUID:     p.in.WalletUUID,
		ChargeUUID:     p.st.ChargeUUID,
		Amount:         &amount,
	}).Get(ctx, &res)
	if err != nil {
		p.fail(ctx, "capture of "+amount.Display()+" failed: "+describe(err))
		return CaptureResult{}, temporal.NewApplicationError(p.st.Reason, ErrTypeCaptureFailed)
	}
	p.noteRead(res.Charge)
	switch res.Outcome {
	case OutcomeCaptured:
		released, _ := p.st.Authorized.Sub(amount)
		p.st.Captured = amount
		p.capturedBy = by
		p.upsert(ctx, CapturedAmountKey.ValueSet(amount.Minor))
		reason := "captured " + amount.Display()
		if res.Recovered {
			reason += " (an earlier attempt had captured it)"
		}
		p.transition(ctx, StatusCaptured, reason)
		return CaptureResult{ChargeUUID: p.st.ChargeUUID, Captured: amount, Released: released, Status: StatusCaptured}, nil
	case OutcomeExpired:
		p.transition(ctx, StatusExpired, "A55 refused the capture: the hold lapsed (charge "+res.Charge.Status+")")
		return CaptureResult{}, temporal.NewApplicationError(p.st.Reason, ErrTypeHoldExpired)
	}
	p.fail(ctx, "capture answered "+string(res.Outcome)+" (charge "+res.Charge.Status+")")
	return CaptureResult{}, temporal.NewApplicationError(p.st.Reason, ErrTypeCaptureFailed)
}

func (p *payment) release(ctx workflow.Context, why, a55Reason string) (CancelResult, error) {
	p.busy = true
	defer func() { p.busy = false }()
	from3DS := p.st.Status == StatusAwaiting3DS
	p.transition(ctx, StatusVoiding, why)
	budget := releaseBudget
	if !from3DS {
		budget = p.moneyBudget(ctx)
	}
	res, err := p.cancelActivity(ctx, a55Reason, budget)
	if err != nil {
		p.fail(ctx, "release of the hold failed: "+describe(err))
		return CancelResult{}, temporal.NewApplicationError(p.st.Reason, ErrTypeCancelFailed)
	}
	p.noteRead(res.Charge)
	if res.Outcome == OutcomeCaptured {
		p.st.Authorized, p.st.Captured = p.in.Amount, p.in.Amount
		p.capturedBy = CapturedByA55
		p.upsert(ctx, AuthorizedAmountKey.ValueSet(p.st.Authorized.Minor), CapturedAmountKey.ValueSet(p.st.Captured.Minor))
		p.transition(ctx, StatusCaptured, "the cancel found the charge already captured ("+res.Charge.Status+"): refund it if needed")
		return CancelResult{}, temporal.NewApplicationError(p.st.Reason, ErrTypeCancelFailed)
	}
	if res.Outcome == OutcomeNothingHeld {
		if from3DS {
			p.decline(ctx, res.Charge.Code, res.Charge.Message, Reason3DSFailed)
			return CancelResult{ChargeUUID: p.st.ChargeUUID, Status: p.st.Status}, nil
		}
		p.transition(ctx, StatusVoided, "nothing to release: A55 reports the charge "+res.Charge.Status)
		return CancelResult{ChargeUUID: p.st.ChargeUUID, Status: StatusVoided}, nil
	}
	if from3DS {
		p.decline(ctx, "", "", "cancelled during the 3DS challenge: "+why)
		return CancelResult{ChargeUUID: p.st.ChargeUUID, Status: p.st.Status}, nil
	}
	p.transition(ctx, StatusVoided, "hold released: "+why)
	return CancelResult{ChargeUUID: p.st.ChargeUUID, Status: StatusVoided}, nil
}

func (p *payment) cancelActivity(ctx workflow.Context, reason string, budget time.Duration) (OperationResult, error) {
	actx := p.activityContext(ctx, "release the hold of "+p.in.Amount.Display(), budget)
	var res OperationResult
	err := workflow.ExecuteActivity(actx, ActivityCancel, CancelInput{
		IdempotencyKey: p.wfID + "/cancel",
		WalletUUID:     p.in.WalletUUID,
		ChargeUUID:     p.st.ChargeUUID,
		Reason:         reason,
	}).Get(ctx, &res)
	return res, err
}

// moneyBudget keeps a capture or cancel retrying until the hold lapses (and
// not longer: after that A55 cannot act on it).
func (p *payment) moneyBudget(ctx workflow.Context) time.Duration {
	left := p.st.HoldExpiresAt.Sub(workflow.Now(ctx))
	if left < minMoneyBudget {
		return minMoneyBudget
	}
	return left
}

// read fetches the charge; ok is false when it could not be read (the read
// is only a refresh: the caller keeps waiting).
func (p *payment) read(ctx workflow.Context) (ChargeView, bool) {
	return p.readUnless(ctx, func() bool { return false })
}

// readUnless is read, abandoned (and the activity cancelled) as soon as stop
// reports true.
func (p *payment) readUnless(ctx workflow.Context, stop func() bool) (ChargeView, bool) {
	if p.st.ChargeUUID == "" {
		return ChargeView{}, false
	}
	rctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	f := p.callA55(rctx, ActivityGetCharge, "read charge "+p.st.ChargeUUID, readBudget,
		GetChargeInput{WalletUUID: p.in.WalletUUID, ChargeUUID: p.st.ChargeUUID})
	_ = workflow.Await(ctx, func() bool { return f.IsReady() || stop() })
	if !f.IsReady() {
		return ChargeView{}, false
	}
	var c ChargeView
	if err := f.Get(ctx, &c); err != nil {
		p.logger(ctx).Warn("reading the charge failed", "charge_uuid", p.st.ChargeUUID, "error", describe(err))
		return ChargeView{}, false
	}
	p.noteRead(c)
	return c, true
}

func (p *payment) noteRead(c ChargeView) {
	if c.Status != "" {
		p.st.LastA55Status = c.Status
		p.lastReadStatus = c.Status
	}
}

func (p *payment) activityContext(ctx workflow.Context, summary string, budget time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    activityStartToClose,
		ScheduleToCloseTimeout: budget,
		RetryPolicy:            activityRetryPolicy(),
		Summary:                summary,
	})
}

// callA55 runs the create call (its Idempotency-Key makes it safe to repeat)
// or a read of the charge within budget. A lean run tries it as a local
// activity first: when A55 answers, as it nearly always does, that costs one
// marker event instead of three events and a workflow task, and the input
// (the card, for the create call) is not recorded. When A55 has not answered
// after localAttempts tries it goes on as a regular activity for the rest of
// the budget: long retries then wait in the server, visible as a pending
// activity, instead of holding a workflow task open.
//
// Captures and cancels stay regular activities. A local activity's result
// lives only in the workflow task that ran it; when that task also ends the
// workflow and a signal or timer arrives meanwhile, the server fails the
// task, the result is lost and a later read of the charge cannot say how
// much was captured (the fault suite's scenario 8 caught a partial capture
// reported as a full one that way).
func (p *payment) callA55(ctx workflow.Context, activity, summary string, budget time.Duration, arg any) workflow.Future {
	if !p.lean {
		return workflow.ExecuteActivity(p.activityContext(ctx, summary, budget), activity, arg)
	}
	f, settable := workflow.NewFuture(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) {
		started := workflow.Now(ctx)
		policy := activityRetryPolicy()
		policy.MaximumAttempts = localAttempts
		local := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout:    localStartToClose,
			ScheduleToCloseTimeout: min(localScheduleToClose, budget),
			RetryPolicy:            policy,
			Summary:                summary,
		}), activity, arg)
		err := local.Get(ctx, nil)
		if err == nil || !worthRetrying(err) || ctx.Err() != nil {
			settable.Chain(local)
			return
		}
		p.logger(ctx).Warn("A55 call goes on as a regular activity", "activity", activity, "error", describe(err))
		left := max(budget-workflow.Now(ctx).Sub(started), time.Minute)
		settable.Chain(workflow.ExecuteActivity(p.activityContext(ctx, summary, left), activity, arg))
	})
	return f
}

// worthRetrying: the local attempts ended on a timeout or a retryable error,
// not on an answer the retry policy never retries.
func worthRetrying(err error) bool {
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) {
		return false
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		if app.NonRetryable() {
			return false
		}
		for _, t := range ActivityNonRetryableErrorTypes {
			if app.Type() == t {
				return false
			}
		}
	}
	return true
}

func activityRetryPolicy() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        time.Minute,
		NonRetryableErrorTypes: ActivityNonRetryableErrorTypes,
	}
}

// ---- state changes ----

func (p *payment) setCharge(ctx workflow.Context, uuid string) {
	if uuid == "" || uuid == p.st.ChargeUUID {
		return
	}
	p.st.ChargeUUID = uuid
	p.upsert(ctx, ChargeUUIDKey.ValueSet(uuid))
}

func (p *payment) decline(ctx workflow.Context, code, message, reason string) {
	p.st.DeclineCode, p.st.DeclineMessage = code, message
	if p.st.DeclineCode == "" && (reason == Reason3DSAbandoned || reason == Reason3DSFailed || reason == ReasonUndecided) {
		p.st.DeclineCode = reason
	}
	p.transition(ctx, StatusDeclined, reason)
}

func (p *payment) fail(ctx workflow.Context, reason string) {
	p.transition(ctx, StatusFailed, reason)
}

// transition moves the status if the move is legal; a terminal status never
// moves again.
func (p *payment) transition(ctx workflow.Context, to Status, reason string) bool {
	from := p.st.Status
	if !legal(from, to) {
		p.logger(ctx).Warn("transition refused", "from", string(from), "to", string(to), "reason", reason)
		return false
	}
	p.st.Status = to
	p.st.Reason = "" // PaymentState.Reason explains a terminal status; History keeps every step's
	if to.Terminal() {
		p.st.Reason = reason
	}
	p.st.History = append(p.st.History, Transition{At: workflow.Now(ctx), From: from, To: to, Reason: reason})
	p.logger(ctx).Info("payment status", "booking_id", p.in.BookingID, "from", string(from), "to", string(to), "reason", reason)
	switch {
	case p.lean && to == StatusAuthorizing && p.statusSetAtStart:
		p.flushSA(ctx)
	case p.lean && to == StatusCapturing:
		// Transient (the capture call's run): the status query, current
		// details and the pending activity show it; PaymentStatus moves
		// from authorized straight to the capture's outcome.
		p.flushSA(ctx)
	default:
		p.flushSA(ctx, PaymentStatusKey.ValueSet(string(to)))
	}
	p.details(ctx)
	return true
}

// details keeps the Web UI's "current details" line in step with the status.
func (p *payment) details(ctx workflow.Context) {
	var d string
	switch p.st.Status {
	case StatusAuthorizing:
		d = "authorizing " + p.in.Amount.Display()
	case StatusAwaiting3DS:
		d = "waiting for 3DS: " + p.st.URL3DS
	case StatusAuthorized:
		d = "authorized " + p.st.Authorized.Display() + "; deadline policy " + string(p.in.DeadlinePolicy.Action) +
			" at " + p.st.CaptureDeadline.UTC().Format(time.RFC3339)
	case StatusCapturing:
		d = "capturing (" + p.st.History[len(p.st.History)-1].Reason + ")"
	case StatusCaptured:
		released, _ := p.st.Authorized.Sub(p.st.Captured)
		d = "captured " + p.st.Captured.Display() + ", released " + released.Display()
	case StatusVoiding:
		d = "releasing the hold"
	case StatusVoided:
		d = "voided: " + p.st.Reason
	case StatusDeclined:
		d = "declined: " + p.st.Reason
		if p.st.DeclineCode != "" {
			d += " (" + p.st.DeclineCode + " " + p.st.DeclineMessage + ")"
		}
	default:
		d = string(p.st.Status) + ": " + p.st.Reason
	}
	// The Web UI renders current details as Markdown, where two "$" (as in
	// "R$ 500,00 ... R$ 0,00") start inline maths; escaped, they show as "$".
	workflow.SetCurrentDetails(ctx, strings.ReplaceAll(d, "$", `\$`))
}

// upsert sends search attribute changes; in a lean run it queues them for
// the next flushSA (one command, one event, one billable action).
func (p *payment) upsert(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) {
	if p.lean {
		p.pendingSA = append(p.pendingSA, updates...)
		return
	}
	p.sendSA(ctx, updates...)
}

// flushSA sends what upsert queued, with updates.
func (p *payment) flushSA(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) {
	updates = append(p.pendingSA, updates...)
	p.pendingSA = nil
	if len(updates) > 0 {
		p.sendSA(ctx, updates...)
	}
}

func (p *payment) sendSA(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		p.logger(ctx).Warn("search attribute upsert failed", "error", err)
	}
}

func (p *payment) result() BookingPaymentResult {
	r := BookingPaymentResult{
		BookingID:      p.in.BookingID,
		Status:         p.st.Status,
		ChargeUUID:     p.st.ChargeUUID,
		Authorized:     p.st.Authorized,
		Captured:       p.st.Captured,
		DeclineCode:    p.st.DeclineCode,
		DeclineMessage: p.st.DeclineMessage,
		Reason:         p.st.Reason,
	}
	if p.st.Status == StatusCaptured {
		r.CapturedBy = p.capturedBy
	}
	return r
}

// describe turns an activity failure into one line for reasons: the
// innermost application error's message (A55's code included), prefixed by
// the timeout when the retry budget ran out.
func describe(err error) string {
	var timeout *temporal.TimeoutError
	var app *temporal.ApplicationError
	switch {
	case errors.As(err, &timeout):
		msg := "gave up after the retry budget (" + timeout.TimeoutType().String() + " timeout)"
		if errors.As(timeout, &app) {
			msg += "; last error: " + app.Error()
		}
		return msg
	case errors.As(err, &app):
		if !app.NonRetryable() {
			// A retryable failure that still ended the activity: the retry
			// budget (schedule-to-close) ran out.
			return "gave up after retrying until the retry budget ran out; last error: " + app.Error()
		}
		return app.Error()
	}
	return err.Error()
}
