package workflows_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/hotelpay/a55-temporal/workflows"
)

// Every field of the create call is fixed by the workflow, once: the due
// date is the day the authorization started (workflow time), not the day an
// attempt happens to run.
func TestTheCreateCallsDueDateIsFixedByTheWorkflow(t *testing.T) {
	r := newSandboxRun(t, validInput("D-1"))
	var sent []workflows.AuthorizeInput
	r.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, args []any) {
		if info.ActivityType.Name != workflows.ActivityAuthorize {
			return
		}
		b, _ := json.Marshal(args[0])
		var in workflows.AuthorizeInput
		if err := json.Unmarshal(b, &in); err != nil {
			t.Error(err)
		}
		sent = append(sent, in)
	})
	r.at(time.Hour, func() { r.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{}) })
	r.execute()
	if len(sent) == 0 {
		t.Fatal("no create call")
	}
	if want := t0.UTC().Format(time.DateOnly); sent[0].DueDate != want {
		t.Errorf("due_date = %q, want the start day %s", sent[0].DueDate, want)
	}
}
