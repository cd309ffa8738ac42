package faults

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/starter"
)

// Binaries the suite runs: the real processes, built from this checkout.
var Binaries = []string{stack.BinSandbox, stack.BinReceiver, stack.BinWorker}

// StackConfig describes one scenario's private stack.
type StackConfig struct {
	// Root is the repository root (its bin/temporal is the dev server).
	Root string
	// BinDir holds the a55sandbox, receiver and worker binaries.
	BinDir string
	// WorkerBin, when set, is the worker to run instead of BinDir's.
	WorkerBin string
	// StateDir receives secrets, the dev server's database and the logs.
	StateDir string
	// SandboxArgs are extra a55sandbox flags (hold window, token lifetime...).
	SandboxArgs []string
	// WorkerEnv adds to the worker's environment (e.g. A55_TIMEOUT).
	WorkerEnv map[string]string
	// Apps are the processes besides the server (nil: Binaries); e.g. with
	// stack.BinWorker2 for two workers.
	Apps []string
	// Prod runs the compose file's topology (PostgreSQL and the real
	// Temporal server) instead of the dev server (see stack.Server.Prod).
	Prod bool
}

// Stack is a running dev server, sandbox, receiver and worker, each a real
// process on dynamic ports, plus an encrypting Temporal client as a booking
// system has. Its methods inject the process-level faults.
type Stack struct {
	proj     *stack.Project
	cardKeys cardvault.Store
	Client   client.Client
	Starter  *starter.Starter

	mu       sync.Mutex
	injected map[string]int // process-level faults, e.g. "worker:sigkill"
}

// StartStack starts the whole stack and waits until every process serves.
func StartStack(ctx context.Context, cfg StackConfig) (*Stack, error) {
	s := &Stack{injected: map[string]int{}}
	apps := cfg.Apps
	if apps == nil {
		apps = Binaries
	}
	s.proj = &stack.Project{
		Root: cfg.Root, BinDir: cfg.BinDir, StateDir: cfg.StateDir,
		LogDir:      filepath.Join(cfg.StateDir, "logs"),
		Apps:        apps,
		Binaries:    map[string]string{stack.BinWorker: cfg.WorkerBin},
		Server:      stack.Server{DBFile: filepath.Join(cfg.StateDir, "temporal.db"), Headless: true, Prod: cfg.Prod},
		SandboxArgs: append([]string{"-quiet"}, cfg.SandboxArgs...),
		ExtraEnv:    map[string]map[string]string{stack.BinWorker: cfg.WorkerEnv},
	}
	fail := func(err error) (*Stack, error) {
		s.Close()
		return nil, err
	}
	if err := s.proj.Start(ctx); err != nil {
		return fail(err)
	}
	c, _, err := s.proj.DialEncrypting(ctx)
	if err != nil {
		return fail(err)
	}
	s.Client = c
	if s.cardKeys, err = s.proj.OpenCardKeys(ctx); err != nil {
		return fail(err)
	}
	s.Starter = starter.New(c, starter.WithCardKeys(s.cardKeys))
	return s, nil
}

// Close stops every process the stack started.
func (s *Stack) Close() {
	if s.Client != nil {
		s.Client.Close()
	}
	if s.cardKeys != nil {
		_ = s.cardKeys.Close()
	}
	_ = s.proj.Stop()
}

// SandboxURL is the sandbox's base URL.
func (s *Stack) SandboxURL() string { return s.proj.SandboxURL() }

// Count records a fault the harness injected (shown in the report).
func (s *Stack) Count(kind string) {
	s.mu.Lock()
	s.injected[kind]++
	s.mu.Unlock()
}

// Injected returns the process-level faults injected so far.
func (s *Stack) Injected() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.injected)
}

// KillWorker kills the worker's process group with SIGKILL (no graceful
// shutdown: activities in flight are lost mid-call), waits down, and starts
// a new worker.
func (s *Stack) KillWorker(ctx context.Context, down time.Duration) error {
	if err := s.proj.Kill(stack.BinWorker); err != nil {
		return err
	}
	s.Count("worker:sigkill")
	return s.restart(ctx, stack.BinWorker, down)
}

// Project is the stack's launcher (addresses, process ids, the PostgreSQL DSN).
func (s *Stack) Project() *stack.Project { return s.proj }

// RestartTemporal stops the dev server (SIGTERM, as an operator would), keeps
// it down for down, and starts it again on the same address and database
// file: workflows in flight must carry on where they were.
func (s *Stack) RestartTemporal(ctx context.Context, down time.Duration) error {
	if err := s.proj.Process(stack.Temporal).Stop(10 * time.Second); err != nil {
		return err
	}
	s.Count("temporal:restart")
	return s.restart(ctx, stack.Temporal, down)
}

// StopReceiver takes the webhook receiver down for down (A55 must retry its
// webhooks), then starts it again.
func (s *Stack) StopReceiver(ctx context.Context, down time.Duration) error {
	if err := s.proj.Process(stack.BinReceiver).Stop(5 * time.Second); err != nil {
		return err
	}
	s.Count("receiver:down")
	return s.restart(ctx, stack.BinReceiver, down)
}

// restart waits down, then starts the stopped process again as it was.
func (s *Stack) restart(ctx context.Context, name string, down time.Duration) error {
	sleep(ctx, down)
	if _, err := s.proj.Restart(context.WithoutCancel(ctx), name); err != nil {
		return fmt.Errorf("restarting %s: %w", name, err)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// SetFaults replaces the sandbox's fault settings (POST /_sandbox/faults).
func (s *Stack) SetFaults(ctx context.Context, faults map[string]a55sandbox.Fault) error {
	return s.admin().SetFaults(ctx, faults)
}

// SetSandboxClock makes the sandbox's clock read now from this moment on.
func (s *Stack) SetSandboxClock(ctx context.Context, now time.Time) error {
	return s.admin().SetClock(ctx, now)
}

// WorkerCounter reads a counter from the worker's /metrics.
func (s *Stack) WorkerCounter(ctx context.Context, name string) (int64, error) {
	return stack.Counter(ctx, s.proj.WorkerMetricsURL(), name)
}

func (s *Stack) admin() stack.SandboxAdmin { return stack.SandboxAdmin{BaseURL: s.SandboxURL()} }

// Ledger reads the sandbox's ledger: every charge and the fault counters.
func (s *Stack) Ledger(ctx context.Context) (a55sandbox.Ledger, error) {
	return s.admin().FullLedger(ctx, "")
}

// CompleteChallenge answers a 3DS challenge the way the card holder's browser does.
func (s *Stack) CompleteChallenge(ctx context.Context, url3DS string, approve bool) error {
	return s.admin().CompleteChallenge(ctx, url3DS, approve)
}

// Outputs returns the tail of every process's output, for a failure report.
func (s *Stack) Outputs() string {
	var b strings.Builder
	s.proj.WriteOutputs(&b, 3000)
	return b.String()
}
