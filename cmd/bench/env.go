package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/internal/stack"
)

// benchEnv is the running stack.
type benchEnv struct {
	root, tmp string
	proj      *stack.Project
	server    *stack.Process
	worker    *stack.Process // ours (the latest: hold mode restarts it); nil when no phase needs it
	// The A55 sandbox and the webhook receiver (ours only): they share the
	// machine's cores with the server, so their CPU is reported too.
	sandbox, receiver *stack.Process
	floorWorker       *stack.Process
	ours              client.Client   // with the project's payload codec, as a booking system has
	cardKeys          cardvault.Store // the stack's card-key store: ours seals each card as a booking system does
	plain             client.Client   // default converter, for the floors
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
	env := &benchEnv{root: root}
	env.tmp, err = os.MkdirTemp("", "a55-bench-")
	if err != nil {
		return nil, err
	}
	env.proj = &stack.Project{
		Root: root, BinDir: filepath.Join(env.tmp, "bin"), StateDir: env.tmp, LogDir: filepath.Join(env.tmp, "logs"),
		// No injected latency or faults; no request log (it is not what we measure).
		SandboxArgs: append([]string{"-quiet"}, o.sandboxArgs...),
		Server:      stack.Server{DBFile: filepath.Join(env.tmp, "temporal.db"), Config: o.serverConfig, Prod: o.prod},
		ExtraEnv:    map[string]map[string]string{stack.BinWorker: o.workerEnv},
		Progress:    os.Stderr,
	}
	if o.memoryDB {
		env.proj.Server.DBFile = ""
	}
	env.proj.Notify = o.notify
	if needsOurs(o) {
		env.proj.Apps = []string{stack.BinSandbox, stack.BinReceiver, stack.BinWorker}
		env.proj.Binaries = map[string]string{stack.BinWorker: o.workerBin}
		if err := env.proj.Build(ctx); err != nil {
			return env, err
		}
	}
	env.machine = machineInfo{
		CPUs: runtime.NumCPU(), Memory: memTotal(), GoVersion: runtime.Version(),
		CLIVersion: cliVersion(env.proj.TemporalBin()), LoadStart: loadAverage(), Commit: checkout(root),
	}
	if o.prod {
		env.machine.CLIVersion = prodServerVersion(root)
	}
	if err := env.proj.Start(ctx); err != nil {
		return env, err
	}
	env.server = env.proj.Process(stack.Temporal)
	env.serverMetrics = env.proj.ServerMetricsURL()
	if needsOurs(o) {
		env.sandbox = env.proj.Process(stack.BinSandbox)
		env.receiver = env.proj.Process(stack.BinReceiver)
		env.worker = env.proj.Process(stack.BinWorker)
		if env.ours, _, err = env.proj.DialEncrypting(ctx); err != nil {
			return env, err
		}
		if env.cardKeys, err = env.proj.OpenCardKeys(ctx); err != nil {
			return env, err
		}
	}
	if needsFloor(o) {
		self, err := os.Executable()
		if err != nil {
			return env, err
		}
		if env.plain, err = env.proj.DialPlain(ctx); err != nil {
			return env, err
		}
		args := []string{"-floor-worker", "-temporal", env.proj.Addrs.Temporal}
		if p := o.floorPollers.String(); p != "" {
			args = append(args, "-pollers", p)
		}
		env.floorWorker, err = env.proj.StartProcess(ctx, stack.Spec{Name: "floor-worker", Path: self, Args: args},
			pollersCheck(env.plain, FloorTaskQueue))
		if err != nil {
			return env, err
		}
	}
	return env, nil
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
	if e.proj != nil {
		e.proj.WriteOutputs(w, 3000)
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

// prodServerVersion names the production topology's server: the compose
// file's version, on the machine's PostgreSQL.
func prodServerVersion(root string) string {
	c, err := stack.LoadCompose(root, map[string]string{"POSTGRES_PASSWORD": "-", stack.EnvCardKeysDBPassword: "-"})
	if err != nil {
		return "Temporal server (compose file unreadable: " + err.Error() + ")"
	}
	pg := "PostgreSQL"
	if bin, err := stack.PostgresBinDir(); err == nil {
		pg += " " + filepath.Base(filepath.Dir(bin))
	}
	return "Temporal server " + c.ServerVersion + " (built from source) on " + pg
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
		"workflows", "activities", "worker", "cmd/worker", "cmd/receiver", "a55client", "money", "codec", "starter",
		"internal/webhook", "internal/config", "internal/logging", "internal/metrics").Output()
	if len(strings.TrimSpace(string(dirty))) > 0 {
		c += " (with uncommitted changes in the worker's packages)"
	}
	return c
}
