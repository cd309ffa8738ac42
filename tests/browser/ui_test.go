package browser

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotelpay/a55-temporal/worker"
	"github.com/hotelpay/a55-temporal/workflows"
)

// uiBooking is a booking as an operator looks it up.
type uiBooking struct {
	name       string // "waiting" or "finished"
	id         string
	pan        string // the full card number, which must never be on screen
	last4      string // what the card token shows of it
	state      workflows.PaymentState
	badge      string   // the UI's execution status
	details    []string // what the current details line says
	resultText string   // what the Result card shows
}

var (
	uiOnce     sync.Once
	uiBookings []uiBooking
	uiErr      error
)

// bookingsForUI creates, once per run, a booking that is waiting for the
// booking system (authorized, hold placed) and one that is finished (captured).
func bookingsForUI(t *testing.T) []uiBooking {
	t.Helper()
	uiOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		waiting := uiBooking{name: "waiting", id: ids.Next("ui-waiting"), pan: "4111111111111111", last4: "1111",
			badge: "Running", resultText: "Results will appear upon completion."}
		finished := uiBooking{name: "finished", id: ids.Next("ui-finished"), pan: "5500000000000004", last4: "0004",
			badge: "Completed", details: []string{"captured R$ 500,00", "released R$ 0,00"}, resultText: `"status": "captured"`}
		for _, b := range []*uiBooking{&waiting, &finished} {
			res, err := env.Starter().Authorize(ctx, hotelStay(b.id, b.pan))
			if err == nil && res.Status != workflows.StatusAuthorized {
				err = fmt.Errorf("booking %s is %s, want authorized", b.id, res.Status)
			}
			if err != nil {
				uiErr = err
				return
			}
		}
		if _, err := env.Starter().Capture(ctx, finished.id, nil); err != nil {
			uiErr = err
			return
		}
		if _, err := env.Starter().Result(ctx, finished.id); err != nil {
			uiErr = err
			return
		}
		for _, b := range []*uiBooking{&waiting, &finished} {
			if b.state, uiErr = env.Starter().Status(ctx, b.id); uiErr != nil {
				return
			}
		}
		// The hold, and when the deadline policy runs.
		waiting.details = []string{"authorized R$ 500,00", waiting.state.CaptureDeadline.UTC().Format(time.RFC3339)}
		uiBookings = []uiBooking{waiting, finished}
	})
	if uiErr != nil {
		t.Fatalf("bookings for the UI: %v", uiErr)
	}
	return uiBookings
}

// allText is the visible text of the page and of its same-origin iframes
// (the UI renders summaries and details as Markdown in iframes).
const allText = `(function () {
	var parts = [document.body ? document.body.innerText : ''];
	document.querySelectorAll('iframe').forEach(function (f) {
		try { if (f.contentDocument && f.contentDocument.body) { parts.push(f.contentDocument.body.innerText); } } catch (e) {}
	});
	return parts.join('\n');
})()`

// allHTML is every document's markup: hidden elements, attributes and
// iframes included.
const allHTML = `(function () {
	var parts = [document.documentElement.outerHTML];
	document.querySelectorAll('iframe').forEach(function (f) {
		try { if (f.contentDocument) { parts.push(f.contentDocument.documentElement.outerHTML); } } catch (e) {}
	});
	return parts.join('\n');
})()`

// waitText waits until the page (iframes included) shows every one of texts.
func waitText(t *testing.T, ctx context.Context, what string, texts ...string) {
	t.Helper()
	var conds []string
	for _, s := range texts {
		conds = append(conds, allText+`.indexOf(`+jsString(s)+`) >= 0`)
	}
	waitJS(t, ctx, what, strings.Join(conds, " && "), allText+`.slice(0, 4000)`)
}

func evalString(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return s
}

// openWorkflow opens the booking's workflow page by the link an operator
// gets (no run id) and waits through the UI's redirect to the run's history.
func openWorkflow(t *testing.T, ctx context.Context, b uiBooking) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(env.Proj.WorkflowUIURL(b.id))); err != nil {
		t.Fatalf("open %s: %v", env.Proj.WorkflowUIURL(b.id), err)
	}
	waitJS(t, ctx, "the redirect to the run's history", `/\/workflows\/[^/]+\/[^/]+\/history$/.test(location.pathname)`)
	waitJS(t, ctx, "the workflow heading", `(function () {
		var h = document.querySelector('[data-testid="workflow-id-heading"]');
		return !!h && h.textContent.indexOf(`+jsString(workflows.WorkflowID(b.id))+`) >= 0;
	})()`)
}

// openTab clicks one of the workflow page's tabs and waits for its route.
func openTab(t *testing.T, ctx context.Context, testID, route string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="`+testID+`"]`))); err != nil {
		t.Fatalf("click %s: %v", testID, err)
	}
	waitJS(t, ctx, "the "+route+" tab", `location.pathname.endsWith('/`+route+`')`)
}

// signInToCodec does what an operator does once per browser: sign in at the
// codec server with the token (it sets an HttpOnly session cookie; browsers
// cannot send a bearer token of their own to a codec endpoint), then tell
// the UI, in its Codec Server settings, to send cross-origin credentials.
// The dev server's --ui-codec-endpoint has no such option, so the browser
// setting (endpoint + "Include cross-origin credentials") is needed.
func signInToCodec(t *testing.T, ctx context.Context, token string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(env.Proj.CodecURL()+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), token),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
	); err != nil {
		t.Fatalf("codec sign-in: %v", err)
	}
	waitJS(t, ctx, "the codec server's answer", `document.body && /Signed in|Wrong token/.test(document.body.innerText)`)
	screenshot(t, ctx, "0-codec-sign-in")

	if err := chromedp.Do(ctx, chromedp.Navigate(env.Proj.UIURL()+"/")); err != nil {
		t.Fatal(err)
	}
	// The UI redirects / to the default namespace's workflow list.
	waitJS(t, ctx, "the workflow list", `/\/namespaces\/default\/workflows/.test(location.pathname)`)
	type step struct {
		what string
		do   chromedp.Action[chromedp.Void]
	}
	run := func(steps []step) {
		t.Helper()
		for _, step := range steps {
			sctx, cancel := context.WithTimeout(ctx, waitLimit)
			err := chromedp.Do(sctx, step.do)
			cancel()
			if err != nil {
				screenshot(t, ctx, "0-codec-settings-failed")
				t.Fatalf("codec settings: %s: %v", step.what, err)
			}
		}
	}
	run([]step{
		{"open the Codec Server settings", chromedp.Click(chromedp.CSS(`[data-testid^="data-encoder-status"]`))},
		{"wait for the settings", chromedp.WaitVisible(chromedp.CSS(`[data-testid="data-encoder-title"]`))},
	})
	// "Use my browser setting" sits in an accordion whose animation can
	// swallow a pointer click (seen under load); the radio's own click runs
	// the same handler, and the wait below proves the choice took.
	waitJS(t, ctx, "the browser-setting choice", `(() => {
		const r = document.querySelector('#use-local-endpoint-radio');
		if (!r) return false;
		if (!r.checked) r.click();
		return r.checked;
	})()`)
	run([]step{
		{"enter the endpoint", chromedp.SendKeys(chromedp.CSS(`[data-testid="data-encoder-endpoint-input"]`), env.Proj.CodecURL())},
		{"include cross-origin credentials", chromedp.Click(chromedp.CSS(`[data-testid="data-encoder-include-credentials"]`))},
	})
	screenshot(t, ctx, "0-codec-settings")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="confirm-data-encoder-button"]`))); err != nil {
		t.Fatalf("apply the codec settings: %v", err)
	}
	waitJS(t, ctx, "the codec settings to be saved", `localStorage.getItem('includeCredentials') === 'true' && localStorage.getItem('overrideRemoteCodecConfiguration') === 'true'`)
}

// cardLeaks lists the forms of the booking's card data found in the page:
// the PAN, the holder name and the CVV in clear, URL-encoded, or inside
// base64 (an unencrypted payload is base64 JSON).
func cardLeaks(html string, b uiBooking) []string {
	unescaped, err := url.QueryUnescape(html)
	if err != nil {
		unescaped = html
	}
	var leaks []string
	for _, doc := range []string{html, unescaped} {
		lower := strings.ToLower(doc)
		if strings.Contains(doc, b.pan) {
			leaks = append(leaks, "the card number")
		}
		if strings.Contains(lower, strings.ToLower(cardHolder)) {
			leaks = append(leaks, "the cardholder name")
		}
		if regexp.MustCompile(`cvv\W{1,12}` + cardCVV).MatchString(lower) {
			leaks = append(leaks, "the CVV")
		}
	}
	for _, secret := range []string{b.pan, cardHolder, `"cvv":"` + cardCVV + `"`} {
		for _, form := range base64Forms(secret) {
			if strings.Contains(html, form) {
				leaks = append(leaks, "base64 of "+secret[:4]+"…")
			}
		}
	}
	return leaks
}

// base64Forms is what s looks like inside a longer base64 string, at each of
// the three byte alignments: only the characters that s alone determines.
func base64Forms(s string) []string {
	var forms []string
	for k := 0; k < 3; k++ {
		enc := base64.StdEncoding.EncodeToString(append(bytes.Repeat([]byte{0}, k), s...))
		start, end := (8*k+5)/6, 8*(k+len(s))/6
		forms = append(forms, enc[start:end])
	}
	return forms
}

// An operator who signed in to the codec server opens a finished and a
// waiting booking in the Temporal Web UI and finds what they need: the
// static summary, the search attributes (booking id, status, deadline), the
// current details, and the decoded input and result, where the card is a
// card token shown as destroyed (A55 answered: its key is gone).
func TestUIShowsABookingToASignedInOperator(t *testing.T) {
	bookings := bookingsForUI(t)
	ctx := newTab(t, 120*time.Second)
	signInToCodec(t, ctx, env.codecToken)

	for _, b := range bookings {
		t.Run(b.name, func(t *testing.T) {
			openWorkflow(t, ctx, b)
			// Input and result, decoded by the codec server: the card is a
			// token whose key was destroyed once A55 answered.
			waitText(t, ctx, "the decoded input with the card destroyed",
				`"booking_id": "`+b.id+`"`, `"last4": "`+b.last4+`"`, `"card_data": "destroyed at `, "(a55_answered); the card cannot be recovered",
				b.resultText, b.badge)
			if text := evalString(t, ctx, allText); strings.Contains(text, `"sealed"`) || strings.Contains(text, `"number"`) {
				t.Error("the decoded input shows the sealed card or a card number field")
			}
			if strings.Contains(evalString(t, ctx, allText), "Codec Server could not connect") {
				t.Error("the UI says the codec server could not connect")
			}
			// Bring the card into the Input box's view, as an operator scrolls to it.
			waitJS(t, ctx, "the card in the Input box", `(function () {
				var line = Array.from(document.querySelectorAll('.cm-line')).find(function (l) { return l.textContent.indexOf('"card_data"') >= 0; });
				if (!line) { return false; }
				// Scroll only the code box: every other scrolled ancestor goes back.
				var saved = [];
				for (var e = line.parentElement; e; e = e.parentElement) { saved.push([e, e.scrollTop]); }
				line.scrollIntoView({block: 'center'});
				saved.forEach(function (s) { if (!s[0].classList.contains('cm-scroller')) { s[0].scrollTop = s[1]; } });
				window.scrollTo(0, 0);
				return true;
			})()`)
			// The build that ran the booking (Worker Deployment versioning).
			desc, err := env.Client.DescribeWorkflowExecution(ctx, workflows.WorkflowID(b.id), "")
			if err != nil {
				t.Fatal(err)
			}
			version := desc.GetWorkflowExecutionInfo().GetVersioningInfo().GetDeploymentVersion()
			if version.GetBuildId() == "" || version.GetDeploymentName() != worker.DefaultDeploymentName {
				t.Fatalf("the %s booking's deployment version is %v: want %s/<build id>", b.name, version, worker.DefaultDeploymentName)
			}
			waitText(t, ctx, "the deployment and the build that ran the booking", worker.DefaultDeploymentName, version.GetBuildId())
			shot := screenshot(t, ctx, "1-history")
			if b.name == "finished" {
				writeDocsImage(t, shot)
			}

			// Static summary and current details.
			openTab(t, ctx, "user-metadata-tab", "user-metadata")
			// As rendered: the UI reads summaries as Markdown, where \$ is a plain $.
			summary := strings.ReplaceAll(workflows.StaticSummary(hotelStay(b.id, b.pan)), `\$`, "$")
			waitText(t, ctx, "the static summary and the current details", append([]string{summary}, b.details...)...)
			screenshot(t, ctx, "2-user-metadata")

			// Search attributes: what operators filter on.
			openTab(t, ctx, "search-attributes-tab", "search-attributes")
			deadline := b.state.CaptureDeadline.UTC().Format("2006-01-02T15:04:05")
			waitText(t, ctx, "the search attributes",
				`"BookingID": "`+b.id+`"`, `"PaymentStatus": "`+string(b.state.Status)+`"`, `"CaptureDeadline": "`+deadline)
			screenshot(t, ctx, "3-search-attributes")

			for _, tab := range []string{"history", "user-metadata", "search-attributes"} {
				if tab != "search-attributes" {
					openTab(t, ctx, tab+"-tab", tab)
				}
				if leaks := cardLeaks(evalString(t, ctx, allHTML), b); len(leaks) > 0 {
					t.Errorf("%s tab of the %s booking shows %v", tab, b.name, leaks)
				}
			}
		})
	}
}

// Without the codec token (no sign-in, or a wrong token) the UI cannot
// decode: it says so, shows only ciphertext, and no form of the card data is
// anywhere in the page.
func TestUIWithoutTheCodecTokenShowsNoCardData(t *testing.T) {
	bookings := bookingsForUI(t)
	for _, how := range []string{"no-sign-in", "wrong-token"} {
		t.Run(how, func(t *testing.T) {
			ctx := newTab(t, 120*time.Second)
			if how == "wrong-token" {
				signInToCodec(t, ctx, strings.Repeat("x", len(env.codecToken)))
				if !strings.Contains(pageText(t, ctx), "Workflows") {
					t.Fatal("the UI did not come back after the codec settings")
				}
			}
			for _, b := range bookings {
				openWorkflow(t, ctx, b)
				waitText(t, ctx, "the codec error and the encrypted input",
					"Codec Server could not connect", `"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="`) // binary/encrypted
				screenshot(t, ctx, b.name+"-history")
				for _, tab := range []string{"history", "user-metadata", "search-attributes"} {
					if tab != "history" {
						openTab(t, ctx, tab+"-tab", tab)
					}
					html := evalString(t, ctx, allHTML)
					if leaks := cardLeaks(html, b); len(leaks) > 0 {
						t.Errorf("%s tab of the %s booking shows %v", tab, b.name, leaks)
					}
					if strings.Contains(html, "card_data") {
						t.Errorf("%s tab of the %s booking shows the card token's state: something decoded without the token", tab, b.name)
					}
				}
				// The search attributes are not encrypted, and hold no card data.
				waitText(t, ctx, "the search attributes", `"BookingID": "`+b.id+`"`)
			}
		})
	}
}

// writeDocsImage refreshes docs/temporal-ui-booking.png when
// BROWSER_UPDATE_DOCS is set (the committed README image).
func writeDocsImage(t *testing.T, shot string) {
	if os.Getenv("BROWSER_UPDATE_DOCS") == "" || shot == "" {
		return
	}
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(env.Root, "docs", "temporal-ui-booking.png")
	if err := os.WriteFile(dst, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("docs image: %s", dst)
}
