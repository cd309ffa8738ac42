// Command bench measures the booking-payment system on a fresh local stack:
// throughput, latency as the booking system sees it, webhook → workflow
// latency, history events and estimated Temporal Cloud billable actions per
// booking, and the worker's memory and CPU, beside two floors (the least a
// workflow of our shape costs, with regular and with local activities) run
// on the same dev server in the same run.
//
//	go run ./cmd/bench -n 1000 -c 20 -write docs/benchmarks
//	go run ./cmd/bench -mode hold -m 10000 -write docs/benchmarks
//	go run ./cmd/bench -server prod -write docs/benchmarks -label throughput-prod
//
// With -server prod the server is the compose file's topology instead
// (internal/stack, Server.Prod): the real Temporal server built from source
// on a throwaway PostgreSQL cluster (make bench-prod).
//
// It is a command, not a timed test: it starts the Temporal dev server (its
// own SQLite file in a temp directory, dynamic ports, our search attributes),
// the A55 sandbox (no injected latency or faults), the webhook receiver and
// the worker — the real binaries, through internal/stack — plus a floor
// worker (this binary, -floor-worker) on its own task queue.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	mode        string
	n, c, m     int
	rounds      int
	phases      []string
	write       string
	label       string
	workerEnv   map[string]string
	memoryDB    bool
	notify      bool // a booking-system endpoint receives every booking's notifications
	prod        bool // the real server on PostgreSQL (-server prod)
	keep        bool
	pollEvery   time.Duration
	closeWait   time.Duration
	sandboxArgs []string
	workerBin   string
	// serverConfig are dev server dynamic config values (KEY=VALUE).
	serverConfig []string
	// floorPollers gives the floor worker workflow and activity task
	// pollers (0: the SDK's defaults, the floor as defined).
	floorPollers pollerCounts
}

// pollerCounts is a worker's workflow and activity task pollers, "W/A".
type pollerCounts struct{ Workflow, Activity int }

func (p pollerCounts) String() string {
	if p == (pollerCounts{}) {
		return ""
	}
	return fmt.Sprintf("%d/%d", p.Workflow, p.Activity)
}

func (p *pollerCounts) Set(s string) error {
	w, a, ok := strings.Cut(s, "/")
	var err error
	if ok {
		p.Workflow, err = strconv.Atoi(w)
		if err == nil {
			p.Activity, err = strconv.Atoi(a)
		}
	}
	if !ok || err != nil || p.Workflow < 2 || p.Activity < 1 {
		return fmt.Errorf("%q: want W/A, workflow pollers ≥ 2 and activity pollers ≥ 1, e.g. 16/8", s)
	}
	return nil
}

type kvFlag map[string]string

func (k kvFlag) String() string { return fmt.Sprint(map[string]string(k)) }
func (k kvFlag) Set(s string) error {
	name, val, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q is not KEY=VALUE", s)
	}
	k[name] = val
	return nil
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	var o options
	o.workerEnv = map[string]string{}
	var phases string
	var floorWorker bool
	var temporalAddr, namespace string
	var sandboxArgs, serverConfig listFlag
	var floorPollers pollerCounts
	flag.StringVar(&o.mode, "mode", "throughput", "throughput: bookings beside the floors; hold: hold -m authorizations, restart the worker, capture them all")
	flag.IntVar(&o.n, "n", 1000, "bookings per workload (throughput mode); half of ours go through a 3DS challenge")
	flag.IntVar(&o.c, "c", 20, "bookings in flight at once")
	flag.IntVar(&o.rounds, "rounds", 4, "split -n into this many rounds that alternate the workloads (evens out load from outside the bench)")
	flag.IntVar(&o.m, "m", 10000, "open authorizations to hold (hold mode)")
	flag.StringVar(&phases, "phases", "floor,ours,floor-local", "workloads to run, in order (throughput mode): floor, floor-local, ours")
	flag.StringVar(&o.write, "write", "", "write the results to <this directory>/<label>.md (e.g. docs/benchmarks), replacing the earlier run of that label")
	flag.StringVar(&o.label, "label", "", "name of this run and of its results file (default: the mode)")
	flag.Var(kvFlag(o.workerEnv), "worker-env", "extra KEY=VALUE for the worker process (repeatable), e.g. to try tuning knobs")
	flag.Var(&sandboxArgs, "sandbox-arg", "extra a55sandbox flag (repeatable), e.g. -sandbox-arg=-settlement-delay=-1s")
	flag.Var(&serverConfig, "server-config", "extra dev server dynamic config KEY=VALUE (repeatable), e.g. -server-config system.forceSearchAttributesCacheRefreshOnRead=false")
	flag.Var(&o.floorPollers, "floor-pollers", "workflow/activity task pollers of the floor worker, e.g. 16/8 to give it our worker's (default: the SDK's, the floor as defined)")
	flag.Var(&floorPollers, "pollers", "internal: workflow/activity pollers for -floor-worker")
	flag.StringVar(&o.workerBin, "worker-bin", "", "use this worker binary instead of building ./cmd/worker (to measure a proposed change built from a copy of the tree)")
	var server string
	flag.StringVar(&server, "server", "dev", "dev: the CLI's dev server (SQLite); prod: the compose file's topology, the real Temporal server on PostgreSQL (make temporal-server first)")
	flag.BoolVar(&o.notify, "notify", false, "run a booking-system endpoint and point the worker at it: every booking's notifications are signed, delivered and verified (default: no notification URL, each booking's first delivery finds nowhere to send and stops)")
	flag.BoolVar(&o.memoryDB, "memory-db", false, "run the dev server in memory instead of a fresh SQLite file")
	flag.BoolVar(&o.keep, "keep", false, "keep the temp directory (logs, database) and print its path")
	flag.DurationVar(&o.pollEvery, "poll", 20*time.Millisecond, "status query interval while waiting for authorized after 3DS")
	flag.DurationVar(&o.closeWait, "close-wait", 15*time.Second, "how long to wait for a workflow to close before counting its history")
	flag.BoolVar(&floorWorker, "floor-worker", false, "internal: run the floor worker (started by the bench itself)")
	flag.StringVar(&temporalAddr, "temporal", "", "internal: frontend address for -floor-worker")
	flag.StringVar(&namespace, "namespace", "default", "internal: namespace for -floor-worker")
	flag.Parse()
	o.sandboxArgs = sandboxArgs
	o.serverConfig = serverConfig
	switch server {
	case "dev":
	case "prod":
		o.prod = true
		if o.memoryDB {
			fmt.Fprintln(os.Stderr, "bench: -memory-db is for the dev server, not -server prod")
			os.Exit(2)
		}
	default:
		fmt.Fprintf(os.Stderr, "bench: -server %q: want dev or prod\n", server)
		os.Exit(2)
	}

	if floorWorker {
		if err := runFloorWorker(temporalAddr, namespace, floorPollers); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	for _, p := range strings.Split(phases, ",") {
		if p = strings.TrimSpace(p); p != "" {
			o.phases = append(o.phases, p)
		}
	}
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if o.label == "" {
		o.label = o.mode
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func (o options) check() error {
	switch o.mode {
	case "throughput", "hold":
	default:
		return fmt.Errorf("-mode %q: use throughput or hold", o.mode)
	}
	if o.n < 1 || o.c < 1 || o.m < 1 || o.rounds < 1 {
		return fmt.Errorf("-n, -c, -m and -rounds must be at least 1")
	}
	if o.rounds > o.n {
		return fmt.Errorf("-rounds %d is more than -n %d", o.rounds, o.n)
	}
	for _, p := range o.phases {
		switch p {
		case phaseFloor, phaseFloorLocal, phaseOurs:
		default:
			return fmt.Errorf("-phases: %q is not floor, floor-local or ours", p)
		}
	}
	if len(o.phases) == 0 {
		return fmt.Errorf("-phases is empty")
	}
	if o.label != "" && !labelPattern.MatchString(o.label) {
		return fmt.Errorf("-label %q: letters, digits, '.', '_' and '-' only (it names the results file)", o.label)
	}
	return nil
}

// labelPattern is what a -label may be: a file name, without a directory.
var labelPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func run(ctx context.Context, o options) error {
	env, err := startEnv(ctx, o)
	if env != nil {
		defer env.stop(o.keep)
	}
	if err != nil {
		if env != nil {
			env.dumpLogs(os.Stderr)
		}
		return err
	}
	var report string
	switch o.mode {
	case "throughput":
		r, err := runThroughput(ctx, env, o)
		if err != nil {
			env.dumpLogs(os.Stderr)
			return err
		}
		report = renderThroughput(r)
	case "hold":
		r, err := runHold(ctx, env, o)
		if err != nil {
			env.dumpLogs(os.Stderr)
			return err
		}
		report = renderHold(r)
	}
	fmt.Println()
	fmt.Println(report)
	if o.write != "" {
		dir := o.write
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(env.root, dir)
		}
		path, err := writeRun(dir, o.label, report)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bench: results written to %s\n", path)
	}
	return nil
}
