package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/hotelpay/a55-temporal/internal/webhook"
	"github.com/hotelpay/a55-temporal/workflows"
)

// The receiver restates a few workflow names to avoid an import cycle; these
// tests keep the two in step.
func TestReceiverSpeaksTheWorkflowContract(t *testing.T) {
	if webhook.SignalChargeChanged != workflows.SignalChargeChanged {
		t.Errorf("signal %q, workflow expects %q", webhook.SignalChargeChanged, workflows.SignalChargeChanged)
	}
	if webhook.UpdateChargeChanged != workflows.UpdateChargeChanged {
		t.Errorf("update %q, workflow expects %q", webhook.UpdateChargeChanged, workflows.UpdateChargeChanged)
	}
	if webhook.ErrTypeWebhookIgnored != workflows.ErrTypeWebhookIgnored {
		t.Errorf("ignored error type %q, workflow rejects with %q", webhook.ErrTypeWebhookIgnored, workflows.ErrTypeWebhookIgnored)
	}
	if workflows.WorkflowID("X") != webhook.WorkflowIDPrefix+"X" {
		t.Errorf("workflow id prefix %q does not match workflows.WorkflowID", webhook.WorkflowIDPrefix)
	}
	sent, _ := json.Marshal(webhook.ChargeChanged{ChargeUUID: "c-1", Status: "paid"})
	var got workflows.ChargeChangedSignal
	if err := json.Unmarshal(sent, &got); err != nil || got != (workflows.ChargeChangedSignal{ChargeUUID: "c-1", Status: "paid"}) {
		t.Errorf("signal payload %s decodes to %+v, %v", sent, got, err)
	}
	for _, id := range []string{"BK-1", "a", "A.b_c-9", strings.Repeat("z", 64), strings.Repeat("z", 65), "", "-x", ".x", "x/y", "x y", "ü", "x\n", "x%2F"} {
		want := workflows.ValidateBookingID(id) == nil
		if got := webhook.IsBookingWorkflowID(workflows.WorkflowID(id)); got != want {
			t.Errorf("booking id %q: receiver accepts=%v, workflows accepts=%v", id, got, want)
		}
	}
}

// recordingUpdater keeps the options of the one update it is sent.
type recordingUpdater struct {
	opts []client.UpdateWorkflowOptions
}

func (r *recordingUpdater) UpdateWorkflow(_ context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	r.opts = append(r.opts, opts)
	return nil, context.DeadlineExceeded // the receiver then signals; not what this test is about
}

func (r *recordingUpdater) SignalWorkflow(context.Context, string, string, string, interface{}) error {
	return nil
}

// The update the receiver sends is the one the workflow handles: its name,
// its workflow id, and arguments that the SDK encodes byte for byte like
// workflows.ChargeChangedSignal.
func TestReceiverUpdatesTheWorkflowItsWay(t *testing.T) {
	secret := []byte("route-secret-for-contract-0123456789")
	rec := &recordingUpdater{}
	rc, err := webhook.NewReceiver(webhook.Options{RouteSecret: secret, Signaler: rec, Updater: rec})
	if err != nil {
		t.Fatal(err)
	}
	id := workflows.WorkflowID("BK-42")
	req := httptest.NewRequest(http.MethodPost, webhook.URL("", secret, id),
		strings.NewReader(`{"charge_uuid":"c-42","status":"authorized","transaction_reference":"BK-42"}`))
	req.Header.Set("Content-Type", "application/json")
	rc.ServeHTTP(httptest.NewRecorder(), req)
	if len(rec.opts) != 1 {
		t.Fatalf("%d updates sent, want 1", len(rec.opts))
	}
	sent := rec.opts[0]
	if sent.UpdateName != workflows.UpdateChargeChanged || sent.WorkflowID != id {
		t.Errorf("update %q to %q, want %q to %q", sent.UpdateName, sent.WorkflowID, workflows.UpdateChargeChanged, id)
	}
	dc := converter.GetDefaultDataConverter()
	got, err := dc.ToPayloads(sent.Args...)
	if err != nil {
		t.Fatal(err)
	}
	want, err := dc.ToPayloads(workflows.ChargeChangedSignal{ChargeUUID: "c-42", Status: "authorized"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Payloads) != 1 || !bytes.Equal(got.Payloads[0].Data, want.Payloads[0].Data) {
		t.Errorf("update args encode as %v, the workflow's argument as %v", got.Payloads, want.Payloads)
	}
	var decoded workflows.ChargeChangedSignal
	if err := dc.FromPayloads(got, &decoded); err != nil || decoded != (workflows.ChargeChangedSignal{ChargeUUID: "c-42", Status: "authorized"}) {
		t.Errorf("the workflow would decode %+v, %v", decoded, err)
	}
}
