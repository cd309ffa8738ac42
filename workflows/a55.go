package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// MaxA55Timeout is the longest per-request timeout the worker may give its
// A55 client (A55_TIMEOUT). Every attempt of an A55 activity outlasts what
// its calls may take at that timeout (the token request, a read before the
// call, the call itself), so an attempt ends on the client's own answer or
// timeout, never cut by Temporal while A55 may still work on it; the client
// does not start a call the attempt's deadline would cut (one attempt in
// flight per Idempotency-Key).
const MaxA55Timeout = 30 * time.Second

// MoneyAttemptTimeout is the StartToClose of a capture or cancel attempt
// (and of every regular A55 activity): a retried one reads the charge
// first, then fetches a token and sends its call.
const MoneyAttemptTimeout = 3*MaxA55Timeout + 5*time.Second

// Activity timeouts, sized from MaxA55Timeout.
const (
	activityStartToClose = MoneyAttemptTimeout
	// authorizeBudget bounds the authorization: a booking system waits for it.
	authorizeBudget = 10 * time.Minute
	// readBudget bounds one read of the charge (a read is only a refresh).
	readBudget = 5 * time.Minute
	// releaseBudget bounds a cancel when no hold expiry is known yet (3DS).
	releaseBudget = time.Hour
	// minMoneyBudget is the least a capture or cancel gets, even when the
	// hold is about to lapse.
	minMoneyBudget = 5 * time.Minute

	// An A55 call is tried as a local activity first, within these
	// bounds, then goes on as a regular activity (see callA55). A local
	// activity holds its workflow task open (queries and updates wait, up to
	// a heartbeat of the task), so the local phase is one slow attempt or a
	// few quick failures; a healthy A55 answers in well under a second. One
	// attempt outlasts a token request and the call (the create call or a
	// read) at MaxA55Timeout.
	localAttempts        = 3
	localStartToClose    = 2*MaxA55Timeout + 5*time.Second
	localScheduleToClose = localStartToClose + 5*time.Second
)

// allowed lists every legal transition; anything else is ignored and logged,
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
		if c.Status == p.lastReadStatus {
			p.fruitlessReads++
		} else {
			p.fruitlessReads = 0
		}
		p.st.LastA55Status = c.Status
		p.lastReadStatus = c.Status
	}
}

func (p *payment) activityContext(ctx workflow.Context, summary string, budget time.Duration) workflow.Context {
	return withActivity(ctx, summary, budget, activityRetryPolicy())
}

// moneyActivityContext is for a capture or a release of a live hold: it
// keeps retrying, within budget, what may be fixed meanwhile (credentials
// refused, a charge A55 does not find, a configuration error: 401, 403,
// 404), and gives up at once only on answers that retrying cannot change.
func (p *payment) moneyActivityContext(ctx workflow.Context, summary string, budget time.Duration) workflow.Context {
	policy := activityRetryPolicy()
	policy.NonRetryableErrorTypes = moneyNonRetryableErrorTypes
	return withActivity(ctx, summary, budget, policy)
}

// moneyNonRetryableErrorTypes: A55 refused this very request (invalid, a
// conflict other than "in progress"), or the charge cannot be captured.
var moneyNonRetryableErrorTypes = []string{ErrTypeA55Invalid, ErrTypeA55Conflict, ErrTypeA55NotCapturable, ErrTypeA55Declined}

func withActivity(ctx workflow.Context, summary string, budget time.Duration, policy *temporal.RetryPolicy) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    activityStartToClose,
		ScheduleToCloseTimeout: budget,
		RetryPolicy:            policy,
		Summary:                summary,
	})
}

// callA55 runs the create call (its Idempotency-Key makes it safe to repeat)
// or a read of the charge within budget. It is tried as a local
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
