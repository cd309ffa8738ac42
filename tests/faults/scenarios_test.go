package faults

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/stack"
)

// defaultBookings is the CI size: every scenario in a few minutes on 2 cores.
const defaultBookings = 12

var (
	bookingsFlag = flag.Int("faults.bookings", envInt("FAULTS_BOOKINGS", defaultBookings),
		"bookings per scenario (env FAULTS_BOOKINGS)")
	seedFlag = flag.Uint64("faults.seed", uint64(envInt("FAULTS_SEED", 0)),
		"seed of every scenario; 0: each scenario's fixed seed (env FAULTS_SEED)")
	deadlineFlag = flag.Duration("faults.deadline-in", envDuration("FAULTS_DEADLINE_IN"),
		"when set, how soon the deadline policy of deadline bookings is due in every scenario (env FAULTS_DEADLINE_IN)")
)

func envDuration(name string) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		fmt.Fprintf(os.Stderr, "faults: %s=%q is not a duration like 3s; ignored\n", name, v)
		return 0
	}
	return d
}

func envInt(name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		fmt.Fprintf(os.Stderr, "faults: %s=%q is not a non-negative number; using %d\n", name, v, def)
		return def
	}
	return n
}

// The binaries are built once per test process, on first use, into binDir.
var (
	buildOnce sync.Once
	buildErr  error
	binDir    string
	repoRoot  string
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// needBinaries builds the sandbox, receiver and worker (once) and checks the
// dev server binary. It fails, never skips, except with -short (make unit).
func needBinaries(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the fault-injection scenarios start the dev server and every binary")
	}
	buildOnce.Do(func() {
		repoRoot, buildErr = stack.RepoRoot(".")
		if buildErr != nil {
			return
		}
		binDir, buildErr = os.MkdirTemp("", "a55-faults-bin-")
		if buildErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		buildErr = (&stack.Project{Root: repoRoot, BinDir: binDir, Apps: Binaries}).Build(ctx)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// stateDir is a run's state directory: removed after the test unless
// FAULTS_KEEP_STATE is set.
func stateDir(t *testing.T, name string) string {
	t.Helper()
	if os.Getenv("FAULTS_KEEP_STATE") == "" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("", "a55-faults-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("faults: %s keeps its state (logs, dev server database) in %s\n", name, dir)
	return dir
}

// runScenario runs scenario n at the configured size, prints its report to
// stdout, and fails on any broken invariant or on faults that were never
// injected (a run that injected nothing proves nothing).
func runScenario(t *testing.T, n int) *Report {
	t.Helper()
	needBinaries(t)
	// Scenarios run side by side (go test -parallel, default GOMAXPROCS):
	// they spend most of their time waiting on timers and retries.
	t.Parallel()
	sc, expect := NewScenario(n, *bookingsFlag, *seedFlag)
	if *deadlineFlag > 0 {
		sc.Timing.DeadlineIn = *deadlineFlag
	}
	sc.Rules.StrictLapse = os.Getenv("FAULTS_STRICT_LAPSE") != ""
	return runAndCheck(t, sc, expect)
}

func runAndCheck(t *testing.T, sc Scenario, expect []string) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sc.budget()+3*time.Minute)
	defer cancel()
	if deadline, ok := t.Deadline(); ok {
		// End with a report, not a panic, when go test's -timeout is near.
		var cancelTest context.CancelFunc
		ctx, cancelTest = context.WithDeadline(ctx, deadline.Add(-30*time.Second))
		defer cancelTest()
		if left := time.Until(deadline) - time.Minute; left < sc.budget() {
			sc.Budget = max(left, time.Second)
		}
	}
	rep, err := Execute(ctx, sc, Env{Root: repoRoot, BinDir: binDir, StateDir: stateDir(t, sc.Name), Out: os.Stdout})
	if err != nil {
		t.Fatalf("scenario %d (%s) could not run: %v", sc.Number, sc.Name, err)
	}
	fmt.Print(rep.String())
	if !rep.Verdict.OK() {
		t.Errorf("scenario %d (%s): %d invariant violations; first: %s\nreplay: %s\n%s",
			sc.Number, sc.Name, len(rep.Verdict.Violations), rep.Verdict.Violations[0], rep.ReplayCommand(), rep.Outputs)
	}
	if missing := rep.Missing(expect); len(missing) > 0 {
		t.Errorf("scenario %d (%s) injected no %s: the run proves nothing about them (bookings too few?)",
			sc.Number, sc.Name, strings.Join(missing, ", "))
	}
	return rep
}

func TestScenario1A55Errors(t *testing.T)             { runScenario(t, ScenarioA55Errors) }
func TestScenario2LostResponses(t *testing.T)         { runScenario(t, ScenarioLostResponses) }
func TestScenario3WorkerKill(t *testing.T)            { runScenario(t, ScenarioWorkerKill) }
func TestScenario4TemporalRestart(t *testing.T)       { runScenario(t, ScenarioTemporalRestart) }
func TestScenario5Webhooks(t *testing.T)              { runScenario(t, ScenarioWebhooks) }
func TestScenario6TokenExpiry(t *testing.T)           { runScenario(t, ScenarioTokenExpiry) }
func TestScenario7HoldsLapse(t *testing.T)            { runScenario(t, ScenarioHoldsLapse) }
func TestScenario8Everything(t *testing.T)            { runScenario(t, ScenarioEverything) }
func TestScenario9Storms4xx(t *testing.T)             { runScenario(t, Scenario4xxStorms) }
func TestScenario10Operator(t *testing.T)             { runScenario(t, ScenarioOperator) }
func TestScenario11PublicDocsVocabulary(t *testing.T) { runScenario(t, ScenarioPublicDocsVocabulary) }
func TestScenario12FullCaptureAcquirer(t *testing.T)  { runScenario(t, ScenarioFullCaptureAcquirer) }
func TestScenario13Midnight(t *testing.T)             { runScenario(t, ScenarioMidnight) }
