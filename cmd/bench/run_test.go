package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// The floor worker is this binary re-executed with -floor-worker; under `go
// test` that binary is the test binary, so TestMain plays the part.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-floor-worker" {
		main()
		return
	}
	os.Exit(m.Run())
}

// A whole throughput run of the two floors on a real dev server (bin/temporal):
// the stack starts, bookings run in alternating rounds, every history is
// counted, and the results land in the run's own file.
func TestFloorsRunEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Temporal dev server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o := options{
		mode: "throughput", n: 6, c: 3, rounds: 2, m: 1, label: "test",
		phases: []string{phaseFloor, phaseFloorLocal}, workerEnv: map[string]string{},
		pollEvery: 20 * time.Millisecond, closeWait: 10 * time.Second,
		floorPollers: pollerCounts{Workflow: 4, Activity: 3},
	}
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	env, err := startEnv(ctx, o)
	if env != nil {
		defer env.stop(false)
	}
	if err != nil {
		t.Fatal(err)
	}
	r, err := runThroughput(ctx, env, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.phases) != 2 {
		t.Fatalf("%d workloads, want 2 (rounds merged by name)", len(r.phases))
	}
	for _, p := range r.phases {
		if p.ok() != o.n || len(p.Samples) != o.n {
			t.Fatalf("%s: %d of %d bookings ok: %v", p.Name, p.ok(), len(p.Samples), errorSummary(p.Samples, 3))
		}
		c := p.Costs[pathFloor]
		if c == nil || c.N != o.n || c.Open != 0 {
			t.Fatalf("%s: cost %+v", p.Name, c)
		}
		// One start, two updates, one signal, and the two activities (or
		// their two local-activity workflow tasks): 6 actions, whatever
		// the batching of workflow tasks did to the event count.
		for _, a := range c.Actions {
			if a != 6 {
				t.Fatalf("%s: %d actions per booking, want 6 (%v)", p.Name, a, c.ByKind)
			}
		}
		// Each booking starts a workflow and writes its state again as it runs.
		if p.DB == nil || p.DB["CreateWorkflowExecution"] < float64(o.n) || p.DB["UpdateWorkflowExecution"] < float64(o.n) {
			t.Errorf("%s: the dev server's database requests not read: %v", p.Name, p.DB)
		}
		if p.Worker.CPU <= 0 || p.Server.CPU <= 0 || p.Worker.PeakRSS <= 0 {
			t.Errorf("%s: resources not measured: %+v %+v", p.Name, p.Worker, p.Server)
		}
	}
	regular, local := r.phases[0].Costs[pathFloor], r.phases[1].Costs[pathFloor]
	_, regularMean, _ := intStats(regular.Events)
	if _, localMean, _ := intStats(local.Events); localMean >= regularMean {
		t.Errorf("local activities did not shorten the history: %v vs %v", local.Events, regular.Events)
	}

	path, err := writeRun(t.TempDir(), o.label, renderThroughput(r))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	for _, want := range []string{"# test — ", "floor (regular activities)", "floor (local activities)", "WorkflowExecutionUpdateAccepted (capture)",
		"floor worker with 4/3 workflow/activity pollers", "Tasks written for want of a waiting poller"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the results lack %q:\n%s", want, b)
		}
	}
}
