package activities_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/testclock"
	"github.com/hotelpay/a55-temporal/internal/webhook"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// These tests run the activities with the real A55 client against the
// sandbox, over HTTP on 127.0.0.1.

const wallet = a55sandbox.DefaultWallet

var secret = []byte("activities-test-secret")

// hooks records the webhooks A55 sends.
type hooks struct {
	mu       sync.Mutex
	requests []*http.Request
	srv      *httptest.Server
}

func newHooks(t *testing.T) *hooks {
	h := &hooks{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.requests = append(h.requests, r.Clone(r.Context()))
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hooks) first(t *testing.T) *http.Request {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second) // the sandbox delivers asynchronously
	for time.Now().Before(deadline) {
		h.mu.Lock()
		if len(h.requests) > 0 {
			r := h.requests[0]
			h.mu.Unlock()
			return r
		}
		h.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no webhook arrived")
	return nil
}

// newActivityEnv is a test activity environment without the SDK's log lines.
func newActivityEnv() *testsuite.TestActivityEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	return suite.NewTestActivityEnvironment()
}

type fixture struct {
	t     *testing.T
	clock *testclock.Clock
	sb    *a55sandbox.Server
	acts  *activities.Activities
	env   *testsuite.TestActivityEnvironment
	hooks *hooks
}

func newFixture(t *testing.T, cfg a55sandbox.Config) *fixture {
	t.Helper()
	clk := testclock.New(time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)) // clock: injected
	if cfg.Clock == nil {
		cfg.Clock = clk.Now
	}
	cfg.WebhookRetryScale = 0.00001
	cfg.SettlementDelay = -1
	sb := a55sandbox.Start(t, cfg)
	client, err := a55client.New(a55client.Config{
		BaseURL: sb.URL, TokenURL: sb.TokenURL(),
		ClientID: a55sandbox.DefaultClientID, ClientSecret: a55sandbox.DefaultClientSecret,
		Timeout: 5 * time.Second, Now: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := newHooks(t)
	acts := activities.New(client, activities.Config{WebhookBaseURL: h.srv.URL, WebhookSecret: secret})
	env := newActivityEnv()
	env.RegisterActivity(acts)
	return &fixture{t: t, clock: clk, sb: sb, acts: acts, env: env, hooks: h}
}

func authorizeInput(booking, pan string) workflows.AuthorizeInput {
	return workflows.AuthorizeInput{
		IdempotencyKey: "booking-" + booking + "/authorize",
		WorkflowID:     "booking-" + booking,
		BookingID:      booking,
		WalletUUID:     wallet,
		MerchantID:     "merchant-1",
		Payer:          a55client.Payer{Name: "Ana Souza", Email: "ana@example.com"},
		Amount:         money.Amount{Minor: 50000, Currency: "BRL"},
		Card:           a55client.Card{HolderName: "TEST HOLDER", Number: pan, ExpiryMonth: 12, ExpiryYear: 2099, CVV: "123"},
	}
}

// execute runs activity with in and decodes its result; the activity's
// error is returned, a result that does not decode fails the test.
func execute[R any](f *fixture, activity, in any) (*R, error) {
	v, err := f.env.ExecuteActivity(activity, in)
	if err != nil {
		return nil, err
	}
	var res R
	if err := v.Get(&res); err != nil {
		f.t.Fatal(err)
	}
	return &res, nil
}

func (f *fixture) authorize(in workflows.AuthorizeInput) (*workflows.AuthorizeResult, error) {
	return execute[workflows.AuthorizeResult](f, f.acts.Authorize, in)
}

func (f *fixture) mustAuthorize(booking string) string {
	f.t.Helper()
	res, err := f.authorize(authorizeInput(booking, "4111111111111111"))
	if err != nil || res.Charge.State != a55client.StateAuthorized {
		f.t.Fatalf("authorize: %v %+v", err, res)
	}
	return res.Charge.ChargeUUID
}

func (f *fixture) capture(in workflows.CaptureInput) (*workflows.OperationResult, error) {
	return execute[workflows.OperationResult](f, f.acts.Capture, in)
}

func (f *fixture) cancel(in workflows.CancelInput) (*workflows.OperationResult, error) {
	return execute[workflows.OperationResult](f, f.acts.Cancel, in)
}

func appError(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) {
		t.Fatalf("error %v is not an application error", err)
	}
	return app
}

func TestAuthorizePlacesAHoldThatRoutesWebhooksBack(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	res, err := f.authorize(authorizeInput("H-1", "4111111111111111"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Declined || res.Charge.State != a55client.StateAuthorized || res.Charge.ChargeUUID == "" {
		t.Fatalf("result = %+v", res)
	}
	entry, ok := f.sb.Charge(res.Charge.ChargeUUID)
	if !ok || entry.CaptureFlag || entry.ReferenceExternalID != "H-1" || entry.Authorized.Minor != 50000 {
		t.Errorf("ledger entry = %+v", entry)
	}
	hook := f.hooks.first(t)
	if hook.URL.Path != webhook.PathPrefix+"booking-H-1" {
		t.Errorf("webhook path %q", hook.URL.Path)
	}
	if !webhook.ValidToken(secret, "booking-H-1", hook.URL.Query().Get("token")) {
		t.Error("webhook token does not route to this booking's workflow")
	}
}

func TestAuthorizeDeclineIsAResult(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	res, err := f.authorize(authorizeInput("H-2", "4000000000000002"))
	if err != nil {
		t.Fatalf("a decline came back as an error: %v", err)
	}
	if !res.Declined || res.DeclineCode != "CARD_DECLINED" || res.DeclineMessage == "" || res.Charge.ChargeUUID == "" {
		t.Errorf("result = %+v", res)
	}
}

func TestAuthorizeWith3DSReturnsTheChallenge(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	in := authorizeInput("H-3", "4000000000000101")
	yes := true
	in.ThreeDS = true
	in.DeviceInfo = &a55client.DeviceInfo{
		IPAddress: "203.0.113.7", UserAgent: "Mozilla/5.0", HTTPAcceptContent: "text/html",
		HTTPAcceptBrowserValue: "text/html", HTTPBrowserLanguage: "pt-BR",
		HTTPBrowserJavaEnabled: &yes, HTTPBrowserJavascriptEnabled: &yes,
		HTTPBrowserColorDepth: "24", HTTPBrowserScreenHeight: "900", HTTPBrowserScreenWidth: "1440",
		HTTPBrowserTimeDifference: "180",
	}
	res, err := f.authorize(in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Charge.State != a55client.StatePending3DS || res.Charge.URL3DS == "" {
		t.Fatalf("result = %+v", res)
	}
	if err := f.sb.CompleteChallenge(res.Charge.ChargeUUID, true); err != nil {
		t.Fatal(err)
	}
	v, err := f.env.ExecuteActivity(f.acts.GetCharge, workflows.GetChargeInput{WalletUUID: wallet, ChargeUUID: res.Charge.ChargeUUID})
	if err != nil {
		t.Fatal(err)
	}
	var got workflows.ChargeView
	_ = v.Get(&got)
	if got.State != a55client.StateAuthorized {
		t.Errorf("after the challenge: %+v", got)
	}
}

func TestAuthorizeLostResponseReplaysTheSameCharge(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	if err := f.sb.SetFault("create", a55sandbox.Fault{LostResponseNext: 1}); err != nil {
		t.Fatal(err)
	}
	in := authorizeInput("H-4", "4111111111111111")
	// Go's HTTP transport itself resends a request that carries an
	// Idempotency-Key when a reused connection closes without an answer, so
	// the attempt may succeed; otherwise it fails retryably and Temporal
	// retries with the same key. Either way A55 replays the first charge.
	res, err := f.authorize(in)
	if err != nil {
		if app := appError(t, err); app.NonRetryable() {
			t.Fatalf("a lost response is not retryable: %v", err)
		}
		if res, err = f.authorize(in); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.sb.FaultCounts()["create:lost_response"]; got != 1 {
		t.Fatalf("lost responses injected: %d", got)
	}
	charges := f.sb.ChargesByReference("H-4")
	if len(charges) != 1 || charges[0].ChargeUUID != res.Charge.ChargeUUID {
		t.Fatalf("A55 holds %d charges for the booking, want 1", len(charges))
	}
	if charges[0].Calls.Replays < 1 {
		t.Errorf("the retry was not an idempotent replay: %+v", charges[0].Calls)
	}
}

func TestCaptureTwiceIsRecognised(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	uuid := f.mustAuthorize("H-5")
	part := money.Amount{Minor: 32000, Currency: "BRL"}
	res, err := f.capture(workflows.CaptureInput{IdempotencyKey: "booking-H-5/capture", WalletUUID: wallet, ChargeUUID: uuid, Amount: &part})
	if err != nil || res.Outcome != workflows.OutcomeCaptured || res.Recovered {
		t.Fatalf("capture: %v %+v", err, res)
	}
	entry, _ := f.sb.Charge(uuid)
	if entry.Captured.Minor != 32000 || entry.Released.Minor != 18000 {
		t.Errorf("ledger captured %v released %v", entry.Captured, entry.Released)
	}
	// A second capture under another key is refused by A55 as not capturable;
	// the activity reads the charge and recognises the capture.
	res, err = f.capture(workflows.CaptureInput{IdempotencyKey: "other-key", WalletUUID: wallet, ChargeUUID: uuid})
	if err != nil || res.Outcome != workflows.OutcomeCaptured || !res.Recovered {
		t.Fatalf("second capture: %v %+v", err, res)
	}
	if entry, _ := f.sb.Charge(uuid); entry.Calls.Capture != 1 {
		t.Errorf("A55 captured %d times", entry.Calls.Capture)
	}
}

func TestCaptureOfALapsedHoldIsExpired(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{HoldWindow: time.Hour})
	uuid := f.mustAuthorize("H-6")
	f.clock.Advance(2 * time.Hour)
	f.sb.Sweep()
	res, err := f.capture(workflows.CaptureInput{IdempotencyKey: "booking-H-6/capture", WalletUUID: wallet, ChargeUUID: uuid})
	if err != nil || res.Outcome != workflows.OutcomeExpired {
		t.Fatalf("capture of a lapsed hold: %v %+v", err, res)
	}
}

func TestCancelReleasesAndRecognisesItsOwnWork(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	uuid := f.mustAuthorize("H-7")
	res, err := f.cancel(workflows.CancelInput{IdempotencyKey: "booking-H-7/cancel", WalletUUID: wallet, ChargeUUID: uuid, Reason: "guest cancelled"})
	if err != nil || res.Outcome != workflows.OutcomeVoided {
		t.Fatalf("cancel: %v %+v", err, res)
	}
	res, err = f.cancel(workflows.CancelInput{IdempotencyKey: "another", WalletUUID: wallet, ChargeUUID: uuid})
	if err != nil || res.Outcome != workflows.OutcomeVoided || !res.Recovered {
		t.Fatalf("second cancel: %v %+v", err, res)
	}
	if entry, _ := f.sb.Charge(uuid); entry.Status != "canceled" || entry.Calls.Cancel != 1 {
		t.Errorf("ledger: %s after %d cancels", entry.Status, entry.Calls.Cancel)
	}
}

func TestCancelRefusedWhileTheChargeCannotBeReadIsRetried(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	uuid := f.mustAuthorize("H-7b")
	if _, err := f.cancel(workflows.CancelInput{IdempotencyKey: "booking-H-7b/cancel", WalletUUID: wallet, ChargeUUID: uuid}); err != nil {
		t.Fatal(err)
	}
	// A second cancel is refused (already canceled) and the read that would
	// explain the refusal fails: the activity must be retried, not fail the
	// booking whose hold is in fact released.
	if err := f.sb.SetFault("get", a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{500}}); err != nil {
		t.Fatal(err)
	}
	_, err := f.cancel(workflows.CancelInput{IdempotencyKey: "another", WalletUUID: wallet, ChargeUUID: uuid})
	var app *temporal.ApplicationError
	if err == nil || (errors.As(err, &app) && app.NonRetryable()) {
		t.Fatalf("cancel refused with an unreadable charge = %v, want a retryable error", err)
	}
}

// A55's public documents call a hold "confirmed". A refused cancel (a
// credential rotated mid-release) that reads such a hold must not take it
// for a capture: the refusal stands, to be retried, and the next cancel
// releases the hold. The client runs with its default vocabulary.
func TestCancelRefusedOnAConfirmedHoldIsNotACapture(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{Vocabulary: a55sandbox.VocabularyPublicDocs})
	held, err := f.authorize(authorizeInput("H-7c", "4111111111111111"))
	if err != nil || held.Charge.Status != "confirmed" {
		t.Fatalf("authorize: %v %+v; want the public documents' confirmed", err, held)
	}
	uuid := held.Charge.ChargeUUID
	if err := f.sb.SetFault("cancel", a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{403}}); err != nil {
		t.Fatal(err)
	}
	in := workflows.CancelInput{IdempotencyKey: "booking-H-7c/cancel", WalletUUID: wallet, ChargeUUID: uuid}
	res, err := f.cancel(in)
	var app *temporal.ApplicationError
	if err == nil || !errors.As(err, &app) || app.NonRetryable() || app.Type() != workflows.ErrTypeA55Unauthorized {
		t.Fatalf("cancel refused 403 on a confirmed hold = %+v, %v; want the refusal, retryable", res, err)
	}
	res, err = f.cancel(in)
	if err != nil || res.Outcome != workflows.OutcomeVoided {
		t.Fatalf("cancel once A55 accepts: %+v, %v", res, err)
	}
	if e, _ := f.sb.Charge(uuid); e.Status != a55sandbox.StatusCanceled || e.Captured.Minor != 0 {
		t.Errorf("ledger: %s, captured %v; want the hold released", e.Status, e.Captured)
	}
}

func TestErrorsAreClassifiedForRetries(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	uuid := f.mustAuthorize("H-8")

	t.Run("rate limit honours Retry-After", func(t *testing.T) {
		if err := f.sb.SetFault("get", a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{429}, RetryAfter: a55sandbox.Duration(7 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		_, err := f.env.ExecuteActivity(f.acts.GetCharge, workflows.GetChargeInput{WalletUUID: wallet, ChargeUUID: uuid})
		app := appError(t, err)
		if app.NonRetryable() || app.Type() != workflows.ErrTypeA55Retryable || app.NextRetryDelay() != 7*time.Second {
			t.Errorf("429: type %s non-retryable %v next delay %s", app.Type(), app.NonRetryable(), app.NextRetryDelay())
		}
	})
	t.Run("server error is retryable", func(t *testing.T) {
		if err := f.sb.SetFault("get", a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{500}}); err != nil {
			t.Fatal(err)
		}
		_, err := f.env.ExecuteActivity(f.acts.GetCharge, workflows.GetChargeInput{WalletUUID: wallet, ChargeUUID: uuid})
		if app := appError(t, err); app.NonRetryable() {
			t.Errorf("500 is not retryable: %v", err)
		}
	})
	t.Run("unknown charge is not found", func(t *testing.T) {
		_, err := f.env.ExecuteActivity(f.acts.GetCharge, workflows.GetChargeInput{WalletUUID: wallet, ChargeUUID: "00000000-0000-4000-8000-00000000dead"})
		// Typed, not flagged: the workflow's retry policy decides (a read
		// gives up, a capture of a live hold keeps trying).
		if app := appError(t, err); app.NonRetryable() || app.Type() != workflows.ErrTypeA55NotFound {
			t.Errorf("not found: type %s non-retryable %v", app.Type(), app.NonRetryable())
		}
	})
	t.Run("over-capture is invalid", func(t *testing.T) {
		over := money.Amount{Minor: 99999, Currency: "BRL"}
		_, err := f.capture(workflows.CaptureInput{IdempotencyKey: "over", WalletUUID: wallet, ChargeUUID: uuid, Amount: &over})
		app := appError(t, err)
		if !app.NonRetryable() || (app.Type() != workflows.ErrTypeA55Invalid && app.Type() != workflows.ErrTypeA55NotCapturable) {
			t.Errorf("over-capture: type %s non-retryable %v: %v", app.Type(), app.NonRetryable(), err)
		}
	})
	t.Run("rejected credentials are unauthorized", func(t *testing.T) {
		client, err := a55client.New(a55client.Config{BaseURL: f.sb.URL, TokenURL: f.sb.TokenURL(), ClientID: "nobody", ClientSecret: "s3cr3t-not-this-one"})
		if err != nil {
			t.Fatal(err)
		}
		acts := activities.New(client, activities.Config{})
		env := newActivityEnv()
		env.RegisterActivity(acts)
		_, err = env.ExecuteActivity(acts.GetCharge, workflows.GetChargeInput{WalletUUID: wallet, ChargeUUID: uuid})
		if app := appError(t, err); app.NonRetryable() || app.Type() != workflows.ErrTypeA55Unauthorized {
			t.Errorf("bad credentials: type %s non-retryable %v", app.Type(), app.NonRetryable())
		}
		if strings.Contains(err.Error(), "s3cr3t-not-this-one") {
			t.Error("the error echoes the client secret")
		}
	})
}

func TestErrorsNeverCarryCardData(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	in := authorizeInput("H-9", "4111111111111111")
	in.Card.ExpiryYear = 2001 // the sandbox refuses an expired card
	_, err := f.authorize(in)
	if err == nil {
		t.Fatal("expired card accepted")
	}
	for _, s := range []string{in.Card.Number, "TEST HOLDER"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error contains card data: %v", err)
		}
	}
	if app := appError(t, err); !app.NonRetryable() || app.Type() != workflows.ErrTypeA55Invalid {
		t.Errorf("type %s non-retryable %v", app.Type(), app.NonRetryable())
	}
}

func TestExpiredTokenIsRenewedTransparently(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{TokenLifetime: 10 * time.Minute})
	uuid := f.mustAuthorize("H-10")
	f.clock.Advance(2 * time.Hour) // the token the client holds has expired at A55
	v, err := f.env.ExecuteActivity(f.acts.GetCharge, workflows.GetChargeInput{WalletUUID: wallet, ChargeUUID: uuid})
	if err != nil {
		t.Fatalf("read after token expiry: %v", err)
	}
	var got workflows.ChargeView
	_ = v.Get(&got)
	if got.State != a55client.StateAuthorized {
		t.Errorf("charge = %+v", got)
	}
	res, err := f.capture(workflows.CaptureInput{IdempotencyKey: "booking-H-10/capture", WalletUUID: wallet, ChargeUUID: uuid})
	if err != nil || res.Outcome != workflows.OutcomeCaptured {
		t.Errorf("capture after token expiry: %v %+v", err, res)
	}
}

// recordingGateway remembers the create request and answers "authorized".
type recordingGateway struct {
	activities.Gateway // nil: only CreateCharge is called
	params             *a55client.CreateChargeParams
	key                string
}

func (g *recordingGateway) CreateCharge(_ context.Context, p *a55client.CreateChargeParams, key string) (*a55client.Charge, error) {
	g.params, g.key = p, key
	return &a55client.Charge{UUID: "ch-1", Status: "authorized", State: a55client.StateAuthorized}, nil
}

func TestWebhookURLIsBuiltInsideTheActivity(t *testing.T) {
	for _, tc := range []struct {
		name, configured, override, want string
	}{
		{"no receiver configured", "", "", ""},
		{"worker's receiver", "https://hooks.example/", "", "https://hooks.example" + webhook.PathPrefix + "booking-H-11?token=" + webhook.Token(secret, "booking-H-11")},
		{"booking's override", "https://hooks.example", "https://other.example", "https://other.example" + webhook.PathPrefix + "booking-H-11?token=" + webhook.Token(secret, "booking-H-11")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gw := &recordingGateway{}
			acts := activities.NewWithGateway(gw, activities.Config{WebhookBaseURL: tc.configured, WebhookSecret: secret})
			env := newActivityEnv()
			env.RegisterActivity(acts)
			in := authorizeInput("H-11", "4111111111111111")
			in.WebhookBaseURL = tc.override
			if _, err := env.ExecuteActivity(acts.Authorize, in); err != nil {
				t.Fatal(err)
			}
			if gw.params.WebhookURL != tc.want {
				t.Errorf("webhook_url = %q, want %q", gw.params.WebhookURL, tc.want)
			}
			if gw.params.Capture || gw.params.ReferenceExternalID != "H-11" || gw.key != "booking-H-11/authorize" {
				t.Errorf("capture %v reference %q key %q", gw.params.Capture, gw.params.ReferenceExternalID, gw.key)
			}
		})
	}
}

func TestRefundAfterCapture(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	uuid := f.mustAuthorize("H-12")
	refund := func(key string) error {
		amount := money.Amount{Minor: 10000, Currency: "BRL"}
		_, err := f.env.ExecuteActivity(f.acts.Refund, workflows.RefundInput{IdempotencyKey: key, WalletUUID: wallet, ChargeUUID: uuid, Amount: &amount, Reason: "late check-out waived"})
		return err
	}
	// A hold cannot be refunded: A55 says so and the activity does not retry.
	err := refund("booking-H-12/refund-early")
	if app := appError(t, err); !app.NonRetryable() || app.Type() != workflows.ErrTypeA55RefundNotAllowed {
		t.Errorf("refund of a hold: type %s non-retryable %v", app.Type(), app.NonRetryable())
	}
	if _, err := f.capture(workflows.CaptureInput{IdempotencyKey: "booking-H-12/capture", WalletUUID: wallet, ChargeUUID: uuid}); err != nil {
		t.Fatal(err)
	}
	if err := refund("booking-H-12/refund"); err != nil {
		t.Fatal(err)
	}
	if err := refund("booking-H-12/refund"); err != nil { // a retry replays
		t.Fatal(err)
	}
	if entry, _ := f.sb.Charge(uuid); entry.Refunded.Minor != 10000 || entry.Calls.Refund != 1 {
		t.Errorf("ledger refunded %v in %d calls", entry.Refunded, entry.Calls.Refund)
	}
}

// A retry of the create call sends the identical body whatever the clock
// says: an attempt lost just before midnight and retried just after must
// not change due_date under the same Idempotency-Key (A55 would answer 409
// IDEMPOTENCY_KEY_REUSED while the first attempt's hold exists).
func TestAuthorizeRetryAcrossMidnightSendsTheSameBody(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	f.clock.Advance(12*time.Hour - time.Second) // 23:59:59 at the injected clock
	in := authorizeInput("BK-midnight", "4111111111111111")
	in.DueDate = f.clock.Now().UTC().Format(time.DateOnly) // fixed by the workflow when it asked
	first, err := f.authorize(in)                          // its answer is lost on the way back, say
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Second) // the activity's retry runs the next day
	res, err := f.authorize(in)
	if err != nil || res.Charge.ChargeUUID != first.Charge.ChargeUUID {
		t.Fatalf("retry after midnight: %+v, %v; want the first attempt's charge replayed", res, err)
	}
	if n := len(f.sb.ChargesByReference("BK-midnight")); n != 1 {
		t.Errorf("%d charges for the booking, want 1", n)
	}
}

// The worker refuses a hold above its merchant's maximum before asking A55,
// whoever started the booking.
func TestAuthorizeAboveTheHoldLimitNeverReachesA55(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	c, err := a55client.New(a55client.Config{BaseURL: f.sb.URL, TokenURL: f.sb.TokenURL(),
		ClientID: a55sandbox.DefaultClientID, ClientSecret: a55sandbox.DefaultClientSecret, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	acts := activities.New(c, activities.Config{HoldLimits: workflows.HoldLimits{Merchant: map[string]int64{"merchant-1": 40000}}})
	env := newActivityEnv()
	env.RegisterActivity(acts)
	_, err = env.ExecuteActivity(acts.Authorize, authorizeInput("BK-limit", "4111111111111111"))
	if app := appError(t, err); !app.NonRetryable() || app.Type() != workflows.ErrTypeHoldLimit || !strings.Contains(err.Error(), "amount: must be at most R$ 400,00") {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.sb.ChargesByReference("BK-limit")); n != 0 {
		t.Errorf("A55 received %d create calls", n)
	}
}

// A 409 other than "in progress" is answered by reading the charge, not by
// failing: here the capture's key was already used (an earlier attempt
// captured part; the retry's body differs), and the charge shows the capture.
func TestCaptureConflictIsAnsweredByReadingTheCharge(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	uuid := f.mustAuthorize("H-C1")
	part := money.Amount{Minor: 32000, Currency: "BRL"}
	if _, err := f.capture(workflows.CaptureInput{IdempotencyKey: "booking-H-C1/capture", WalletUUID: wallet, ChargeUUID: uuid, Amount: &part}); err != nil {
		t.Fatal(err)
	}
	res, err := f.capture(workflows.CaptureInput{IdempotencyKey: "booking-H-C1/capture", WalletUUID: wallet, ChargeUUID: uuid})
	if err != nil || res.Outcome != workflows.OutcomeCaptured || !res.Recovered || res.Charge.ChargeUUID != uuid {
		t.Fatalf("capture answered 409 IDEMPOTENCY_KEY_REUSED: %v %+v", err, res)
	}
	if entry, _ := f.sb.Charge(uuid); entry.Calls.Capture != 1 || entry.Captured.Minor != 32000 {
		t.Errorf("ledger: %d captures, %v captured", entry.Calls.Capture, entry.Captured)
	}

	// A conflict while the charge is still a hold is something a person
	// must look at: not retried, and the error says what A55 shows.
	uuid = f.mustAuthorize("H-C2")
	if err := f.sb.SetFault("capture", a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{409}}); err != nil {
		t.Fatal(err)
	}
	_, err = f.capture(workflows.CaptureInput{IdempotencyKey: "booking-H-C2/capture", WalletUUID: wallet, ChargeUUID: uuid})
	app := appError(t, err)
	if !app.NonRetryable() || app.Type() != workflows.ErrTypeA55NotCapturable || !strings.Contains(err.Error(), `the charge is "authorized"`) {
		t.Errorf("conflict on a live hold = %v (type %s)", err, app.Type())
	}
}

func TestFindChargesListsTheBookingsChargesOldestFirst(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	first := f.mustAuthorize("H-F1")
	f.mustAuthorize("H-F2") // another booking's
	f.clock.Advance(time.Minute)
	in := authorizeInput("H-F1", "4111111111111111")
	in.IdempotencyKey = "booking-H-F1/authorize-after-reset"
	second, err := f.authorize(in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := execute[workflows.FindChargesResult](f, f.acts.FindCharges, workflows.FindChargesInput{WalletUUID: wallet, BookingID: "H-F1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Charges) != 2 || res.Charges[0].ChargeUUID != first || res.Charges[1].ChargeUUID != second.Charge.ChargeUUID {
		t.Fatalf("found %+v, want %s then %s", res.Charges, first, second.Charge.ChargeUUID)
	}
	c := res.Charges[0]
	if c.State != a55client.StateAuthorized || c.Amount == nil || c.Amount.Minor != 50000 || !c.CreatedAt.Equal(f.clock.Now().Add(-time.Minute)) {
		t.Errorf("first charge = %+v", c)
	}
	none, err := execute[workflows.FindChargesResult](f, f.acts.FindCharges, workflows.FindChargesInput{WalletUUID: wallet, BookingID: "H-none"})
	if err != nil || none.Charges == nil || len(none.Charges) != 0 {
		t.Errorf("a booking A55 does not know: %v %+v", err, none)
	}
	_, err = execute[workflows.FindChargesResult](f, f.acts.FindCharges, workflows.FindChargesInput{WalletUUID: wallet, BookingID: "H-1,status:authorized"})
	if app := appError(t, err); !app.NonRetryable() || app.Type() != workflows.ErrTypeA55Invalid {
		t.Errorf("a booking id that is not one: %v", err)
	}
}

// Every page is read: a booking with more charges than a page holds.
func TestFindChargesReadsEveryPage(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	for i := range 101 {
		in := authorizeInput("H-P", "4000000000000002") // declines: nothing held, cheap
		in.IdempotencyKey = fmt.Sprintf("booking-H-P/authorize-%d", i)
		if _, err := f.authorize(in); err != nil {
			t.Fatal(err)
		}
	}
	res, err := execute[workflows.FindChargesResult](f, f.acts.FindCharges, workflows.FindChargesInput{WalletUUID: wallet, BookingID: "H-P"})
	if err != nil || len(res.Charges) != 101 {
		t.Fatalf("found %d charges (%v), want 101", len(res.Charges), err)
	}
}

// A refund's answer carries A55's refunded_amount (all refunded so far);
// more than what remains is refused by A55 as amount_exceeds_refundable,
// named; a refund whose key A55 no longer knows but which the charge shows
// done is recognised by reading the charge, not refused.
func TestRefundAnswersAndRefusals(t *testing.T) {
	f := newFixture(t, a55sandbox.Config{})
	uuid := f.mustAuthorize("H-13")
	if _, err := f.capture(workflows.CaptureInput{IdempotencyKey: "booking-H-13/capture", WalletUUID: wallet, ChargeUUID: uuid}); err != nil {
		t.Fatal(err)
	}
	refund := func(key string, minor, before int64) (*workflows.RefundAnswer, error) {
		amount := money.Amount{Minor: minor, Currency: "BRL"}
		v, err := f.env.ExecuteActivity(f.acts.Refund, workflows.RefundInput{IdempotencyKey: key, WalletUUID: wallet, ChargeUUID: uuid,
			Amount: &amount, RefundedBefore: money.Amount{Minor: before, Currency: "BRL"}})
		if err != nil {
			return nil, err
		}
		var ans workflows.RefundAnswer
		if err := v.Get(&ans); err != nil {
			t.Fatal(err)
		}
		return &ans, nil
	}
	ans, err := refund("booking-H-13/refund/r1", 30000, 0)
	if err != nil || ans.Charge.Refunded == nil || ans.Charge.Refunded.Minor != 30000 || ans.Recovered {
		t.Fatalf("first refund: %+v, %v", ans, err)
	}
	if _, err := refund("booking-H-13/refund/r2", 40000, 30000); appError(t, err).Type() != workflows.ErrTypeA55RefundExceedsRefundable {
		t.Errorf("over-refund: %v", err)
	}
	// A retry (attempt 2 and later) whose charge shows the refund done
	// sends nothing.
	ans, err = retriedRefund(t, f, workflows.RefundInput{IdempotencyKey: "booking-H-13/refund/r1", WalletUUID: wallet, ChargeUUID: uuid,
		Amount: &money.Amount{Minor: 30000, Currency: "BRL"}}, a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{500}})
	if err != nil || !ans.Recovered || ans.Charge.Refunded.Minor != 30000 {
		t.Fatalf("refund recognised by a read: %+v, %v", ans, err)
	}
	if entry, _ := f.sb.Charge(uuid); entry.Refunded.Minor != 30000 || entry.Calls.Refund != 1 {
		t.Errorf("ledger refunded %v in %d calls", entry.Refunded, entry.Calls.Refund)
	}
}
