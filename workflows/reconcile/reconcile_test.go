package reconcile_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	sdkworkflow "go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
	"github.com/hotelpay/a55-temporal/workflows/reconcile"
)

// describer plays Temporal: the bookings' workflows as the test sets them.
type describer map[string]reconcile.Booking

func (d describer) DescribeWorkflowExecution(_ context.Context, workflowID, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	for id, b := range d {
		if workflows.WorkflowID(id) != workflowID || !b.Exists {
			continue
		}
		status := enums.WORKFLOW_EXECUTION_STATUS_TERMINATED
		if b.Open {
			status = enums.WORKFLOW_EXECUTION_STATUS_RUNNING
		}
		fields := map[string]*common.Payload{}
		dc := converter.GetDefaultDataConverter()
		for k, v := range map[string]any{"PaymentStatus": b.PaymentStatus, "ChargeUUID": b.ChargeUUID, "AuthorizedAmount": b.Authorized} {
			p, _ := dc.ToPayload(v)
			fields[k] = p
		}
		return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflow.WorkflowExecutionInfo{
			Status: status, SearchAttributes: &common.SearchAttributes{IndexedFields: fields}}}, nil
	}
	return nil, serviceerror.NewNotFound("workflow not found")
}

func hold(t *testing.T, c *a55client.Client, booking string, minor int64) string {
	t.Helper()
	ch, err := c.CreateCharge(context.Background(), &a55client.CreateChargeParams{
		WalletUUID: a55sandbox.DefaultWallet, MerchantID: "m-1",
		Payer:  a55client.Payer{Name: "Ana Souza", Email: "ana@example.com", CellPhone: "+5511987654321", TaxID: "12345678909"},
		Amount: money.Amount{Minor: minor, Currency: "BRL"}, Description: "stay",
		Card:                a55client.Card{HolderName: "ANA SOUZA", Number: "4111111111111111", ExpiryMonth: 12, ExpiryYear: time.Now().Year() + 3, CVV: "123"},
		ReferenceExternalID: booking,
	}, fmt.Sprintf("test-%d", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	return ch.UUID
}

func TestReconciliationReleasesEveryHoldWithoutAnOwner(t *testing.T) {
	sb := a55sandbox.Start(t, a55sandbox.Config{SettlementDelay: -1})
	c, err := a55client.New(a55client.Config{BaseURL: sb.URL, TokenURL: sb.TokenURL(),
		ClientID: a55sandbox.DefaultClientID, ClientSecret: a55sandbox.DefaultClientSecret, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	owned := hold(t, c, "R-owned", 50000)
	terminated := hold(t, c, "R-terminated", 50000)
	orphan := hold(t, c, "R-nobody", 50000)
	first := hold(t, c, "R-twice", 50000)
	second := hold(t, c, "R-twice", 50000)
	disputed := hold(t, c, "R-amount", 50000)
	foreign := hold(t, c, "not a booking id!", 1000)
	bookings := describer{
		"R-owned":      {Exists: true, Open: true, PaymentStatus: "authorized", ChargeUUID: owned, Authorized: 50000},
		"R-terminated": {Exists: true, Open: false, PaymentStatus: "authorized", ChargeUUID: terminated, Authorized: 50000},
		"R-twice":      {Exists: true, Open: true, PaymentStatus: "authorized", ChargeUUID: first, Authorized: 50000},
		"R-amount":     {Exists: true, Open: true, PaymentStatus: "authorized", ChargeUUID: disputed, Authorized: 40000},
	}

	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(reconcile.Reconcile, sdkworkflow.RegisterOptions{Name: reconcile.WorkflowName})
	env.RegisterActivity(&reconcile.Activities{A55: c, Temporal: bookings})
	env.RegisterActivity(activities.New(c, activities.Config{}))
	env.ExecuteWorkflow(reconcile.WorkflowName, reconcile.Input{Wallets: []string{a55sandbox.DefaultWallet}})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var r reconcile.Report
	if err := env.GetWorkflowResult(&r); err != nil {
		t.Fatal(err)
	}

	released := map[string]bool{}
	for _, a := range r.Released {
		released[a.ChargeUUID] = true
	}
	for uuid, want := range map[string]bool{owned: false, terminated: true, orphan: true, first: false, second: true, disputed: false, foreign: false} {
		if released[uuid] != want {
			t.Errorf("charge %s released = %v, want %v (report %+v)", uuid, released[uuid], want, r)
		}
		entry, _ := sb.Charge(uuid)
		if live := entry.Status == "authorized"; live == want {
			t.Errorf("charge %s is %s at A55 after the run", uuid, entry.Status)
		}
	}
	if r.Listed != 7 || r.Owned != 3 || r.Foreign != 1 || len(r.ReleaseFailed) != 0 {
		t.Errorf("report = %+v", r)
	}
	if len(r.Disagreements) != 1 || r.Disagreements[0].ChargeUUID != disputed {
		t.Errorf("disagreements = %+v, want the amount of %s", r.Disagreements, disputed)
	}
}
