package worker

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/internal/metrics/prom"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// gateway plays A55 for the real workflow: authorize answers with the given
// charge state; reads answer with readState; capture and cancel succeed.
type gateway struct {
	authorize workflows.ChargeView
	declined  bool
	readState a55client.State
	captured  func(asked money.Amount) money.Amount // what the capture answer says A55 captured (nil: no amount)
}

func (g *gateway) register(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterActivityWithOptions(func(ctx context.Context, in workflows.AuthorizeInput) (*workflows.AuthorizeResult, error) {
		return &workflows.AuthorizeResult{Charge: g.authorize, Declined: g.declined, DeclineCode: "CARD_DECLINED"}, nil
	}, activity.RegisterOptions{Name: workflows.ActivityAuthorize})
	env.RegisterActivityWithOptions(func(ctx context.Context, in workflows.FindChargesInput) (*workflows.FindChargesResult, error) {
		return &workflows.FindChargesResult{}, nil // A55 holds nothing for the booking yet
	}, activity.RegisterOptions{Name: workflows.ActivityFindCharges})
	env.RegisterActivityWithOptions(func(ctx context.Context, in workflows.GetChargeInput) (*workflows.ChargeView, error) {
		v := g.authorize
		v.State, v.Status = g.readState, string(g.readState)
		return &v, nil
	}, activity.RegisterOptions{Name: workflows.ActivityGetCharge})
	env.RegisterActivityWithOptions(func(ctx context.Context, in workflows.CaptureInput) (*workflows.OperationResult, error) {
		v := workflows.ChargeView{ChargeUUID: in.ChargeUUID, Status: "confirmed", State: a55client.StateCaptured}
		if g.captured != nil {
			c := g.captured(*in.Amount)
			v.Captured = &c
		}
		return &workflows.OperationResult{Outcome: workflows.OutcomeCaptured, Charge: v}, nil
	}, activity.RegisterOptions{Name: workflows.ActivityCapture})
	env.RegisterActivityWithOptions(func(ctx context.Context, in workflows.RefundInput) (*workflows.RefundAnswer, error) {
		total := money.Amount{Minor: in.RefundedBefore.Minor + in.Amount.Minor, Currency: in.Amount.Currency}
		return &workflows.RefundAnswer{Charge: workflows.ChargeView{ChargeUUID: in.ChargeUUID, Status: "refunded", State: a55client.StateRefunded, Refunded: &total}}, nil
	}, activity.RegisterOptions{Name: workflows.ActivityRefund})
	env.RegisterActivityWithOptions(func(ctx context.Context, in workflows.DestroyCardKeyInput) error {
		return nil // the card key store is not what these tests measure
	}, activity.RegisterOptions{Name: workflows.ActivityDestroyCardKey})
	env.RegisterActivityWithOptions(func(ctx context.Context, in workflows.CancelInput) (*workflows.OperationResult, error) {
		return &workflows.OperationResult{Outcome: workflows.OutcomeVoided, Charge: workflows.ChargeView{ChargeUUID: in.ChargeUUID, State: a55client.StateCanceled}}, nil
	}, activity.RegisterOptions{Name: workflows.ActivityCancel})
}

func input(id string) workflows.BookingPaymentInput {
	return workflows.BookingPaymentInput{
		BookingID: id, Kind: workflows.KindHotelStay, MerchantID: "m-1", WalletUUID: "w-1",
		Payer:  a55client.Payer{Name: "Ana Souza", Email: "ana@example.com"},
		Amount: money.Amount{Minor: 50000, Currency: "BRL"},
		// A well-formed card token (the starter's); the fake Authorize
		// never opens it.
		CardToken: &cardvault.Token{KeyID: "ck_" + strings.Repeat("a", 32), Sealed: "c2VhbGVk", Last4: "1111",
			ExpiryMonth: 12, ExpiryYear: 2099, ExpiresAt: time.Now().Add(cardvault.MaxKeyLifetime)},
		// The test environment's clock starts at the real now.
		ExpectedCaptureAt: time.Now().Add(48 * time.Hour),
		DeadlinePolicy:    workflows.DeadlinePolicy{Action: workflows.DeadlineRelease},
	}
}

// runBooking runs one booking through the real workflow with the metrics
// interceptor; during is called one minute in (updates, signals).
func runBooking(t *testing.T, e *prom.Exporter, g *gateway, in workflows.BookingPaymentInput, during func(env *testsuite.TestWorkflowEnvironment),
	logTo ...*bytes.Buffer) workflows.BookingPaymentResult {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetMetricsHandler(e.Handler())
	for _, b := range logTo {
		suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewJSONHandler(b, nil))))
	}
	env := suite.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(sdkworker.Options{Interceptors: []interceptor.WorkerInterceptor{&businessMetrics{}}})
	env.RegisterWorkflowWithOptions(workflows.BookingPayment, workflow.RegisterOptions{Name: workflows.WorkflowName})
	g.register(env)
	if during != nil {
		env.RegisterDelayedCallback(func() { during(env) }, time.Minute)
	}
	env.ExecuteWorkflow(workflows.WorkflowName, in)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.BookingPaymentResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func scrape(t *testing.T, e *prom.Exporter) string {
	rec := httptest.NewRecorder()
	e.Mux(nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}

func TestBusinessMetricsFromTheRealWorkflow(t *testing.T) {
	e, err := prom.New(func(err error) { t.Errorf("instrument: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	authorized := workflows.ChargeView{ChargeUUID: "ch-1", Status: "authorized", State: a55client.StateAuthorized}

	// Frictionless hold, captured by the booking system.
	res := runBooking(t, e, &gateway{authorize: authorized, readState: a55client.StateAuthorized}, input("BK-m1"),
		func(env *testsuite.TestWorkflowEnvironment) {
			env.UpdateWorkflow(workflows.UpdateCapture, "capture", &testsuite.TestUpdateCallback{
				OnReject: func(err error) { t.Errorf("capture rejected: %v", err) },
			}, workflows.CaptureRequest{})
		})
	if res.Status != workflows.StatusCaptured {
		t.Fatalf("booking 1 ended %s", res.Status)
	}

	// 3DS challenge passed (the read after the webhook says authorized), then
	// nobody captures: the deadline policy releases the hold.
	pending := workflows.ChargeView{ChargeUUID: "ch-2", Status: "pending", State: a55client.StatePending3DS, URL3DS: "https://3ds.example/c/2"}
	res = runBooking(t, e, &gateway{authorize: pending, readState: a55client.StateAuthorized}, input("BK-m2"),
		func(env *testsuite.TestWorkflowEnvironment) {
			env.SignalWorkflow(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: "ch-2", Status: "authorized"})
		})
	if res.Status != workflows.StatusVoided {
		t.Fatalf("booking 2 ended %s", res.Status)
	}

	// Authorized, then cancelled by the booking system.
	res = runBooking(t, e, &gateway{authorize: authorized, readState: a55client.StateAuthorized}, input("BK-m3"),
		func(env *testsuite.TestWorkflowEnvironment) {
			env.UpdateWorkflow(workflows.UpdateCancel, "cancel", &testsuite.TestUpdateCallback{
				OnReject: func(err error) { t.Errorf("cancel rejected: %v", err) },
			}, workflows.CancelRequest{Reason: "guest cancelled"})
		})
	if res.Status != workflows.StatusVoided {
		t.Fatalf("booking 3 ended %s", res.Status)
	}

	// Declined.
	declined := workflows.ChargeView{ChargeUUID: "ch-4", Status: "error", State: a55client.StateFailed}
	res = runBooking(t, e, &gateway{authorize: declined, declined: true}, input("BK-m4"), nil)
	if res.Status != workflows.StatusDeclined {
		t.Fatalf("booking 4 ended %s", res.Status)
	}

	// Authorized, then A55 reports a dispute on the hold: a person decides.
	res = runBooking(t, e, &gateway{authorize: authorized, readState: a55client.StateDisputed}, input("BK-m5"),
		func(env *testsuite.TestWorkflowEnvironment) {
			env.SignalWorkflow(workflows.SignalChargeChanged, workflows.ChargeChangedSignal{ChargeUUID: "ch-1", Status: "chargeback"})
			env.RegisterDelayedCallback(func() {
				env.UpdateWorkflow(workflows.UpdateResolve, "resolve", &testsuite.TestUpdateCallback{
					OnReject: func(err error) { t.Errorf("resolve rejected: %v", err) },
				}, workflows.ResolveRequest{Action: workflows.ResolveMarkReleased, Who: "ana", Why: "released in A55's dashboard"})
			}, time.Hour)
		})
	if res.Status != workflows.StatusVoided {
		t.Fatalf("booking 5 ended %s", res.Status)
	}

	// Captured by the booking system, then refunded in full: still a
	// capture, counted when it happened (the workflow stays open for its
	// refund window).
	var duringWindow string
	captureThenRefundAll(t, e, func() { duringWindow = scrape(t, e) })

	if want := `booking_payment_captures_total{by="request"} 2`; !strings.Contains(duringWindow, want) {
		t.Errorf("in the refund window after the second capture, /metrics lacks %s", want)
	}
	body := scrape(t, e)
	for _, want := range []string{
		`booking_payment_needs_attention_total 1`,
		`booking_payment_releases_total{by="operator"} 1`,
		`booking_payment_authorizations_total{outcome="authorized"} 4`,
		`booking_payment_authorizations_total{outcome="awaiting_3ds"} 1`,
		`booking_payment_authorizations_total{outcome="declined"} 1`,
		`booking_payment_threeds_challenges_total 1`,
		`booking_payment_threeds_outcomes_total{outcome="authorized"} 1`,
		`booking_payment_captures_total{by="request"} 2`,
		`booking_payment_releases_total{by="deadline"} 1`,
		`booking_payment_releases_total{by="request"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("booking_payment lines:\n%s", grep(body, "booking_payment"))
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A capture that A55 books for another amount than asked (an acquirer without
// partial capture) is counted and logged with the booking and both amounts;
// one booked as asked is not.
func TestCaptureAmountMismatchIsCountedAndLogged(t *testing.T) {
	e, err := prom.New(func(err error) { t.Errorf("instrument: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	authorized := workflows.ChargeView{ChargeUUID: "ch-9", Status: "authorized", State: a55client.StateAuthorized}
	capture := func(minor int64) func(env *testsuite.TestWorkflowEnvironment) {
		return func(env *testsuite.TestWorkflowEnvironment) {
			asked := money.Amount{Minor: minor, Currency: "BRL"}
			env.UpdateWorkflow(workflows.UpdateCapture, "capture", &testsuite.TestUpdateCallback{
				OnReject: func(err error) { t.Errorf("capture rejected: %v", err) },
			}, workflows.CaptureRequest{Amount: &asked})
		}
	}
	wholeHold := func(money.Amount) money.Amount { return money.Amount{Minor: 50000, Currency: "BRL"} }
	asAsked := func(asked money.Amount) money.Amount { return asked }

	var logs bytes.Buffer
	res := runBooking(t, e, &gateway{authorize: authorized, readState: a55client.StateAuthorized, captured: wholeHold},
		input("BK-full"), capture(32000), &logs)
	if res.Status != workflows.StatusCaptured || res.Captured.Minor != 50000 || res.CaptureRequested.Minor != 32000 {
		t.Fatalf("full-capture acquirer: %+v; want captured R$ 500,00 (A55's figure), asked R$ 320,00", res)
	}
	line := grep(logs.String(), "A55 captured another amount than asked")
	for _, want := range []string{`"booking_id":"BK-full"`, `"asked_minor":32000`, `"captured_minor":50000`, `"charge_uuid":"ch-9"`} {
		if !strings.Contains(line, want) {
			t.Errorf("the mismatch log line lacks %s: %q", want, line)
		}
	}
	res = runBooking(t, e, &gateway{authorize: authorized, readState: a55client.StateAuthorized, captured: asAsked},
		input("BK-part"), capture(32000))
	if res.Status != workflows.StatusCaptured || res.Captured.Minor != 32000 {
		t.Fatalf("partial capture: %+v", res)
	}
	// Captured by the booking system, then refunded in full: still a capture.
	captureThenRefundAll(t, e, func() {})

	body := scrape(t, e)
	if !strings.Contains(body, "booking_payment_capture_amount_mismatch_total 1\n") {
		t.Errorf("/metrics: want booking_payment_capture_amount_mismatch_total 1 (one mismatch, one capture as asked):\n%s",
			grep(body, "booking_payment"))
	}
}

// captureThenRefundAll runs a booking captured in full by the booking system
// and refunded in full an hour later (duringWindow runs half an hour in,
// inside its refund window).
func captureThenRefundAll(t *testing.T, e *prom.Exporter, duringWindow func()) {
	t.Helper()
	authorized := workflows.ChargeView{ChargeUUID: "ch-1", Status: "authorized", State: a55client.StateAuthorized}
	res := runBooking(t, e, &gateway{authorize: authorized, readState: a55client.StateAuthorized}, input("BK-m6"),
		func(env *testsuite.TestWorkflowEnvironment) {
			env.UpdateWorkflow(workflows.UpdateCapture, "capture", &testsuite.TestUpdateCallback{
				OnReject: func(err error) { t.Errorf("capture rejected: %v", err) },
			}, workflows.CaptureRequest{})
			env.RegisterDelayedCallback(duringWindow, 30*time.Minute)
			env.RegisterDelayedCallback(func() {
				env.UpdateWorkflow(workflows.UpdateRefund, "refund", &testsuite.TestUpdateCallback{
					OnReject: func(err error) { t.Errorf("refund rejected: %v", err) },
				}, workflows.RefundRequest{RefundID: "all", Amount: money.Amount{Minor: 50000, Currency: "BRL"}})
			}, time.Hour)
		})
	if res.Status != workflows.StatusRefunded {
		t.Fatalf("captured then refunded in full: ended %s", res.Status)
	}
}
