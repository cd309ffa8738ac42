package workflows_test

// clock: injected — t0 is the test environment's start time (SetStartTime).

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/cardvault/cardvaulttest"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// quietLogger keeps the SDK's per-activity lines out of test output (run with
// -v and look at t.Log output for the story of a failing run).
var quietLogger = log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

// t0 is the mock clock's start: every test is reproducible. It lies in the
// future because the SDK bounds a retried local activity by its
// schedule-to-close deadline taken from the mock clock but runs it against
// the wall clock: a mock clock in the past would time out every retry.
var t0 = time.Date(2036, 3, 15, 12, 0, 0, 0, time.UTC)

var brl = func(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "BRL"} }

const testHolder = "TEST HOLDER"

func validInput(bookingID string) workflows.BookingPaymentInput {
	yes := true
	return workflows.BookingPaymentInput{
		BookingID:  bookingID,
		Kind:       workflows.KindHotelStay,
		MerchantID: "merchant-1",
		WalletUUID: "00000000-0000-4000-8000-000000000001",
		Payer:      a55client.Payer{Name: "Ana Souza", Email: "ana@example.com"},
		Amount:     brl(50000),
		Card: a55client.Card{HolderName: testHolder, Number: cardApprove, ExpiryMonth: 12,
			ExpiryYear: 2099, CVV: "123"},
		DeviceInfo: &a55client.DeviceInfo{
			IPAddress: "203.0.113.7", UserAgent: "Mozilla/5.0", HTTPAcceptContent: "text/html",
			HTTPAcceptBrowserValue: "text/html", HTTPBrowserLanguage: "pt-BR",
			HTTPBrowserJavaEnabled: &yes, HTTPBrowserJavascriptEnabled: &yes,
			HTTPBrowserColorDepth: "24", HTTPBrowserScreenHeight: "900", HTTPBrowserScreenWidth: "1440",
			HTTPBrowserTimeDifference: "180",
		},
		ExpectedCaptureAt: t0.Add(48 * time.Hour),
		DeadlinePolicy:    workflows.DeadlinePolicy{Action: workflows.DeadlineRelease},
		ReturnURL:         "https://hotel.example/return",
	}
}

// Test cards (the seeds' numbers; the sandbox decides by them).
const (
	cardApprove   = "4111111111111111"
	cardChallenge = "4000000000000101"
	cardDecline   = "4000000000000002"
	// cardUndecided is a card the sandbox approves; tests that want A55 to
	// answer "issued" (not decided yet: a frictionless charge still
	// processing at the acquirer) use it with r.undecided().
	cardUndecided = "5555555555554444"
)

// run is one workflow execution in the SDK's test environment (mock clock,
// time skipping) with the real activities and A55 client against the A55
// sandbox, whose clock is the environment's: holds, challenges and tokens
// age with workflow time. The state mapping, the wire format and the
// idempotency keys are the real ones.
type run struct {
	t    *testing.T
	env  *testsuite.TestWorkflowEnvironment
	sb   *a55sandbox.Server
	a55  *a55client.Client // A55's API as an operator at A55 uses it
	acts *activities.Activities
	in   workflows.BookingPaymentInput
	// card is the booking's card in clear; in carries it sealed (card
	// token) under a key in keys, unless the run starts with a plain card
	// (newPlainCardRun).
	card  a55client.Card
	keys  cardvault.Store
	token cardvault.Token

	mu         sync.Mutex
	activities []startedActivity
	masked     bool // see undecided
	// onStart, when set, runs as each activity attempt starts (before it
	// calls A55).
	onStart func(activity string)

	// offset is A55's clock (the sandbox's and the client's) minus the
	// workflow's; see shiftA55Clock.
	offset atomic.Int64
	// metrics counts what the workflow and its activities record.
	metrics *countingMetrics
}

// shiftA55Clock sets A55's clock to the workflow's plus d, until shifted
// again: with d negative, what a test does at A55 (r.a55) happened that long
// before the workflow's time.
func (r *run) shiftA55Clock(d time.Duration) { r.offset.Store(int64(d)) }

type startedActivity struct {
	name            string
	local           bool
	scheduleToClose time.Duration
	startToClose    time.Duration
	args            string // JSON of the input, to check card data stays in Authorize
	taskQueue       string
}

// newRun is a booking started as the starter and the card intake start one:
// the input's card is sealed into a card token under a fresh key in a
// card-key store (an SQLite file of the test's), which the activities open.
func newRun(t *testing.T, in workflows.BookingPaymentInput) *run {
	t.Helper()
	return newRunWith(t, in, a55sandbox.Config{})
}

// newRunWith is newRun on a sandbox configured by cfg (see sandboxConfig).
func newRunWith(t *testing.T, in workflows.BookingPaymentInput, cfg a55sandbox.Config) *run {
	t.Helper()
	return newRunOpts(t, in, runOptions{sandbox: cfg})
}

// newPlainCardRun starts the booking with its card in clear, as a caller
// that skips the card token would: new runs refuse it (card-token-only).
func newPlainCardRun(t *testing.T, in workflows.BookingPaymentInput) *run {
	t.Helper()
	return newRunOpts(t, in, runOptions{plainCard: true})
}

type runOptions struct {
	sandbox a55sandbox.Config
	// wrapKeys, when set, wraps the card-key store the activities use (a
	// store that fails or is slow).
	wrapKeys func(cardvault.Store) cardvault.Store
	// plainCard keeps the card in clear in the input.
	plainCard bool
}

func newRunOpts(t *testing.T, in workflows.BookingPaymentInput, opts runOptions) *run {
	t.Helper()
	cfg := opts.sandbox
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(testLogger())
	metrics := &countingMetrics{counts: map[string]int64{}}
	suite.SetMetricsHandler(metrics)
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflows.WorkflowID(in.BookingID), TaskQueue: workflows.TaskQueue})
	env.RegisterWorkflowWithOptions(workflows.BookingPayment, workflow.RegisterOptions{Name: workflows.WorkflowName})
	r := &run{t: t, env: env, in: in, card: in.Card, metrics: metrics}
	// The mock clock is safe for concurrent use.
	cfg.Clock = func() time.Time { return env.Now().Add(time.Duration(r.offset.Load())) }
	sb, c := startSandbox(t, cfg)
	store := cardvaulttest.SQLiteStore(t)
	r.keys = store
	var keys cardvault.Store = store
	if opts.wrapKeys != nil {
		keys = opts.wrapKeys(store)
	}
	acts := activities.New(c, activities.Config{CardKeys: keys, Now: env.Now})
	env.RegisterActivity(acts)
	if !opts.plainCard {
		// As the starter does; the key lives cardvault.MaxKeyLifetime of
		// workflow time.
		tok, err := cardvault.Seal(context.Background(), store, in.BookingID, in.Card, t0, 0)
		if err != nil {
			t.Fatal(err)
		}
		r.token = tok
		r.in.Card, r.in.CardToken = a55client.Card{}, &tok
	}
	r.sb, r.a55, r.acts = sb, c, acts
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, args converter.EncodedValues) {
		var raw json.RawMessage
		_ = args.Get(&raw)
		r.record(info, false, string(raw))
	})
	// Authorize and GetCharge run as local activities first.
	env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, args []any) {
		raw, _ := json.Marshal(args)
		r.record(info, true, string(raw))
	})
	return r
}

// sandboxConfig completes a sandbox configuration for the workflow tests;
// fields cfg sets are kept. Only what a test does moves a charge: no
// settlement (confirmed stays confirmed), no sandbox-side challenge timeout
// (the workflow's own 15 min timeout cancels the challenge; a sandbox timeout
// at the same instant would race it), the default 7-day hold (the workflow
// acts 6 h before it) and no webhooks (tests deliver them as signals and
// updates). The sweeper rarely runs: every API call and ledger read applies
// what is due first, so the sandbox's state follows the clock without it.
// Links to the 3DS challenge start with https://a55.test/3ds/.
func sandboxConfig(cfg a55sandbox.Config) a55sandbox.Config {
	if cfg.SettlementDelay == 0 {
		cfg.SettlementDelay = -1
	}
	if cfg.ChallengeTimeout == 0 {
		cfg.ChallengeTimeout = -1
	}
	if cfg.SweepInterval == 0 {
		cfg.SweepInterval = time.Hour
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "https://a55.test"
	}
	return cfg
}

// startSandbox starts a sandbox (sandboxConfig(cfg); cfg.Clock nil is the
// real clock) and an A55 client for it on the same clock. The client opens a
// new connection per call: net/http silently re-sends a request carrying an
// Idempotency-Key when a reused connection drops, which would turn an
// injected lost response into a replayed answer the activity never sees fail.
func startSandbox(t *testing.T, cfg a55sandbox.Config) (*a55sandbox.Server, *a55client.Client) {
	t.Helper()
	sb := a55sandbox.Start(t, sandboxConfig(cfg))
	c, err := a55client.New(a55client.Config{
		BaseURL: sb.URL, TokenURL: sb.TokenURL(),
		ClientID: a55sandbox.DefaultClientID, ClientSecret: a55sandbox.DefaultClientSecret,
		HTTPClient: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}},
		Timeout:    5 * time.Second, Now: cfg.Clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb, c
}

func (r *run) record(info *activity.Info, local bool, args string) {
	r.mu.Lock()
	r.activities = append(r.activities, startedActivity{name: info.ActivityType.Name, local: local, scheduleToClose: info.ScheduleToCloseTimeout,
		startToClose: info.StartToCloseTimeout, args: args, taskQueue: info.TaskQueue})
	hook := r.onStart
	r.mu.Unlock()
	if hook != nil {
		hook(info.ActivityType.Name)
	}
}

// at runs fn after d of workflow time.
func (r *run) at(d time.Duration, fn func()) { r.env.RegisterDelayedCallback(fn, d) }

// outcome collects one update's answer.
type outcome struct {
	accepted bool
	rejected error
	done     bool
	result   any
	err      error
}

func (o *outcome) decode(t *testing.T, v any) {
	t.Helper()
	b, err := json.Marshal(o.result)
	if err != nil {
		t.Fatalf("update result: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("update result %s: %v", b, err)
	}
}

// update sends an update now (call from inside at).
func (r *run) update(name, id string, arg ...any) *outcome {
	o := &outcome{}
	r.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
		OnAccept:   func() { o.accepted = true },
		OnReject:   func(err error) { o.rejected = err },
		OnComplete: func(res any, err error) { o.done, o.result, o.err = true, res, err },
	}, arg...)
	return o
}

func (r *run) signal(name string, v any) { r.env.SignalWorkflow(name, v) }

// continuedInput runs the workflow, which must continue as new, and returns
// the next run's input.
func (r *run) continuedInput() workflows.BookingPaymentInput {
	r.t.Helper()
	r.env.ExecuteWorkflow(workflows.WorkflowName, r.in)
	var can *workflow.ContinueAsNewError
	if err := r.env.GetWorkflowError(); !errors.As(err, &can) {
		r.t.Fatalf("run 1 ended with %v, want continue-as-new", err)
	}
	var next workflows.BookingPaymentInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		r.t.Fatal(err)
	}
	return next
}

func (r *run) state() workflows.PaymentState {
	r.t.Helper()
	v, err := r.env.QueryWorkflow(workflows.QueryStatus)
	if err != nil {
		r.t.Fatalf("query: %v", err)
	}
	var st workflows.PaymentState
	if err := v.Get(&st); err != nil {
		r.t.Fatalf("query decode: %v", err)
	}
	return st
}

// execute runs the workflow to completion and returns its result.
func (r *run) execute() workflows.BookingPaymentResult {
	r.t.Helper()
	r.env.ExecuteWorkflow(workflows.WorkflowName, r.in)
	if !r.env.IsWorkflowCompleted() {
		r.t.Fatal("workflow did not complete")
	}
	if err := r.env.GetWorkflowError(); err != nil {
		r.t.Fatalf("workflow error: %v", err)
	}
	var res workflows.BookingPaymentResult
	if err := r.env.GetWorkflowResult(&res); err != nil {
		r.t.Fatal(err)
	}
	r.checkNoCardOutsideAuthorize(res)
	return res
}

// checkNoCardOutsideAuthorize: the PAN, its last 8 digits, the CVV and the
// holder name appear nowhere but in the Authorize activity's input, and
// there only when the booking started with a plain card: never in another
// activity, the result or the query answer. A sealed card (the token) is
// opened inside the activity, so no input carries it in clear.
func (r *run) checkNoCardOutsideAuthorize(res workflows.BookingPaymentResult) {
	r.t.Helper()
	secrets := []string{r.card.Number, r.card.Number[max(0, len(r.card.Number)-8):], `"cvv":"` + r.card.CVV + `"`, r.card.HolderName}
	check := func(what, s string) {
		for _, sec := range secrets {
			if sec != "" && strings.Contains(s, sec) {
				r.t.Errorf("%s contains card data", what)
			}
		}
	}
	b, _ := json.Marshal(res)
	check("result", string(b))
	b, _ = json.Marshal(r.state())
	check("query answer", string(b))
	r.mu.Lock()
	defer r.mu.Unlock()
	authorizeStarted, authorizeSawCard := false, false
	for _, a := range r.activities {
		if a.name == workflows.ActivityAuthorize && r.in.CardToken == nil {
			authorizeStarted = true
			authorizeSawCard = authorizeSawCard || strings.Contains(a.args, r.card.Number)
			continue
		}
		check("activity "+a.name+" input", a.args)
	}
	if authorizeStarted && !authorizeSawCard {
		r.t.Error("the Authorize activity did not receive the card")
	}
}

// keyDestroyed reports whether the token's key is gone, and why.
func (r *run) keyDestroyed() (bool, string) {
	info, err := r.keys.Info(context.Background(), r.token.KeyID)
	if err != nil {
		r.t.Fatal(err)
	}
	return !info.DestroyedAt.IsZero(), info.DestroyReason
}

func (r *run) started(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, a := range r.activities {
		if a.name == name {
			n++
		}
	}
	return n
}

func statuses(st workflows.PaymentState) []workflows.Status {
	out := []workflows.Status{}
	for _, tr := range st.History {
		out = append(out, tr.To)
	}
	return out
}

func wantStatuses(t *testing.T, st workflows.PaymentState, want ...workflows.Status) {
	t.Helper()
	got := statuses(st)
	if strings.Join(toStrings(got), ",") != strings.Join(toStrings(want), ",") {
		t.Errorf("status history = %v, want %v", got, want)
	}
}

func toStrings(s []workflows.Status) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	return out
}

func testLogger() log.Logger {
	if os.Getenv("WF_LOG") != "" {
		return log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	}
	return quietLogger
}
