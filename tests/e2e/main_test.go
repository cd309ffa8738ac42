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
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/tests/testkit"
)

// The sandbox's hold window for this run: short enough that a booking whose
// own hold window matches it reaches its deadline within seconds, long enough
// that no other test's hold lapses on a slow machine.
const sandboxHoldWindow = 90 * time.Second

// env is the running stack, shared by every test of the package.
var env *testkit.Stack

func TestMain(m *testing.M) {
	env = &testkit.Stack{Suite: testkit.Suite{
		Name: "e2e", Starts: "the dev server and every binary",
		// Building the binaries cold (a fresh clone, -race) takes minutes on 2 cores.
		Within: 8 * time.Minute,
		Project: func(p *stack.Project) {
			p.Tools = []string{stack.BinDevstack} // for the tests of make dev and make demo
			p.BuildFlags = buildFlags()
			// The tests need no Web UI (the browser tests look at it).
			p.Server = stack.Server{Headless: true}
			p.Notify = true // the booking system's notification endpoint (notify_test.go)
			p.SandboxArgs = []string{
				"-hold-window", sandboxHoldWindow.String(),
				"-webhook-retry-scale", "0.001",
				"-settlement-delay", "-1s",
			}
		},
		Check: func() error {
			ledger := checkLedger()
			if ledger != nil {
				ledger = fmt.Errorf("sandbox ledger: %w", ledger)
			}
			env.StopProcesses() // the race detector's reports are complete once they exit
			return errors.Join(ledger, checkRaces())
		},
		OutputTail: 4000,
	}}
	env.Main(m)
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
	logs, _ := filepath.Glob(filepath.Join(env.Proj.LogDir, "*.log"))
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
	charges, err := env.Sandbox.Ledger(ctx, "")
	if err != nil {
		return err
	}
	perBooking, captures := map[string]int{}, map[string]int{}
	var problems []string
	for _, c := range charges {
		perBooking[c.ReferenceExternalID]++
		captures[c.ReferenceExternalID] += c.Calls.Capture
		if c.Calls.Create != 1 || c.Calls.Capture > 1 || c.CaptureFlag {
			problems = append(problems, fmt.Sprintf("charge %s of %s: created %d times, captured %d times, capture flag %v",
				c.ChargeUUID, c.ReferenceExternalID, c.Calls.Create, c.Calls.Capture, c.CaptureFlag))
		}
	}
	for booking, n := range perBooking {
		if _, replaced := replacedBookings.Load(booking); replaced {
			// One charge per authorization, one capture for the booking.
			if captures[booking] > 1 {
				problems = append(problems, fmt.Sprintf("booking %q (hold replaced) captured %d times", booking, captures[booking]))
			}
			continue
		}
		if n != 1 {
			problems = append(problems, fmt.Sprintf("booking %q has %d charges", booking, n))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problems:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return nil
}
