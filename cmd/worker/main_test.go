package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault/cardstore"
	"github.com/hotelpay/a55-temporal/cardvault/sqlitestore"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/config"
	"github.com/hotelpay/a55-temporal/internal/startup/startuptest"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/starter/startertest"
	"github.com/hotelpay/a55-temporal/worker"
	"github.com/hotelpay/a55-temporal/workflows"
)

const routeSecret = "0123456789abcdef0123456789abcdef"

func baseEnv() config.Map {
	return config.Map{
		config.EnvA55BaseURL:         "http://127.0.0.1:1",
		config.EnvA55TokenURL:        "http://127.0.0.1:1/oauth2/token",
		config.EnvA55ClientID:        "hotelpay",
		config.EnvA55ClientSecret:    "client-secret",
		config.EnvWebhookRouteSecret: routeSecret,
		"PAYLOAD_KEYS":               "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"TEMPORAL_CONFIG_FILE":       "/nonexistent/temporal.toml",
		cardstore.EnvStore:           "sqlite:/nonexistent/cardkeys.db",
	}
}

func TestSettingsDefaultsAndOverrides(t *testing.T) {
	s, err := loadSettings(nil, baseEnv(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if s.MetricsAddr != "127.0.0.1:9464" || s.MaxConcurrentActivities != 50 || s.ActivityPollers != 8 || s.WorkflowPollers != 16 || s.StopTimeout != 30*time.Second {
		t.Errorf("defaults = %+v", s)
	}
	env := baseEnv()
	env[EnvMaxConcurrentActivities] = "8"
	env[config.EnvMetricsAddr] = "127.0.0.1:9999"
	s, err = loadSettings([]string{"-max-concurrent-activities", "4"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxConcurrentActivities != 4 || s.MetricsAddr != "127.0.0.1:9999" {
		t.Errorf("flag should win over env, env over default: %+v", s)
	}
}

func TestStickyCacheSizeIsBoundedByDefault(t *testing.T) {
	s, err := loadSettings(nil, baseEnv(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if s.StickyCacheSize != worker.DefaultStickyCacheSize || s.StickyCacheSize >= 10_000 {
		t.Errorf("sticky cache %d: want the project's default %d, below the SDK's 10,000", s.StickyCacheSize, worker.DefaultStickyCacheSize)
	}
	env := baseEnv()
	env[EnvStickyCacheSize] = "250"
	if s, err = loadSettings(nil, env, io.Discard); err != nil || s.StickyCacheSize != 250 {
		t.Errorf("%s=250: %d, %v", EnvStickyCacheSize, s.StickyCacheSize, err)
	}
}

func TestReconciliationAndHoldLimitSettings(t *testing.T) {
	env := baseEnv()
	env[EnvReconcileWallets] = " w-1, w-2 ,"
	env[EnvReconcileInterval] = "30m"
	env[EnvMaxHoldByMerchant] = "hotel-1=5000000, car-2=900000"
	s, err := loadSettings(nil, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.ReconcileWallets, "|") != "w-1|w-2" || s.ReconcileInterval != 30*time.Minute {
		t.Errorf("reconciliation %q every %s", s.ReconcileWallets, s.ReconcileInterval)
	}
	if s.HoldLimits.Max("hotel-1") != 5_000_000 || s.HoldLimits.Max("car-2") != 900_000 || s.HoldLimits.Max("other") != workflows.DefaultMaxHoldMinor {
		t.Errorf("hold limits %+v", s.HoldLimits)
	}
}

func TestNotificationSettings(t *testing.T) {
	const secret1, secret2 = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_dGhlLWJvb2tpbmctc3lzdGVtcy10ZXN0LXNlY3JldA=="
	env := baseEnv()
	env[EnvNotifyURL] = "https://bookings.example/hooks"
	env[EnvNotifySecret] = secret1
	env[EnvNotifyURLByMerchant] = "car-2=https://cars.example/events"
	env[EnvNotifySecretByMerchant] = " hotel-1=" + secret2 + ","
	s, err := loadSettings(nil, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	n := s.Notifications
	if got := n.For("hotel-1"); got.URL != "https://bookings.example/hooks" || got.Secret != secret2 {
		t.Errorf("hotel-1: %+v", got)
	}
	if got := n.For("car-2"); got.URL != "https://cars.example/events" || got.Secret != secret1 {
		t.Errorf("car-2: %+v", got)
	}
	if s, err = loadSettings(nil, baseEnv(), io.Discard); err != nil || s.Notifications.For("any").URL != "" {
		t.Errorf("unset: %+v, %v", s.Notifications, err)
	}
}

func TestBadConfigurationExits2NamingTheVariable(t *testing.T) {
	cases := map[string]struct {
		unset, key, value string
		args              []string
	}{
		"no A55 base URL":     {unset: config.EnvA55BaseURL},
		"no A55 secret":       {unset: config.EnvA55ClientSecret},
		"no route secret":     {unset: config.EnvWebhookRouteSecret},
		"no payload key":      {unset: "PAYLOAD_KEYS"},
		"bad payload key":     {key: "PAYLOAD_KEYS", value: "k1:short"},
		"bad vocabulary":      {key: config.EnvA55Vocabulary, value: "legacy"},
		"bad webhook URL":     {key: config.EnvWebhookBaseURL, value: "hooks.example"},
		"zero activities":     {key: EnvMaxConcurrentActivities, value: "0"},
		"text pollers":        {key: EnvActivityPollers, value: "many"},
		"one workflow poller": {key: EnvWorkflowPollers, value: "1"},
		"bad stop timeout":    {key: EnvStopTimeout, value: "soon"},
		"bad metrics addr":    {key: config.EnvMetricsAddr, value: "9464"},
		"bad temporal addr":   {key: "TEMPORAL_ADDRESS", value: "temporal"},
		"unknown flag":        {args: []string{"-threads", "4"}},
		"reconcile too often": {key: EnvReconcileInterval, value: "10s"},
		"zero max hold":       {key: EnvMaxHold, value: "0"},
		"zero sticky cache":   {key: EnvStickyCacheSize, value: "0"},
		"bad merchant max":    {key: EnvMaxHoldByMerchant, value: "hotel-1:500"},
		"A55 timeout longer than an activity attempt allows": {key: EnvA55Timeout, value: "31s"},
		"no card-key store":                {unset: cardstore.EnvStore},
		"bad notification URL":             {key: EnvNotifyURL, value: "hooks.example"},
		"notification secret not whsec_":   {key: EnvNotifySecret, value: "0123456789abcdef0123456789abcdef"},
		"short notification secret":        {key: EnvNotifySecret, value: "whsec_c2hvcnQ="},
		"merchant secret without merchant": {key: EnvNotifySecretByMerchant, value: "=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		"merchant URL not a URL":           {key: EnvNotifyURLByMerchant, value: "hotel-1=ftp://x"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			env := baseEnv()
			delete(env, tc.unset)
			if tc.key != "" {
				env[tc.key] = tc.value
			}
			var stderr strings.Builder
			code := run(context.Background(), tc.args, env, io.Discard, &stderr)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", code, stderr.String())
			}
			want := tc.unset + tc.key
			if want == "" {
				want = "threads"
			}
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr %q does not name %s", stderr.String(), want)
			}
			if strings.Contains(stderr.String(), "client-secret") || strings.Contains(stderr.String(), routeSecret) ||
				strings.Contains(stderr.String(), "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") || strings.Contains(stderr.String(), "0123456789abcdef0123456789abcdef") {
				t.Errorf("stderr leaks a secret: %q", stderr.String())
			}
		})
	}
}

// TestWorkerRunsBookingsAndStopsCleanly runs the real process function
// against a dev server and the A55 sandbox: /healthz turns 200 once polling,
// a booking authorizes and captures through it, /metrics carries the SDK's,
// the A55 calls' and the business metrics, and a stop ends it with exit 0.
func TestWorkerRunsBookingsAndStopsCleanly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := startertest.StartDevServer(t)
	sandbox := a55sandbox.Start(t, a55sandbox.Config{})

	env := baseEnv()
	env["TEMPORAL_ADDRESS"] = srv.FrontendHostPort()
	env["PAYLOAD_KEYS"] = startertest.TestPayloadKeys
	env[config.EnvA55BaseURL] = sandbox.URL
	env[config.EnvA55TokenURL] = sandbox.TokenURL()
	env[config.EnvA55ClientID] = "sandbox-client"
	env[config.EnvA55ClientSecret] = "sandbox-secret"
	env[config.EnvMetricsAddr] = "127.0.0.1:0"
	keysFile := filepath.Join(t.TempDir(), "cardkeys.db")
	env[cardstore.EnvStore] = "sqlite:" + keysFile
	r, line := startuptest.Start(t, ctx, "worker", run, nil, env,
		func(line map[string]any) bool { _, ok := line["metrics_addr"].(string); return ok })
	metricsAddr := line["metrics_addr"].(string)
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + metricsAddr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	healthy := false
	for i := 0; i < 200 && !healthy; i++ {
		code, _ := get("/healthz")
		healthy = code == http.StatusOK
		if !healthy {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !healthy {
		t.Fatal("/healthz never became 200")
	}
	keys, err := sqlitestore.Open(ctx, keysFile)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	s := starter.New(srv.Client(), starter.WithCardKeys(keys))
	in := workflows.BookingPaymentInput{
		BookingID: "BK-worker-1", Kind: workflows.KindCarRental, MerchantID: "rental-co", WalletUUID: "00000000-0000-4000-8000-000000000001",
		Payer:             a55client.Payer{Name: "Ana Souza", Email: "ana@example.com"},
		Amount:            money.Amount{Minor: 120000, Currency: "BRL"},
		Card:              a55client.Card{HolderName: "ANA SOUZA", Number: "5500000000000004", ExpiryMonth: 12, ExpiryYear: 2099, CVV: "123"},
		ExpectedCaptureAt: time.Now().Add(48 * time.Hour),
		DeadlinePolicy:    workflows.DeadlinePolicy{Action: workflows.DeadlineRelease},
		RefundWindow:      time.Second, // the captured booking's workflow completes a second after the capture
	}
	if res, err := s.Authorize(ctx, in); err != nil || res.Status != workflows.StatusAuthorized {
		t.Fatalf("authorize through the worker = %+v, %v", res, err)
	}
	if _, err := s.Capture(ctx, in.BookingID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Result(ctx, in.BookingID); err != nil {
		t.Fatal(err)
	}
	// The SDK counts a completed workflow after the server has taken the
	// task's answer, which can be just after Result returns: read again
	// until it shows (the assertions below then check every metric).
	code, body := get("/metrics")
	for i := 0; i < 100 && code == http.StatusOK && !strings.Contains(body, "temporal_workflow_completed"); i++ {
		time.Sleep(100 * time.Millisecond)
		code, body = get("/metrics")
	}
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	startuptest.Contains(t, "/metrics", body,
		"temporal_workflow_completed",
		`a55_request_latency_seconds_count{class="ok",op="POST /api/v1/bank/wallet/charge"}`,
		`outcome="authorized"`,
		`booking_payment_captures_total{`)
	r.Stop(t, 45*time.Second)
}

// The reconciliation schedule's registration is tried again until it
// succeeds (seen: a dev server under load answered "Namespace default is
// not found" once, and the worker used to exit), with growing pauses.
func TestKeepTryingUntilTheScheduleIsRegistered(t *testing.T) {
	tries := 0
	var pauses []time.Duration
	err := keepTrying(context.Background(), time.Millisecond, 4*time.Millisecond, func(context.Context) error {
		tries++
		if tries < 5 {
			return errors.New("Namespace default is not found.")
		}
		return nil
	}, func(_ error, next time.Duration) { pauses = append(pauses, next) })
	if err != nil || tries != 5 {
		t.Fatalf("keepTrying = %v after %d tries, want success on the 5th", err, tries)
	}
	want := []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond}
	if fmt.Sprint(pauses) != fmt.Sprint(want) {
		t.Errorf("pauses %v, want %v", pauses, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := keepTrying(ctx, time.Millisecond, time.Millisecond, func(context.Context) error { return errors.New("down") }, func(error, time.Duration) {}); !errors.Is(err, context.Canceled) {
		t.Errorf("after the worker stopped: %v, want context.Canceled", err)
	}
}
