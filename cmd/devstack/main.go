// Command devstack runs the whole system on this machine: the Temporal dev
// server (with its Web UI), the A55 sandbox, the codec server, the webhook
// receiver and the worker. With -demo it then runs two bookings end to end.
//
//	make dev     # bin/devstack
//	make demo    # bin/devstack -demo
//
// State lives in .dev/ (git-ignored): the dev server's SQLite database, the
// generated local secrets and payload keys, and one log file per process.
// Ctrl-C (SIGINT) or SIGTERM stops every process it started.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hotelpay/a55-temporal/internal/stack"
)

type options struct {
	demo          bool
	exitAfterDemo bool
	stateDir      string
	binDir        string
	skipBuild     bool
	dynamicPorts  bool
}

func main() {
	var o options
	flag.BoolVar(&o.demo, "demo", false, "run the two demo bookings once the stack is up")
	flag.BoolVar(&o.exitAfterDemo, "exit-after-demo", false, "stop the stack when the demo is done (default: keep it running for the UI)")
	flag.StringVar(&o.stateDir, "state", "", "state directory: database, secrets, logs (default <repo>/.dev)")
	flag.StringVar(&o.binDir, "bin", "", "where to build and find the binaries (default <repo>/bin)")
	flag.BoolVar(&o.skipBuild, "skip-build", false, "use the binaries already in -bin")
	flag.BoolVar(&o.dynamicPorts, "dynamic-ports", false, "pick free ports instead of the fixed ones (tests)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out io.Writer) (err error) {
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := stack.RepoRoot(cwd)
	if err != nil {
		return err
	}
	if o.stateDir == "" {
		o.stateDir = filepath.Join(root, ".dev")
	}
	proj := &stack.Project{
		Root: root, BinDir: o.binDir, StateDir: o.stateDir, LogDir: filepath.Join(o.stateDir, "logs"),
		Apps:     stack.AllApps,
		Tools:    []string{stack.BinCtl},
		Server:   stack.Server{DBFile: filepath.Join(o.stateDir, "temporal.db")},
		Notify:   true, // the booking system's notification endpoint the demo prints from
		Progress: out,
	}
	if !o.dynamicPorts { // dynamic: Start picks free ports
		proj.Addrs = stack.DefaultAddrs()
		if err := portsFree(ctx, proj.Addrs); err != nil {
			return err
		}
	}
	// Whatever happens from here on, nothing we started outlives us.
	defer func() {
		if len(proj.Group().Processes()) == 0 {
			return
		}
		fmt.Fprintln(out, "stopping the stack...")
		if stopErr := proj.Stop(); stopErr != nil && err == nil {
			err = stopErr
		}
		fmt.Fprintln(out, "stopped")
	}()

	if !o.skipBuild {
		if err := proj.Build(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "state in %s (secrets.env, payload.keys, temporal.db, logs/)\n", o.stateDir)

	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := proj.Start(startCtx); err != nil {
		return interrupted(ctx, err)
	}
	printLinks(out, proj)
	fmt.Fprintln(out, "stack ready")

	if o.demo {
		if err := runDemo(ctx, proj, out); err != nil {
			return interrupted(ctx, fmt.Errorf("demo: %w", err))
		}
		if o.exitAfterDemo {
			return nil
		}
	}
	fmt.Fprintln(out, "running; press Ctrl-C to stop everything")
	return watch(ctx, proj)
}

// watch waits for a signal, or for a process to die (then it is an error).
func watch(ctx context.Context, proj *stack.Project) error {
	procs := proj.Group().Processes()
	died := make(chan *stack.Process, len(procs))
	for _, p := range procs {
		go func() {
			select {
			case <-p.Done():
				died <- p
			case <-ctx.Done():
			}
		}()
	}
	select {
	case <-ctx.Done():
		return nil
	case p := <-died:
		_, werr := p.Exited()
		return fmt.Errorf("%s exited unexpectedly (%v); last output:\n%s", p.Name, werr, p.Output())
	}
}

// interrupted turns an error caused by Ctrl-C during start-up into a quiet stop.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// portsFree fails early, naming the port, when something already listens on
// one of the fixed ports (usually another `make dev`).
func portsFree(ctx context.Context, a stack.Addrs) error {
	for name, addr := range map[string]string{
		"Temporal": a.Temporal, "Temporal UI": a.TemporalUI, "sandbox": a.Sandbox, "codec server": a.Codec,
		"receiver": a.Receiver, "worker metrics": a.WorkerMetrics, "receiver metrics": a.ReceiverMetrics,
	} {
		c, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		err := stack.TCPCheck(addr)(c)
		cancel()
		if err == nil {
			return fmt.Errorf("%s port %s is already in use (another `make dev`?)", name, addr)
		}
	}
	return nil
}

func printLinks(out io.Writer, proj *stack.Project) {
	fmt.Fprintf(out, `
  Temporal UI      %s/namespaces/default/workflows
  Temporal         %s (bin/temporal workflow list --address %s)
  A55 sandbox      %s  (ledger: %s/_sandbox/ledger)
  webhook receiver %s
`, proj.UIURL(), proj.Addrs.Temporal, proj.Addrs.Temporal, proj.SandboxURL(), proj.SandboxURL(), proj.ReceiverURL())
	fmt.Fprintf(out, "  codec server     %s  (the UI decrypts payloads through it; card data masked)\n", proj.CodecURL())
	if bs := proj.BookingSystem(); bs != nil {
		fmt.Fprintf(out, "  booking system   %s  (receives the bookings' signed notifications)\n", bs.URL)
	}
	fmt.Fprintf(out, "  bookingctl       TEMPORAL_ADDRESS=%s PAYLOAD_KEY_FILE=%s bin/bookingctl status -booking <id>\n",
		proj.Addrs.Temporal, proj.PayloadKeyFile())
	fmt.Fprintln(out)
}
