package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/internal/stack"
)

// benchEnv is the running stack.
type benchEnv struct {
	root, tmp string
	proj      *stack.Project
	server    *stack.Process
	worker    *stack.Process // ours; nil when no phase needs it
	// The A55 sandbox and the webhook receiver (ours only): they share the
	// machine's cores with the server, so their CPU is reported too.
	sandbox, receiver *stack.Process
	floorWorker       *stack.Process
	ours              client.Client // with the project's payload codec, as a booking system has
	plain             client.Client // default converter, for the floors
	machine           machineInfo
	serverMetrics     string // the dev server's Prometheus URL
}

type machineInfo struct {
	CPUs       int
	Memory     int64
	GoVersion  string
	CLIVersion string
	LoadStart  string
	Commit     string // the checkout the binaries were built from
}

func needsOurs(o options) bool {
	if o.mode == "hold" {
		return true
	}
	for _, p := range o.phases {
		if p == phaseOurs {
			return true
		}
	}
	return false
}

func needsFloor(o options) bool {
	for _, p := range o.phases {
		if o.mode == "throughput" && p != phaseOurs {
			return true
		}
	}
	return false
}

func startEnv(ctx context.Context, o options) (*benchEnv, error) {
	root, err := stack.RepoRoot(".")
	if err != nil {
		return nil, err
	}
	temporalBin := filepath.Join(root, "bin", "temporal")
	if _, err := os.Stat(temporalBin); err != nil {
		return nil, fmt.Errorf("%s is missing: run `make temporal` first", temporalBin)
	}
	env := &benchEnv{root: root}
	env.machine = machineInfo{
		CPUs: runtime.NumCPU(), Memory: memTotal(), GoVersion: runtime.Version(),
		CLIVersion: cliVersion(temporalBin), LoadStart: loadAverage(), Commit: checkout(root),
	}
	if needsOurs(o) {
		for _, bin := range []string{stack.BinSandbox, stack.BinReceiver, stack.BinWorker} {
			if !stack.PackageExists(root, stack.MainPackages[bin]) {
				return nil, fmt.Errorf("%s (%s) is not in this checkout yet; run the floors only with -phases floor,floor-local", bin, stack.MainPackages[bin])
			}
		}
	}
	env.tmp, err = os.MkdirTemp("", "a55-bench-")
	if err != nil {
		return nil, err
	}
	addrs, err := stack.FreeAddrs()
	if err != nil {
		return env, err
	}
	metricsAddr, err := stack.FreeAddr()
	if err != nil {
		return env, err
	}
	host, _, _ := net.SplitHostPort(addrs.Temporal)
	_, metricsPort, _ := net.SplitHostPort(metricsAddr)
	env.serverMetrics = "http://" + net.JoinHostPort(host, metricsPort) + "/metrics"
	env.proj = &stack.Project{
		Root: root, BinDir: filepath.Join(env.tmp, "bin"), StateDir: env.tmp, LogDir: filepath.Join(env.tmp, "logs"),
		Addrs: addrs,
		// No injected latency or faults; no request log (it is not what we measure).
		SandboxArgs:       append([]string{"-quiet"}, o.sandboxArgs...),
		ServerConfig:      o.serverConfig,
		ServerMetricsPort: portNumber(metricsAddr),
		ExtraEnv:          map[string]map[string]string{stack.BinWorker: o.workerEnv},
		Progress:          os.Stderr,
	}
	if needsOurs(o) {
		if err := stack.Build(ctx, root, env.proj.BinDir, stack.MainPackages[stack.BinSandbox],
			stack.MainPackages[stack.BinReceiver], stack.MainPackages[stack.BinWorker]); err != nil {
			return env, err
		}
		if o.workerBin != "" {
			if err := copyFile(o.workerBin, env.proj.Bin(stack.BinWorker)); err != nil {
				return env, fmt.Errorf("-worker-bin: %w", err)
			}
		}
	}
	dbFile := filepath.Join(env.tmp, "temporal.db")
	if o.memoryDB {
		dbFile = ""
	}
	if env.server, err = env.proj.StartDevServer(ctx, dbFile); err != nil {
		return env, err
	}
	if needsOurs(o) {
		if env.sandbox, err = env.proj.StartSandbox(ctx); err != nil {
			return env, err
		}
		if env.receiver, err = env.proj.StartReceiver(ctx); err != nil {
			return env, err
		}
		if env.worker, err = env.proj.StartWorker(ctx); err != nil {
			return env, err
		}
		ring, err := codec.KeyringFromFile(env.proj.PayloadKeyFile())
		if err != nil {
			return env, err
		}
		dc, fc := codec.ClientOptions(ring)
		env.ours, err = client.DialContext(ctx, client.Options{
			HostPort: addrs.Temporal, Namespace: "default", DataConverter: dc, FailureConverter: fc, Logger: quietLogger{},
		})
		if err != nil {
			return env, err
		}
	}
	if needsFloor(o) {
		self, err := os.Executable()
		if err != nil {
			return env, err
		}
		logFile, err := os.Create(filepath.Join(env.tmp, "logs", "floor-worker.log"))
		if err != nil {
			return env, err
		}
		args := []string{"-floor-worker", "-temporal", addrs.Temporal}
		if p := o.floorPollers.String(); p != "" {
			args = append(args, "-pollers", p)
		}
		env.floorWorker, err = env.proj.Group().Start(stack.Spec{Name: "floor-worker", Path: self, Args: args, Log: logFile})
		if err != nil {
			return env, err
		}
		env.plain, err = client.DialContext(ctx, client.Options{HostPort: addrs.Temporal, Namespace: "default", Logger: quietLogger{}})
		if err != nil {
			return env, err
		}
		if err := env.floorWorker.WaitReady(ctx, pollersCheck(env.plain, FloorTaskQueue)); err != nil {
			return env, err
		}
		fmt.Fprintf(os.Stderr, "  %-12s ready (pid %d)\n", "floor-worker", env.floorWorker.Pid())
	}
	return env, nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o755)
}

// pollersCheck passes once a worker polls the task queue for workflow tasks.
func pollersCheck(c client.Client, taskQueue string) stack.Check {
	return func(ctx context.Context) error {
		resp, err := c.DescribeTaskQueue(ctx, taskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
		if err != nil {
			return err
		}
		if len(resp.GetPollers()) == 0 {
			return fmt.Errorf("no poller on %s yet", taskQueue)
		}
		return nil
	}
}

func (e *benchEnv) stop(keep bool) {
	for _, c := range []client.Client{e.ours, e.plain} {
		if c != nil {
			c.Close()
		}
	}
	if e.proj != nil {
		_ = e.proj.Stop()
	}
	if e.tmp == "" {
		return
	}
	if keep {
		fmt.Fprintln(os.Stderr, "bench: kept", e.tmp)
		return
	}
	_ = os.RemoveAll(e.tmp)
}

// dumpLogs prints the tail of every process's output after a failure.
func (e *benchEnv) dumpLogs(w io.Writer) {
	if e.proj == nil {
		return
	}
	for _, p := range e.proj.Group().Processes() {
		out := p.Output()
		if len(out) > 3000 {
			out = out[len(out)-3000:]
		}
		fmt.Fprintf(w, "\n----- %s (last output) -----\n%s\n", p.Name, out)
	}
}

// cliVersion names the CLI build: its module version when the binary carries
// one, and the server version it embeds.
func cliVersion(bin string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, bin, "--version").Output()
	v := strings.TrimSpace(string(out))
	mod, _ := exec.CommandContext(ctx, "go", "version", "-m", bin).Output()
	for _, line := range strings.Split(string(mod), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "mod" && f[1] == "github.com/temporalio/cli" {
			v = "temporal CLI " + f[2] + " — " + strings.TrimPrefix(v, "temporal version ")
		}
	}
	return v
}

// checkout names the commit, and whether the packages the worker is built
// from had uncommitted changes.
func checkout(root string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	head, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(head))
	dirty, _ := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--",
		"workflows", "activities", "worker", "a55client", "webhook", "starter", "codec", "config").Output()
	if len(strings.TrimSpace(string(dirty))) > 0 {
		c += " (with uncommitted changes in the worker's packages)"
	}
	return c
}

type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
