package activities_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/workflows"
)

// retried runs one capture or cancel through Temporal's retries (a test
// workflow with a retry policy), so that attempts after the first read the
// charge before they act (settledBefore), as they do in production.
func retried(t *testing.T, f *fixture, name string, in any) (*workflows.OperationResult, int) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(f.acts)
	attempts := 0
	env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) { attempts++ })
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context) (*workflows.OperationResult, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Millisecond, MaximumAttempts: 3},
		})
		var res workflows.OperationResult
		err := workflow.ExecuteActivity(ctx, name, in).Get(ctx, &res)
		return &res, err
	}, workflow.RegisterOptions{Name: "retried"})
	env.ExecuteWorkflow("retried")
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var res workflows.OperationResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return &res, attempts
}

// A retried cancel that finds the hold already released (by an earlier
// attempt whose answer was lost, or by hand) reports it released, without
// a second cancel at A55.
func TestRetriedCancelRecognisesARelease(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	uuid := f.mustAuthorize("H-R1")
	if _, err := f.cancel(workflows.CancelInput{IdempotencyKey: "dashboard/cancel", WalletUUID: wallet, ChargeUUID: uuid}); err != nil {
		t.Fatal(err)
	}
	if err := f.sb.SetFault("cancel", a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{500}}); err != nil {
		t.Fatal(err)
	}
	res, attempts := retried(t, f, workflows.ActivityCancel, workflows.CancelInput{IdempotencyKey: "booking-H-R1/cancel", WalletUUID: wallet, ChargeUUID: uuid})
	if attempts != 2 || res.Outcome != workflows.OutcomeVoided || !res.Recovered {
		t.Fatalf("%d attempts, result %+v", attempts, res)
	}
	if e, _ := f.sb.Charge(uuid); e.Calls.Cancel != 1 || e.Status != "canceled" {
		t.Errorf("A55: %d cancels, %s", e.Calls.Cancel, e.Status)
	}
}

// A retried cancel of a charge that failed (nothing held) reports it.
func TestRetriedCancelOfAFailedChargeHoldsNothing(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	res, err := f.authorize(authorizeInput("H-R2", "4000000000000002"))
	if err != nil || !res.Declined {
		t.Fatalf("authorize: %v %+v", err, res)
	}
	if err := f.sb.SetFault("cancel", a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{500}}); err != nil {
		t.Fatal(err)
	}
	got, attempts := retried(t, f, workflows.ActivityCancel, workflows.CancelInput{IdempotencyKey: "booking-H-R2/cancel", WalletUUID: wallet, ChargeUUID: res.Charge.ChargeUUID})
	if attempts != 2 || got.Outcome != workflows.OutcomeNothingHeld || got.Recovered {
		t.Fatalf("%d attempts, result %+v", attempts, got)
	}
}

// A retried capture of a hold that lapsed meanwhile is expired, without a
// capture call; a retried capture of a live hold captures it once.
func TestRetriedCaptureReadsFirst(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{HoldWindow: time.Hour})
	lapsed := f.mustAuthorize("H-R3")
	live := f.mustAuthorize("H-R4")
	if err := f.sb.SetFault("capture", a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{500}}); err != nil {
		t.Fatal(err)
	}
	res, attempts := retried(t, f, workflows.ActivityCapture, workflows.CaptureInput{IdempotencyKey: "booking-H-R4/capture", WalletUUID: wallet, ChargeUUID: live})
	if attempts != 2 || res.Outcome != workflows.OutcomeCaptured || res.Recovered || res.Charge.Captured == nil || res.Charge.Captured.Minor != 50000 {
		t.Fatalf("live hold: %d attempts, result %+v", attempts, res)
	}
	f.clock.Advance(2 * time.Hour)
	f.sb.Sweep()
	if err := f.sb.SetFault("capture", a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{500}}); err != nil {
		t.Fatal(err)
	}
	res, attempts = retried(t, f, workflows.ActivityCapture, workflows.CaptureInput{IdempotencyKey: "booking-H-R3/capture", WalletUUID: wallet, ChargeUUID: lapsed})
	if attempts != 2 || res.Outcome != workflows.OutcomeExpired {
		t.Fatalf("lapsed hold: %d attempts, result %+v", attempts, res)
	}
	if e, _ := f.sb.Charge(lapsed); e.Calls.Capture != 0 {
		t.Errorf("A55 was asked to capture a lapsed hold %d times", e.Calls.Capture)
	}
}

// retriedRefund runs a Refund through Temporal's retries with fault on the
// sandbox's refund endpoint for the first attempt.
func retriedRefund(t *testing.T, f *fixture, in workflows.RefundInput, fault a55sandbox.Fault) (*workflows.RefundAnswer, error) {
	t.Helper()
	if err := f.sb.SetFault("refund", fault); err != nil {
		t.Fatal(err)
	}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(f.acts)
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context) (*workflows.RefundAnswer, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Millisecond, MaximumAttempts: 3},
		})
		var ans workflows.RefundAnswer
		err := workflow.ExecuteActivity(ctx, workflows.ActivityRefund, in).Get(ctx, &ans)
		return &ans, err
	}, workflow.RegisterOptions{Name: "retried-refund"})
	env.ExecuteWorkflow("retried-refund")
	if err := env.GetWorkflowError(); err != nil {
		return nil, err
	}
	var ans workflows.RefundAnswer
	if err := env.GetWorkflowResult(&ans); err != nil {
		t.Fatal(err)
	}
	return &ans, nil
}
