package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/metrics"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/workflows"
	"github.com/hotelpay/a55-temporal/workflows/reconcile"
)

// Scenario is one fault-injection run: its bookings, the faults, and what
// the checks allow.
type Scenario struct {
	Number int    // 1–10, for the report and the replay command
	Name   string // short, e.g. "a55-errors"
	Title  string // one line: what is injected
	// Test is the go test that runs it, for the replay command (default TestScenario<Number>).
	Test string
	// Replay, when set, is the whole replay command (a scenario of another package).
	Replay string
	Seed   uint64 // bookings and the sandbox's fault draws
	// Bookings is how many bookings the run drives.
	Bookings int
	// Concurrency caps the bookings in flight (0: 16).
	Concurrency int
	// Arrival is the gap between two bookings' arrivals (0: 150 ms).
	Arrival time.Duration
	Mix     Mix
	// MaxActAfter bounds the compressed stay (0: 2 s).
	MaxActAfter time.Duration
	// ReportShare is the share of 3DS front ends that forward the
	// 3ds-auth-complete message (the rest rely on A55's webhook).
	ReportShare float64
	Timing      Timing
	// SandboxArgs are a55sandbox flags for this run (-seed is added).
	SandboxArgs []string
	// WorkerEnv adds to the worker's environment.
	WorkerEnv map[string]string
	// Faults are the sandbox faults from the first booking on.
	Faults map[string]a55sandbox.Fault
	// Chaos runs while bookings are in flight (process kills, restarts,
	// fault changes). Its context ends when every booking has finished; it
	// must leave every process running when it returns.
	Chaos func(ctx context.Context, r *Run) error
	// Reconcile: once every booking is done, trigger the worker's
	// reconciliation schedule and wait for its run (the report shows what
	// it released) before the checks read A55's ledger.
	Reconcile bool
	Rules     Rules
	// CheckMismatchMetric: the worker's booking_payment_capture_amount_mismatch_total
	// must count exactly the bookings whose capture A55 booked for another
	// amount than asked (the worker must not be restarted in the run).
	CheckMismatchMetric bool
	// Inspect, when set, runs once every booking is done and the checks
	// have read the ledger, before the stack stops: what a test reads from
	// the running stack besides the ledger (e.g. its card-key store). An
	// error is a run that could not be carried out.
	Inspect func(ctx context.Context, st *Stack, records []Record) error
	// Budget is how long the bookings may take in all (0: 3 min + 1 s per booking).
	Budget time.Duration
}

func (sc Scenario) withDefaults() Scenario {
	if sc.Concurrency <= 0 {
		sc.Concurrency = 16
	}
	if sc.Arrival <= 0 {
		sc.Arrival = 150 * time.Millisecond
	}
	if sc.MaxActAfter <= 0 {
		sc.MaxActAfter = 2 * time.Second
	}
	if sc.Budget <= 0 {
		sc.Budget = 3*time.Minute + time.Duration(sc.Bookings)*time.Second
	}
	return sc
}

func (sc Scenario) budget() time.Duration { return sc.withDefaults().Budget }

// Env is where a scenario runs.
type Env struct {
	// Root is the repository root (its bin/temporal is the dev server).
	Root string
	// BinDir holds the a55sandbox, receiver and worker binaries.
	BinDir string
	// WorkerBin, when set, is the worker to run instead of BinDir's.
	WorkerBin string
	// StateDir receives secrets, the dev server's database and the logs.
	StateDir string
	// Out receives progress lines while the run goes on.
	Out io.Writer
	// Apps and Prod: see StackConfig.
	Apps []string
	Prod bool
}

// Run is a scenario in progress, for its Chaos function.
type Run struct {
	Stack    *Stack
	total    int
	started  atomic.Int64
	finished atomic.Int64
	out      io.Writer
}

// Progress reports how many bookings have started and finished.
func (r *Run) Progress() (started, finished, total int) {
	return int(r.started.Load()), int(r.finished.Load()), r.total
}

// WaitStarted waits until at least the fraction of bookings has started (or
// ctx ends: then it returns false).
func (r *Run) WaitStarted(ctx context.Context, fraction float64) bool {
	want := int64(fraction * float64(r.total))
	for r.started.Load() < want {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return ctx.Err() == nil
}

// Logf prints a progress line.
func (r *Run) Logf(format string, args ...any) {
	if r.out != nil {
		fmt.Fprintf(r.out, "    "+format+"\n", args...)
	}
}

// Every calls fn every interval until ctx ends, and returns fn's first error.
func Every(ctx context.Context, interval time.Duration, fn func() error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
		if ctx.Err() != nil {
			return nil
		}
		if err := fn(); err != nil {
			return err
		}
	}
}

// Execute starts a private stack, drives the scenario's bookings through it
// while injecting its faults, and checks the invariants against the
// sandbox's ledger. The error is for a run that could not be carried out
// (a process that would not start); broken invariants are in the report.
func Execute(ctx context.Context, sc Scenario, env Env) (*Report, error) {
	sc = sc.withDefaults()
	began := time.Now()
	st, err := StartStack(ctx, StackConfig{
		Root: env.Root, BinDir: env.BinDir, WorkerBin: env.WorkerBin, StateDir: env.StateDir,
		SandboxArgs: append([]string{"-seed", fmt.Sprint(sc.Seed)}, sc.SandboxArgs...),
		WorkerEnv:   sc.WorkerEnv,
		Apps:        env.Apps, Prod: env.Prod,
	})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := st.SetFaults(ctx, sc.Faults); err != nil {
		return nil, err
	}
	plans := Plans(PlanOptions{
		Prefix: fmt.Sprintf("s%d", sc.Number), Bookings: sc.Bookings, Seed: sc.Seed, Mix: sc.Mix,
		Arrival: sc.Arrival, MaxActAfter: sc.MaxActAfter, ReportShare: sc.ReportShare,
	})
	run := &Run{Stack: st, total: len(plans), out: env.Out}

	budget, cancel := context.WithTimeout(ctx, sc.Budget)
	defer cancel()
	chaosCtx, stopChaos := context.WithCancel(budget)
	chaosErr := make(chan error, 1)
	go func() {
		if sc.Chaos == nil {
			chaosErr <- nil
			return
		}
		chaosErr <- sc.Chaos(chaosCtx, run)
	}()
	stopProgress := make(chan struct{})
	go func() {
		for {
			select {
			case <-stopProgress:
				return
			case <-time.After(30 * time.Second):
				s, f, t := run.Progress()
				run.Logf("%s: %d/%d bookings started, %d finished (%s)", sc.Name, s, t, f, time.Since(began).Round(time.Second))
			}
		}
	}()

	d := &driver{st: st, timing: sc.Timing}
	records := make([]Record, len(plans))
	sem := make(chan struct{}, sc.Concurrency)
	var wg sync.WaitGroup
	for i, p := range plans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer run.finished.Add(1)
			sleep(budget, p.StartAfter)
			select {
			case sem <- struct{}{}:
			case <-budget.Done():
				records[i] = Record{Plan: p, Err: fmt.Errorf("never started: %w", budget.Err())}
				return
			}
			defer func() { <-sem }()
			run.started.Add(1)
			records[i] = d.book(budget, p)
		}()
	}
	wg.Wait()
	close(stopProgress)
	stopChaos()
	// A chaos step cut short by stopChaos, every booking having finished, is
	// not a failure of the run; one cut short by the budget is.
	if err := <-chaosErr; err != nil && !(errors.Is(err, context.Canceled) && budget.Err() == nil) {
		return nil, fmt.Errorf("injecting faults: %w\n%s", err, st.Outputs())
	}
	// Faults off, so that nothing the checks read is itself faulty.
	if err := st.SetFaults(ctx, nil); err != nil {
		return nil, err
	}
	var recon *reconcile.Report
	if sc.Reconcile {
		rctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		r, err := runReconciliation(rctx, st)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%w\n%s", err, st.Outputs())
		}
		recon = &r
	}
	// Who owns what, as Temporal sees it now: the checks want every live
	// hold owned by an open workflow.
	if err := describeWorkflows(ctx, st, records); err != nil {
		return nil, err
	}
	ledger, err := st.Ledger(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Scenario: sc, Elapsed: time.Since(began), Ledger: ledger, Injected: st.Injected(),
		Verdict: Check(records, ledger, sc.Rules), Records: records, Reconciliation: recon,
	}
	if sc.CheckMismatchMetric {
		if err := checkMismatchMetric(ctx, st, records, &rep.Verdict); err != nil {
			return nil, err
		}
	}
	if slices.Contains(env.Apps, stack.BinWorker2) {
		if rep.WorkerTasks, err = countWorkerTasks(ctx, st, records); err != nil {
			return nil, err
		}
	}
	if sc.Inspect != nil {
		if err := sc.Inspect(ctx, st, records); err != nil {
			return nil, err
		}
	}
	if !rep.Verdict.OK() {
		rep.Outputs = st.Outputs()
	}
	return rep, nil
}

// checkMismatchMetric compares the worker's mismatch counter with the
// bookings that recorded a capture A55 booked for another amount.
func checkMismatchMetric(ctx context.Context, st *Stack, records []Record, v *Verdict) error {
	counted, err := st.WorkerCounter(ctx, metrics.CaptureAmountMismatches+"_total")
	if err != nil {
		return err
	}
	var flagged int64
	for _, r := range records {
		if r.Finished && r.Result.Status == workflows.StatusCaptured && !r.Result.CaptureRequested.IsZero() &&
			r.Result.CaptureRequested != r.Result.Captured {
			flagged++
		}
	}
	v.Checks++
	if counted != flagged {
		v.Violations = append(v.Violations, Violation{BookingID: "(run)", Invariant: InvAsRequested,
			Detail: fmt.Sprintf("the worker counted %d captures of another amount than asked, the bookings recorded %d", counted, flagged)})
	} else {
		v.Notes[fmt.Sprintf("%s_total = %d, as many as the bookings that flagged it", metrics.CaptureAmountMismatches, counted)]++
	}
	return nil
}

// StatusWorkflowFailed is the report's outcome for a booking whose workflow
// closed with an error instead of a result.
const StatusWorkflowFailed workflows.Status = "workflow_failed"

// StatusTerminated is the report's outcome for a booking whose workflow was
// terminated (on purpose in the operator scenario): closed without a result.
const StatusTerminated workflows.Status = "terminated"

// driver is the simulated booking system: it uses the starter package the
// way a booking system's backend would, retrying what a real one retries.
type driver struct {
	st     *Stack
	timing Timing
}

// callTimeout bounds one call; the same call is then sent again (every
// starter call is idempotent).
const callTimeout = 45 * time.Second

// queryTimeout bounds one status query.
const queryTimeout = 10 * time.Second

// retry calls fn until it succeeds, the workflow refuses (a
// *starter.RejectedError) or is gone (starter.ErrBookingNotFound: e.g. an
// update sent after the deadline policy closed the booking), or ctx ends.
func retry(ctx context.Context, fn func(ctx context.Context) error) error {
	backoff := 200 * time.Millisecond
	for {
		callCtx, cancel := context.WithTimeout(ctx, callTimeout)
		err := fn(callCtx)
		cancel()
		if err == nil {
			return nil
		}
		var rejected *starter.RejectedError
		if errors.As(err, &rejected) || errors.Is(err, starter.ErrBookingNotFound) || ctx.Err() != nil {
			return err
		}
		sleep(ctx, backoff)
		if ctx.Err() != nil {
			return err
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (d *driver) book(ctx context.Context, p Plan) Record {
	rec := Record{Plan: p}
	s := d.st.Starter
	in := p.Input(time.Now(), d.timing)
	err := retry(ctx, func(c context.Context) error {
		a, err := s.Authorize(c, in)
		if err == nil {
			rec.Auth = a
		}
		return err
	})
	if err != nil {
		rec.Err = fmt.Errorf("authorize: %w", err)
		d.finish(ctx, &rec)
		return rec
	}
	status := rec.Auth.Status
	if status == workflows.StatusAwaiting3DS {
		status = d.challenge(ctx, &rec)
	}
	if status == workflows.StatusAuthorized {
		d.act(ctx, &rec)
	}
	d.finish(ctx, &rec)
	return rec
}

// challenge plays the card holder (approve or fail at url_3ds) and the front
// end (forward 3ds-auth-complete, or not), then waits for the workflow to
// leave awaiting_3ds.
func (d *driver) challenge(ctx context.Context, rec *Record) workflows.Status {
	p := rec.Plan
	approve := p.Card == CardChallenge
	for attempt := 0; attempt < 10; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := d.st.CompleteChallenge(cctx, rec.Auth.URL3DS, approve)
		cancel()
		if err == nil || strings.Contains(err.Error(), "no challenge form") || ctx.Err() != nil {
			break
		}
		sleep(ctx, 500*time.Millisecond)
	}
	if p.Report3DS {
		_ = retry(ctx, func(c context.Context) error {
			return d.st.Starter.Report3DSComplete(c, p.BookingID, rec.Auth.ChargeUUID)
		})
	}
	for ctx.Err() == nil {
		// A query sent to a worker that dies never gets an answer: bound it.
		qctx, cancel := context.WithTimeout(ctx, queryTimeout)
		st, err := d.st.Starter.Status(qctx, p.BookingID)
		cancel()
		if err == nil {
			rec.LastStatus = st.Status
			if st.Status != workflows.StatusAwaiting3DS && st.Status != workflows.StatusAuthorizing {
				return st.Status
			}
		}
		sleep(ctx, 250*time.Millisecond)
	}
	return rec.LastStatus
}

// act is check-out / return (capture) or the booking's cancellation, after
// the compressed stay; deadline plans do nothing and let the policy act.
func (d *driver) act(ctx context.Context, rec *Record) {
	p := rec.Plan
	s := d.st.Starter
	var op func(c context.Context) error
	switch p.Action {
	case ActCaptureFull:
		op = func(c context.Context) error { _, err := s.Capture(c, p.BookingID, nil); return err }
	case ActCapturePartial:
		amount := p.Capture
		op = func(c context.Context) error { _, err := s.Capture(c, p.BookingID, &amount); return err }
	case ActCancel:
		op = func(c context.Context) error {
			_, err := s.Cancel(c, p.BookingID, "booking cancelled by the guest")
			return err
		}
	case ActWorkflowCancel:
		// The Temporal UI's Request Cancellation: a repeat is harmless.
		op = func(c context.Context) error {
			err := notFound(d.st.Client.CancelWorkflow(c, workflows.WorkflowID(p.BookingID), ""))
			if err == nil {
				d.st.Count("operator:cancel-request")
			}
			return err
		}
	case ActTerminate:
		op = func(c context.Context) error {
			err := notFound(d.st.Client.TerminateWorkflow(c, workflows.WorkflowID(p.BookingID), "",
				"fault suite: the operator pressed Terminate mid-hold"))
			if err == nil {
				rec.Terminated = true
				d.st.Count("operator:terminate")
			}
			return err
		}
	default:
		return
	}
	sleep(ctx, p.ActAfter)
	if err := retry(ctx, op); err != nil {
		var rejected *starter.RejectedError
		switch {
		case errors.As(err, &rejected):
			rec.Rejected = append(rec.Rejected, string(p.Action)+": "+rejected.Reason)
		case errors.Is(err, starter.ErrBookingNotFound):
			rec.Rejected = append(rec.Rejected, string(p.Action)+": the booking's workflow had already closed")
		default:
			rec.Err = fmt.Errorf("%s: %w", p.Action, err)
		}
	}
}

// notFound turns the server's NotFound (the workflow is gone or already
// closed) into starter.ErrBookingNotFound, which retry does not retry.
func notFound(err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return fmt.Errorf("%w: %w", starter.ErrBookingNotFound, err)
	}
	return err
}

// resultPoll bounds one wait for the result: between two waits the driver
// queries the status, to notice a booking parked in needs_attention (which
// waits for an operator and never finishes by itself).
const resultPoll = 10 * time.Second

// finish waits for the workflow's result; on failure it keeps the last
// status it could read. A terminated workflow has no result: a terminate
// of the plan's own is recorded as such, without waiting.
func (d *driver) finish(ctx context.Context, rec *Record) {
	id := rec.Plan.BookingID
	if rec.Terminated {
		rec.LastStatus = StatusTerminated
		return
	}
	backoff := 200 * time.Millisecond
	var err error
	for {
		c, cancel := context.WithTimeout(ctx, resultPoll)
		var r workflows.BookingPaymentResult
		r, err = d.st.Starter.Result(c, id)
		cancel()
		if err == nil {
			rec.Result, rec.Finished = r, true
			return
		}
		var rejected *starter.RejectedError
		var terminated *temporal.TerminatedError
		switch {
		case errors.As(err, &terminated):
			rec.LastStatus = StatusTerminated
			rec.Err = errors.Join(rec.Err, fmt.Errorf("result: the workflow was terminated: %w", err))
			return
		case errors.As(err, &rejected) || errors.Is(err, starter.ErrBookingNotFound) || ctx.Err() != nil:
		default:
			qctx, cancel := context.WithTimeout(ctx, queryTimeout)
			st, qerr := d.st.Starter.Status(qctx, id)
			cancel()
			if qerr == nil && st.Status == workflows.StatusNeedsAttention {
				// Open, owning its charge, waiting for an operator.
				rec.LastStatus, rec.Attention = st.Status, st.Attention
				return
			}
			sleep(ctx, backoff)
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		break
	}
	if !rec.Finished {
		var rejected *starter.RejectedError
		if errors.As(err, &rejected) {
			// The workflow closed without a result (failed or terminated).
			rec.LastStatus = StatusWorkflowFailed
			rec.Err = errors.Join(rec.Err, fmt.Errorf("result: %w", err))
			return
		}
		if rec.Err == nil {
			rec.Err = fmt.Errorf("result: %w", err)
		}
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), queryTimeout)
		last, qerr := d.st.Starter.Status(qctx, id)
		cancel()
		if qerr == nil {
			rec.LastStatus = last.Status
		}
	}
}
