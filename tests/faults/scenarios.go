package faults

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
)

// BaseSandboxArgs are the sandbox flags every scenario uses: webhook retries 100× faster than A55's
// schedule (immediately, +0.6 s, +3 s, +18 s...), and captured charges stay
// "confirmed" (no settlement noise in the ledger).
var BaseSandboxArgs = []string{"-webhook-retry-scale", "0.01", "-settlement-delay", "-1s"}

// Scenario numbers.
const (
	ScenarioA55Errors = iota + 1
	ScenarioLostResponses
	ScenarioWorkerKill
	ScenarioTemporalRestart
	ScenarioWebhooks
	ScenarioTokenExpiry
	ScenarioHoldsLapse
	ScenarioEverything
	Scenario4xxStorms
	ScenarioOperator
	ScenarioPublicDocsVocabulary
	ScenarioFullCaptureAcquirer
	ScenarioMidnight
)

// DefaultSeed is scenario n's seed when the run names none: fixed, so a CI
// failure replays with the command its report prints.
func DefaultSeed(n int) uint64 { return uint64(20261127*10 + n) }

// fault sets the same fault on several sandbox endpoints.
func fault(f a55sandbox.Fault, endpoints ...string) map[string]a55sandbox.Fault {
	m := map[string]a55sandbox.Fault{}
	for _, e := range endpoints {
		m[e] = f
	}
	return m
}

// lateAnswerBursts is a Chaos that alternates A55's faults: normal for
// normalFor, then late (answers after the worker's timeout) for lateFor,
// counting each burst; startLate says which the run's Faults begin with.
// Each switch finishes even when the run ends meanwhile.
func lateAnswerBursts(startLate bool, normal, late map[string]a55sandbox.Fault, normalFor, lateFor time.Duration) func(context.Context, *Run) error {
	return func(ctx context.Context, r *Run) error {
		// set reports done when the switch failed (err) or the run ended.
		set := func(f map[string]a55sandbox.Fault) (done bool, err error) {
			err = r.Stack.SetFaults(context.WithoutCancel(ctx), f)
			return err != nil || ctx.Err() != nil, err
		}
		if !startLate {
			sleep(ctx, normalFor)
			if done, err := set(late); done {
				return err
			}
		}
		for {
			r.Stack.Count("a55:late-answer-burst")
			sleep(ctx, lateFor)
			if done, err := set(normal); done {
				return err
			}
			sleep(ctx, normalFor)
			if done, err := set(late); done {
				return err
			}
		}
	}
}

func merge(ms ...map[string]a55sandbox.Fault) map[string]a55sandbox.Fault {
	out := map[string]a55sandbox.Fault{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func ms(d time.Duration) a55sandbox.Duration { return a55sandbox.Duration(d) }

// NewScenario returns scenario n (1–13) sized to bookings, with seed (0: the
// scenario's DefaultSeed). Expect lists the fault kinds (prefixes of the
// report's counters) the run must have injected for it to prove anything.
func NewScenario(n, bookings int, seed uint64) (Scenario, []string) {
	if seed == 0 {
		seed = DefaultSeed(n)
	}
	sc := Scenario{Number: n, Seed: seed, Bookings: bookings, SandboxArgs: BaseSandboxArgs}
	var expect []string
	switch n {
	case ScenarioA55Errors:
		sc.Name = "a55-errors"
		sc.Title = "A55 answers 500, 503 or 429 (+Retry-After) on 30% of calls, every call 150 ms slower"
		sc.Faults = fault(a55sandbox.Fault{ErrorRate: 0.3, Latency: ms(150 * time.Millisecond)},
			"token", "create", "get", "capture", "cancel")
		expect = []string{":error_500", ":error_503", ":error_429", ":latency"}

	case ScenarioLostResponses:
		sc.Name = "lost-responses"
		sc.Title = "A55 does the work but the answer is lost: the connection dropped on 30% of authorize, capture and cancel calls; " +
			"and in bursts every call answers after the worker's 1 s timeout"
		// Go's http.Transport silently re-sends a request with an
		// Idempotency-Key when a reused connection drops, so dropped
		// connections alone often reach the activity as a replayed answer.
		// A timeout is never re-sent: it reaches the activity, whose retry
		// must use the same key.
		sc.WorkerEnv = map[string]string{"A55_TIMEOUT": "1s"}
		dropped := fault(a55sandbox.Fault{LostResponseRate: 0.3}, "create", "capture", "cancel")
		late := fault(a55sandbox.Fault{LostResponseRate: 0.3, Latency: ms(1500 * time.Millisecond)}, "create", "capture", "cancel")
		sc.Faults = late
		sc.Chaos = lateAnswerBursts(true, dropped, late, 3*time.Second, 2*time.Second)
		expect = []string{":lost_response", "create:latency"}

	case ScenarioWorkerKill:
		sc.Name = "worker-sigkill"
		sc.Title = "the worker is killed with SIGKILL mid-authorization and mid-capture, then restarted"
		// Slow authorizations and captures, so that kills land while calls are in flight.
		sc.Faults = fault(a55sandbox.Fault{Latency: ms(400 * time.Millisecond)}, "create", "capture", "cancel")
		sc.Chaos = func(ctx context.Context, r *Run) error {
			if !r.WaitStarted(ctx, 0.05) {
				return nil
			}
			sleep(ctx, time.Second)
			kill := func() error { return r.Stack.KillWorker(ctx, 500*time.Millisecond) }
			if err := kill(); err != nil {
				return err
			}
			return Every(ctx, 8*time.Second, kill)
		}
		// An activity lost with its worker is retried only after its
		// start-to-close timeout (1 min): many bookings wait side by side.
		sc.Concurrency = 48
		// A kill delays a workflow's first task by up to ~10 s (the dead
		// worker's sticky queue and task timeout); see scenario 4.
		sc.Timing.DeadlineIn = 30 * time.Second
		sc.Budget = 4*time.Minute + time.Duration(bookings)*3*time.Second
		expect = []string{"worker:sigkill"}

	case ScenarioTemporalRestart:
		sc.Name = "temporal-restart"
		sc.Title = "the Temporal dev server is stopped and restarted on the same database file, twice, with bookings in flight"
		sc.Faults = fault(a55sandbox.Fault{Latency: ms(200 * time.Millisecond)}, "create", "capture", "cancel")
		// Check-out well after the outage: the workflow validates its input
		// against its own clock when its first task runs, which a server
		// outage delays (see the report on deadlines in the past).
		sc.Timing.DeadlineIn = 30 * time.Second
		sc.Chaos = func(ctx context.Context, r *Run) error {
			for _, at := range []float64{0.25, 0.75} {
				if !r.WaitStarted(ctx, at) {
					return nil
				}
				if err := r.Stack.RestartTemporal(ctx, 2*time.Second); err != nil {
					return err
				}
			}
			return nil
		}
		expect = []string{"temporal:restart"}

	case ScenarioWebhooks:
		sc.Name = "webhooks"
		sc.Title = "webhooks dropped, duplicated, reordered and delayed (25% each); the receiver down for 5 s, twice"
		sc.Mix = Mix{CaptureFull: 15, CapturePartial: 10, Cancel: 10, DeadlineRelease: 5, DeadlineCapture: 5,
			Challenge: 35, ChallengeFailed: 10, Declined: 10}
		// Most front ends never forward 3ds-auth-complete: A55's webhook (or
		// the workflow's own 3DS timeout) is all the workflow gets.
		sc.ReportShare = 0.3
		sc.Timing.ThreeDSTimeout = 20 * time.Second
		sc.Faults = map[string]a55sandbox.Fault{"webhook": {
			DropRate: 0.25, DuplicateRate: 0.25, ReorderRate: 0.25, DelayRate: 0.25, Delay: ms(time.Second)}}
		sc.Chaos = func(ctx context.Context, r *Run) error {
			for _, at := range []float64{0.2, 0.7} {
				if !r.WaitStarted(ctx, at) {
					return nil
				}
				if err := r.Stack.StopReceiver(ctx, 5*time.Second); err != nil {
					return err
				}
			}
			return nil
		}
		expect = []string{"webhook:drop", "webhook:duplicate", "receiver:down"}

	case ScenarioTokenExpiry:
		sc.Name = "token-expiry"
		sc.Title = "access tokens live 2 s (expiring mid-run, mid-booking); the token endpoint fails now and then"
		sc.SandboxArgs = append(sc.SandboxArgs, "-token-lifetime", "2s")
		sc.Arrival = 300 * time.Millisecond
		sc.MaxActAfter = 4 * time.Second
		sc.Faults = map[string]a55sandbox.Fault{"token": {ErrorNext: 2, ErrorRate: 0.2}}
		expect = []string{"token:error_"}

	case ScenarioHoldsLapse:
		sc.Name = "holds-lapse"
		sc.Title = "holds last 12 s (deadline policy at 7 s) while A55 fails half the reads, captures and cancels, with a 10 s outage"
		sc.SandboxArgs = append(sc.SandboxArgs, "-hold-window", "12s")
		sc.Timing = Timing{HoldWindow: 12 * time.Second, SafetyMargin: 5 * time.Second, DeadlineIn: 7 * time.Second}
		sc.Mix = Mix{CaptureFull: 25, CapturePartial: 15, Cancel: 15, DeadlineRelease: 15, DeadlineCapture: 15, Declined: 5}
		sc.MaxActAfter = 10 * time.Second
		failing := fault(a55sandbox.Fault{ErrorRate: 0.5, ErrorStatuses: []int{500, 503}}, "get", "capture", "cancel")
		outage := fault(a55sandbox.Fault{ErrorRate: 1, ErrorStatuses: []int{503}}, "get", "capture", "cancel")
		sc.Faults = failing
		sc.Chaos = func(ctx context.Context, r *Run) error {
			if !r.WaitStarted(ctx, 0.3) {
				return nil
			}
			// A 10 s outage, then 15 s of the usual failure rate, over and
			// over until the last booking's hold has lapsed; then A55
			// recovers, so that every booking can reach its final state.
			for ctx.Err() == nil {
				if err := r.Stack.SetFaults(ctx, outage); err != nil {
					return err
				}
				r.Stack.Count("a55:outage")
				sleep(ctx, 10*time.Second)
				if err := r.Stack.SetFaults(context.WithoutCancel(ctx), failing); err != nil {
					return err
				}
				if started, _, total := r.Progress(); started == total {
					break
				}
				sleep(ctx, 15*time.Second)
			}
			sleep(ctx, 15*time.Second)
			return r.Stack.SetFaults(context.WithoutCancel(ctx), nil)
		}
		// Bookings last while A55 fails: many side by side, and time for
		// the retries' backoff (up to a minute) once A55 recovers.
		sc.Concurrency = 48
		sc.Budget = 4*time.Minute + time.Duration(bookings)*3*time.Second
		sc.Rules.AllowLapse = true
		expect = []string{":error_5", "a55:outage"}

	case ScenarioEverything:
		sc.Name = "everything"
		sc.Title = "all of the above at once: A55 errors, latency and lost responses, webhook faults, short tokens, short holds, worker kills, a dev server restart, receiver downtime, an A55 outage"
		sc.SandboxArgs = append(sc.SandboxArgs, "-token-lifetime", "3s", "-hold-window", "40s")
		sc.Timing = Timing{HoldWindow: 40 * time.Second, SafetyMargin: 10 * time.Second, ThreeDSTimeout: 20 * time.Second,
			DeadlineIn: 30 * time.Second}
		sc.ReportShare = 0.5
		sc.MaxActAfter = 5 * time.Second
		api := merge(
			fault(a55sandbox.Fault{ErrorRate: 0.15, Latency: ms(100 * time.Millisecond)}, "token", "get"),
			fault(a55sandbox.Fault{ErrorRate: 0.15, Latency: ms(100 * time.Millisecond), LostResponseRate: 0.1, LostResponseNext: 1},
				"create", "capture", "cancel"),
			map[string]a55sandbox.Fault{"webhook": {DropRate: 0.2, DuplicateRate: 0.2, ReorderRate: 0.2,
				DelayRate: 0.2, Delay: ms(time.Second)}},
		)
		sc.Faults = api
		outage := merge(api, fault(a55sandbox.Fault{ErrorRate: 1, ErrorStatuses: []int{503}},
			"token", "create", "get", "capture", "cancel"))
		sc.Chaos = func(ctx context.Context, r *Run) error {
			steps := []struct {
				at float64
				do func() error
			}{
				{0.1, func() error { return r.Stack.KillWorker(ctx, 500*time.Millisecond) }},
				{0.25, func() error { return r.Stack.RestartTemporal(ctx, 2*time.Second) }},
				{0.4, func() error { return r.Stack.StopReceiver(ctx, 3*time.Second) }},
				{0.55, func() error { return r.Stack.KillWorker(ctx, 500*time.Millisecond) }},
				{0.7, func() error {
					if err := r.Stack.SetFaults(ctx, outage); err != nil {
						return err
					}
					r.Stack.Count("a55:outage")
					sleep(ctx, 5*time.Second)
					return r.Stack.SetFaults(context.WithoutCancel(ctx), api)
				}},
				{0.85, func() error { return r.Stack.KillWorker(ctx, 500*time.Millisecond) }},
			}
			for _, s := range steps {
				if !r.WaitStarted(ctx, s.at) {
					return nil
				}
				if err := s.do(); err != nil {
					return err
				}
			}
			return nil
		}
		sc.Rules.AllowLapse = true
		expect = []string{":error_", ":lost_response", "webhook:", "worker:sigkill", "temporal:restart", "receiver:down", "a55:outage"}

	case Scenario4xxStorms:
		sc.Name = "4xx-storms"
		sc.Title = "A55 refuses captures and cancels with 401, 403 or 404: half of them, and all of them in three 8 s storms; then it recovers"
		// Every money operation meets the refusals: captures (in full, in
		// part, by the deadline policy), releases (cancel, deadline), and
		// the cancel of a 3DS challenge that is abandoned.
		sc.Mix = Mix{CaptureFull: 25, CapturePartial: 15, Cancel: 25, DeadlineRelease: 10, DeadlineCapture: 10,
			Challenge: 10, Declined: 5}
		refusals := []int{401, 403, 404}
		half := fault(a55sandbox.Fault{ErrorRate: 0.5, ErrorStatuses: refusals}, "capture", "cancel")
		storm := fault(a55sandbox.Fault{ErrorRate: 1, ErrorStatuses: refusals}, "capture", "cancel")
		sc.Faults = half
		sc.Chaos = func(ctx context.Context, r *Run) error {
			// Three storms, 8 s apart; then half the calls refused until
			// every booking has started; then A55 recovers. The retries of
			// captures and releases (kept going on 401/403/404 within the
			// hold's life) must all land.
			for storms := 0; storms < 3 && ctx.Err() == nil; storms++ {
				if err := r.Stack.SetFaults(ctx, storm); err != nil {
					return err
				}
				r.Stack.Count("a55:4xx-storm")
				sleep(ctx, 8*time.Second)
				if err := r.Stack.SetFaults(context.WithoutCancel(ctx), half); err != nil || ctx.Err() != nil {
					return err
				}
				sleep(ctx, 8*time.Second)
			}
			if !r.WaitStarted(ctx, 1) {
				return nil
			}
			sleep(ctx, 5*time.Second)
			return r.Stack.SetFaults(context.WithoutCancel(ctx), nil)
		}
		// A refused capture or release waits out its retries' backoff (up
		// to a minute) once a storm has passed: many bookings side by side.
		sc.Concurrency = 48
		sc.Budget = 4*time.Minute + time.Duration(bookings)*3*time.Second
		// The holds last 7 days and a capture or release retries within
		// the hold's life (at least 5 min): a storm that outlasted that
		// would leave the booking in needs_attention, open and owning its
		// charge: acceptable, reported.
		sc.Rules.AllowAttention = true
		expect = []string{":error_401", ":error_403", ":error_404", "a55:4xx-storm"}

	case ScenarioOperator:
		sc.Name = "operator-actions"
		sc.Title = "operators act on authorized bookings mid-hold: Request Cancellation on some, Terminate on others; " +
			"then the reconciliation is triggered; A55 fails 30% of the cancels (500, 503) meanwhile"
		sc.Mix = Mix{WorkflowCancel: 35, Terminate: 35, CaptureFull: 15, Cancel: 10, Declined: 5}
		sc.Faults = fault(a55sandbox.Fault{ErrorRate: 0.3, ErrorStatuses: []int{500, 503}}, "cancel")
		// The terminated bookings' holds are stranded until the
		// reconciliation (run once every booking is done) releases them.
		sc.Reconcile = true
		expect = []string{"operator:cancel-request", "operator:terminate"}

	case ScenarioPublicDocsVocabulary:
		sc.Name = "public-docs-vocabulary"
		sc.Title = "A55 speaks its public documents' words (a hold is confirmed, a capture pre_captured) to a worker on its " +
			"default settings, while it fails 20% of calls, refuses or fails 40% of captures and cancels (401/403/404, 5xx, lost " +
			"answers), webhooks are dropped or duplicated, and operators cancel or terminate some holds (then the reconciliation)"
		sc.SandboxArgs = append(sc.SandboxArgs, "-vocabulary", a55sandbox.VocabularyPublicDocs)
		sc.Mix = Mix{CaptureFull: 20, CapturePartial: 15, Cancel: 15, DeadlineRelease: 6, DeadlineCapture: 6,
			Challenge: 12, ChallengeFailed: 4, Declined: 6, WorkflowCancel: 8, Terminate: 8}
		// Half the 3DS front ends never forward 3ds-auth-complete and a
		// fifth of the webhooks are dropped: some workflows learn of the
		// challenge only from their own 3DS timeout (then they read the
		// charge, "confirmed"). 20 s, as in scenario 5, so that those
		// bookings finish within the run.
		sc.ReportShare = 0.5
		sc.Timing.ThreeDSTimeout = 20 * time.Second
		sc.Faults = merge(
			fault(a55sandbox.Fault{ErrorRate: 0.2}, "token", "create", "get", "list"),
			fault(a55sandbox.Fault{ErrorRate: 0.4, ErrorStatuses: []int{401, 403, 404, 500, 503}, LostResponseRate: 0.1},
				"capture", "cancel"),
			map[string]a55sandbox.Fault{"webhook": {DropRate: 0.2, DuplicateRate: 0.2}},
		)
		// A refused capture or release waits out its retries' backoff: many
		// bookings side by side.
		sc.Concurrency = 48
		sc.Budget = 4*time.Minute + time.Duration(bookings)*3*time.Second
		sc.Reconcile = true
		// What a CI-sized run (12 bookings) injects for sure; at 200 the
		// report shows every kind, the operators' actions included.
		expect = []string{":error_4", ":error_5", "webhook:drop"}

	case ScenarioFullCaptureAcquirer:
		sc.Name = "full-capture-acquirer"
		sc.Title = "the acquirer captures the whole hold whatever the capture asks, A55 speaks its public documents' words, " +
			"30% of captures and cancels fail (5xx) and 20% lose their answer, and in bursts they answer after the worker's 1 s timeout: " +
			"every partial capture must record A55's figure, keep what it asked, and be counted"
		// The public documents' words: a read after a lost capture answer
		// says pre_captured, never how much; only the capture's own answer
		// (replayed under its key) does.
		sc.SandboxArgs = append(sc.SandboxArgs, "-acquirer", a55sandbox.AcquirerFullCapture,
			"-vocabulary", a55sandbox.VocabularyPublicDocs)
		sc.WorkerEnv = map[string]string{"A55_TIMEOUT": "1s"}
		sc.Mix = Mix{CaptureFull: 20, CapturePartial: 40, DeadlineCapture: 10, Cancel: 10, DeadlineRelease: 5,
			Challenge: 10, Declined: 5}
		failing := merge(
			fault(a55sandbox.Fault{ErrorRate: 0.1}, "create", "get"),
			fault(a55sandbox.Fault{ErrorRate: 0.3, ErrorStatuses: []int{500, 503}, LostResponseRate: 0.2}, "capture", "cancel"),
		)
		late := merge(failing, fault(a55sandbox.Fault{ErrorRate: 0.3, ErrorStatuses: []int{500, 503}, LostResponseRate: 0.2,
			Latency: ms(1200 * time.Millisecond)}, "capture", "cancel"))
		sc.Faults = failing
		sc.Chaos = lateAnswerBursts(false, failing, late, 3*time.Second, 3*time.Second)
		sc.Rules.FullCaptureAcquirer = true
		sc.CheckMismatchMetric = true
		// A small run (make test's 12 bookings) may draw no lost answer or
		// no error among its few captures; it must draw one of the two.
		expect = []string{"capture:error_5|capture:lost_response", "a55:late-answer-burst"}

	case ScenarioMidnight:
		sc.Name = "midnight"
		sc.Title = "A55's clock crosses 00:00 UTC again and again while create calls fail (30%, 500/503), lose their answer " +
			"(30%) or answer after the worker's 1 s timeout: every retry must send its first attempt's body under its key, " +
			"and every booking end with one hold"
		// No 3DS: the first jump of A55's clock (hours ahead) would time
		// out every challenge in progress, which is not this scenario's
		// point. Webhooks signed on A55's clock fall outside the receiver's
		// 5-minute window and are refused: the workflows read the charges.
		sc.Mix = Mix{CaptureFull: 35, CapturePartial: 25, Cancel: 25, Declined: 15}
		sc.Arrival = 400 * time.Millisecond
		sc.WorkerEnv = map[string]string{"A55_TIMEOUT": "1s"}
		sc.Rules.SameBodyPerKey = true
		storm := fault(a55sandbox.Fault{ErrorRate: 0.3, ErrorStatuses: []int{500, 503}, LostResponseRate: 0.3,
			Latency: ms(1500 * time.Millisecond)}, "create")
		calm := fault(a55sandbox.Fault{ErrorRate: 0.1, ErrorStatuses: []int{503}}, "create")
		sc.Faults = calm
		sc.Chaos = func(ctx context.Context, r *Run) error {
			if !r.WaitStarted(ctx, 0.01) {
				return nil
			}
			// A55's clock (not this machine's) is set 4 s before the next
			// 00:00 UTC with creates failing or slow, so that the work of a
			// first attempt lands on one day and its retry on the next; the
			// first jump also outlives every token. Then a calm spell, and
			// again, until every booking has started.
			for ctx.Err() == nil {
				midnight := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
				if err := r.Stack.SetFaults(ctx, storm); err != nil {
					return err
				}
				if err := r.Stack.SetSandboxClock(ctx, midnight.Add(-4*time.Second)); err != nil {
					return err
				}
				r.Stack.Count("a55:clock-crosses-midnight")
				sleep(ctx, 8*time.Second)
				if err := r.Stack.SetFaults(context.WithoutCancel(ctx), calm); err != nil || ctx.Err() != nil {
					return err
				}
				if started, _, total := r.Progress(); started == total {
					return nil
				}
				sleep(ctx, 2*time.Second)
			}
			return nil
		}
		expect = []string{"create:error_5", "create:lost_response", "create:latency", "a55:clock-crosses-midnight", ReplaysAcrossMidnight}

	default:
		panic(fmt.Sprintf("faults: no scenario %d", n))
	}
	return sc, expect
}

// ReplaysAcrossMidnight, expected by a scenario, wants the ledger to show
// idempotent replays answered on another UTC day than their first answer.
const ReplaysAcrossMidnight = "a55:replays-across-midnight"

// Missing returns the expected fault kinds the report shows no count for;
// "a|b" expects either.
func (r *Report) Missing(expect []string) []string {
	var missing []string
	for _, want := range expect {
		found := false
		for _, alt := range strings.Split(want, "|") {
			found = found || alt == ReplaysAcrossMidnight && r.Ledger.ReplaysAcrossMidnight > 0
			for _, counts := range []map[string]int{r.Ledger.FaultsInjected, r.Injected} {
				for k, n := range counts {
					if n > 0 && strings.Contains(k, alt) {
						found = true
					}
				}
			}
		}
		if !found {
			missing = append(missing, want)
		}
	}
	return missing
}
