// Package testkit is what the suites that run the whole stack (tests/e2e,
// tests/browser, tests/security) share: their TestMain (the -short skip, the
// stack started from a temporary state directory, its output after a
// failure, the clean-up), unique booking IDs, test contexts and the starter
// calls that fail the test.
package testkit

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Suite is a suite that runs the whole stack.
type Suite struct {
	// Name names the suite in its messages, its state directory
	// (a55-<name>-*) and the variable that keeps that directory after the
	// run (<NAME>_KEEP_STATE=1: logs, keys).
	Name string
	// Starts says what the suite starts, for the -short message.
	Starts string
	// Within bounds building and starting the stack (and Setup).
	Within time.Duration
	// Preflight checks what the suite needs beyond the stack before anything
	// is built (optional).
	Preflight func() error
	// Project sets the suite's own project settings (tools, build flags,
	// process flags and environment); testkit sets where it lives and, when
	// none are given, runs every app.
	Project func(p *stack.Project)
	// Setup runs once the stack is up (optional): the suite's own clients,
	// files, browser. Stack.AtStop undoes what it starts.
	Setup func(ctx context.Context) error
	// Check runs after the tests with the stack still up (optional); an
	// error fails the run.
	Check func() error
	// OutputTail is how many bytes of each process's output a failed run
	// prints.
	OutputTail int
}

// Stack is a suite's running stack, shared by its tests.
type Stack struct {
	Suite
	Root    string         // the repository
	Dir     string         // the state directory: bin/, logs/, secrets, keys
	Proj    *stack.Project // the processes
	Client  client.Client  // encrypting client, as a booking system has
	Codec   converter.DataConverter
	Sandbox stack.SandboxAdmin // the sandbox's admin API: the ledger of what "A55" did
	// CardKeys is the stack's card-key store, as the booking system's
	// starter has it.
	CardKeys cardvault.Store

	atStop []func()
}

// Main is the suite's TestMain: under -short (make unit) it says it skips,
// naming the suite and what it would start; otherwise it starts the stack,
// runs the tests and the suite's Check, prints every process's output after
// a failure, stops everything and exits with the run's code.
func (s *Stack) Main(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Printf("%s: skipped with -short (it starts %s)\n", s.Name, s.Starts)
		os.Exit(0)
	}
	os.Exit(s.run(m))
}

func (s *Stack) run(m *testing.M) (code int) {
	defer s.stop() // runs last: removes the state directory
	defer func() {
		if code != 0 && s.Proj != nil {
			s.Proj.WriteOutputs(os.Stderr, s.OutputTail)
		}
	}()
	if s.Preflight != nil {
		if err := s.Preflight(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
			return 1
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.Within)
	defer cancel()
	if err := s.start(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "%s: cannot start the stack: %v\n", s.Name, err)
		return 1
	}
	code = m.Run()
	if s.Check != nil {
		if err := s.Check(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
			code = 1
		}
	}
	return code
}

func (s *Stack) start(ctx context.Context) error {
	root, err := stack.RepoRoot(".")
	if err != nil {
		return err
	}
	s.Root = root
	if s.Dir, err = os.MkdirTemp("", "a55-"+s.Name+"-"); err != nil {
		return err
	}
	s.Proj = &stack.Project{Root: root, BinDir: filepath.Join(s.Dir, "bin"), StateDir: s.Dir, LogDir: filepath.Join(s.Dir, "logs")}
	if s.Project != nil {
		s.Project(s.Proj)
	}
	if s.Proj.Apps == nil {
		s.Proj.Apps = stack.AllApps
	}
	if err := s.Proj.Build(ctx); err != nil {
		return err
	}
	if err := s.Proj.Start(ctx); err != nil {
		return err
	}
	if s.Client, s.Codec, err = s.Proj.DialEncrypting(ctx); err != nil {
		return err
	}
	if s.CardKeys, err = s.Proj.OpenCardKeys(ctx); err != nil {
		return err
	}
	s.Sandbox = stack.SandboxAdmin{BaseURL: s.Proj.SandboxURL()}
	if s.Setup != nil {
		return s.Setup(ctx)
	}
	return nil
}

// AtStop has f run when the stack stops, before the processes (the latest
// first).
func (s *Stack) AtStop(f func()) { s.atStop = append(s.atStop, f) }

// StopProcesses closes the clients and stops the processes; Main does it at
// the end, a Check that needs the processes gone (their last log lines) can
// do it sooner.
func (s *Stack) StopProcesses() {
	for i := len(s.atStop) - 1; i >= 0; i-- {
		s.atStop[i]()
	}
	s.atStop = nil
	if s.Client != nil {
		s.Client.Close()
		s.Client = nil
	}
	if s.CardKeys != nil {
		_ = s.CardKeys.Close()
		s.CardKeys = nil
	}
	if s.Proj != nil {
		_ = s.Proj.Stop()
	}
}

func (s *Stack) stop() {
	s.StopProcesses()
	if s.Dir != "" && os.Getenv(strings.ToUpper(s.Name)+"_KEEP_STATE") == "" {
		_ = os.RemoveAll(s.Dir)
	}
}

// Starter is the starter a booking system would use on this stack.
func (s *Stack) Starter() *starter.Starter {
	return starter.New(s.Client, starter.WithCardKeys(s.CardKeys))
}

// Authorize starts the booking's workflow and waits for its authorization;
// an error fails the test.
func (s *Stack) Authorize(t testing.TB, ctx context.Context, in workflows.BookingPaymentInput) workflows.AuthorizationResult {
	t.Helper()
	return Authorize(t, ctx, s.Starter(), in)
}

// WaitStatus polls the status query until the booking reaches want; not
// reaching it fails the test.
func (s *Stack) WaitStatus(t testing.TB, ctx context.Context, id string, want workflows.Status) workflows.PaymentState {
	t.Helper()
	return WaitStatus(t, ctx, s.Starter(), id, want)
}

// IDs names bookings uniquely per run: prefix-purpose-hhmmss-n.
type IDs struct {
	prefix, nonce string
	n             atomic.Int64
}

// NewIDs returns the booking IDs of a suite, each starting with prefix.
func NewIDs(prefix string) *IDs {
	return &IDs{prefix: prefix, nonce: time.Now().UTC().Format("150405")}
}

// Next is a new booking ID that names the test's purpose.
func (b *IDs) Next(purpose string) string {
	return fmt.Sprintf("%s-%s-%s-%d", b.prefix, purpose, b.nonce, b.n.Add(1))
}

// BRL is an amount in reais, minor units.
func BRL(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "BRL"} }

// Context is a context that ends after d or with the test.
func Context(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Authorize starts the booking's workflow and waits for its authorization;
// an error fails the test.
func Authorize(t testing.TB, ctx context.Context, s *starter.Starter, in workflows.BookingPaymentInput) workflows.AuthorizationResult {
	t.Helper()
	res, err := s.Authorize(ctx, in)
	if err != nil {
		t.Fatalf("authorize %s: %v", in.BookingID, err)
	}
	return res
}

// History is the booking's whole history as c reads it (with c's payload
// codec, or none); an error fails the test.
func History(t testing.TB, ctx context.Context, c client.Client, id string) []*historypb.HistoryEvent {
	t.Helper()
	it := c.GetWorkflowHistory(ctx, workflows.WorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		events = append(events, ev)
	}
	return events
}

// WaitStatus polls the status query until the booking reaches want; not
// reaching it fails the test.
func WaitStatus(t testing.TB, ctx context.Context, s *starter.Starter, id string, want workflows.Status) workflows.PaymentState {
	t.Helper()
	state, err := stack.WaitStatus(ctx, s, id, want)
	if err != nil {
		t.Fatal(err)
	}
	return state
}
