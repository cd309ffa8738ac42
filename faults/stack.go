package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/a55sandbox"
	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Binaries the suite runs: the real processes, built from this checkout.
var Binaries = []string{stack.BinSandbox, stack.BinReceiver, stack.BinWorker}

// BuildBinaries builds the sandbox, receiver and worker of the module at
// root into binDir.
func BuildBinaries(ctx context.Context, root, binDir string) error {
	pkgs := make([]string, len(Binaries))
	for i, b := range Binaries {
		if !stack.PackageExists(root, stack.MainPackages[b]) {
			return fmt.Errorf("%s (%s) is missing from %s", b, stack.MainPackages[b], root)
		}
		pkgs[i] = stack.MainPackages[b]
	}
	return stack.Build(ctx, root, binDir, pkgs...)
}

// StackConfig describes one scenario's private stack.
type StackConfig struct {
	// Root is the repository root.
	Root string
	// TemporalBin is the Temporal CLI (dev server).
	TemporalBin string
	// BinDir holds the a55sandbox, receiver and worker binaries.
	BinDir string
	// StateDir receives secrets, the dev server's database and the logs.
	StateDir string
	// SandboxArgs are extra a55sandbox flags (hold window, token lifetime...).
	SandboxArgs []string
	// WorkerEnv adds to the worker's environment (e.g. A55_TIMEOUT).
	WorkerEnv map[string]string
}

// Stack is a running dev server, sandbox, receiver and worker, each a real
// process on dynamic ports, plus an encrypting Temporal client as a booking
// system has. Its methods inject the process-level faults.
type Stack struct {
	cfg     StackConfig
	proj    *stack.Project
	dev     stack.DevServer
	Client  client.Client
	Starter *starter.Starter

	mu       sync.Mutex
	temporal *stack.Process
	worker   *stack.Process
	receiver *stack.Process
	injected map[string]int // process-level faults, e.g. "worker:sigkill"
}

// StartStack starts the whole stack and waits until every process serves.
func StartStack(ctx context.Context, cfg StackConfig) (*Stack, error) {
	addrs, err := stack.FreeAddrs()
	if err != nil {
		return nil, err
	}
	s := &Stack{cfg: cfg, injected: map[string]int{}}
	s.proj = &stack.Project{
		Root: cfg.Root, BinDir: cfg.BinDir, StateDir: cfg.StateDir,
		LogDir: filepath.Join(cfg.StateDir, "logs"), Addrs: addrs,
		SandboxArgs: append([]string{"-quiet"}, cfg.SandboxArgs...),
		ExtraEnv:    map[string]map[string]string{stack.BinWorker: cfg.WorkerEnv},
	}
	if err := os.MkdirAll(s.proj.LogDir, 0o700); err != nil {
		return nil, err
	}
	log, err := os.OpenFile(filepath.Join(s.proj.LogDir, "temporal.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	s.dev = stack.DevServer{
		Binary: cfg.TemporalBin, Addr: addrs.Temporal, DBFile: filepath.Join(cfg.StateDir, "temporal.db"),
		SearchAttributes: workflows.SearchAttributeFlags, Log: log,
	}
	if _, err := s.proj.Secrets(); err != nil {
		return nil, err
	}
	fail := func(err error) (*Stack, error) {
		s.Close()
		return nil, err
	}
	// A port taken between FreeAddrs and the server's bind (scenarios run two
	// at a time, and other packages start servers too) is retried on a fresh
	// port, as e2e/ does.
	for attempt := 1; ; attempt++ {
		if s.temporal, err = s.dev.Start(ctx, s.proj.Group()); err == nil {
			break
		}
		exited := false
		if s.temporal != nil {
			exited, _ = s.temporal.Exited()
		}
		if !exited || attempt == 3 {
			return fail(fmt.Errorf("dev server: %w", err))
		}
		fmt.Fprintf(os.Stderr, "faults: the dev server exited at start (attempt %d), retrying on another port\n", attempt)
		if s.dev.Addr, err = stack.FreeAddr(); err != nil {
			return fail(err)
		}
		s.proj.Addrs.Temporal = s.dev.Addr
	}
	if _, err := s.proj.StartSandbox(ctx); err != nil {
		return fail(err)
	}
	if s.receiver, err = s.proj.StartReceiver(ctx); err != nil {
		return fail(err)
	}
	if s.worker, err = s.proj.StartWorker(ctx); err != nil {
		return fail(err)
	}
	ring, err := codec.KeyringFromFile(s.proj.PayloadKeyFile())
	if err != nil {
		return fail(err)
	}
	dc, fc := codec.ClientOptions(ring)
	s.Client, err = client.DialContext(ctx, client.Options{
		HostPort: s.dev.Addr, Namespace: "default", DataConverter: dc, FailureConverter: fc, Logger: quietLogger{},
	})
	if err != nil {
		return fail(err)
	}
	s.Starter = starter.New(s.Client)
	return s, nil
}

// Close stops every process the stack started.
func (s *Stack) Close() {
	if s.Client != nil {
		s.Client.Close()
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
	s.mu.Lock()
	w := s.worker
	s.mu.Unlock()
	if err := kill(w); err != nil {
		return err
	}
	s.Count("worker:sigkill")
	sleep(ctx, down)
	nw, err := s.proj.StartWorker(context.WithoutCancel(ctx))
	if err != nil {
		return fmt.Errorf("restarting the worker: %w", err)
	}
	s.mu.Lock()
	s.worker = nw
	s.mu.Unlock()
	return nil
}

// RestartTemporal stops the dev server (SIGTERM, as an operator would), keeps
// it down for down, and starts it again on the same address and database
// file: workflows in flight must carry on where they were.
func (s *Stack) RestartTemporal(ctx context.Context, down time.Duration) error {
	s.mu.Lock()
	t := s.temporal
	s.mu.Unlock()
	if err := t.Stop(10 * time.Second); err != nil {
		return err
	}
	s.Count("temporal:restart")
	sleep(ctx, down)
	nt, err := s.dev.Start(context.WithoutCancel(ctx), s.proj.Group())
	if err != nil {
		return fmt.Errorf("restarting the dev server on %s: %w", s.dev.DBFile, err)
	}
	s.mu.Lock()
	s.temporal = nt
	s.mu.Unlock()
	return nil
}

// StopReceiver takes the webhook receiver down for down (A55 must retry its
// webhooks), then starts it again.
func (s *Stack) StopReceiver(ctx context.Context, down time.Duration) error {
	s.mu.Lock()
	r := s.receiver
	s.mu.Unlock()
	if err := r.Stop(5 * time.Second); err != nil {
		return err
	}
	s.Count("receiver:down")
	sleep(ctx, down)
	nr, err := s.proj.StartReceiver(context.WithoutCancel(ctx))
	if err != nil {
		return fmt.Errorf("restarting the receiver: %w", err)
	}
	s.mu.Lock()
	s.receiver = nr
	s.mu.Unlock()
	return nil
}

func kill(p *stack.Process) error {
	if err := syscall.Kill(-p.Pid(), syscall.SIGKILL); err != nil {
		return fmt.Errorf("SIGKILL %s: %w", p.Name, err)
	}
	<-p.Done()
	for stack.GroupAlive(p.Pid()) {
		time.Sleep(10 * time.Millisecond)
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
	if faults == nil {
		faults = map[string]a55sandbox.Fault{}
	}
	body, err := json.Marshal(faults)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.SandboxURL()+"/_sandbox/faults", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("POST /_sandbox/faults: %s %s", resp.Status, b)
	}
	return nil
}

// Ledger reads the sandbox's ledger: every charge and the fault counters.
func (s *Stack) Ledger(ctx context.Context) (a55sandbox.Ledger, error) {
	var l a55sandbox.Ledger
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.SandboxURL()+"/_sandbox/ledger", nil)
	if err != nil {
		return l, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return l, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return l, fmt.Errorf("GET /_sandbox/ledger: %s %s", resp.Status, b)
	}
	err = json.NewDecoder(resp.Body).Decode(&l)
	return l, err
}

// CompleteChallenge answers a 3DS challenge the way the card holder's browser does.
func (s *Stack) CompleteChallenge(ctx context.Context, url3DS string, approve bool) error {
	return stack.SandboxAdmin{BaseURL: s.SandboxURL()}.CompleteChallenge(ctx, url3DS, approve)
}

// Outputs returns the tail of every process's output, for a failure report.
func (s *Stack) Outputs() string {
	var b strings.Builder
	procs := s.proj.Group().Processes()
	sort.SliceStable(procs, func(i, j int) bool { return procs[i].Name < procs[j].Name })
	for _, p := range procs {
		out := p.Output()
		if len(out) > 3000 {
			out = out[len(out)-3000:]
		}
		fmt.Fprintf(&b, "----- %s (pid %d) -----\n%s\n", p.Name, p.Pid(), out)
	}
	return b.String()
}

type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
