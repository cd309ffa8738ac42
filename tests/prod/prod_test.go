// Package prod runs the system on the production topology of
// docker-compose.temporal.yml without Docker (make prod-test; make test runs
// it too): a throwaway PostgreSQL cluster migrated by the compose file's
// schema job, the real Temporal server built from Go source at the compose
// file's version and configured from its environment, the namespace job,
// then two workers, the webhook receiver, the codec server and the A55
// sandbox (internal/stack, Server.Prod). A few hundred mixed bookings run
// while one worker is killed with SIGKILL and restarted and the server is
// stopped and restarted, and the fault suite's invariants (tests/faults)
// are checked against the sandbox's ledger.
//
// PROD_BOOKINGS sets the size (default 300), PROD_SEED the seed.
package prod

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/tests/faults"
	"github.com/hotelpay/a55-temporal/worker"
)

const (
	defaultBookings = 300
	defaultSeed     = 20261207
)

// apps are the processes the production stack runs besides the server.
var apps = []string{stack.BinSandbox, stack.BinCodec, stack.BinReceiver, stack.BinWorker, stack.BinWorker2}

func envUint(t *testing.T, name string, def uint64) uint64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// productionScenario is the run: the everyday mix of bookings (frictionless
// and 3DS holds, declines, full and partial captures, cancels, both
// deadline policies) on 40 s holds, A55 a little slow so that the kill
// lands mid-call, one worker killed once and the server restarted once.
func productionScenario(bookings int, seed uint64) faults.Scenario {
	return faults.Scenario{
		Name:  "production-topology",
		Title: "the compose file's topology (PostgreSQL, Temporal server, two workers): SIGKILL of one worker, a server restart",
		Replay: fmt.Sprintf("PROD_SEED=%d PROD_BOOKINGS=%d go test ./tests/prod -count=1 -v -run TestProductionTopology",
			seed, bookings),
		Seed: seed, Bookings: bookings,
		Mix:         faults.DefaultMix,
		ReportShare: 0.5,
		SandboxArgs: append(append([]string(nil), faults.BaseSandboxArgs...), "-hold-window", "40s"),
		// The 3DS wait outlasts a server restart on a loaded machine (a
		// 20 s one declined an approved challenge in a make test run).
		Timing: faults.Timing{HoldWindow: 40 * time.Second, SafetyMargin: 10 * time.Second,
			ThreeDSTimeout: 2 * time.Minute, DeadlineIn: 30 * time.Second},
		Faults: map[string]a55sandbox.Fault{
			"create":  {Latency: a55sandbox.Duration(200 * time.Millisecond)},
			"capture": {Latency: a55sandbox.Duration(200 * time.Millisecond)},
			"cancel":  {Latency: a55sandbox.Duration(200 * time.Millisecond)},
		},
		// An activity lost with the killed worker is retried after its
		// start-to-close timeout: many bookings wait side by side.
		Concurrency: 48,
		Chaos: func(ctx context.Context, r *faults.Run) error {
			if !r.WaitStarted(ctx, 0.3) {
				return nil
			}
			r.Logf("killing worker (SIGKILL) with bookings in flight")
			if err := r.Stack.KillWorker(ctx, time.Second); err != nil {
				return err
			}
			if !r.WaitStarted(ctx, 0.6) {
				return nil
			}
			r.Logf("stopping and restarting the Temporal server")
			return r.Stack.RestartTemporal(ctx, 2*time.Second)
		},
		// 40 s holds: a capture delayed past the hold by the kill or the
		// restart finds it lapsed (reported as expired; never captured).
		Rules: faults.Rules{AllowLapse: true},
	}
}

func TestProductionTopology(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the production topology starts PostgreSQL, the Temporal server and every binary")
	}
	root, err := stack.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	bookings := int(envUint(t, "PROD_BOOKINGS", defaultBookings))
	sc := productionScenario(bookings, envUint(t, "PROD_SEED", defaultSeed))

	binDir := t.TempDir()
	buildCtx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := (&stack.Project{Root: root, BinDir: binDir, Apps: apps, Server: stack.Server{Prod: true}}).Build(buildCtx); err != nil {
		t.Fatal(err)
	}

	ctx, cancelRun := context.WithTimeout(context.Background(), 3*time.Minute+time.Duration(bookings)*time.Second+5*time.Minute)
	defer cancelRun()
	began := time.Now()
	rep, err := faults.Execute(ctx, sc, faults.Env{
		Root: root, BinDir: binDir, StateDir: t.TempDir(), Out: os.Stdout, Apps: apps, Prod: true,
	})
	if err != nil {
		t.Fatalf("the production topology could not run: %v", err)
	}
	fmt.Print(rep.String())
	fmt.Printf("prod-test  %d bookings on the production topology in %s\n", bookings, time.Since(began).Round(time.Second))
	if !rep.Verdict.OK() {
		t.Errorf("%d invariant violations; first: %s\nreplay: %s\n%s",
			len(rep.Verdict.Violations), rep.Verdict.Violations[0], rep.ReplayCommand(), rep.Outputs)
	}
	if missing := rep.Missing([]string{"worker:sigkill", "temporal:restart"}); len(missing) > 0 {
		t.Errorf("the run injected no %s", strings.Join(missing, ", "))
	}
	// Both workers run this build, as one Worker Deployment version, with
	// the auto-upgrade behavior: what the Web UI shows for every task.
	wantVersion := worker.DefaultDeploymentName + "/"
	for _, w := range rep.WorkerTasks {
		if w.WorkflowTasks == 0 || w.ActivityTasks == 0 {
			t.Errorf("%s did no share of the work: %s", w.Name, w)
		}
		for version := range w.Versions {
			if len(w.Versions) != 1 || !strings.HasPrefix(version, wantVersion) ||
				!strings.HasSuffix(version, " "+enumspb.VERSIONING_BEHAVIOR_AUTO_UPGRADE.String()) {
				t.Errorf("%s completed workflow tasks as %v: want one version %s<build id>, auto-upgrade", w.Name, w.Versions, wantVersion)
			}
		}
	}
	if len(rep.WorkerTasks) != 2 {
		t.Errorf("tasks counted for %d workers, want 2", len(rep.WorkerTasks))
	}
}
