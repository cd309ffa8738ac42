package security

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/tests/testkit"
)

// env is the running stack, shared by every test of the package; Client
// encrypts, as a booking system's does.
var env struct {
	*testkit.Stack
	secrets map[string]string
	ring    *codec.Keyring
	plain   client.Client // default data converter: what someone without the keys sees

	ctlMu  sync.Mutex
	ctlLog *os.File // every bookingctl invocation's stdout and stderr
}

// TestMain: make unit (-short) skips it, having no dev server; make test
// runs this package in full.
func TestMain(m *testing.M) {
	env.Stack = &testkit.Stack{Suite: testkit.Suite{
		Name: "security", Starts: "the dev server and every binary",
		Within: 2 * time.Minute,
		Project: func(p *stack.Project) {
			// Debug logs: the strictest setting a process can run with must
			// still keep card data and secrets out.
			debug := map[string]string{"LOG_LEVEL": "debug"}
			p.Tools = []string{stack.BinCtl}
			p.SandboxArgs = []string{"-webhook-retry-scale", "0.001", "-settlement-delay", "-1s"}
			p.ExtraEnv = map[string]map[string]string{
				stack.BinWorker: debug, stack.BinReceiver: debug, stack.BinCodec: debug,
			}
		},
		Setup: setup,
		// Whatever each test looked at, nothing any process wrote during the
		// whole run (hostile inputs and forged webhooks included) may carry
		// card data or a secret.
		Check: func() error {
			if leaks := scanLogs(); len(leaks) > 0 {
				return fmt.Errorf("the run's logs leak:\n  %s", strings.Join(leaks, "\n  "))
			}
			return nil
		},
		OutputTail: 3000,
	}}
	env.Main(m)
}

// setup opens the bookingctl log and a client without the payload keys.
func setup(ctx context.Context) error {
	var err error
	if env.secrets, err = env.Proj.Secrets(); err != nil {
		return err
	}
	if err := os.MkdirAll(logDir(), 0o700); err != nil {
		return err
	}
	if env.ctlLog, err = os.OpenFile(filepath.Join(logDir(), "bookingctl.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		return err
	}
	env.AtStop(func() { _ = env.ctlLog.Close() })
	if env.ring, err = codec.KeyringFromFile(env.Proj.PayloadKeyFile()); err != nil {
		return err
	}
	if env.plain, err = env.Proj.DialPlain(ctx); err != nil {
		return err
	}
	env.AtStop(env.plain.Close)
	return nil
}

func logDir() string { return env.Proj.LogDir }

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
	cmd := env.Proj.Command(ctx, stack.BinCtl, args...)
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

func testCtx(t *testing.T) context.Context { return testkit.Context(t, 60*time.Second) }
