package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
)

// Workloads of throughput mode.
const (
	phaseFloor      = "floor"
	phaseFloorLocal = "floor-local"
	phaseOurs       = "ours"
)

// phaseResult is one workload's run.
type phaseResult struct {
	Name    string
	Samples []sample
	Wall    time.Duration
	Worker  ProcUsage // the worker that served this workload
	Server  ProcUsage // the dev server
	Bench   ProcUsage // this process: the booking system's clients
	Costs   map[string]*pathCost
}

func (p *phaseResult) ok() int {
	n := 0
	for _, s := range p.Samples {
		if s.Err == nil {
			n++
		}
	}
	return n
}

// rate is successful bookings per second of wall time.
func (p *phaseResult) rate() float64 {
	if p.Wall <= 0 {
		return 0
	}
	return float64(p.ok()) / p.Wall.Seconds()
}

type throughputRun struct {
	opts    options
	machine machineInfo
	started time.Time
	loadEnd string
	phases  []*phaseResult
}

func runThroughput(ctx context.Context, env *benchEnv, o options) (*throughputRun, error) {
	r := &throughputRun{opts: o, machine: env.machine, started: time.Now().UTC()}
	nonce := time.Now().UTC().Format("150405")
	for _, name := range o.phases {
		var book booker
		var c client.Client
		workerPid := 0
		switch name {
		case phaseOurs:
			book = newOurs(env.ours, env.proj.SandboxURL(), "bench-"+nonce, o.c, o.pollEvery).book
			c, workerPid = env.ours, env.worker.Pid()
		case phaseFloor, phaseFloorLocal:
			wt := FloorWorkflow
			if name == phaseFloorLocal {
				wt = FloorLocalWorkflow
			}
			f := &floor{c: env.plain, workflowType: wt, prefix: name + "-" + nonce, timeout: 2 * time.Minute}
			book = f.book
			c, workerPid = env.plain, env.floorWorker.Pid()
		}
		fmt.Fprintf(os.Stderr, "bench: %s: %d bookings, %d at a time\n", name, o.n, o.c)
		p, err := runPhase(ctx, name, o.n, o.c, book, workerPid, env.server.Pid())
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "bench: %s: %d/%d ok in %s (%.2f bookings/s); counting histories\n",
			name, p.ok(), o.n, p.Wall.Round(time.Millisecond), p.rate())
		if p.Costs, err = analyze(ctx, c, p.Samples, 8, o.closeWait); err != nil {
			return nil, err
		}
		r.phases = append(r.phases, p)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	r.loadEnd = loadAverage()
	return r, nil
}

// runPhase runs the bookings while watching the worker, the dev server and
// this process.
func runPhase(ctx context.Context, name string, n, c int, book booker, workerPid, serverPid int) (*phaseResult, error) {
	ww, sw, bw := watchProc(workerPid), watchProc(serverPid), watchProc(os.Getpid())
	step := max(n/10, 1)
	samples, wall := runBookings(ctx, n, c, book, func(done int) {
		if done%step == 0 {
			fmt.Fprintf(os.Stderr, "  %s: %d/%d\n", name, done, n)
		}
	})
	p := &phaseResult{Name: name, Samples: samples, Wall: wall, Worker: ww.stop(), Server: sw.stop(), Bench: bw.stop()}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// errorSummary lists distinct errors with their counts.
func errorSummary(samples []sample, limit int) []string {
	counts := map[string]int{}
	var order []string
	for _, s := range samples {
		if s.Err == nil {
			continue
		}
		msg := s.Err.Error()
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		msg = strings.ReplaceAll(msg, "\n", " ")
		if counts[msg] == 0 {
			order = append(order, msg)
		}
		counts[msg]++
	}
	var out []string
	for i, m := range order {
		if i == limit {
			out = append(out, fmt.Sprintf("… and %d more kinds", len(order)-limit))
			break
		}
		out = append(out, fmt.Sprintf("%d× %s", counts[m], m))
	}
	return out
}
