package security

import (
	"context"
	"testing"
	"time"

	enums "go.temporal.io/api/enums/v1"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/tests/testkit"
	"github.com/hotelpay/a55-temporal/workflows"
)

// A replace_hold's card follows the first authorization's rules: while A55
// has not answered the replacement's create call the search finds its card
// (through its live key), and once A55 has answered nothing finds it.
func TestReplacementCardDataIsShredded(t *testing.T) {
	ctx := testkitContext(t)
	id := ids.Next("shred-replace")
	auth, err := env.Starter().Authorize(ctx, booking(id, panFrictionless, 41000))
	if err != nil || auth.Status != workflows.StatusAuthorized {
		t.Fatalf("authorize: %+v, %v", auth, err)
	}
	if err := env.Sandbox.SetFaults(ctx, map[string]a55sandbox.Fault{"create": {ErrorNext: 1 << 30, ErrorStatuses: []int{500}}}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Sandbox.SetFaults(context.Background(), nil) }()
	type outcome struct {
		res workflows.ReplaceHoldResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := env.Starter().ReplaceHold(ctx, id, starter.ReplaceHold{
			ID: "new-card", Amount: testkit.BRL(61000),
			Card: a55client.Card{HolderName: holderName, Number: panReplacement, ExpiryMonth: 11, ExpiryYear: time.Now().Year() + 4, CVV: cardCVV},
		})
		done <- outcome{res, err}
	}()
	waitForReplaceHoldAccepted(t, ctx, id)

	before := searchForCard(t, ctx, id)
	if !before.keyLive || !before.has("card number "+panReplacement) || !before.has("CVV as a field value") {
		t.Fatalf("before A55 answered the replacement: key live %v, found %v: the search cannot prove the absence after", before.keyLive, before.found)
	}
	if err := env.Sandbox.SetFaults(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if got.err != nil || got.res.Status != workflows.StatusAuthorized {
		t.Fatalf("replace_hold: %+v, %v", got.res, got.err)
	}
	if _, err := env.Starter().Cancel(ctx, id, "guest cancelled"); err != nil {
		t.Fatal(err)
	}
	if res, err := env.Starter().Result(ctx, id); err != nil || res.Status != workflows.StatusVoided {
		t.Fatalf("result %+v, %v", res, err)
	}
	after := searchForCard(t, ctx, id)
	if len(after.found) > 0 {
		t.Errorf("after the outcome the search found %v", after.found)
	}
	if after.keyLive || after.keyInStoreFiles {
		t.Errorf("after the outcome: key live %v, its bytes in the store's files %v", after.keyLive, after.keyInStoreFiles)
	}
	if info, err := env.CardKeys.Info(ctx, before.keyID); err != nil || info.DestroyReason != cardvault.ReasonAnswered {
		t.Errorf("the replacement key's tombstone: %+v, %v; want destroyed because A55 answered", info, err)
	}
}

// waitForReplaceHoldAccepted waits until the booking's history holds an
// accepted replace_hold (whose argument carries the sealed card).
func waitForReplaceHoldAccepted(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	for ctx.Err() == nil {
		it := env.Client.GetWorkflowHistory(ctx, workflows.WorkflowID(id), "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			if a := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil && a.GetAcceptedRequest().GetInput().GetName() == workflows.UpdateReplaceHold {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: no replace_hold accepted", id)
}
