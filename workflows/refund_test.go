package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/workflows"
)

// refundRun is a booking authorized at t0 and captured (R$ 320,00 of the
// R$ 500,00 hold) at t0 + 1 h.
func refundRun(t *testing.T, id string) *run {
	t.Helper()
	return refundRunWith(t, validInput(id), a55sandbox.Config{})
}

func refundRunWith(t *testing.T, in workflows.BookingPaymentInput, cfg a55sandbox.Config) *run {
	t.Helper()
	r := newRunWith(t, in, cfg)
	amount := brl(32000)
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{Amount: &amount}) })
	return r
}

func (r *run) refund(updateID, refundID string, minor int64) *outcome {
	return r.update(workflows.UpdateRefund, updateID, workflows.RefundRequest{RefundID: refundID, Amount: brl(minor), Reason: "minibar charged twice"})
}

// refunded is a completed refund's result (the test fails on an error).
func (o *outcome) refunded(t *testing.T) workflows.RefundResult {
	t.Helper()
	if o == nil || !o.done || o.err != nil || o.rejected != nil {
		t.Fatalf("refund: %+v", o)
	}
	var res workflows.RefundResult
	o.decode(t, &res)
	return res
}

// errType is the application error type of a rejected or failed update.
func (o *outcome) errType() string {
	err := o.rejected
	if err == nil {
		err = o.err
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}

func (r *run) refundsAtA55(uuid string) (refunded int64, calls int) {
	e := r.charge(uuid)
	return e.Refunded.Minor, e.Calls.Refund
}

// Two partial refunds: each answered with A55's running total and what is
// left, sent under "<workflow id>/refund/<refund id>"; the second empties
// the capture, the booking ends refunded and its workflow closes at once
// rather than at the end of its refund window.
func TestPartialRefundsThenTheRest(t *testing.T) {
	r := refundRun(t, "R-1")
	var first, second *outcome
	var mid workflows.PaymentState
	r.at(2*time.Hour, func() { first = r.refund("u1", "r1", 12000) })
	r.at(3*time.Hour, func() {
		mid = r.state()
		second = r.refund("u2", "r2", 20000)
	})
	res := r.execute()
	a, b := first.refunded(t), second.refunded(t)
	if a.Amount != brl(12000) || a.Refunded != brl(12000) || a.Refundable != brl(20000) || a.Status != workflows.StatusCaptured {
		t.Errorf("first refund = %+v", a)
	}
	if b.Refunded != brl(32000) || b.Refundable != brl(0) || b.Status != workflows.StatusRefunded {
		t.Errorf("second refund = %+v", b)
	}
	if mid.Status != workflows.StatusCaptured || mid.Refunded != brl(12000) || !mid.RefundWindowEndsAt.Equal(t0.Add(time.Hour+workflows.DefaultRefundWindow)) {
		t.Errorf("state after one refund: status %s refunded %v window ends %s", mid.Status, mid.Refunded, mid.RefundWindowEndsAt)
	}
	if res.Status != workflows.StatusRefunded || res.Refunded != brl(32000) || res.Captured != brl(32000) || res.CapturedBy != workflows.CapturedByRequest {
		t.Errorf("result = %+v", res)
	}
	if now := r.env.Now(); now.After(t0.Add(4 * time.Hour)) {
		t.Errorf("a fully refunded booking closed at %s, not at once", now)
	}
	if got, calls := r.refundsAtA55(res.ChargeUUID); got != 32000 || calls != 2 {
		t.Errorf("A55 refunded %d in %d calls", got, calls)
	}
	keys := 0
	for _, a := range r.activities {
		if a.name == workflows.ActivityRefund && (strings.Contains(a.args, `"booking-R-1/refund/r1"`) || strings.Contains(a.args, `"booking-R-1/refund/r2"`)) {
			keys++
		}
	}
	if keys != 2 {
		t.Errorf("%d refund calls carried the refund's own key, want 2", keys)
	}
	wantStatuses(t, r.state(), workflows.StatusAuthorizing, workflows.StatusAuthorized, workflows.StatusCapturing,
		workflows.StatusCaptured, workflows.StatusRefunded)
}

// A captured booking takes refunds for its refund window (30 days by
// default, counted from the capture) and then completes with its result.
func TestRefundWindowClosesTheWorkflow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		window time.Duration
		want   time.Duration
	}{
		{"default", 0, workflows.DefaultRefundWindow},
		{"per booking", 48 * time.Hour, 48 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := validInput("R-2")
			in.RefundWindow = tc.window
			r := refundRunWith(t, in, a55sandbox.Config{})
			var early *outcome
			r.at(tc.want-time.Hour, func() { early = r.refund("u1", "r1", 5000) })
			res := r.execute()
			if early.refunded(t).Refunded != brl(5000) {
				t.Errorf("refund in the window: %+v", early)
			}
			if closed := r.env.Now(); !closed.Equal(t0.Add(time.Hour + tc.want)) {
				t.Errorf("workflow closed at %s, want capture + %s", closed, tc.want)
			}
			if res.Status != workflows.StatusCaptured || res.Refunded != brl(5000) || res.Captured != brl(32000) {
				t.Errorf("result = %+v", res)
			}
		})
	}
}

// A refund asked at the window's end is refused; its amount is never sent.
func TestRefundAfterTheWindowIsRefused(t *testing.T) {
	in := validInput("R-3")
	in.RefundWindow = 2 * time.Hour
	r := refundRunWith(t, in, a55sandbox.Config{})
	// Keep the workflow open past its window with a refund in flight at
	// A55 (a slow answer), then ask another.
	var slow, atEnd, late *outcome
	r.fault("refund", unavailable(8)) // about 3 minutes of retries
	r.at(3*time.Hour-time.Minute, func() { slow = r.refund("u1", "r1", 1000) })
	r.at(3*time.Hour, func() { atEnd = r.refund("u3", "r3", 1000) })
	r.at(3*time.Hour+30*time.Second, func() { late = r.refund("u2", "r2", 1000) })
	res := r.execute()
	if slow.refunded(t).Refunded != brl(1000) {
		t.Errorf("refund in flight at the window's end: %+v", slow)
	}
	if late.rejected == nil || late.errType() != workflows.ErrTypeRefundNotAvailable || !strings.Contains(late.rejected.Error(), "refund window closed") {
		t.Errorf("refund after the window: %+v", late)
	}
	if atEnd.rejected == nil || atEnd.errType() != workflows.ErrTypeRefundNotAvailable {
		t.Errorf("refund at the window's end: %+v", atEnd)
	}
	if res.Refunded != brl(1000) {
		t.Errorf("result = %+v", res)
	}
}

// The validator refuses bad refunds before anything is recorded, naming
// the field and the rule; a refund before the capture or of more than was
// captured is refused with a named error.
func TestRefundValidatorRefusesBadRefunds(t *testing.T) {
	r := refundRun(t, "R-4")
	usd := brl(100)
	usd.Currency = "USD"
	cases := []struct {
		req      workflows.RefundRequest
		typ, has string
	}{
		{workflows.RefundRequest{RefundID: "", Amount: brl(100)}, workflows.ErrTypeInvalidRefund, "refund_id"},
		{workflows.RefundRequest{RefundID: "has space", Amount: brl(100)}, workflows.ErrTypeInvalidRefund, "refund_id"},
		{workflows.RefundRequest{RefundID: strings.Repeat("x", workflows.MaxRefundIDLength+1), Amount: brl(100)}, workflows.ErrTypeInvalidRefund, "refund_id"},
		{workflows.RefundRequest{RefundID: "r", Amount: usd}, workflows.ErrTypeInvalidRefund, "amount.currency"},
		{workflows.RefundRequest{RefundID: "r", Amount: brl(0)}, workflows.ErrTypeInvalidRefund, "amount must be positive"},
		{workflows.RefundRequest{RefundID: "r", Amount: brl(-5)}, workflows.ErrTypeInvalidRefund, "amount must be positive"},
		{workflows.RefundRequest{RefundID: "r", Amount: brl(100), Reason: strings.Repeat("x", workflows.MaxRefundReasonLength+1)}, workflows.ErrTypeInvalidRefund, "reason"},
		{workflows.RefundRequest{RefundID: "r", Amount: brl(32001)}, workflows.ErrTypeRefundExceedsCaptured, "more than the R$ 320,00 left"},
	}
	var before *outcome
	got := make([]*outcome, len(cases))
	r.at(30*time.Minute, func() { before = r.refund("early", "r", 100) })
	r.at(2*time.Hour, func() {
		for i, c := range cases {
			got[i] = r.update(workflows.UpdateRefund, fmt.Sprintf("bad-%d", i), c.req)
		}
	})
	// Exactly what is left is accepted.
	var all *outcome
	r.at(3*time.Hour, func() { all = r.refund("all", "all", 32000) })
	res := r.execute()
	if before.rejected == nil || before.errType() != workflows.ErrTypeRefundNotAvailable || !strings.Contains(before.rejected.Error(), "authorized, not captured") {
		t.Errorf("refund of a hold: %+v", before)
	}
	for i, c := range cases {
		if got[i].rejected == nil || got[i].errType() != c.typ || !strings.Contains(got[i].rejected.Error(), c.has) {
			t.Errorf("%+v: rejected %v (type %s), want %s naming %q", c.req, got[i].rejected, got[i].errType(), c.typ, c.has)
		}
	}
	if all.refunded(t).Status != workflows.StatusRefunded || res.Status != workflows.StatusRefunded {
		t.Errorf("refund of all that is left: %+v, result %+v", all, res)
	}
	if _, calls := r.refundsAtA55(res.ChargeUUID); calls != 1 {
		t.Errorf("A55 saw %d refunds, want 1", calls)
	}
}

// Refunds asked at the same moment never exceed the capture: what accepted
// refunds reserve counts before A55 answers, and A55 sees them one at a
// time.
func TestConcurrentRefundsNeverExceedTheCapture(t *testing.T) {
	r := refundRun(t, "R-5")
	var outs []*outcome
	r.at(2*time.Hour, func() {
		for _, id := range []string{"a", "b", "c"} {
			outs = append(outs, r.refund("u-"+id, id, 15000))
		}
	})
	res := r.execute()
	done, refused := 0, 0
	for _, o := range outs {
		switch {
		case o.done && o.err == nil && o.rejected == nil:
			done++
		case o.errType() == workflows.ErrTypeRefundExceedsCaptured:
			refused++
		default:
			t.Errorf("refund: %+v", o)
		}
	}
	if done != 2 || refused != 1 {
		t.Errorf("%d refunds done, %d refused; want 2 and 1", done, refused)
	}
	if got, calls := r.refundsAtA55(res.ChargeUUID); got != 30000 || calls != 2 {
		t.Errorf("A55 refunded %d in %d calls", got, calls)
	}
	// One at a time: the second call knew what A55 had refunded before it.
	before := []string{}
	for _, a := range r.activities {
		if a.name == workflows.ActivityRefund {
			var in []workflows.RefundInput
			if err := json.Unmarshal([]byte("["+a.args+"]"), &in); err == nil && len(in) == 1 {
				before = append(before, fmt.Sprint(in[0].RefundedBefore.Minor))
			}
		}
	}
	if strings.Join(before, ",") != "0,15000" {
		t.Errorf("refunded_before of the refund calls = %v, want 0 then 15000", before)
	}
	if res.Refunded != brl(30000) || res.Status != workflows.StatusCaptured {
		t.Errorf("result = %+v", res)
	}
}

// The same refund id with the same amount answers the first result (even
// while the first is at A55), and A55 refunds once; with another amount it
// is refused by name.
func TestRefundIDMakesTheRefundIdempotent(t *testing.T) {
	r := refundRun(t, "R-6")
	var first, concurrent, again, other *outcome
	r.at(2*time.Hour, func() {
		first = r.refund("u1", "r1", 10000)
		concurrent = r.refund("u2", "r1", 10000)
	})
	r.at(3*time.Hour, func() {
		again = r.refund("u3", "r1", 10000)
		other = r.refund("u4", "r1", 11000)
	})
	res := r.execute()
	a := first.refunded(t)
	if c := concurrent.refunded(t); c.Refunded != a.Refunded || c.Amount != a.Amount {
		t.Errorf("the same refund id at once: %+v, first %+v", c, a)
	}
	if g := again.refunded(t); g.Refunded != brl(10000) || g.RefundID != "r1" {
		t.Errorf("the same refund id again: %+v", g)
	}
	if other.rejected == nil || other.errType() != workflows.ErrTypeRefundIDReused || !strings.Contains(other.rejected.Error(), "refund_id \"r1\" was used for R$ 100,00") {
		t.Errorf("the same refund id with another amount: %+v", other)
	}
	if got, calls := r.refundsAtA55(res.ChargeUUID); got != 10000 || calls != 1 {
		t.Errorf("A55 refunded %d in %d calls", got, calls)
	}
}

// A refund whose answer is lost is resolved by reading the charge: the
// retry finds A55's refunded_amount showing it and sends nothing again.
func TestLostRefundAnswerIsResolvedByReading(t *testing.T) {
	r := refundRun(t, "R-7")
	var out *outcome
	r.at(2*time.Hour, func() {
		r.fault("refund", lostResponses(1))
		out = r.refund("u1", "r1", 7000)
	})
	res := r.execute()
	if got := out.refunded(t); got.Refunded != brl(7000) {
		t.Errorf("refund = %+v", got)
	}
	if got, calls := r.refundsAtA55(res.ChargeUUID); got != 7000 || calls != 1 {
		t.Errorf("A55 refunded %d in %d calls", got, calls)
	}
	if res.Refunded != brl(7000) {
		t.Errorf("result = %+v", res)
	}
}

// When the refund's retries end without an answer, the workflow reads the
// charge: a refund A55 shows done is recorded from A55's figure; one it
// does not show fails by name, frees its amount, and the same refund id
// runs it again.
func TestRefundWithoutAnAnswerIsDecidedByTheCharge(t *testing.T) {
	r := refundRun(t, "R-8")
	answers := 0
	r.env.OnActivity(workflows.ActivityRefund, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in workflows.RefundInput) (*workflows.RefundAnswer, error) {
			answers++
			switch answers {
			case 1: // done at A55, the answer lost for good
				if _, err := r.acts.Refund(ctx, in); err != nil {
					return nil, err
				}
			case 2: // never reached A55
			default:
				return r.acts.Refund(ctx, in)
			}
			return nil, temporal.NewNonRetryableApplicationError("connection reset", workflows.ErrTypeA55Conflict, nil)
		})
	var lost, failed, retried *outcome
	var mid workflows.PaymentState
	r.at(2*time.Hour, func() { lost = r.refund("u1", "r1", 7000) })
	r.at(3*time.Hour, func() { failed = r.refund("u2", "r2", 25000) })
	r.at(4*time.Hour, func() {
		mid = r.state()
		retried = r.refund("u3", "r2", 25000)
	})
	res := r.execute()
	if got := lost.refunded(t); got.Refunded != brl(7000) {
		t.Errorf("refund whose answer was lost: %+v", got)
	}
	if failed.err == nil || failed.errType() != workflows.ErrTypeRefundFailed || !strings.Contains(failed.err.Error(), "nothing by this request") {
		t.Errorf("refund that never reached A55: %+v", failed)
	}
	if len(mid.Refunds) != 2 || mid.Refunds[1].State != workflows.RefundFailed || mid.Refunded != brl(7000) {
		t.Errorf("state after the failure: %+v", mid)
	}
	if got := retried.refunded(t); got.Refunded != brl(32000) || got.Status != workflows.StatusRefunded {
		t.Errorf("the failed refund asked again: %+v", got)
	}
	if got, calls := r.refundsAtA55(res.ChargeUUID); got != 32000 || calls != 2 {
		t.Errorf("A55 refunded %d in %d calls", got, calls)
	}
}

// A55 refuses a refund of more than it can refund (money refunded in its
// dashboard meanwhile): the refusal comes back named, and A55's figure
// becomes the booking's.
func TestA55RefusalIsNamed(t *testing.T) {
	r := refundRun(t, "R-9")
	var out *outcome
	r.at(2*time.Hour, func() {
		uuid := r.chargeFor("R-9")
		r.atA55("refund", func(ctx context.Context) error {
			amount := brl(30000)
			_, err := r.a55.RefundCharge(ctx, &a55client.RefundParams{WalletUUID: r.in.WalletUUID, ChargeUUID: uuid, Amount: &amount}, "dashboard/refund/"+uuid)
			return err
		})
		out = r.refund("u1", "r1", 5000)
	})
	var after workflows.PaymentState
	var again *outcome
	r.at(3*time.Hour, func() {
		after = r.state()
		again = r.refund("u2", "r1", 5000) // only 20,00 are left now: the first answer, not a new rule
	})
	in := r.in
	in.RefundWindow = 4 * time.Hour
	r.in = in
	res := r.execute()
	if out.err == nil || out.errType() != workflows.ErrTypeRefundExceedsRefundable || !strings.Contains(out.err.Error(), "amount_exceeds_refundable") {
		t.Errorf("refund A55 refused: %+v", out)
	}
	if after.Refunded != brl(30000) || len(after.Refunds) != 1 || after.Refunds[0].State != workflows.RefundRefused {
		t.Errorf("state after A55's refusal: refunded %v, refunds %+v", after.Refunded, after.Refunds)
	}
	if again.err == nil || again.errType() != workflows.ErrTypeRefundExceedsRefundable {
		t.Errorf("the refused refund id again: %+v, want the first refusal", again)
	}
	if res.Refunded != brl(30000) {
		t.Errorf("result = %+v", res)
	}
}

// A55's REFUND_NOT_ALLOWED comes back as RefundNotAllowed.
func TestA55RefundNotAllowedIsNamed(t *testing.T) {
	in := validInput("R-10")
	in.RefundWindow = 4 * time.Hour
	r := refundRunWith(t, in, a55sandbox.Config{})
	r.env.OnActivity(workflows.ActivityRefund, mock.Anything, mock.Anything).Return(
		func(context.Context, workflows.RefundInput) (*workflows.RefundAnswer, error) {
			return nil, temporal.NewNonRetryableApplicationError("a55: refund: HTTP 409: REFUND_NOT_ALLOWED", workflows.ErrTypeA55RefundNotAllowed, nil)
		})
	var out, again *outcome
	r.at(2*time.Hour, func() { out = r.refund("u1", "r1", 5000) })
	r.at(3*time.Hour, func() { again = r.refund("u2", "r1", 5000) })
	r.execute()
	if out.err == nil || out.errType() != workflows.ErrTypeRefundNotAllowed {
		t.Errorf("refund: %+v", out)
	}
	if again.err == nil || again.errType() != workflows.ErrTypeRefundNotAllowed || again.err.Error() != out.err.Error() {
		t.Errorf("the same refund id again: %+v, want the first refusal", again)
	}
}

// A webhook in the refund window makes the workflow read the charge: A55's
// settlement ("paid") is recorded with its time.
func TestSettlementIsRecorded(t *testing.T) {
	in := validInput("R-11")
	in.RefundWindow = 48 * time.Hour
	r := refundRunWith(t, in, a55sandbox.Config{SettlementDelay: 2 * time.Hour})
	r.at(4*time.Hour, func() {
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: r.chargeFor("R-11"), Status: "paid"})
	})
	// A later webhook reads "paid" again: settled_at stays the first.
	r.at(5*time.Hour, func() {
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: r.chargeFor("R-11"), Status: "confirmed"})
	})
	res := r.execute()
	if !res.SettledAt.Equal(t0.Add(4*time.Hour)) || res.Status != workflows.StatusCaptured {
		t.Errorf("result = %+v, want settled at +4h", res)
	}
}

// A booking captured on code older than refunds (GetVersion answers the
// default version) closes at once, as before.
func TestBookingCapturedBeforeRefundsClosesAtOnce(t *testing.T) {
	r := refundRun(t, "R-12")
	r.env.OnGetVersion(workflows.ChangeRefunds, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	res := r.execute()
	if res.Status != workflows.StatusCaptured || !r.env.Now().Before(t0.Add(2*time.Hour)) {
		t.Errorf("result %+v at %s", res, r.env.Now())
	}
	if !r.state().RefundWindowEndsAt.IsZero() {
		t.Error("a refund window was opened")
	}
}

// The refund window is long: a booking whose history grows long in it
// continues as new with its refunds, and the next run goes on taking them
// (the same refund id still answers its first result) until the window
// ends.
func TestRefundWindowContinuesAsNew(t *testing.T) {
	r := refundRun(t, "R-13")
	var first *outcome
	r.at(2*time.Hour, func() { first = r.refund("u1", "r1", 10000) })
	r.at(3*time.Hour, func() {
		r.env.SetCurrentHistoryLength(12_000)
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: r.chargeFor("R-13"), Status: "confirmed"})
	})
	r.env.ExecuteWorkflow(workflows.WorkflowName, r.in)
	first.refunded(t)
	var can *workflow.ContinueAsNewError
	if err := r.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("run 1 ended with %v, want continue-as-new", err)
	}
	var next workflows.BookingPaymentInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	c := next.Continued
	if c == nil || c.State.Status != workflows.StatusCaptured || c.State.Refunded != brl(10000) || len(c.State.Refunds) != 1 ||
		c.State.RefundWindowEndsAt.IsZero() || c.CapturedBy != workflows.CapturedByRequest || next.Card.Number != "" {
		t.Fatalf("next run's input: card %q, continued %+v", next.Card.Number, c)
	}

	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(testLogger())
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(r.env.Now())
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflows.WorkflowID("R-13"), TaskQueue: workflows.TaskQueue})
	env.SetContinuedExecutionRunID("run-1")
	env.RegisterWorkflowWithOptions(workflows.BookingPayment, workflow.RegisterOptions{Name: workflows.WorkflowName})
	env.RegisterActivity(r.acts)
	r2 := &run{t: t, env: env, in: next, sb: r.sb, a55: r.a55, acts: r.acts}
	var again, more *outcome
	env.RegisterDelayedCallback(func() {
		again = r2.refund("u2", "r1", 10000)
		more = r2.refund("u3", "r2", 5000)
	}, time.Hour)
	env.ExecuteWorkflow(workflows.WorkflowName, next)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("run 2: %v", err)
	}
	var res workflows.BookingPaymentResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if g := again.refunded(t); g.Amount != brl(10000) {
		t.Errorf("refund r1 asked again in run 2: %+v", g)
	}
	if g := more.refunded(t); g.Refunded != brl(15000) {
		t.Errorf("refund in run 2: %+v", g)
	}
	if !env.Now().Equal(c.State.RefundWindowEndsAt) {
		t.Errorf("run 2 closed at %s, want the window's end %s", env.Now(), c.State.RefundWindowEndsAt)
	}
	if res.Status != workflows.StatusCaptured || res.Refunded != brl(15000) || res.CapturedBy != workflows.CapturedByRequest {
		t.Errorf("run 2 result = %+v", res)
	}
	if got, calls := r.refundsAtA55(res.ChargeUUID); got != 15000 || calls != 2 {
		t.Errorf("A55 refunded %d in %d calls", got, calls)
	}
}

// A cancellation request (Temporal UI or CLI) during the refund window
// closes it at once: the workflow completes with its captured result.
func TestCancellationRequestClosesTheRefundWindow(t *testing.T) {
	r := refundRun(t, "R-14")
	var ref *outcome
	r.at(2*time.Hour, func() { ref = r.refund("u1", "r1", 3000) })
	r.at(3*time.Hour, func() { r.env.CancelWorkflow() })
	res := r.execute()
	if ref.refunded(t).Refunded != brl(3000) {
		t.Errorf("refund before the request: %+v", ref)
	}
	if res.Status != workflows.StatusCaptured || res.Refunded != brl(3000) || !r.env.Now().Before(t0.Add(4*time.Hour)) {
		t.Errorf("result %+v at %s, want captured at once", res, r.env.Now())
	}
}

// An answer that does not say what A55 has refunded records nothing (money
// comes from A55's figures): the refund fails by name and its amount stays
// reserved, so the rest of the capture cannot be refunded over it; asked
// again with its refund id (its reservation its own), it goes through.
func TestRefundAnswerWithoutAFigureKeepsItsAmountReserved(t *testing.T) {
	r := refundRun(t, "R-15")
	calls := 0
	r.env.OnActivity(workflows.ActivityRefund, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.RefundInput) (*workflows.RefundAnswer, error) {
			calls++
			v := workflows.ChargeView{ChargeUUID: in.ChargeUUID, Status: "refunded"}
			if calls > 1 {
				total := brl(in.RefundedBefore.Minor + in.Amount.Minor)
				v.Refunded = &total
			}
			return &workflows.RefundAnswer{Charge: v}, nil
		})
	var first, rest, again *outcome
	var mid workflows.PaymentState
	r.at(2*time.Hour, func() { first = r.refund("u1", "r1", 20000) })
	r.at(3*time.Hour, func() {
		mid = r.state()
		rest = r.refund("u2", "r2", 12001)
	})
	r.at(4*time.Hour, func() { again = r.refund("u3", "r1", 20000) })
	res := r.execute()
	if first.err == nil || first.errType() != workflows.ErrTypeRefundFailed || !strings.Contains(first.err.Error(), "without saying what it has refunded") {
		t.Errorf("refund answered without a figure: %+v", first)
	}
	if len(mid.Refunds) != 1 || mid.Refunds[0].State != workflows.RefundUnknown || !mid.Refunded.IsZero() {
		t.Errorf("state: refunded %v, refunds %+v", mid.Refunded, mid.Refunds)
	}
	if rest.rejected == nil || rest.errType() != workflows.ErrTypeRefundExceedsCaptured {
		t.Errorf("a refund over the reserved amount: %+v", rest)
	}
	if g := again.refunded(t); g.Refunded != brl(20000) {
		t.Errorf("the unknown refund asked again: %+v", g)
	}
	if res.Refunded != brl(20000) {
		t.Errorf("result = %+v", res)
	}
}

// An answer that gives only amount_remaining (A55's v2 refund page) is
// enough: what A55 has refunded is the capture less what it can still
// refund, both A55's figures.
func TestRefundRecordedFromAmountRemaining(t *testing.T) {
	r := refundRun(t, "R-16")
	r.env.OnActivity(workflows.ActivityRefund, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.RefundInput) (*workflows.RefundAnswer, error) {
			left := brl(in.Captured.Minor - in.RefundedBefore.Minor - in.Amount.Minor)
			return &workflows.RefundAnswer{Charge: workflows.ChargeView{ChargeUUID: in.ChargeUUID, Status: "refunded", AmountRemaining: &left}}, nil
		})
	var out *outcome
	r.at(2*time.Hour, func() { out = r.refund("u1", "r1", 8000) })
	res := r.execute()
	if g := out.refunded(t); g.Refunded != brl(8000) || g.Refundable != brl(24000) {
		t.Errorf("refund = %+v", g)
	}
	if res.Refunded != brl(8000) {
		t.Errorf("result = %+v", res)
	}
}
