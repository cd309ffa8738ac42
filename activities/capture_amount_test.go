package activities_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/testclock"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// loseFirstCapture is A55 reached through a network that loses the answer
// of the first capture: A55 did the work, the activity sees a timeout.
type loseFirstCapture struct {
	activities.Gateway
	lost atomic.Bool
}

func (g *loseFirstCapture) CaptureCharge(ctx context.Context, p *a55client.CaptureParams, key string) (*a55client.Charge, error) {
	ch, err := g.Gateway.CaptureCharge(ctx, p, key)
	if err == nil && g.lost.CompareAndSwap(false, true) {
		return nil, &a55client.Error{Class: a55client.ClassRetryable, Message: "timeout awaiting the answer (simulated)", Err: context.DeadlineExceeded}
	}
	return ch, err
}

// A capture whose answer was lost is retried; the retry's read says the
// charge is captured ("pre_captured" in A55's public documents) but not how
// much. The booking must get A55's figure (an acquirer without partial
// capture booked the whole hold), not the amount it asked for: the retry
// fetches the first attempt's answer under the same key.
func TestRetriedCaptureTakesA55sAmountNotTheRequest(t *testing.T) {
	clk := testclock.New(time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)) // clock: injected
	sb := a55sandbox.Start(t, a55sandbox.Config{Clock: clk.Now, SettlementDelay: -1, WebhookRetryScale: 0.00001,
		Vocabulary: a55sandbox.VocabularyPublicDocs, Acquirer: a55sandbox.AcquirerFullCapture})
	client, err := a55client.New(a55client.Config{BaseURL: sb.URL, TokenURL: sb.TokenURL(),
		ClientID: a55sandbox.DefaultClientID, ClientSecret: a55sandbox.DefaultClientSecret, Timeout: 5 * time.Second, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	held, err := client.CreateCharge(context.Background(), &a55client.CreateChargeParams{
		WalletUUID: wallet, Amount: money.Amount{Minor: 50000, Currency: "BRL"}, Description: "retry test",
		Card:                a55client.Card{HolderName: "ANA SOUZA", Number: "4111111111111111", ExpiryMonth: 12, ExpiryYear: 2099, CVV: "123"},
		Payer:               a55client.Payer{Name: "Ana Souza", Email: "ana@example.com"},
		ReferenceExternalID: "H-9",
	}, "booking-H-9/authorize")
	if err != nil || held.Status != "confirmed" {
		t.Fatalf("hold: %+v, %v", held, err)
	}

	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	gw := &loseFirstCapture{Gateway: client}
	env.RegisterActivity(activities.NewWithGateway(gw, activities.Config{}))
	asked := money.Amount{Minor: 32000, Currency: "BRL"}
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context) (workflows.OperationResult, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute,
			RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Millisecond, MaximumAttempts: 3}})
		var res workflows.OperationResult
		err := workflow.ExecuteActivity(ctx, workflows.ActivityCapture, workflows.CaptureInput{
			IdempotencyKey: "booking-H-9/capture", WalletUUID: wallet, ChargeUUID: held.UUID, Amount: &asked}).Get(ctx, &res)
		return res, err
	}, workflow.RegisterOptions{Name: "capture-once"})
	env.ExecuteWorkflow("capture-once")
	var res workflows.OperationResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if !gw.lost.Load() {
		t.Fatal("no answer was lost: the test proves nothing")
	}
	if res.Outcome != workflows.OutcomeCaptured || res.Charge.Captured == nil || res.Charge.Captured.Minor != 50000 || !res.Recovered {
		t.Fatalf("retried capture = %+v (captured %v); want A55's R$ 500,00, recovered", res, res.Charge.Captured)
	}
	if e, _ := sb.Charge(held.UUID); e.Calls.Capture != 1 || e.Captured.Minor != 50000 || e.Calls.Replays < 1 {
		t.Errorf("ledger: %d captures, captured %v, %d replays; want one capture of 500.00, replayed", e.Calls.Capture, e.Captured, e.Calls.Replays)
	}
}
