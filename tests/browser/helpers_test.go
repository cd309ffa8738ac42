package browser

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// newTab opens a tab in a fresh browser context (its own cookies and local
// storage, like a private window) and closes it when the test ends. Every
// action on the returned context is bounded by timeout.
func newTab(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	tab, closeTab := chromedp.NewContext(env.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(closeTab)
	// The first action opens the tab, with no deadline bound to its life.
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(tab, timeout)
	t.Cleanup(cancel)
	return ctx
}

// screenshot saves what the tab shows (the 1280x800 viewport) as
// screenshots/browser/<test>-<step>.png.
func screenshot(t *testing.T, ctx context.Context, step string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot %s: %v", step, err)
		return ""
	}
	name := strings.NewReplacer("/", "-", " ", "_").Replace(t.Name()) + "-" + step + ".png"
	path := filepath.Join(env.screenshots, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("screenshot %s: %v", step, err)
		return ""
	}
	t.Logf("screenshot: %s", path)
	return path
}

// waitJS polls a JavaScript expression in the page until it is true. The UI
// and the checkout page are asynchronous: tests wait for what a person waits
// for instead of sleeping. An evaluation that fails while the page navigates
// is retried. A wait gives up after waitLimit (or the test's deadline); show,
// when given, is a JavaScript expression whose value goes in the failure.
func waitJS(t *testing.T, ctx context.Context, what, expr string, show ...string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	var lastErr error
	for {
		ok, err := chromedp.Run(wctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-wctx.Done():
			// The tab is still open; only the wait's deadline passed.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			screenshot(t, sctx, "timeout")
			var shown []string
			for _, e := range show {
				v, _ := chromedp.Run(sctx, chromedp.Evaluate[string](e))
				shown = append(shown, v)
			}
			t.Fatalf("waiting for %s: %v (last error: %v)\n%s", what, wctx.Err(), lastErr, strings.Join(shown, "\n"))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitLimit bounds one wait for the page: long enough for a loaded machine,
// short enough that a failure says what it waited for before the test's
// deadline.
const waitLimit = 30 * time.Second

// pageText is the page's visible text (document.body.innerText).
func pageText(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		t.Fatalf("read the page text: %v", err)
	}
	return s
}

// pageHTML is the whole document, hidden parts included.
func pageHTML(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil {
		t.Fatalf("read the page HTML: %v", err)
	}
	return s
}

// report is one call the checkout page made to its back end.
type report struct{ BookingID, ChargeUUID string }

// reports records the page's calls and hands them to the test.
type reports struct {
	mu    sync.Mutex
	calls []report
	next  func(ctx context.Context, bookingID, chargeUUID string) error
}

func (r *reports) report(ctx context.Context, bookingID, chargeUUID string) error {
	r.mu.Lock()
	r.calls = append(r.calls, report{bookingID, chargeUUID})
	r.mu.Unlock()
	if r.next != nil {
		return r.next(ctx, bookingID, chargeUUID)
	}
	return nil
}

func (r *reports) all() []report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]report(nil), r.calls...)
}

// serveMerchant serves the checkout page on 127.0.0.1 for one test.
func serveMerchant(t *testing.T, m *Merchant) *httptest.Server {
	t.Helper()
	h, err := m.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// openCheckout loads the checkout page and waits until the challenge inside
// its iframe shows its buttons.
func openCheckout(t *testing.T, ctx context.Context, merchantURL, bookingID, url3DS string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(CheckoutURL(merchantURL, bookingID, url3DS))); err != nil {
		t.Fatalf("open the checkout page: %v", err)
	}
	waitJS(t, ctx, "the challenge iframe to load", `Number(document.getElementById('challenge').dataset.loads) >= 1`)
	inChallenge(t, ctx, chromedp.WaitVisible[chromedp.CSS], "#approve")
}

// inChallenge runs a query action on an element of the challenge iframe. The
// frame is cross-origin (another port), so the page's own scripts cannot see
// into it; the DevTools protocol can, from the iframe's node.
func inChallenge(t *testing.T, ctx context.Context, action func(chromedp.CSS, ...chromedp.QueryOption) chromedp.Action[chromedp.Void], selector string) {
	t.Helper()
	frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("#challenge")))
	if err != nil || len(frames) == 0 {
		t.Fatalf("find the challenge iframe: %v", err)
	}
	if err := chromedp.Do(ctx, action(chromedp.CSS(selector), chromedp.FromNode(frames[0]))); err != nil {
		screenshot(t, ctx, "challenge-failed")
		t.Fatalf("%s in the challenge iframe: %v", selector, err)
	}
}

// clickInChallenge presses a button (approve or fail) inside the challenge
// with a real mouse click, as the card holder would.
func clickInChallenge(t *testing.T, ctx context.Context, button string) {
	t.Helper()
	inChallenge(t, ctx, chromedp.Click[chromedp.CSS], "#"+button)
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }
