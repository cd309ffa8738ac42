package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hotelpay/a55-temporal/internal/stack"
)

// holdRun: M bookings authorized and left open, the worker restarted, then
// every one captured.
type holdRun struct {
	opts    options
	machine machineInfo
	started time.Time
	loadEnd string

	authorized   []sample
	authWall     time.Duration
	authWorker   ProcUsage
	holdingRSS   ProcSample // worker, a few seconds after the last authorization
	serverRSS    ProcSample
	stopTook     time.Duration // SIGTERM → old worker gone
	restartTook  time.Duration // new worker process → healthy
	firstCapture time.Duration // SIGTERM → first successful capture
	firstAfterUp time.Duration // new worker healthy → first successful capture
	captureWall  time.Duration // all captures, from the new worker healthy
	captures     []sample
	newWorker    ProcUsage
}

func runHold(ctx context.Context, env *benchEnv, o options) (*holdRun, error) {
	r := &holdRun{opts: o, machine: env.machine, started: time.Now().UTC()}
	nonce := time.Now().UTC().Format("150405")
	drv := newOurs(env.ours, env.cardKeys, env.proj.SandboxURL(), "hold-"+nonce, o.c, o.pollEvery)

	fmt.Fprintf(os.Stderr, "bench: hold: authorizing %d bookings, %d at a time\n", o.m, o.c)
	ww := watchProc(env.worker.Pid())
	step := max(o.m/20, 1)
	r.authorized, r.authWall = runBookings(ctx, o.m, o.c, func(ctx context.Context, i int) sample {
		return drv.authorize(ctx, i, pathHappy)
	}, func(done int) {
		if done%step == 0 {
			fmt.Fprintf(os.Stderr, "  authorized %d/%d (worker RSS %s)\n", done, o.m, rssOf(env.worker.Pid()))
		}
	})
	r.authWorker = ww.stop()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Let pending webhooks and sweeps settle before reading memory.
	time.Sleep(5 * time.Second)
	r.holdingRSS, _ = readProc(env.worker.Pid())
	r.serverRSS, _ = readProc(env.server.Pid())

	fmt.Fprintln(os.Stderr, "bench: hold: restarting the worker (SIGTERM, then start again)")
	t0 := time.Now()
	if err := env.worker.Stop(30 * time.Second); err != nil {
		return nil, fmt.Errorf("stopping the worker: %w", err)
	}
	r.stopTook = time.Since(t0)
	t1 := time.Now()
	w, err := env.proj.Restart(ctx, stack.BinWorker)
	if err != nil {
		return nil, fmt.Errorf("restarting the worker: %w", err)
	}
	env.worker = w
	up := time.Now()
	r.restartTook = up.Sub(t1)

	nw := watchProc(w.Pid())
	var first sync.Once
	ok := make([]int, 0, o.m)
	for i, s := range r.authorized {
		if s.Err == nil {
			ok = append(ok, i)
		}
	}
	fmt.Fprintf(os.Stderr, "bench: hold: capturing %d bookings, %d at a time\n", len(ok), o.c)
	step = max(len(ok)/20, 1)
	r.captures, r.captureWall = runBookings(ctx, len(ok), o.c, func(ctx context.Context, j int) sample {
		s := r.authorized[ok[j]]
		s.Path = pathHold
		drv.capture(ctx, &s)
		if s.Err == nil {
			first.Do(func() {
				now := time.Now()
				r.firstCapture, r.firstAfterUp = now.Sub(t0), now.Sub(up)
			})
		}
		return s
	}, func(done int) {
		if done%step == 0 {
			fmt.Fprintf(os.Stderr, "  captured %d/%d (worker RSS %s)\n", done, len(ok), rssOf(w.Pid()))
		}
	})
	r.newWorker = nw.stop()
	r.loadEnd = loadAverage()
	return r, ctx.Err()
}

func rssOf(pid int) string {
	s, err := readProc(pid)
	if err != nil {
		return "?"
	}
	return mib(s.RSS)
}

func renderHold(r *holdRun) string {
	var b strings.Builder
	o := r.opts
	okAuth := 0
	for _, s := range r.authorized {
		if s.Err == nil {
			okAuth++
		}
	}
	okCap := 0
	for _, s := range r.captures {
		if s.Err == nil {
			okCap++
		}
	}
	fmt.Fprintf(&b, "# %s — %s\n\n", o.label, r.started.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintln(&b, r.machine.markdown(r.loadEnd))
	fmt.Fprintf(&b, "\nCommand: `%s` — %d open authorizations (no 3DS), %d in flight, %s", commandLine(), o.m, o.c, dbKind(o))
	if len(o.workerEnv) > 0 {
		fmt.Fprintf(&b, ", worker env %s", kvString(o.workerEnv))
	}
	fmt.Fprint(&b, notificationsNote(o))
	fmt.Fprint(&b, ".\n\n")
	fmt.Fprintln(&b, "| Step | Result |")
	fmt.Fprintln(&b, "|---|---|")
	fmt.Fprintf(&b, "| authorize %d bookings | %d ok in %s (%.2f/s), authorize p50 / p95 / p99 %s |\n", o.m, okAuth,
		r.authWall.Round(time.Second), float64(okAuth)/r.authWall.Seconds(), summarize(durations(r.authorized, "", authLat)))
	fmt.Fprintf(&b, "| worker while holding them | RSS %s, VmHWM %s; CPU %s per authorization |\n", mib(r.holdingRSS.RSS), mib(r.holdingRSS.HWM), perBooking(r.authWorker.CPU, okAuth))
	fmt.Fprintf(&b, "| server while holding them | RSS %s |\n", mib(r.serverRSS.RSS))
	fmt.Fprintf(&b, "| worker restart | SIGTERM → exited %s; new process → healthy %s |\n", ms(r.stopTook), ms(r.restartTook))
	fmt.Fprintf(&b, "| time to recover: first successful capture | %s after SIGTERM, %s after the new worker was healthy |\n", ms(r.firstCapture), ms(r.firstAfterUp))
	fmt.Fprintf(&b, "| capture all | %d/%d ok in %s (%.2f/s), capture p50 / p95 / p99 %s |\n", okCap, len(r.captures),
		r.captureWall.Round(time.Second), float64(okCap)/r.captureWall.Seconds(), summarize(durations(r.captures, "", capLat)))
	fmt.Fprintf(&b, "| new worker during the captures | peak RSS %s, CPU %s per capture (includes replaying each history into the empty cache) |\n",
		mib(r.newWorker.PeakRSS), perBooking(r.newWorker.CPU, okCap))
	for _, e := range append(errorSummary(r.authorized, 3), errorSummary(r.captures, 3)...) {
		fmt.Fprintf(&b, "\n- Error: %s", e)
	}
	return b.String()
}
