package workflows_test

import (
	"context"
	"encoding/json"
	"strings"
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

// A second authorization for the same booking with another amount or card
// is refused, like an Idempotency-Key reused with another body; the same
// request again gets the first answer.
func TestAnotherAuthorizationForTheSameBookingIsRefused(t *testing.T) {
	in := validInput("D-2")
	r := newSandboxRun(t, in)
	same := workflows.AuthorizationRequestOf(r.in) // as the sandbox run set it up
	more := same
	more.Amount = brl(60000)
	otherCard := same
	otherCard.CardLast4 = "0004"
	var first, repeat, bigger, card, bare *outcome
	r.at(0, func() { first = r.update(workflows.UpdateAuthorization, "auth-1", same) })
	r.at(time.Minute, func() {
		repeat = r.update(workflows.UpdateAuthorization, "auth-2", same)
		bigger = r.update(workflows.UpdateAuthorization, "auth-3", more)
		card = r.update(workflows.UpdateAuthorization, "auth-4", otherCard)
		bare = r.update(workflows.UpdateAuthorization, "auth-5")
	})
	r.at(time.Hour, func() { r.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{}) })
	r.execute()
	for name, o := range map[string]*outcome{"first": first, "repeat": repeat, "without an argument": bare} {
		var a workflows.AuthorizationResult
		o.decode(t, &a)
		if o.rejected != nil || a.Status != workflows.StatusAuthorized {
			t.Errorf("%s: %+v (%v)", name, a, o.rejected)
		}
	}
	if bigger.rejected == nil || !strings.Contains(bigger.rejected.Error(), "amount R$ 600,00 (the booking holds R$ 500,00)") {
		t.Errorf("another amount: %v", bigger.rejected)
	}
	if card.rejected == nil || !strings.Contains(card.rejected.Error(), "card") || strings.Contains(card.rejected.Error(), in.Card.Number) {
		t.Errorf("another card: %v", card.rejected)
	}
}
