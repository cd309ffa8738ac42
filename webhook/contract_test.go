package webhook_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/webhook"
	"github.com/hotelpay/a55-temporal/workflows"
)

// The receiver restates a few workflow names to avoid an import cycle; these
// tests keep the two in step.
func TestReceiverSpeaksTheWorkflowContract(t *testing.T) {
	if webhook.SignalChargeChanged != workflows.SignalChargeChanged {
		t.Errorf("signal %q, workflow expects %q", webhook.SignalChargeChanged, workflows.SignalChargeChanged)
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
