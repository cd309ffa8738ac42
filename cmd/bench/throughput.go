package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
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
	// Sandbox and Receiver: ours only (the floors use neither).
	Sandbox, Receiver ProcUsage
	// A55Conns: distinct TCP connections to the sandbox during the phase
	// (the worker's A55 client, plus the bench's challenge-page visits).
	A55Conns int
	Costs    map[string]*pathCost
	// DB is the dev server's database requests during the workload (nil:
	// its metrics could not be read).
	DB dbRequests
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
	byName := map[string]*phaseResult{}
	// Rounds alternate the workloads so that load from outside the bench,
	// which drifts, falls on each of them alike.
	for round := range o.rounds {
		n := o.n / o.rounds
		if round < o.n%o.rounds {
			n++
		}
		for _, name := range o.phases {
			var book booker
			workerPid, sandboxPid, receiverPid := 0, 0, 0
			prefix := fmt.Sprintf("%s-%s-r%d", name, nonce, round)
			switch name {
			case phaseOurs:
				book = newOurs(env.ours, env.cardKeys, env.proj.SandboxURL(), prefix, o.c, o.pollEvery).book
				workerPid = env.worker.Pid()
				sandboxPid, receiverPid = env.sandbox.Pid(), env.receiver.Pid()
			case phaseFloor, phaseFloorLocal:
				wt := FloorWorkflow
				if name == phaseFloorLocal {
					wt = FloorLocalWorkflow
				}
				book = (&floor{c: env.plain, workflowType: wt, prefix: prefix, timeout: 2 * time.Minute}).book
				workerPid = env.floorWorker.Pid()
			}
			fmt.Fprintf(os.Stderr, "bench: round %d/%d, %s: %d bookings, %d at a time\n", round+1, o.rounds, name, n, o.c)
			var cw *connWatch
			if name == phaseOurs {
				cw = watchConns(portNumber(env.proj.Addrs.Sandbox))
			}
			dw := watchDB(ctx, env.serverMetrics)
			p, err := runPhase(ctx, name, n, o.c, book, workerPid, env.server.Pid(), sandboxPid, receiverPid)
			if cw != nil {
				conns := cw.stop()
				if p != nil {
					p.A55Conns = conns
				}
			}
			if err != nil {
				return nil, err
			}
			if p.DB, err = dw.stop(); err != nil {
				fmt.Fprintf(os.Stderr, "bench: the dev server's database requests not read: %v\n", err)
			}
			fmt.Fprintf(os.Stderr, "bench: %s: %d/%d ok in %s (%.2f bookings/s)\n",
				name, p.ok(), n, p.Wall.Round(time.Millisecond), p.rate())
			if prev := byName[name]; prev != nil {
				prev.merge(p)
			} else {
				byName[name] = p
				r.phases = append(r.phases, p)
			}
		}
	}
	for _, p := range r.phases {
		c := env.plain
		if p.Name == phaseOurs {
			c = env.ours
		}
		fmt.Fprintf(os.Stderr, "bench: counting the histories of %s\n", p.Name)
		var err error
		if p.Costs, err = analyze(ctx, c, p.Samples, 8, o.closeWait); err != nil {
			return nil, err
		}
	}
	r.loadEnd = loadAverage()
	return r, ctx.Err()
}

// merge adds another round of the same workload.
func (p *phaseResult) merge(q *phaseResult) {
	p.Samples = append(p.Samples, q.Samples...)
	p.A55Conns += q.A55Conns
	p.Wall += q.Wall
	if p.DB == nil || q.DB == nil {
		p.DB = nil // one round unread: the sum would mislead
	} else {
		p.DB.add(q.DB)
	}
	for _, u := range []struct{ to, from *ProcUsage }{{&p.Worker, &q.Worker}, {&p.Server, &q.Server}, {&p.Bench, &q.Bench},
		{&p.Sandbox, &q.Sandbox}, {&p.Receiver, &q.Receiver}} {
		u.to.CPU += u.from.CPU
		u.to.PeakRSS = max(u.to.PeakRSS, u.from.PeakRSS)
		u.to.HWM, u.to.RSS = u.from.HWM, u.from.RSS
	}
}

// runPhase runs the bookings while watching the worker, the dev server, this
// process and, for ours, the sandbox and the receiver (pid 0: not watched).
func runPhase(ctx context.Context, name string, n, c int, book booker, workerPid, serverPid, sandboxPid, receiverPid int) (*phaseResult, error) {
	ww, sw, bw := watchProc(workerPid), watchProc(serverPid), watchProc(os.Getpid())
	var aw, rw *procWatch
	if sandboxPid != 0 {
		aw, rw = watchProc(sandboxPid), watchProc(receiverPid)
	}
	step := max(n/10, 1)
	samples, wall := runBookings(ctx, n, c, book, func(done int) {
		if done%step == 0 {
			fmt.Fprintf(os.Stderr, "  %s: %d/%d\n", name, done, n)
		}
	})
	p := &phaseResult{Name: name, Samples: samples, Wall: wall, Worker: ww.stop(), Server: sw.stop(), Bench: bw.stop()}
	if aw != nil {
		p.Sandbox, p.Receiver = aw.stop(), rw.stop()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

func portNumber(addr string) int {
	_, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	return n
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
