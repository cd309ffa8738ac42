package security

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"

	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/internal/webhook"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Part 3: forged, misrouted and replayed webhooks against the real receiver.
// A webhook is only ever a trigger for the workflow to re-read the charge at
// A55: whatever it claims, no status moves and no money moves. Each test
// checks the booking's status query and the sandbox ledger before and after.

// pending3DS authorizes a 3DS booking and leaves the challenge unanswered.
func pending3DS(t *testing.T, ctx context.Context, purpose string) (id, charge string) {
	t.Helper()
	id = ids.Next(purpose)
	res, err := env.Starter().Authorize(ctx, with3DS(booking(id, pan3DS, 61000)))
	if err != nil || res.Status != workflows.StatusAwaiting3DS {
		t.Fatalf("authorize %s = %+v, %v; want awaiting_3ds", id, res, err)
	}
	settle(t, ctx, id, res.ChargeUUID)
	return id, res.ChargeUUID
}

// authorizedHold authorizes a frictionless booking.
func authorizedHold(t *testing.T, ctx context.Context, purpose string) (id, charge string) {
	t.Helper()
	id = ids.Next(purpose)
	res, err := env.Starter().Authorize(ctx, booking(id, panFrictionless, 52000))
	if err != nil || res.Status != workflows.StatusAuthorized {
		t.Fatalf("authorize %s = %+v, %v; want authorized", id, res, err)
	}
	settle(t, ctx, id, res.ChargeUUID)
	return id, res.ChargeUUID
}

// settle waits until the sandbox has delivered the webhook of every status
// change of the charge (each one a signal, in history once delivered) and the
// workflow has handled them all (no workflow task, no activity pending), so
// that what a test sends afterwards is the only thing that could change it.
func settle(t *testing.T, ctx context.Context, id, charge string) {
	t.Helper()
	for {
		e, err := env.Sandbox.Charge(ctx, charge)
		if err != nil {
			t.Fatal(err)
		}
		delivered := e.Webhooks.Delivered >= len(e.History)
		idle := false
		if delivered {
			desc, err := env.plain.DescribeWorkflowExecution(ctx, workflows.WorkflowID(id), "")
			if err != nil {
				t.Fatal(err)
			}
			idle = desc.GetPendingWorkflowTask() == nil && len(desc.GetPendingActivities()) == 0
		}
		if idle {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: never settled (webhooks %+v for %d status changes)", id, e.Webhooks, len(e.History))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// snapshot is what must not change: the booking's payment state and the
// charge's money at "A55".
type snapshot struct {
	Status             workflows.Status
	Authorized         int64
	Captured           int64
	LastA55Status      string
	Transitions        int
	LedgerStatus       string
	LedgerAuthorized   int64
	LedgerCaptured     int64
	LedgerReleased     int64
	Captures, Cancels  int
	ChallengesAnswered int
}

func take(t *testing.T, ctx context.Context, id, charge string) snapshot {
	t.Helper()
	s, err := env.Starter().Status(ctx, id)
	if err != nil {
		t.Fatalf("status of %s: %v", id, err)
	}
	e, err := env.Sandbox.Charge(ctx, charge)
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{
		Status: s.Status, Authorized: s.Authorized.Minor, Captured: s.Captured.Minor,
		LastA55Status: s.LastA55Status, Transitions: len(s.History),
		LedgerStatus: e.Status, LedgerAuthorized: e.Authorized.Minor, LedgerCaptured: e.Captured.Minor,
		LedgerReleased: e.Released.Minor, Captures: e.Calls.Capture, Cancels: e.Calls.Cancel,
		ChallengesAnswered: e.Calls.Validate,
	}
}

func assertUnchanged(t *testing.T, id string, before, after snapshot) {
	t.Helper()
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("booking %s changed:\nbefore %+v\nafter  %+v", id, before, after)
	}
}

// chargeWebhook is the body A55 sends for a charge, with the status claimed.
func chargeWebhook(charge, status string) string {
	b, _ := json.Marshal(map[string]string{
		"charge_uuid": charge, "status": status, "transaction_reference": "tx-replayed",
		"updated_at": time.Now().UTC().Format(time.RFC3339Nano),
	})
	return string(b)
}

// postHook sends body to target signed at signedAt with the stack's real
// signing secret (what a replay of a captured request, or a sender holding
// the secret, looks like); it returns the receiver's HTTP status.
func postHook(t *testing.T, target, body string, signedAt time.Time) int {
	t.Helper()
	return postSigned(t, target, body, body, signedAt)
}

// postSigned is postHook with a signature over signedBody, which may not be
// the body sent.
func postSigned(t *testing.T, target, body, signedBody string, signedAt time.Time) int {
	t.Helper()
	ts := strconv.FormatInt(signedAt.Unix(), 10)
	sig := hex.EncodeToString(webhook.Sign([]byte(env.secrets[stack.EnvWebhookSigningSecret]), ts, []byte(signedBody)))
	r := httpDo(t, http.MethodPost, target, []byte(body), map[string]string{
		webhook.HeaderTimestamp: ts, webhook.HeaderSignature: sig,
	})
	return r.code
}

// genuineURL is the webhook_url the worker hands A55 for the booking.
func genuineURL(id string) string {
	return webhook.URL(env.Proj.ReceiverURL(), []byte(env.secrets[stack.EnvWebhookRouteSecret]), workflows.WorkflowID(id))
}

// webhooks counts the webhooks the booking's workflow took, charge_changed
// updates it accepted and charge_changed signals (the receiver's fallback),
// and returns the last event id. A webhook the workflow rejected as nothing
// new leaves no event.
func webhooks(t *testing.T, ctx context.Context, id string) (n int, lastEvent int64) {
	t.Helper()
	for _, ev := range history(t, ctx, id) {
		if isWebhook(ev) {
			n++
		}
		lastEvent = ev.GetEventId()
	}
	return n, lastEvent
}

func isWebhook(ev *historypb.HistoryEvent) bool {
	if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil {
		return a.GetSignalName() == workflows.SignalChargeChanged
	}
	if a := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
		return a.GetAcceptedRequest().GetInput().GetName() == workflows.UpdateChargeChanged
	}
	return false
}

// localActivityType is the activity a local-activity marker recorded ("" for
// other events); the marker's data is encrypted like every payload.
func localActivityType(t *testing.T, ev *historypb.HistoryEvent) string {
	t.Helper()
	m := ev.GetMarkerRecordedEventAttributes()
	if m.GetMarkerName() != "LocalActivity" {
		return ""
	}
	plain, err := codec.New(env.ring).Decode(m.GetDetails()["data"].GetPayloads())
	if err != nil || len(plain) == 0 {
		t.Fatalf("local activity marker %d: %v", ev.GetEventId(), err)
	}
	var data struct{ ActivityType string }
	if err := json.Unmarshal(plain[0].GetData(), &data); err != nil {
		t.Fatalf("local activity marker %d: %v", ev.GetEventId(), err)
	}
	return data.ActivityType
}

// awaitWebhookHandled waits until the workflow has finished what it does
// about the first webhook it took after event `after`: with reread, a read
// of the charge (a local activity, or the regular activity it falls back to)
// has completed and a workflow task has run on its result; without, a
// workflow task has run after the webhook. The receiver answers only once the
// workflow accepted or rejected the update (or Temporal stored the fallback
// signal), so without reread, no webhook event after `after` means the
// workflow rejected it as nothing new: nothing to wait for.
func awaitWebhookHandled(t *testing.T, ctx context.Context, id string, after int64, reread bool) {
	t.Helper()
	for {
		var hookAt, scheduledAt, readAt, doneAt int64
		for _, ev := range history(t, ctx, id) {
			n := ev.GetEventId()
			switch {
			case n <= after:
			case hookAt == 0:
				if isWebhook(ev) {
					hookAt = n
					if ev.GetWorkflowExecutionUpdateAcceptedEventAttributes() != nil {
						doneAt = n // written by the workflow task that took it
					}
				}
			case reread && readAt == 0:
				if localActivityType(t, ev) == workflows.ActivityGetCharge && ev.GetMarkerRecordedEventAttributes().GetFailure() == nil {
					readAt, doneAt = n, n // recorded by the task that took its result
				}
				if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == workflows.ActivityGetCharge {
					scheduledAt = n
				}
				if a := ev.GetActivityTaskCompletedEventAttributes(); a != nil && scheduledAt > 0 && a.GetScheduledEventId() == scheduledAt {
					readAt = n
				}
			case ev.GetEventType() == enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && (doneAt == 0 || doneAt < readAt):
				doneAt = n
			}
		}
		if hookAt == 0 && !reread {
			return
		}
		if hookAt > 0 && doneAt > 0 && (!reread || (readAt > 0 && doneAt >= readAt)) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: the webhook after event %d was not handled (webhook %d, read %d, task %d)", id, after, hookAt, readAt, doneAt)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// forgery is a webhook the receiver must refuse (401): posted to target,
// signed over signedBody ("" = the body) at signedAt with the real secret.
type forgery struct {
	target, body, signedBody string
	signedAt                 time.Time
}

// Webhooks without the booking's routing token, with a wrong one, or with a
// stale signature or one over another body are refused, each time they come,
// and move nothing.
func TestRefusedWebhooksChangeNothing(t *testing.T) {
	routeSecret := env.secrets[stack.EnvWebhookRouteSecret]
	cases := []struct {
		name, purpose string
		forgeries     func(id, body string) map[string]forgery
	}{
		{"without token", "hook-notoken", func(id, body string) map[string]forgery {
			base := env.Proj.ReceiverURL() + webhook.PathPrefix + workflows.WorkflowID(id)
			now := time.Now()
			return map[string]forgery{
				"no query":    {target: base, body: body, signedAt: now},
				"empty token": {target: base + "?token=", body: body, signedAt: now},
				"bare token":  {target: base + "?token", body: body, signedAt: now},
			}
		}},
		{"with a wrong token", "hook-wrongtoken", func(id, body string) map[string]forgery {
			wf := workflows.WorkflowID(id)
			base := env.Proj.ReceiverURL() + webhook.PathPrefix + wf + "?token="
			genuine := webhook.Token([]byte(routeSecret), wf)
			flipped := []byte(genuine)
			flipped[0] ^= 1
			now := time.Now()
			return map[string]forgery{
				"other secret":    {target: webhook.URL(env.Proj.ReceiverURL(), []byte("an-attackers-guess-at-the-route-secret"), wf), body: body, signedAt: now},
				"one bit off":     {target: base + string(flipped), body: body, signedAt: now},
				"truncated":       {target: base + genuine[:20], body: body, signedAt: now},
				"token + garbage": {target: base + genuine + "A", body: body, signedAt: now},
				"route secret":    {target: base + routeSecret, body: body, signedAt: now},
			}
		}},
		// A captured request replayed after the signature's tolerance (5
		// minutes) is refused even on the genuine route.
		{"with a stale or misfit signature", "hook-stale", func(id, body string) map[string]forgery {
			genuine := genuineURL(id)
			return map[string]forgery{
				"signed 10 minutes ago":     {target: genuine, body: body, signedAt: time.Now().Add(-10 * time.Minute)},
				"signed 10 minutes ahead":   {target: genuine, body: body, signedAt: time.Now().Add(10 * time.Minute)},
				"signature of another body": {target: genuine, body: body, signedBody: strings.Replace(body, "authorized", "pending", 1), signedAt: time.Now()},
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			id, charge := pending3DS(t, ctx, tc.purpose)
			before := take(t, ctx, id, charge)
			n0, _ := webhooks(t, ctx, id)
			for name, f := range tc.forgeries(id, chargeWebhook(charge, "authorized")) {
				signed := f.signedBody
				if signed == "" {
					signed = f.body
				}
				for range 2 { // repeated, refused alike
					if code := postSigned(t, f.target, f.body, signed, f.signedAt); code != http.StatusUnauthorized {
						t.Errorf("%s: HTTP %d, want 401", name, code)
					}
				}
			}
			if n, _ := webhooks(t, ctx, id); n != n0 {
				t.Fatalf("refused webhooks signalled the workflow (%d → %d signals)", n0, n)
			}
			assertUnchanged(t, id, before, take(t, ctx, id, charge))
		})
	}
}

// A sender who holds a genuine token for one booking (its own, say) cannot
// use it on another booking, and cannot move another booking's charge
// through its own booking's route either.
func TestWebhookWithAnotherBookingsTokenChangesNothing(t *testing.T) {
	ctx := testCtx(t)
	victim, victimCharge := pending3DS(t, ctx, "hook-victim")
	own, ownCharge := authorizedHold(t, ctx, "hook-own")
	victimBefore := take(t, ctx, victim, victimCharge)
	ownBefore := take(t, ctx, own, ownCharge)
	nVictim, _ := webhooks(t, ctx, victim)

	ownToken := webhook.Token([]byte(env.secrets[stack.EnvWebhookRouteSecret]), workflows.WorkflowID(own))
	misrouted := env.Proj.ReceiverURL() + webhook.PathPrefix + workflows.WorkflowID(victim) + "?token=" + ownToken
	if code := postHook(t, misrouted, chargeWebhook(victimCharge, "authorized"), time.Now()); code != http.StatusUnauthorized {
		t.Errorf("another booking's token: HTTP %d, want 401", code)
	}
	if n, _ := webhooks(t, ctx, victim); n != nVictim {
		t.Fatalf("the victim's workflow was signalled (%d → %d)", nVictim, n)
	}

	// Through its own genuine route, naming the victim's charge: the own
	// workflow takes the signal and ignores it (not its charge).
	_, last := webhooks(t, ctx, own)
	if code := postHook(t, genuineURL(own), chargeWebhook(victimCharge, "confirmed"), time.Now()); code != http.StatusOK {
		t.Fatalf("own route: HTTP %d, want 200 (accepted as a trigger)", code)
	}
	awaitWebhookHandled(t, ctx, own, last, false)
	assertUnchanged(t, own, ownBefore, take(t, ctx, own, ownCharge))
	assertUnchanged(t, victim, victimBefore, take(t, ctx, victim, victimCharge))
	if n, _ := webhooks(t, ctx, victim); n != nVictim {
		t.Fatalf("the victim's workflow was signalled (%d → %d)", nVictim, n)
	}
}

// Correctly routed and signed webhooks that lie are only triggers: the
// workflow re-reads the charge at A55 and nothing moves.
func TestLyingWebhooksChangeNothing(t *testing.T) {
	cases := []struct {
		name, purpose string
		book          func(t *testing.T, ctx context.Context, purpose string) (id, charge string)
		claims        []string
		then          func(t *testing.T, ctx context.Context, id, charge string, after snapshot)
	}{
		// "authorized" while the 3DS challenge is still pending: the
		// workflow finds the charge pending and stays awaiting the challenge.
		{"authorized replayed for a pending 3DS charge", "hook-replay-pending", pending3DS, []string{"authorized"},
			func(t *testing.T, ctx context.Context, id, charge string, after snapshot) {
				if after.Status != workflows.StatusAwaiting3DS || after.LedgerStatus != "pending" {
					t.Fatalf("status %s, ledger %s; want awaiting_3ds and pending", after.Status, after.LedgerStatus)
				}
				if _, err := env.Starter().Capture(ctx, id, nil); err == nil {
					t.Fatal("a capture was accepted on a charge whose challenge is still pending")
				}
				if e, _ := env.Sandbox.Charge(ctx, charge); e.Calls.Capture != 0 || e.Captured.Minor != 0 {
					t.Fatalf("ledger: %d captures, captured %d", e.Calls.Capture, e.Captured.Minor)
				}
			}},
		// "confirmed" (captured, in the seeds' vocabulary) forged for a charge
		// whose challenge is pending: nothing is captured.
		{"confirmed forged for a pending 3DS charge", "hook-forged-confirmed", pending3DS, []string{"confirmed"},
			func(t *testing.T, ctx context.Context, id, charge string, after snapshot) {
				if after.Captured != 0 || after.LedgerCaptured != 0 || after.Status != workflows.StatusAwaiting3DS {
					t.Fatalf("after a forged confirmed: %+v", after)
				}
			}},
		// "paid" replayed for a hold that is only authorized: the workflow
		// does not book a capture A55 never made.
		{"paid replayed for an authorized hold", "hook-replay-paid", authorizedHold, []string{"paid", "confirmed"},
			func(t *testing.T, ctx context.Context, id, charge string, after snapshot) {
				// The hold is intact: the booking system can still release all of it.
				if res, err := env.Starter().Cancel(ctx, id, "security test done"); err != nil || res.Status != workflows.StatusVoided {
					t.Fatalf("cancel after the replays = %+v, %v", res, err)
				}
				if e, _ := env.Sandbox.Charge(ctx, charge); e.Released.Minor != 52000 || e.Captured.Minor != 0 {
					t.Fatalf("ledger: released %d, captured %d; want all released", e.Released.Minor, e.Captured.Minor)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			id, charge := tc.book(t, ctx, tc.purpose)
			before := take(t, ctx, id, charge)
			var after snapshot
			for _, status := range tc.claims {
				_, last := webhooks(t, ctx, id)
				if code := postHook(t, genuineURL(id), chargeWebhook(charge, status), time.Now()); code != http.StatusOK {
					t.Fatalf("%s: HTTP %d, want 200 (a trigger to re-read)", status, code)
				}
				awaitWebhookHandled(t, ctx, id, last, true)
				after = take(t, ctx, id, charge)
				assertUnchanged(t, id, before, after)
			}
			tc.then(t, ctx, id, charge, after)
		})
	}
}

// "authorized" replayed after the hold was released: the booking is over, the
// receiver tells A55 to stop, and the charge stays voided.
func TestReplayedAuthorizedWebhookForVoidedChargeChangesNothing(t *testing.T) {
	ctx := testCtx(t)
	id, charge := authorizedHold(t, ctx, "hook-replay-voided")
	if res, err := env.Starter().Cancel(ctx, id, "guest cancelled"); err != nil || res.Status != workflows.StatusVoided {
		t.Fatalf("cancel = %+v, %v", res, err)
	}
	if _, err := env.Starter().Result(ctx, id); err != nil {
		t.Fatal(err)
	}
	before := take(t, ctx, id, charge)
	events := len(history(t, ctx, id))
	for _, status := range []string{"authorized", "confirmed"} {
		if code := postHook(t, genuineURL(id), chargeWebhook(charge, status), time.Now()); code != http.StatusOK {
			t.Errorf("%s: HTTP %d, want 200 (workflow already completed: A55 stops retrying)", status, code)
		}
	}
	if n := len(history(t, ctx, id)); n != events {
		t.Fatalf("the finished workflow's history grew from %d to %d events", events, n)
	}
	after := take(t, ctx, id, charge)
	assertUnchanged(t, id, before, after)
	if after.Status != workflows.StatusVoided || after.LedgerStatus != "canceled" || after.LedgerCaptured != 0 {
		t.Fatalf("after the replay: %+v", after)
	}
}

// While A55 cannot be read, a forged "confirmed" must not show in the status
// query as what A55 last said: operators read last_a55_status to decide
// whether money moved.
func TestForgedWebhookDuringAnA55OutageIsNotReportedAsA55sWord(t *testing.T) {
	ctx := testCtx(t)
	id, charge := pending3DS(t, ctx, "hook-outage")
	before := take(t, ctx, id, charge)
	setFaults(t, `{"get":{"error_rate":1,"error_statuses":[500]}}`)
	t.Cleanup(func() { setFaults(t, "") })
	_, last := webhooks(t, ctx, id)
	if code := postHook(t, genuineURL(id), chargeWebhook(charge, "confirmed"), time.Now()); code != http.StatusOK {
		t.Fatalf("HTTP %d, want 200", code)
	}
	awaitWebhookHandled(t, ctx, id, last, false) // the read is now failing and retrying
	during, err := env.Starter().Status(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if during.LastA55Status != before.LastA55Status || during.Status != workflows.StatusAwaiting3DS {
		t.Fatalf("during the outage the status query says status %s, last_a55_status %q; A55 last said %q",
			during.Status, during.LastA55Status, before.LastA55Status)
	}
	setFaults(t, "")
	awaitWebhookHandled(t, ctx, id, last, true)
	assertUnchanged(t, id, before, take(t, ctx, id, charge))
}

// setFaults replaces the sandbox's faults (empty: none).
func setFaults(t *testing.T, faults string) {
	t.Helper()
	method := http.MethodPost
	if faults == "" {
		method = http.MethodDelete
	}
	if r := httpDo(t, method, env.Proj.SandboxURL()+"/_sandbox/faults", []byte(faults), nil); r.code/100 != 2 {
		t.Fatalf("%s /_sandbox/faults: HTTP %d %s", method, r.code, r.body)
	}
}
