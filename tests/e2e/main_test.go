// Package e2e runs the whole system as it runs in production, on this
// machine: the real Temporal dev server (bin/temporal), and the real sandbox,
// codec server, webhook receiver and worker binaries, each a subprocess with
// its own environment on dynamic ports. Bookings go in through the starter
// package, as a booking system's would; the sandbox's ledger is the ground
// truth of what happened at "A55".
//
// The package fails (never skips) when the dev server or a binary cannot
// start; only -short (make unit) skips it.
package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/tests/testkit"
)

// The sandbox's hold window for this run: short enough that a booking whose
// own hold window matches it reaches its deadline within seconds, long enough
// that no other test's hold lapses on a slow machine.
const sandboxHoldWindow = 90 * time.Second

// env is the running stack, shared by every test of the package.
var env struct {
	root     string
	proj     *stack.Project
	client   client.Client   // encrypting client, as a booking system has
	cardKeys cardvault.Store // the stack's card-key store, as the booking system's starter has it
	sandbox  stack.SandboxAdmin
	stateDir string
}

func TestMain(m *testing.M) {
	testkit.Main(m, "e2e", "the dev server and every binary", run)
}

func run(m *testing.M) (code int) {
	// Building the binaries cold (a fresh clone, -race) takes minutes on 2 cores.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	defer stop() // runs last: removes the state directory
	defer func() {
		if code != 0 {
			dumpOutputs(os.Stderr)
		}
	}()
	if err := start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cannot start the stack:", err)
		return 1
	}
	code = m.Run()
	if err := checkLedger(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: sandbox ledger:", err)
		code = 1
	}
	stopProcesses() // the race detector's reports are complete once they exit
	if err := checkRaces(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		code = 1
	}
	return code
}

// buildFlags builds the stack's binaries the way this test binary was built.
func buildFlags() []string {
	if raceEnabled {
		return []string{"-race"}
	}
	return nil
}

// checkRaces fails the run when the race detector reported a data race in
// any of the stack's processes (their logs hold its reports).
func checkRaces() error {
	logs, _ := filepath.Glob(filepath.Join(env.stateDir, "logs", "*.log"))
	var raced []string
	for _, f := range logs {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "WARNING: DATA RACE") {
			raced = append(raced, filepath.Base(f))
			fmt.Fprintf(os.Stderr, "\n----- %s -----\n%s\n", f, stack.Tail(string(b), 8000))
		}
	}
	if len(raced) > 0 {
		return fmt.Errorf("data race reported by %v", raced)
	}
	return nil
}

// checkLedger checks the whole run's ledger at the end, whatever each test
// looked at: every booking has exactly one charge (one authorization) and at
// most one capture, and no charge was created with capture:true.
func checkLedger() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	charges, err := env.sandbox.Ledger(ctx, "")
	if err != nil {
		return err
	}
	perBooking := map[string]int{}
	var problems []string
	for _, c := range charges {
		perBooking[c.ReferenceExternalID]++
		if c.Calls.Create != 1 || c.Calls.Capture > 1 || c.CaptureFlag {
			problems = append(problems, fmt.Sprintf("charge %s of %s: created %d times, captured %d times, capture flag %v",
				c.ChargeUUID, c.ReferenceExternalID, c.Calls.Create, c.Calls.Capture, c.CaptureFlag))
		}
	}
	for booking, n := range perBooking {
		if n != 1 {
			problems = append(problems, fmt.Sprintf("booking %q has %d charges", booking, n))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problems:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return nil
}

func start(ctx context.Context) error {
	root, err := stack.RepoRoot(".")
	if err != nil {
		return err
	}
	env.root = root
	tmp, err := os.MkdirTemp("", "a55-e2e-")
	if err != nil {
		return err
	}
	env.stateDir = tmp
	env.proj = &stack.Project{
		Root: root, BinDir: filepath.Join(tmp, "bin"), StateDir: tmp, LogDir: filepath.Join(tmp, "logs"),
		Apps:       stack.AllApps,
		Tools:      []string{stack.BinDevstack}, // for the tests of make dev and make demo
		BuildFlags: buildFlags(),
		// The tests need no Web UI (the browser tests look at it).
		Server: stack.Server{Headless: true},
		SandboxArgs: []string{
			"-hold-window", sandboxHoldWindow.String(),
			"-webhook-retry-scale", "0.001",
			"-settlement-delay", "-1s",
		},
	}
	if err := env.proj.Build(ctx); err != nil {
		return err
	}
	if err := env.proj.Start(ctx); err != nil {
		return err
	}
	if env.client, _, err = env.proj.DialEncrypting(ctx); err != nil {
		return err
	}
	if env.cardKeys, err = env.proj.OpenCardKeys(ctx); err != nil {
		return err
	}
	env.sandbox = stack.SandboxAdmin{BaseURL: env.proj.SandboxURL()}
	return nil
}

// stopProcesses stops the client and the stack.
func stopProcesses() {
	if env.client != nil {
		env.client.Close()
		env.client = nil
	}
	if env.cardKeys != nil {
		_ = env.cardKeys.Close()
		env.cardKeys = nil
	}
	if env.proj != nil {
		_ = env.proj.Stop()
	}
}

// stop stops everything and removes the state directory (E2E_KEEP_STATE=1
// keeps it: logs, keys).
func stop() {
	stopProcesses()
	if env.stateDir != "" && os.Getenv("E2E_KEEP_STATE") == "" {
		_ = os.RemoveAll(env.stateDir)
	}
}

// dumpOutputs prints the tail of every process's output after a failure.
func dumpOutputs(w io.Writer) {
	if env.proj != nil {
		env.proj.WriteOutputs(w, 4000)
	}
}
