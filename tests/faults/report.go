package faults

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/workflows"
	"github.com/hotelpay/a55-temporal/workflows/reconcile"
)

// Report is what one scenario run prints.
type Report struct {
	Scenario Scenario
	Elapsed  time.Duration
	Ledger   a55sandbox.Ledger
	// Injected are the process-level faults (kills, restarts, downtime).
	Injected map[string]int
	Verdict  Verdict
	Records  []Record
	// Reconciliation is the triggered reconciliation run's report (scenarios
	// with Reconcile).
	Reconciliation *reconcile.Report
	// Outputs holds the processes' last output when an invariant broke.
	Outputs string
	// WorkerTasks are the tasks each worker ran (runs with two workers).
	WorkerTasks []WorkerTasks
}

// terminalOrder is the order outcomes are printed in.
var terminalOrder = []workflows.Status{
	workflows.StatusCaptured, workflows.StatusVoided, workflows.StatusDeclined,
	workflows.StatusExpired, workflows.StatusFailed,
}

// openOrder are outcomes that are not terminal but may be correct: printed
// when present (needs_attention: open, waiting for an operator; terminated:
// closed on purpose without a result).
var openOrder = []workflows.Status{workflows.StatusNeedsAttention, StatusTerminated}

// ReplayCommand reproduces the run: same bookings, same fault draws (the
// processes' timing still varies from run to run).
func (r *Report) ReplayCommand() string {
	if r.Scenario.Replay != "" {
		return r.Scenario.Replay
	}
	test := r.Scenario.Test
	if test == "" {
		// [A-Z]: TestScenario1 alone would run scenario 10 as well.
		test = fmt.Sprintf("TestScenario%d[A-Z]", r.Scenario.Number)
	}
	return fmt.Sprintf("FAULTS_SEED=%d FAULTS_BOOKINGS=%d go test ./tests/faults -count=1 -v -run '%s'",
		r.Scenario.Seed, r.Scenario.Bookings, test)
}

// String is the short report: bookings, faults injected per kind, outcomes
// per state, what A55 saw, and the invariants (all passed, or the first
// violation with its booking id).
func (r *Report) String() string {
	var b strings.Builder
	sc := r.Scenario
	fmt.Fprintf(&b, "=== faults scenario %d %q: %s\n", sc.Number, sc.Name, sc.Title)
	fmt.Fprintf(&b, "bookings   %d in %s (seed %d; replay: %s)\n", r.Verdict.Bookings, r.Elapsed.Round(time.Second), sc.Seed, r.ReplayCommand())
	fmt.Fprintf(&b, "faults     %s\n", r.faultLine())
	fmt.Fprintf(&b, "outcomes   %s\n", r.outcomeLine())
	fmt.Fprintf(&b, "A55        %s\n", r.ledgerLine())
	if rc := r.Reconciliation; rc != nil {
		fmt.Fprintf(&b, "reconcile  %d open charges listed, %d left to their bookings, %d released, %d release failed, %d settled by their bookings meanwhile, %d disagreements\n",
			rc.Listed, rc.Owned, len(rc.Released), len(rc.ReleaseFailed), len(rc.Settled), len(rc.Disagreements))
	}
	for _, w := range r.WorkerTasks {
		fmt.Fprintf(&b, "worker     %s\n", w)
	}
	if len(r.Verdict.Notes) > 0 {
		fmt.Fprintf(&b, "notes      %s\n", joinCounts(r.Verdict.Notes, "; "))
	}
	if r.Verdict.OK() {
		fmt.Fprintf(&b, "invariants %d invariants, %d checks: all passed\n", len(Invariants), r.Verdict.Checks)
	} else {
		v := r.Verdict.Violations
		fmt.Fprintf(&b, "invariants %d invariants, %d checks: %d VIOLATED; first: %s\n", len(Invariants), r.Verdict.Checks, len(v), v[0])
		for _, more := range v[1:min(len(v), 10)] {
			fmt.Fprintf(&b, "           also: %s\n", more)
		}
	}
	return b.String()
}

func (r *Report) faultLine() string {
	all := map[string]int{}
	for k, n := range r.Ledger.FaultsInjected {
		all[k] = n
	}
	for k, n := range r.Injected {
		all[k] = n
	}
	if len(all) == 0 {
		return "none"
	}
	total := 0
	for _, n := range all {
		total += n
	}
	return fmt.Sprintf("%d: %s", total, joinCounts(all, " "))
}

func (r *Report) outcomeLine() string {
	parts := make([]string, 0, len(terminalOrder)+1)
	seen := map[workflows.Status]bool{}
	for _, s := range terminalOrder {
		parts = append(parts, fmt.Sprintf("%s %d", s, r.Verdict.Outcomes[s]))
		seen[s] = true
	}
	for _, s := range openOrder {
		if n := r.Verdict.Outcomes[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, n))
		}
		seen[s] = true
	}
	var other []string
	for s, n := range r.Verdict.Outcomes {
		if !seen[s] {
			other = append(other, fmt.Sprintf("%s %d", s, n))
		}
	}
	sort.Strings(other)
	if len(other) > 0 {
		parts = append(parts, "NOT TERMINAL: "+strings.Join(other, ", "))
	}
	return strings.Join(parts, " · ")
}

func (r *Report) ledgerLine() string {
	var captures, cancels, replays, lapses int
	var w a55sandbox.WebhookStats
	for _, e := range r.Ledger.Charges {
		captures += e.Calls.Capture
		cancels += e.Calls.Cancel
		replays += e.Calls.Replays
		if lapsed(e) {
			lapses++
		}
		w.Attempts += e.Webhooks.Attempts
		w.Delivered += e.Webhooks.Delivered
		w.Failed += e.Webhooks.Failed
		w.Dropped += e.Webhooks.Dropped
		w.Duplicated += e.Webhooks.Duplicated
	}
	line := fmt.Sprintf("%d charges, %d captures, %d cancels, %d holds lapsed, %d idempotent replays; webhooks %d sent, %d delivered, %d given up, %d dropped, %d duplicated",
		len(r.Ledger.Charges), captures, cancels, lapses, replays, w.Attempts, w.Delivered, w.Failed, w.Dropped, w.Duplicated)
	if n := r.Ledger.ReplaysAcrossMidnight; n > 0 {
		line += fmt.Sprintf("; %d replays answered on another day than their first answer", n)
	}
	if l := r.Ledger; l.Vocabulary != "" && (l.Vocabulary != a55sandbox.VocabularySeeds || l.Acquirer != a55sandbox.AcquirerPartialCapture) {
		line += fmt.Sprintf(" (vocabulary %s, acquirer %s)", l.Vocabulary, l.Acquirer)
	}
	return line
}

func joinCounts(m map[string]int, sep string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, sep)
}
