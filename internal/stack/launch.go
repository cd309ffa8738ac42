package stack

import (
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/hotelpay/a55-temporal/cardvault/cardstore"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Start starts the dev server, then each of the Apps, each once the one
// before it is ready; the binaries must be built (Build). On an error the
// processes already started keep running: Stop stops them.
func (p *Project) Start(ctx context.Context) error {
	if err := p.checkTemporal(); err != nil {
		return err
	}
	if p.Addrs == (Addrs{}) {
		addrs, err := FreeAddrs()
		if err != nil {
			return err
		}
		p.Addrs, p.dynamic = addrs, true
	}
	secrets, err := p.Secrets()
	if err != nil {
		return err
	}
	if p.Notify && p.bookings == nil {
		if p.bookings, err = StartBookingSystem(p.Addrs.BookingSystem, secrets[EnvNotifySecret]); err != nil {
			return fmt.Errorf("booking system (notifications) on %s: %w", p.Addrs.BookingSystem, err)
		}
	}
	for _, name := range append([]string{Temporal}, p.Apps...) {
		if _, err := p.launch(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// launch starts one process of the stack and waits until it serves. On
// ports Start picked, a process that exits at start is started again on
// fresh ones (up to three attempts): a port picked free may be taken by
// another program (other test packages start stacks too) before it binds.
func (p *Project) launch(ctx context.Context, name string) (*Process, error) {
	attempts := 1
	if p.dynamic && len(p.Addrs.owned(name)) > 0 {
		attempts = 3
	}
	return startRetrying(attempts, name,
		func() (*Process, error) { return p.startOnce(ctx, name) },
		func() error { return p.repick(name) },
		func(format string, args ...any) {
			w := p.Progress
			if w == nil {
				w = os.Stderr
			}
			fmt.Fprintf(w, format+"\n", args...)
		})
}

// startRetrying calls start up to attempts times while the process it
// started exited before it was ready, calling repick before each new
// attempt. Any other failure (a process that did not exit but never
// served, a missing binary) ends it at once.
func startRetrying(attempts int, name string, start func() (*Process, error), repick func() error, note func(string, ...any)) (*Process, error) {
	for attempt := 1; ; attempt++ {
		proc, err := start()
		if err == nil {
			return proc, nil
		}
		if proc == nil || attempt >= attempts {
			return proc, err
		}
		if exited, _ := proc.Exited(); !exited {
			return proc, err
		}
		note("stack: %s exited at start (attempt %d), starting it again on other ports: %v", name, attempt, err)
		if err := repick(); err != nil {
			return nil, err
		}
	}
}

// repick gives the process's addresses fresh free ports, none of them an
// address the project already uses.
func (p *Project) repick(name string) error {
	for _, a := range p.Addrs.owned(name) {
		if *a == "" {
			continue
		}
		for {
			addr, err := FreeAddr()
			if err != nil {
				return err
			}
			if !p.Addrs.uses(addr) {
				*a = addr
				break
			}
		}
	}
	return nil
}

// Restart starts the named process again as it ran before, on the same
// addresses (the dev server on the same database file), after it was
// stopped or killed (see Process and Kill).
func (p *Project) Restart(ctx context.Context, name string) (*Process, error) {
	return p.startOnce(ctx, name)
}

// Process is the latest process started under name (nil: none).
func (p *Project) Process(name string) *Process {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.procs[name]
}

// Pids are the process ids of every process started under name, in order
// (a restarted worker has several).
func (p *Project) Pids(name string) []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.pids[name])
}

// Kill kills the named process's group with SIGKILL (no graceful shutdown:
// work in flight is lost mid-call) and returns once the group is gone.
func (p *Project) Kill(name string) error {
	proc := p.Process(name)
	if proc == nil {
		return fmt.Errorf("%s was never started", name)
	}
	if err := syscall.Kill(-proc.Pid(), syscall.SIGKILL); err != nil {
		return fmt.Errorf("SIGKILL %s: %w", name, err)
	}
	<-proc.Done()
	for GroupAlive(proc.Pid()) {
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// startOnce starts one process of the stack and waits for it to be ready.
func (p *Project) startOnce(ctx context.Context, name string) (*Process, error) {
	if name == Temporal {
		return p.startServer(ctx)
	}
	s, err := p.Secrets()
	if err != nil {
		return nil, err
	}
	var (
		args  []string
		env   map[string]string
		ready Check
	)
	switch name {
	case BinSandbox:
		args = append([]string{"-addr", p.Addrs.Sandbox, "-public-url", p.SandboxURL()}, p.SandboxArgs...)
		// The signing secret goes through the environment: flags show in ps.
		env = map[string]string{"A55_SANDBOX_WEBHOOK_SIGNING_SECRET": s[EnvWebhookSigningSecret]}
		ready = HTTPCheck(p.SandboxURL() + HealthPaths[BinSandbox])
	case BinCodec:
		env = map[string]string{
			"CODEC_LISTEN_ADDR":  p.Addrs.Codec,
			EnvCodecAuthToken:    s[EnvCodecAuthToken],
			"CODEC_CORS_ORIGINS": p.UIURL() + "," + "http://localhost:" + portOf(p.Addrs.TemporalUI),
			EnvPayloadKeyFile:    p.PayloadKeyFile(),
			"LOG_LEVEL":          "info",
			// Loopback, single-user machine: the local UI decodes without a
			// sign-in (output is card-masked either way).
			"CODEC_TRUST_UI_ORIGINS": "1",
			cardstore.EnvStore:       p.CardKeyStore(),
		}
		ready = HTTPCheck(p.CodecURL() + HealthPaths[BinCodec])
	case BinReceiver:
		env = p.temporalEnv()
		maps.Copy(env, map[string]string{
			"RECEIVER_ADDR":         p.Addrs.Receiver,
			"METRICS_ADDR":          p.Addrs.ReceiverMetrics,
			EnvWebhookRouteSecret:   s[EnvWebhookRouteSecret],
			EnvWebhookSigningSecret: s[EnvWebhookSigningSecret],
			"LOG_LEVEL":             "info",
		})
		ready = HTTPCheck(p.ReceiverURL() + HealthPaths[BinReceiver])
	case BinWorker, BinWorker2:
		metricsAddr := p.Addrs.WorkerMetrics
		if name == BinWorker2 {
			metricsAddr = p.Addrs.Worker2Metrics
		}
		env = p.temporalEnv()
		maps.Copy(env, map[string]string{
			"A55_BASE_URL":        p.SandboxURL(),
			"A55_TOKEN_URL":       p.SandboxURL() + "/oauth2/token",
			"A55_CLIENT_ID":       SandboxClientID,
			"A55_CLIENT_SECRET":   SandboxClientSecret,
			"WEBHOOK_BASE_URL":    p.ReceiverURL(),
			EnvWebhookRouteSecret: s[EnvWebhookRouteSecret],
			"RECONCILE_WALLETS":   a55sandbox.DefaultWallet + "," + a55sandbox.SecondWallet,
			"METRICS_ADDR":        metricsAddr,
			"LOG_LEVEL":           "info",
			cardstore.EnvStore:    p.CardKeyStore(),
		})
		if p.bookings != nil {
			env["NOTIFY_URL"] = p.bookings.URL
			env[EnvNotifySecret] = s[EnvNotifySecret]
		}
		ready = HTTPCheck("http://" + metricsAddr + HealthPaths[BinWorker])
	default:
		return nil, fmt.Errorf("%s is not a process of the stack", name)
	}
	maps.Copy(env, p.ExtraEnv[binaryOf(name)])
	if name != binaryOf(name) {
		maps.Copy(env, p.ExtraEnv[name])
	}
	return p.StartProcess(ctx, Spec{Name: name, Path: p.Bin(name), Args: args, Env: env}, ready)
}

// startServer starts bin/temporal with the project's search attributes and
// the codec server as the UI's codec endpoint.
func (p *Project) startServer(ctx context.Context) (*Process, error) {
	if p.Server.Prod {
		return p.startProdServer(ctx)
	}
	log, err := p.logWriter(Temporal)
	if err != nil {
		return nil, err
	}
	d := DevServer{
		Binary: p.TemporalBin(), Addr: p.Addrs.Temporal, DBFile: p.Server.DBFile, Namespace: p.namespace(),
		SearchAttributes: workflows.SearchAttributeFlags, DynamicConfig: p.Server.Config, Log: log,
		MetricsPort: portNumber(p.Addrs.TemporalMetrics),
	}
	ui := "headless"
	if !p.Server.Headless {
		d.UIPort = portNumber(p.Addrs.TemporalUI)
		if d.UIPort == 0 {
			return nil, fmt.Errorf("UI address %q has no port", p.Addrs.TemporalUI)
		}
		d.CodecEndpoint = p.CodecURL()
		ui = "UI " + p.UIURL()
	}
	p.progress("starting the Temporal dev server on %s (%s)", p.Addrs.Temporal, ui)
	proc, err := d.Start(ctx, &p.group)
	return p.started(Temporal, proc, err)
}

// StartProcess starts a process in the project's group (logging to
// LogDir/<name>.log unless spec.Log is set) and waits until ready passes.
// The stack's own processes start through it; a caller may add its own
// (e.g. a load generator's worker).
func (p *Project) StartProcess(ctx context.Context, spec Spec, ready Check) (*Process, error) {
	if spec.Log == nil {
		log, err := p.logWriter(spec.Name)
		if err != nil {
			return nil, err
		}
		spec.Log = log
	}
	proc, err := p.group.Start(spec)
	if err != nil {
		return nil, err
	}
	return p.started(spec.Name, proc, proc.WaitReady(ctx, ready))
}

// started records the process under name and reports it ready.
func (p *Project) started(name string, proc *Process, err error) (*Process, error) {
	if proc != nil {
		p.mu.Lock()
		if p.procs == nil {
			p.procs = map[string]*Process{}
		}
		p.procs[name] = proc
		if p.pids == nil {
			p.pids = map[string][]int{}
		}
		p.pids[name] = append(p.pids[name], proc.Pid())
		p.mu.Unlock()
	}
	if err != nil {
		return proc, err
	}
	p.progress("  %-12s ready (pid %d)", name, proc.Pid())
	return proc, nil
}

// Command prepares a one-shot run of a binary (bookingctl, devstack) in
// Root, with the environment a client of this stack needs (ClientEnv) and
// no project variable of the parent's.
func (p *Project) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, p.Bin(name), args...)
	cmd.Dir = p.Root
	env := p.ClientEnv()
	maps.Copy(env, p.ExtraEnv[name])
	cmd.Env = Environ(env)
	return cmd
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

// portNumber is addr's port (0 when it has none).
func portNumber(addr string) int {
	n, _ := strconv.Atoi(portOf(addr))
	return n
}
