package browser

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/tests/testkit"
)

// The sandbox's challenge timeout: an unanswered challenge is canceled at A55
// after this long. Long enough for a click on a loaded machine, short enough
// that the abandoned-challenge test ends in seconds.
const sandboxChallengeTimeout = 15 * time.Second

// env is the running stack and browser, shared by the package's tests.
var env struct {
	root        string
	stateDir    string
	proj        *stack.Project
	sandbox     stack.SandboxAdmin
	codecToken  string
	client      client.Client // encrypting client, as a booking system has
	converter   converter.DataConverter
	cardKeys    cardvault.Store // the stack's card-key store, as the booking system's starter has it
	browser     context.Context // a started Chromium; tests open tabs in fresh browser contexts
	screenshots string
}

func TestMain(m *testing.M) {
	testkit.Main(m, "browser", "Chromium, the dev server and every binary", run)
}

func run(m *testing.M) (code int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	chromium, err := chromiumPath()
	if err != nil {
		fmt.Fprintln(os.Stderr, "browser:", err)
		return 1
	}
	defer func() {
		if code != 0 {
			dumpOutputs(os.Stderr)
		}
	}()
	defer stop()
	if err := start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "browser: cannot start the stack:", err)
		return 1
	}
	browserCtx, closeBrowser, err := startChromium(chromium, filepath.Join(env.stateDir, "chromium"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "browser: cannot start Chromium:", err)
		return 1
	}
	defer closeBrowser()
	env.browser = browserCtx
	code = m.Run()
	fmt.Println("browser: screenshots in", env.screenshots)
	return code
}

// chromiumPath finds the browser: $CHROMIUM, then Debian's chromium. A
// missing browser is a failure, never a skip: CI installs it.
func chromiumPath() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("Chromium is not installed: apt-get install -y chromium (or set CHROMIUM to its path)")
}

// startChromium launches one headless Chromium for the whole package with a
// fresh profile. The flags keep it off the network: this machine has none,
// and Chromium's background services would otherwise retry without end.
func startChromium(path, profile string) (context.Context, func(), error) {
	if err := os.MkdirAll(profile, 0o700); err != nil {
		return nil, nil, err
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox, // root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.WindowSize(1280, 800),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		cancel()
		cancelAlloc()
		return nil, nil, err
	}
	return ctx, func() { cancel(); cancelAlloc() }, nil
}

func start(ctx context.Context) error {
	root, err := stack.RepoRoot(".")
	if err != nil {
		return err
	}
	env.root = root
	env.screenshots = filepath.Join(root, "screenshots", "browser")
	if err := os.MkdirAll(env.screenshots, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "a55-browser-")
	if err != nil {
		return err
	}
	env.stateDir = tmp
	env.proj = &stack.Project{
		Root: root, BinDir: filepath.Join(tmp, "bin"), StateDir: tmp, LogDir: filepath.Join(tmp, "logs"),
		Apps: stack.AllApps,
		SandboxArgs: []string{
			"-challenge-timeout", sandboxChallengeTimeout.String(),
			"-webhook-retry-scale", "0.001",
			"-settlement-delay", "-1s",
		},
		// The codec server as in production: the UI decodes only for an
		// operator who signed in with the token (no trusted-origin shortcut).
		ExtraEnv: map[string]map[string]string{stack.BinCodec: {"CODEC_TRUST_UI_ORIGINS": "0"}},
	}
	if err := env.proj.Build(ctx); err != nil {
		return err
	}
	secrets, err := env.proj.Secrets()
	if err != nil {
		return err
	}
	env.codecToken = secrets[stack.EnvCodecAuthToken]
	if err := env.proj.Start(ctx); err != nil {
		return err
	}
	env.sandbox = stack.SandboxAdmin{BaseURL: env.proj.SandboxURL()}
	if env.client, env.converter, err = env.proj.DialEncrypting(ctx); err != nil {
		return err
	}
	env.cardKeys, err = env.proj.OpenCardKeys(ctx)
	return err
}

func stop() {
	if env.client != nil {
		env.client.Close()
	}
	if env.cardKeys != nil {
		_ = env.cardKeys.Close()
	}
	if env.proj != nil {
		_ = env.proj.Stop()
	}
	if env.stateDir != "" && os.Getenv("BROWSER_KEEP_STATE") == "" {
		_ = os.RemoveAll(env.stateDir)
	}
}

// dumpOutputs prints the tail of every process's output after a failure.
func dumpOutputs(w io.Writer) {
	if env.proj != nil {
		env.proj.WriteOutputs(w, 3000)
	}
}
