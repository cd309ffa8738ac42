package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/workflows"
)

// pathCost sums the histories of one path's bookings.
type pathCost struct {
	Path      string
	N         int   // histories counted
	Open      int   // still running when counted (their count is a lower bound)
	Events    []int // per booking
	Actions   []int
	ByKind    map[string]int // summed over the bookings
	Example   []string       // one booking's events, described
	ExampleID string
	// 3DS: from the challenge's answer to the webhook taken in history.
	SignalLag []time.Duration
	// 3DS: from the challenge's answer to the workflow recording authorized
	// (its PaymentStatus search attribute upsert).
	AuthorizedLag []time.Duration
}

// analyze reads the history of every successful booking (conc at a time),
// waiting up to closeWait for each to close, and sums its cost per path.
func analyze(ctx context.Context, c client.Client, samples []sample, conc int, closeWait time.Duration) (map[string]*pathCost, error) {
	type result struct {
		i      int
		events []*historypb.HistoryEvent
		err    error
	}
	results := make([]result, len(samples))
	var wg sync.WaitGroup
	sem := make(chan struct{}, conc)
	for i, s := range samples {
		if s.Err != nil || s.WorkflowID == "" {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			deadline := time.Now().Add(closeWait)
			for {
				ev, err := fetchHistory(ctx, c, s.WorkflowID)
				if err != nil || closed(ev) || time.Now().After(deadline) {
					results[i] = result{i: i, events: ev, err: err}
					return
				}
				time.Sleep(250 * time.Millisecond)
			}
		}()
	}
	wg.Wait()

	costs := map[string]*pathCost{}
	for i, s := range samples {
		r := results[i]
		if r.events == nil {
			if r.err != nil {
				return nil, r.err
			}
			continue
		}
		pc := costs[s.Path]
		if pc == nil {
			pc = &pathCost{Path: s.Path, ByKind: map[string]int{}}
			costs[s.Path] = pc
		}
		cost := countActions(r.events)
		pc.N++
		if !closed(r.events) {
			pc.Open++
		}
		pc.Events = append(pc.Events, cost.Events)
		pc.Actions = append(pc.Actions, cost.Actions)
		for k, v := range cost.ByKind {
			pc.ByKind[k] += v
		}
		if pc.Example == nil {
			pc.Example = describeEvents(r.events)
			pc.ExampleID = s.WorkflowID
		}
		if !s.ChallengeDone.IsZero() {
			if lag, ok := signalLag(r.events, s.ChallengeDone); ok {
				pc.SignalLag = append(pc.SignalLag, lag)
			}
			if at, ok := statusRecorded(r.events, string(workflows.StatusAuthorized)); ok {
				pc.AuthorizedLag = append(pc.AuthorizedLag, max(at.Sub(s.ChallengeDone), 0))
			}
		}
	}
	return costs, nil
}

// signalLag is the time from the challenge's answer to the first webhook the
// workflow took after it: a charge_changed update accepted (the receiver's
// way) or a signal (its fallback). The server stamps event times; same machine.
func signalLag(events []*historypb.HistoryEvent, after time.Time) (time.Duration, bool) {
	for _, e := range events {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			if e.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName() != workflows.UpdateChargeChanged {
				continue
			}
		default:
			continue
		}
		t := e.GetEventTime().AsTime()
		// Clock readings of two processes: allow a little skew backwards.
		if t.After(after.Add(-5 * time.Millisecond)) {
			return max(t.Sub(after), 0), true
		}
	}
	return 0, false
}

// statusRecorded is when the workflow first upserted PaymentStatus = status
// (search attributes are plain JSON payloads, never encrypted).
func statusRecorded(events []*historypb.HistoryEvent, status string) (time.Time, bool) {
	want := `"` + status + `"`
	for _, e := range events {
		a := e.GetUpsertWorkflowSearchAttributesEventAttributes()
		if a == nil {
			continue
		}
		if p := a.GetSearchAttributes().GetIndexedFields()[workflows.PaymentStatusKey.GetName()]; p != nil && string(p.GetData()) == want {
			return e.GetEventTime().AsTime(), true
		}
	}
	return time.Time{}, false
}

// stats of a set of durations.
type durStats struct {
	N             int
	P50, P95, P99 time.Duration
	Max           time.Duration
}

func summarize(ds []time.Duration) durStats {
	if len(ds) == 0 {
		return durStats{}
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return durStats{N: len(s), P50: percentile(s, 50), P95: percentile(s, 95), P99: percentile(s, 99), Max: s[len(s)-1]}
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n)
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

func (d durStats) String() string {
	if d.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%s / %s / %s", ms(d.P50), ms(d.P95), ms(d.P99))
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	default:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
}

// intStats: min / mean / max.
func intStats(xs []int) (lo int, mean float64, hi int) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	lo, hi = xs[0], xs[0]
	sum := 0
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
		sum += x
	}
	return lo, float64(sum) / float64(len(xs)), hi
}

func fmtInts(xs []int) string {
	if len(xs) == 0 {
		return "–"
	}
	lo, mean, hi := intStats(xs)
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%.1f (%d–%d)", mean, lo, hi)
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
