package starter

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// notReadyClient answers the first notReady updates with the server's
// "Workflow Task in failed state" (WorkflowNotReady), then with captured.
type notReadyClient struct {
	client.Client
	notReady int
	calls    []string // update ids asked
	answer   client.WorkflowUpdateHandle
}

func (c *notReadyClient) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	c.calls = append(c.calls, o.UpdateID)
	if len(c.calls) <= c.notReady {
		return nil, serviceerror.NewWorkflowNotReady("Unable to perform workflow execution update due to Workflow Task in failed state.")
	}
	return c.answer, nil
}

type capturedHandle struct{ client.WorkflowUpdateHandle }

func (capturedHandle) Get(_ context.Context, v any) error {
	*v.(*workflows.CaptureResult) = workflows.CaptureResult{ChargeUUID: "ch-1", Status: workflows.StatusCaptured,
		Captured: money.Amount{Minor: 32000, Currency: "BRL"}}
	return nil
}

func fastNotReadyBackoff(t *testing.T) {
	saved := notReadyBackoff
	notReadyBackoff = []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond}
	t.Cleanup(func() { notReadyBackoff = saved })
}

// Seen in the hold benchmark under load: a workflow task that timed out
// leaves the workflow "in failed state" for seconds, and the server refuses
// updates meanwhile. The booking is fine; the starter asks again (same
// update id) instead of handing the booking system an error.
func TestUpdateRetriesWhileTheWorkflowTaskIsFailing(t *testing.T) {
	fastNotReadyBackoff(t)
	fake := &notReadyClient{notReady: 3, answer: capturedHandle{}}
	res, err := New(fake).Capture(context.Background(), "BK-1", nil)
	if err != nil {
		t.Fatalf("capture: %v", err)
	}
	if res.Status != workflows.StatusCaptured || res.Captured.Minor != 32000 {
		t.Errorf("result %+v", res)
	}
	if len(fake.calls) != 4 {
		t.Fatalf("updates sent: %d, want 4", len(fake.calls))
	}
	for _, id := range fake.calls {
		if id != fake.calls[0] {
			t.Errorf("a retry changed the update id: %q then %q", fake.calls[0], id)
		}
	}
}

func TestUpdateGivesUpWhenTheWorkflowStaysNotReady(t *testing.T) {
	fastNotReadyBackoff(t)
	fake := &notReadyClient{notReady: 100, answer: capturedHandle{}}
	_, err := New(fake).Capture(context.Background(), "BK-1", nil)
	var notReady *serviceerror.WorkflowNotReady
	if !errors.As(err, &notReady) {
		t.Fatalf("error %v, want the server's WorkflowNotReady", err)
	}
	if want := 1 + len(notReadyBackoff); len(fake.calls) != want {
		t.Errorf("updates sent: %d, want %d", len(fake.calls), want)
	}
}

func TestUpdateStopsRetryingWhenTheCallerGivesUp(t *testing.T) {
	fake := &notReadyClient{notReady: 100, answer: capturedHandle{}} // the real backoff: the context ends first
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(fake).Capture(ctx, "BK-1", nil)
	if err == nil || len(fake.calls) != 1 {
		t.Fatalf("err %v after %d updates, want the first refusal only", err, len(fake.calls))
	}
}

// notReadyStartClient refuses the update-with-start's update as the server
// does when the first workflow task failed, then answers the authorization
// update once the task has run again.
type notReadyStartClient struct {
	notReadyClient
}

func (c *notReadyStartClient) NewWithStartWorkflowOperation(client.StartWorkflowOptions, any, ...any) client.WithStartWorkflowOperation {
	return nil
}

func (c *notReadyStartClient) UpdateWithStartWorkflow(context.Context, client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return nil, serviceerror.NewWorkflowNotReady("Unable to perform workflow execution update due to Workflow Task in failed state.")
}

type authorizedHandle struct{ client.WorkflowUpdateHandle }

func (authorizedHandle) Get(_ context.Context, v any) error {
	*v.(*workflows.AuthorizationResult) = workflows.AuthorizationResult{Status: workflows.StatusAuthorized, ChargeUUID: "ch-1"}
	return nil
}

func TestAuthorizeAsksAgainWhileTheFirstTaskIsFailing(t *testing.T) {
	fastNotReadyBackoff(t)
	fake := &notReadyStartClient{notReadyClient{notReady: 4, answer: authorizedHandle{}}}
	in := bookingInput("BK-1")
	tok := cardvault.Token{KeyID: "ck_0123456789abcdef0123456789abcdef", Sealed: "c2VhbGVk", Last4: "1111", ExpiryMonth: in.Card.ExpiryMonth,
		ExpiryYear: in.Card.ExpiryYear, ExpiresAt: time.Now().Add(time.Hour)}
	in.Card, in.CardToken = a55client.Card{}, &tok
	res, err := New(fake).Authorize(context.Background(), in)
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	if res.Status != workflows.StatusAuthorized || len(fake.calls) != 5 {
		t.Errorf("result %+v after %d authorization updates, want authorized after 5", res, len(fake.calls))
	}
}
