package security

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/tests/testkit"
)

// env is the running stack, shared by every test of the package.
var env struct {
	root     string
	proj     *stack.Project
	secrets  map[string]string
	ring     *codec.Keyring
	coded    client.Client   // encrypting client, as a booking system has
	plain    client.Client   // default data converter: what someone without the keys sees
	cardKeys cardvault.Store // the stack's card-key store, as the booking system's starter has it
	sandbox  stack.SandboxAdmin
	tmp      string

	ctlMu  sync.Mutex
	ctlLog *os.File // every bookingctl invocation's stdout and stderr
}

// TestMain: make unit (-short) skips it, having no dev server; make test
// runs this package in full.
func TestMain(m *testing.M) {
	testkit.Main(m, "security", "the dev server and every binary", run)
}

func run(m *testing.M) (code int) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "security: cannot start the stack:", err)
		dumpOutputs(os.Stderr)
		stop()
		return 1
	}
	defer stop()
	code = m.Run()
	// Whatever each test looked at, nothing any process wrote during the whole
	// run (hostile inputs and forged webhooks included) may carry card data
	// or a secret.
	if leaks := scanLogs(); len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "security: the run's logs leak:\n  %s\n", strings.Join(leaks, "\n  "))
		code = 1
	}
	if code != 0 {
		dumpOutputs(os.Stderr)
	}
	return code
}

func start(ctx context.Context) error {
	root, err := stack.RepoRoot(".")
	if err != nil {
		return err
	}
	env.root = root
	if env.tmp, err = os.MkdirTemp("", "a55-security-"); err != nil {
		return err
	}
	// Debug logs: the strictest setting a process can run with must still
	// keep card data and secrets out.
	debug := map[string]string{"LOG_LEVEL": "debug"}
	env.proj = &stack.Project{
		Root: root, BinDir: filepath.Join(env.tmp, "bin"), StateDir: env.tmp, LogDir: logDir(),
		Apps:        stack.AllApps,
		Tools:       []string{stack.BinCtl},
		SandboxArgs: []string{"-webhook-retry-scale", "0.001", "-settlement-delay", "-1s"},
		ExtraEnv: map[string]map[string]string{
			stack.BinWorker: debug, stack.BinReceiver: debug, stack.BinCodec: debug,
		},
	}
	if err := env.proj.Build(ctx); err != nil {
		return err
	}
	if env.secrets, err = env.proj.Secrets(); err != nil {
		return err
	}
	if err := os.MkdirAll(logDir(), 0o700); err != nil {
		return err
	}
	if env.ctlLog, err = os.OpenFile(filepath.Join(logDir(), "bookingctl.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		return err
	}
	if err := env.proj.Start(ctx); err != nil {
		return err
	}
	if env.ring, err = codec.KeyringFromFile(env.proj.PayloadKeyFile()); err != nil {
		return err
	}
	if env.coded, _, err = env.proj.DialEncrypting(ctx); err != nil {
		return err
	}
	if env.plain, err = env.proj.DialPlain(ctx); err != nil {
		return err
	}
	if env.cardKeys, err = env.proj.OpenCardKeys(ctx); err != nil {
		return err
	}
	env.sandbox = stack.SandboxAdmin{BaseURL: env.proj.SandboxURL()}
	return nil
}

func logDir() string { return filepath.Join(env.tmp, "logs") }

func stop() {
	for _, c := range []client.Client{env.coded, env.plain} {
		if c != nil {
			c.Close()
		}
	}
	if env.cardKeys != nil {
		_ = env.cardKeys.Close()
	}
	if env.proj != nil {
		_ = env.proj.Stop()
	}
	if env.ctlLog != nil {
		_ = env.ctlLog.Close()
	}
	if env.tmp != "" && os.Getenv("SECURITY_KEEP_STATE") == "" {
		_ = os.RemoveAll(env.tmp)
	}
}

// dumpOutputs prints the tail of every process's output after a failure.
func dumpOutputs(w io.Writer) {
	if env.proj != nil {
		env.proj.WriteOutputs(w, 3000)
	}
}

// ctlResult is one bookingctl run.
type ctlResult struct {
	code           int
	stdout, stderr string
}

// bookingctl runs the real CLI against the stack, as an operator's shell
// would, with stdin as the authorize input. Its output joins the run's logs.
func bookingctl(t *testing.T, stdin string, args ...string) ctlResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := env.proj.Command(ctx, stack.BinCtl, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	res := ctlResult{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errOut.String()}
	if err != nil && res.code < 0 {
		t.Fatalf("bookingctl %s: %v", strings.Join(args, " "), err)
	}
	env.ctlMu.Lock()
	fmt.Fprintf(env.ctlLog, "%s%s", res.stdout, res.stderr)
	env.ctlMu.Unlock()
	return res
}

func st() *starter.Starter { return starter.New(env.coded, starter.WithCardKeys(env.cardKeys)) }

func testCtx(t *testing.T) context.Context { return testkit.Context(t, 60*time.Second) }
