package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/tests/testkit"
)

// The sandbox's challenge timeout: an unanswered challenge is canceled at A55
// after this long. Long enough for a click on a loaded machine, short enough
// that the abandoned-challenge test ends in seconds.
const sandboxChallengeTimeout = 15 * time.Second

// env is the running stack and browser, shared by the package's tests.
var env struct {
	*testkit.Stack
	codecToken  string
	browser     context.Context // a started Chromium; tests open tabs in fresh browser contexts
	screenshots string
}

func TestMain(m *testing.M) {
	var chromium string
	env.Stack = &testkit.Stack{Suite: testkit.Suite{
		Name: "browser", Starts: "Chromium, the dev server and every binary",
		Within: 5 * time.Minute,
		Preflight: func() (err error) {
			chromium, err = chromiumPath()
			return err
		},
		Project: func(p *stack.Project) {
			p.SandboxArgs = []string{
				"-challenge-timeout", sandboxChallengeTimeout.String(),
				"-webhook-retry-scale", "0.001",
				"-settlement-delay", "-1s",
			}
			// The codec server as in production: the UI decodes only for an
			// operator who signed in with the token (no trusted-origin shortcut).
			p.ExtraEnv = map[string]map[string]string{stack.BinCodec: {"CODEC_TRUST_UI_ORIGINS": "0"}}
		},
		Setup: func(context.Context) error { return setup(chromium) },
		Check: func() error {
			fmt.Println("browser: screenshots in", env.screenshots)
			return nil
		},
		OutputTail: 3000,
	}}
	env.Main(m)
}

// setup reads the codec server's token and starts Chromium.
func setup(chromium string) error {
	env.screenshots = filepath.Join(env.Root, "screenshots", "browser")
	if err := os.MkdirAll(env.screenshots, 0o755); err != nil {
		return err
	}
	secrets, err := env.Proj.Secrets()
	if err != nil {
		return err
	}
	env.codecToken = secrets[stack.EnvCodecAuthToken]
	browserCtx, closeBrowser, err := startChromium(chromium, filepath.Join(env.Dir, "chromium"))
	if err != nil {
		return fmt.Errorf("cannot start Chromium: %w", err)
	}
	env.AtStop(closeBrowser)
	env.browser = browserCtx
	return nil
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
