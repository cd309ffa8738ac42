package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/workflows"
)

// A holder of a booking's webhook token sends thousands of charge_changed
// signals (signals skip validators). The booking reads the charge for the
// first 20 that bring nothing new and folds the rest away; when its history
// grows long it continues as new, and the next run, given the payment's
// state and no card, keeps the same hold and captures it.
func TestWebhookFloodKeepsTheHistoryBounded(t *testing.T) {
	r := newRun(t, validInput("B-1"))
	// One signal a second (the test environment holds only so many
	// pending callbacks: each one schedules the next).
	const flood = 3000
	var send func(i int)
	send = func(i int) {
		uuid := r.chargeFor("B-1")
		status := []string{"canceled", "pending", "paid"}[i%3]
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: uuid, Status: status})
		if i%2 == 0 {
			r.signal(workflows.Signal3DSComplete, workflows.ThreeDSCompleteSignal{ChargeUUID: uuid})
		}
		if i+1 < flood {
			r.at(time.Second, func() { send(i + 1) })
		}
	}
	r.at(time.Hour, func() { send(0) })
	var webhook *outcome
	r.at(3*time.Hour, func() {
		if n := r.started(workflows.ActivityGetCharge); n != 20 {
			t.Errorf("%d signals made %d reads of the charge, want 20", flood, n)
		}
		// A webhook delivered as the update is rejected too (no event).
		webhook = r.update(workflows.UpdateChargeChanged, "webhook", workflows.ChargeChangedSignal{ChargeUUID: r.chargeFor("B-1"), Status: "canceled"})
	})
	r.at(4*time.Hour, func() {
		r.env.SetCurrentHistoryLength(12_000)
		r.signal(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: r.chargeFor("B-1"), Status: "canceled"})
	})
	next := r.continuedInput()
	if webhook.rejected == nil {
		t.Errorf("the charge_changed update was accepted after the reads ran out: %+v", webhook)
	}
	if next.Card.Number != "" || next.Card.CVV != "" || next.Continued == nil || next.Continued.State.Status != workflows.StatusAuthorized {
		t.Fatalf("next run's input: card %q, continued %+v", next.Card.Number, next.Continued)
	}

	// Run 2, on the same A55.
	env := r.nextRunEnv()
	started := map[string]int{}
	env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) { started[info.ActivityType.Name]++ })
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		started[info.ActivityType.Name]++
	})
	var capture error
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(workflows.UpdateCapture, "capture", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { capture = err },
			OnComplete: func(_ any, err error) { capture = err },
		}, workflows.CaptureRequest{})
	}, time.Hour)
	env.ExecuteWorkflow(workflows.WorkflowName, next)
	if err := env.GetWorkflowError(); err != nil || capture != nil {
		t.Fatalf("run 2: %v, capture %v", err, capture)
	}
	var res workflows.BookingPaymentResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != workflows.StatusCaptured || res.ChargeUUID != next.Continued.State.ChargeUUID || res.Captured != r.in.Amount {
		t.Errorf("run 2 result = %+v", res)
	}
	if started[workflows.ActivityAuthorize]+started[workflows.ActivityFindCharges] != 0 {
		t.Errorf("run 2 authorized again: %v", started)
	}
	if charges := r.sb.ChargesByReference("B-1"); len(charges) != 1 || charges[0].Calls.Capture != 1 {
		t.Errorf("A55: %+v", charges)
	}
}

// Only a run continued by the workflow itself may carry a payment's state: a
// start that claims one is refused before anything happens.
func TestAStartCannotClaimAContinuedPayment(t *testing.T) {
	in := validInput("B-2")
	in.Continued = &workflows.ContinuedBooking{State: workflows.PaymentState{Status: workflows.StatusAuthorized, ChargeUUID: "forged"}}
	r := newRun(t, in)
	r.env.ExecuteWorkflow(workflows.WorkflowName, r.in)
	var app *temporal.ApplicationError
	if err := r.env.GetWorkflowError(); !errors.As(err, &app) || app.Type() != workflows.ErrTypeInvalidInput {
		t.Fatalf("workflow error = %v, want %s", err, workflows.ErrTypeInvalidInput)
	}
	if n := len(r.activities); n != 0 {
		t.Errorf("%d activities ran", n)
	}
}

// nextRunEnv is a test environment for the run r's booking continues as
// new into: the same A55 and activities, from r's time.
func (r *run) nextRunEnv() *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(testLogger())
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(r.env.Now())
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflows.WorkflowID(r.in.BookingID), TaskQueue: workflows.TaskQueue})
	env.SetContinuedExecutionRunID("run-1")
	env.RegisterWorkflowWithOptions(workflows.BookingPayment, workflow.RegisterOptions{Name: workflows.WorkflowName})
	env.RegisterActivity(r.acts)
	return env
}
