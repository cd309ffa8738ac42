// Command worker runs the booking-payment workflow and its A55 activities on
// the booking-payments task queue (package worker), with JSON logs
// (redacted), Prometheus metrics and /healthz on the metrics port, and a
// graceful stop on SIGINT / SIGTERM.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/cardvault/cardstore"
	"github.com/hotelpay/a55-temporal/internal/buildinfo"
	"github.com/hotelpay/a55-temporal/internal/config"
	"github.com/hotelpay/a55-temporal/internal/metrics"
	"github.com/hotelpay/a55-temporal/internal/metrics/prom"
	"github.com/hotelpay/a55-temporal/internal/startup"
	"github.com/hotelpay/a55-temporal/worker"
	"github.com/hotelpay/a55-temporal/workflows"
	"github.com/hotelpay/a55-temporal/workflows/reconcile"
)

// Environment variables of the worker's tuning (flags override them).
const (
	EnvMaxConcurrentActivities    = "WORKER_MAX_CONCURRENT_ACTIVITIES"
	EnvMaxConcurrentWorkflowTasks = "WORKER_MAX_CONCURRENT_WORKFLOW_TASKS"
	EnvActivityPollers            = "WORKER_ACTIVITY_POLLERS"
	EnvWorkflowPollers            = "WORKER_WORKFLOW_POLLERS"
	EnvStopTimeout                = "WORKER_STOP_TIMEOUT"
	EnvStickyCacheSize            = "WORKER_STICKY_CACHE_SIZE"
	EnvDeploymentName             = "WORKER_DEPLOYMENT_NAME"
	EnvBuildID                    = "WORKER_BUILD_ID"
	EnvSetCurrent                 = "WORKER_SET_CURRENT"
	EnvConnectTimeout             = "TEMPORAL_CONNECT_TIMEOUT"
	EnvA55Timeout                 = "A55_TIMEOUT"
	EnvReconcileWallets           = "RECONCILE_WALLETS"
	EnvReconcileInterval          = "RECONCILE_INTERVAL"
	EnvMaxHold                    = "MAX_HOLD_MINOR"
	EnvMaxHoldByMerchant          = "MAX_HOLD_MINOR_BY_MERCHANT"
	// Notifications to booking systems: the URL every merchant's events go
	// to unless the merchant (or the booking's notification_url) has its
	// own, and the whsec_ secrets that sign them (secrets: environment only).
	EnvNotifyURL              = "NOTIFY_URL"
	EnvNotifyURLByMerchant    = "NOTIFY_URL_BY_MERCHANT"
	EnvNotifySecret           = "NOTIFY_SECRET"
	EnvNotifySecretByMerchant = "NOTIFY_SECRET_BY_MERCHANT"
)

// settings is the worker's whole configuration.
type settings struct {
	config.Common
	A55                config.A55
	A55Timeout         time.Duration
	MetricsAddr        string
	WebhookBaseURL     string
	WebhookRouteSecret []byte
	worker.Tuning
	ConnectTimeout time.Duration
	// Deployment is the worker's Worker Deployment version; SetCurrent
	// makes it the deployment's current version at start.
	Deployment worker.Deployment
	SetCurrent bool
	// Reconciliation: the wallets whose open charges are checked against
	// the open bookings, and how often (see package reconcile).
	ReconcileWallets  []string
	ReconcileInterval time.Duration
	HoldLimits        workflows.HoldLimits
	// CardKeyStore is the card-key store's connection string (a secret:
	// from the environment only).
	CardKeyStore string
	// Notifications: where each merchant's booking events go and their
	// signing secrets.
	Notifications activities.NotifyEndpoints
}

func loadSettings(args []string, env config.Env, stderr io.Writer) (settings, error) {
	var s settings
	fs, err := config.NewFlagSet("worker", env, stderr, &s.Common)
	if err != nil {
		return s, err
	}
	config.RegisterA55(fs, env, &s.A55)
	ints := []envFlag[int]{
		{&s.MaxConcurrentActivities, "max-concurrent-activities", EnvMaxConcurrentActivities, 50, "activities run at once (A55 calls in flight)"},
		{&s.MaxConcurrentWorkflowTasks, "max-concurrent-workflow-tasks", EnvMaxConcurrentWorkflowTasks, 100, "workflow tasks run at once"},
		{&s.ActivityPollers, "activity-pollers", EnvActivityPollers, worker.DefaultActivityPollers, "activity task pollers"},
		{&s.WorkflowPollers, "workflow-pollers", EnvWorkflowPollers, worker.DefaultWorkflowPollers, "workflow task pollers"},
		{&s.StickyCacheSize, "sticky-cache-size", EnvStickyCacheSize, worker.DefaultStickyCacheSize, "workflows kept in memory between their tasks (bounds the worker's memory whatever the number of open holds)"},
	}
	if err := defineEnvFlags(env, ints, config.Int, fs.IntVar); err != nil {
		return s, err
	}
	durs := []envFlag[time.Duration]{
		{&s.StopTimeout, "stop-timeout", EnvStopTimeout, 30 * time.Second, "on SIGTERM, how long running activities get to finish"},
		{&s.ConnectTimeout, "connect-timeout", EnvConnectTimeout, time.Minute, "how long to wait for Temporal at start-up"},
		{&s.A55Timeout, "a55-timeout", EnvA55Timeout, 30 * time.Second, "timeout of one HTTP call to A55 (at most 30s)"},
		{&s.ReconcileInterval, "reconcile-interval", EnvReconcileInterval, reconcile.DefaultInterval, "how often the reconciliation schedule runs"},
	}
	if err := defineEnvFlags(env, durs, config.Duration, fs.DurationVar); err != nil {
		return s, err
	}
	wallets := fs.String("reconcile-wallets", config.Get(env, EnvReconcileWallets, ""), "comma-separated A55 wallet UUIDs whose open charges the reconciliation checks; empty: no reconciliation schedule ("+EnvReconcileWallets+")")
	maxHold := fs.String("max-hold-minor", config.Get(env, EnvMaxHold, strconv.FormatInt(workflows.DefaultMaxHoldMinor, 10)), "largest hold of a merchant without its own maximum, minor units ("+EnvMaxHold+")")
	notifyURL := fs.String("notify-url", config.Get(env, EnvNotifyURL, ""), "URL booking events are POSTed to for merchants without their own ("+EnvNotifyURL+")")
	notifyURLBy := fs.String("notify-url-by-merchant", config.Get(env, EnvNotifyURLByMerchant, ""), "merchant_id=url,... each merchant's own notification URL ("+EnvNotifyURLByMerchant+")")
	maxHoldBy := fs.String("max-hold-minor-by-merchant", config.Get(env, EnvMaxHoldByMerchant, ""), "merchant_id=minor_units,... each merchant's own maximum hold ("+EnvMaxHoldByMerchant+")")
	fs.StringVar(&s.Deployment.Name, "deployment-name", config.Get(env, EnvDeploymentName, worker.DefaultDeploymentName), "Worker Deployment this worker belongs to ("+EnvDeploymentName+")")
	fs.StringVar(&s.Deployment.BuildID, "build-id", config.Get(env, EnvBuildID, ""), "this build's id in the deployment; default: from the build (link-time id, else git revision, else a digest of the executable) ("+EnvBuildID+")")
	setCurrent, err := config.Bool(env, EnvSetCurrent, true)
	if err != nil {
		return s, err
	}
	fs.BoolVar(&s.SetCurrent, "set-current", setCurrent, "make this build the deployment's current version at start; false: an operator promotes it (temporal worker deployment set-current-version) ("+EnvSetCurrent+")")
	fs.StringVar(&s.MetricsAddr, "metrics-addr", config.Get(env, config.EnvMetricsAddr, "127.0.0.1:9464"), "Prometheus /metrics and /healthz listen address ("+config.EnvMetricsAddr+")")
	fs.StringVar(&s.WebhookBaseURL, "webhook-base-url", config.Get(env, config.EnvWebhookBaseURL, ""), "public base URL of the webhook receiver as A55 sees it ("+config.EnvWebhookBaseURL+")")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: worker [flags]\n\nEnvironment (secrets only there): %s, %s, CARD_KEY_STORE (required);\nNOTIFY_SECRET, NOTIFY_SECRET_BY_MERCHANT (the booking events' whsec_ signing secrets);\nTEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*; PAYLOAD_KEYS or PAYLOAD_KEY_FILE.\n\nFlags (each also read from the variable in brackets):\n",
			config.EnvA55ClientSecret, config.EnvWebhookRouteSecret)
		fs.PrintDefaults()
	}
	if err := s.Common.Parse(fs, args); err != nil {
		return s, err
	}
	if err := s.A55.Check(); err != nil {
		return s, err
	}
	if err := config.CheckListenAddr(config.EnvMetricsAddr, s.MetricsAddr); err != nil {
		return s, err
	}
	if s.WebhookBaseURL != "" {
		if err := config.CheckHTTPURL(config.EnvWebhookBaseURL, s.WebhookBaseURL); err != nil {
			return s, err
		}
	}
	positive := map[string]int{
		EnvMaxConcurrentActivities: s.MaxConcurrentActivities, EnvMaxConcurrentWorkflowTasks: s.MaxConcurrentWorkflowTasks,
		EnvActivityPollers: s.ActivityPollers, EnvWorkflowPollers: s.WorkflowPollers,
		EnvStickyCacheSize: s.StickyCacheSize,
	}
	for name, v := range positive {
		if v < 1 {
			return s, config.Errorf(name, "must be at least 1 (got %d)", v)
		}
	}
	// The SDK requires two workflow pollers at least when sticky execution is on.
	if s.WorkflowPollers < 2 {
		return s, config.Errorf(EnvWorkflowPollers, "must be at least 2 (got %d)", s.WorkflowPollers)
	}
	if strings.TrimSpace(s.Deployment.Name) == "" {
		return s, config.Errorf(EnvDeploymentName, "must not be empty")
	}
	if s.Deployment.BuildID == "" {
		s.Deployment.BuildID = buildinfo.BuildID()
	}
	if s.A55Timeout <= 0 {
		return s, config.Errorf(EnvA55Timeout, "must be positive")
	}
	if s.A55Timeout > workflows.MaxA55Timeout {
		// An activity attempt must outlast the token request and the call,
		// or Temporal starts the next attempt while A55 works on this one.
		return s, config.Errorf(EnvA55Timeout, "must be at most %s, what the workflow's A55 activity attempts are sized for (got %s)", workflows.MaxA55Timeout, s.A55Timeout)
	}
	if s.WebhookRouteSecret, err = config.Secret(env, config.EnvWebhookRouteSecret); err != nil {
		return s, err
	}
	if s.ReconcileInterval < time.Minute {
		return s, config.Errorf(EnvReconcileInterval, "must be at least 1m (got %s)", s.ReconcileInterval)
	}
	for _, w := range strings.Split(*wallets, ",") {
		if w = strings.TrimSpace(w); w != "" {
			s.ReconcileWallets = append(s.ReconcileWallets, w)
		}
	}
	if s.HoldLimits, err = holdLimits(*maxHold, *maxHoldBy); err != nil {
		return s, err
	}
	if s.Notifications, err = notifyEndpoints(env, *notifyURL, *notifyURLBy); err != nil {
		return s, err
	}
	if s.CardKeyStore = config.Get(env, cardstore.EnvStore, ""); s.CardKeyStore == "" {
		return s, config.Errorf(cardstore.EnvStore, "is required: the card-key store (sqlite:<file> or postgres://user:password@host/database)")
	}
	return s, nil
}

// envFlag is a flag whose default comes from an environment variable.
type envFlag[T any] struct {
	p    *T
	name string
	env  string
	def  T
	help string
}

// defineEnvFlags defines each flag with define, its default read from its
// variable with read (def when unset) and the variable named in its help.
func defineEnvFlags[T any](env config.Env, flags []envFlag[T], read func(config.Env, string, T) (T, error), define func(*T, string, T, string)) error {
	for _, f := range flags {
		v, err := read(env, f.env, f.def)
		if err != nil {
			return err
		}
		define(f.p, f.name, v, f.help+" ("+f.env+")")
	}
	return nil
}

func main() { startup.Main(run) }

// run returns the exit code: 0 after a clean stop, 2 on bad configuration,
// 1 on a runtime failure.
var run = startup.Command[settings]{Name: "worker", Component: "worker", Load: loadSettings, Serve: serve}.Run

func serve(ctx context.Context, s settings, p *startup.Process, stderr io.Writer) int {
	zl, exporter, opts := p.Log, p.Exporter, p.Temporal
	opts.Identity = fmt.Sprintf("worker@%s/%d", hostname(), os.Getpid())
	a55cfg, err := s.A55.ClientConfig()
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// Keep one idle connection per concurrent activity: the default (2 per
	// host) makes most A55 calls open a new TCP connection.
	transport.MaxIdleConnsPerHost = s.MaxConcurrentActivities
	a55cfg.HTTPClient = &http.Client{Transport: &metrics.RoundTripper{Next: transport, Handler: exporter.Handler()}}
	a55cfg.Timeout = s.A55Timeout
	a55, err := a55client.New(a55cfg)
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}
	if s.WebhookBaseURL == "" {
		zl.Warn().Msg(config.EnvWebhookBaseURL + " is not set: charges carry no webhook_url and the workflow relies on its own reads")
	}

	// Metrics and /healthz come up first, so an orchestrator sees the worker
	// waiting for Temporal rather than nothing at all.
	var running atomic.Bool
	var tc atomic.Pointer[client.Client]
	health := func(ctx context.Context) error {
		if !running.Load() {
			return errors.New("worker not polling yet")
		}
		c := tc.Load()
		if c == nil {
			return errors.New("no Temporal client")
		}
		_, err := (*c).CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
	serveCtx, stopServing := context.WithCancel(context.Background())
	defer stopServing()
	metricsAddr, metricsDone, err := prom.Serve(serveCtx, s.MetricsAddr, exporter.Mux(health))
	if err != nil {
		zl.Error().Err(err).Str("addr", s.MetricsAddr).Msg("metrics listener")
		return 1
	}
	zl.Info().Str("metrics_addr", metricsAddr.String()).Msg("metrics and /healthz listening")

	dialCtx, cancelDial := context.WithTimeout(ctx, s.ConnectTimeout)
	c, err := config.DialWithRetry(dialCtx, opts, func(err error) {
		zl.Warn().Err(err).Msg("waiting for Temporal")
	})
	cancelDial()
	if err != nil {
		if ctx.Err() != nil {
			return 0 // stopped while waiting
		}
		zl.Error().Err(err).Msg("temporal")
		return 1
	}
	defer c.Close()
	tc.Store(&c)

	cardKeys, err := cardstore.Open(ctx, s.CardKeyStore)
	if err != nil {
		zl.Error().Err(err).Msg("card-key store")
		return 1
	}
	defer cardKeys.Close()
	sweepCtx, stopSweep := context.WithCancel(context.Background())
	defer stopSweep()
	go cardvault.Sweep(sweepCtx, cardKeys, time.Minute, time.Now, func(msg string, kv ...any) { zl.Info().Fields(kv).Msg(msg) })
	zl.Info().Dur("max_key_lifetime", cardvault.MaxKeyLifetime).Msg("card-key store open; keys past their lifetime are destroyed every minute")

	worker.SetStickyCacheSize(s.Tuning) // process-wide: before the worker starts
	w := worker.New(c, s.Tuning, s.Deployment, activities.New(a55, activities.Config{
		WebhookBaseURL: s.WebhookBaseURL, WebhookSecret: s.WebhookRouteSecret, HoldLimits: s.HoldLimits, CardKeys: cardKeys,
		Notifications: s.Notifications}))
	worker.RegisterReconciliation(w, a55, c)
	if len(s.ReconcileWallets) == 0 {
		zl.Warn().Msg(EnvReconcileWallets + " is not set: no reconciliation schedule; a hold whose booking's workflow is terminated stays until it lapses")
	} else {
		// The schedule is the safety net behind the bookings, not their
		// owner: a server that cannot register it now (overloaded,
		// restarting) must not keep the worker from running the bookings
		// that own their holds. The first try is before the worker starts
		// (the usual case: registered when the worker is ready); after a
		// failure the worker starts and keeps trying.
		ensure := func(ctx context.Context) error {
			return reconcile.EnsureSchedule(ctx, c, s.ReconcileInterval, reconcile.Input{Wallets: s.ReconcileWallets})
		}
		registered := func() {
			zl.Info().Str("schedule_id", reconcile.ScheduleID).Dur("interval", s.ReconcileInterval).Strs("wallets", s.ReconcileWallets).Msg("reconciliation schedule registered")
		}
		if err := ensure(ctx); err != nil {
			zl.Error().Err(err).Msg("reconciliation schedule not registered: the worker starts and tries again")
			go func() {
				if keepTrying(ctx, time.Second, time.Minute, ensure, func(err error, next time.Duration) {
					zl.Error().Err(err).Dur("retry_in", next).Msg("reconciliation schedule not registered")
				}) == nil {
					registered()
				}
			}()
		} else {
			registered()
		}
	}
	if err := w.Start(); err != nil {
		zl.Error().Err(err).Msg("worker start")
		return 1
	}
	if s.SetCurrent {
		// A versioned worker gets tasks once its version is current.
		setCtx, cancelSet := context.WithTimeout(ctx, s.ConnectTimeout)
		err := worker.MakeCurrent(setCtx, c, s.Deployment)
		cancelSet()
		if err != nil {
			w.Stop()
			if ctx.Err() != nil {
				return 0 // stopped while waiting
			}
			zl.Error().Err(err).Msg("worker deployment")
			return 1
		}
	}
	running.Store(true)
	zl.Info().Str("deployment", s.Deployment.Name).Str("build_id", s.Deployment.BuildID).Bool("set_current", s.SetCurrent).
		Str("task_queue", workflows.TaskQueue).Str("namespace", namespaceOf(opts)).Str("temporal", hostPortOf(opts)).
		Int("max_concurrent_activities", s.MaxConcurrentActivities).Msg("worker started")

	code := 0
	select {
	case <-ctx.Done():
		zl.Info().Msg("stopping: waiting for running activities")
	case err := <-metricsDone:
		zl.Error().Err(err).Msg("metrics server stopped")
		code = 1
	}
	running.Store(false)
	w.Stop() // waits up to WorkerStopTimeout for running activities
	zl.Info().Msg("worker stopped")
	return code
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

func hostPortOf(opts client.Options) string {
	if opts.HostPort == "" {
		return client.DefaultHostPort
	}
	return opts.HostPort
}

func namespaceOf(opts client.Options) string {
	if opts.Namespace == "" {
		return client.DefaultNamespace
	}
	return opts.Namespace
}

// notifyEndpoints reads the notification URLs (NOTIFY_URL, the flag's
// NOTIFY_URL_BY_MERCHANT "merchant=url,...") and their signing secrets
// (NOTIFY_SECRET, NOTIFY_SECRET_BY_MERCHANT "merchant=whsec_...,...",
// environment only). A secret is a Standard Webhooks whsec_ secret; an
// error never echoes one.
func notifyEndpoints(env config.Env, url, urlByMerchant string) (activities.NotifyEndpoints, error) {
	var e activities.NotifyEndpoints
	if url = strings.TrimSpace(url); url != "" {
		if err := config.CheckHTTPURL(EnvNotifyURL, url); err != nil {
			return e, err
		}
		e.Default.URL = url
	}
	if secret := strings.TrimSpace(config.Get(env, EnvNotifySecret, "")); secret != "" {
		if err := activities.CheckNotifySecret(secret); err != nil {
			return e, config.Errorf(EnvNotifySecret, "%v", err)
		}
		e.Default.Secret = secret
	}
	set := func(variable, list string, apply func(ep *activities.NotifyEndpoint, v string) error) error {
		for _, pair := range strings.Split(list, ",") {
			if pair = strings.TrimSpace(pair); pair == "" {
				continue
			}
			merchant, v, ok := strings.Cut(pair, "=")
			merchant = strings.TrimSpace(merchant)
			if !ok || merchant == "" || strings.TrimSpace(v) == "" {
				return config.Errorf(variable, "an entry is not merchant_id=value (e.g. hotel-1=...)")
			}
			if e.Merchant == nil {
				e.Merchant = map[string]activities.NotifyEndpoint{}
			}
			ep := e.Merchant[merchant]
			if err := apply(&ep, strings.TrimSpace(v)); err != nil {
				return config.Errorf(variable, "merchant %s: %v", merchant, err)
			}
			e.Merchant[merchant] = ep
		}
		return nil
	}
	if err := set(EnvNotifyURLByMerchant, urlByMerchant, func(ep *activities.NotifyEndpoint, v string) error {
		if err := config.CheckHTTPURL(EnvNotifyURLByMerchant, v); err != nil {
			return errors.New("not an absolute http(s) URL")
		}
		ep.URL = v
		return nil
	}); err != nil {
		return e, err
	}
	// The value may itself hold "=" (base64 padding): Cut splits at the first.
	if err := set(EnvNotifySecretByMerchant, config.Get(env, EnvNotifySecretByMerchant, ""), func(ep *activities.NotifyEndpoint, v string) error {
		if err := activities.CheckNotifySecret(v); err != nil {
			return err
		}
		ep.Secret = v
		return nil
	}); err != nil {
		return e, err
	}
	return e, nil
}

// holdLimits parses MAX_HOLD_MINOR (every merchant) and
// MAX_HOLD_MINOR_BY_MERCHANT ("merchant=minor,..."), minor units.
func holdLimits(def, byMerchant string) (workflows.HoldLimits, error) {
	var l workflows.HoldLimits
	n, err := strconv.ParseInt(strings.TrimSpace(def), 10, 64)
	if err != nil || n < 1 {
		return l, config.Errorf(EnvMaxHold, "%q is not a positive number of minor units", def)
	}
	l.Default = n
	for _, pair := range strings.Split(byMerchant, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		merchant, minor, ok := strings.Cut(pair, "=")
		n, err := strconv.ParseInt(strings.TrimSpace(minor), 10, 64)
		if !ok || strings.TrimSpace(merchant) == "" || err != nil || n < 1 {
			return l, config.Errorf(EnvMaxHoldByMerchant, "%q is not merchant_id=minor_units (e.g. hotel-1=5000000)", pair)
		}
		if l.Merchant == nil {
			l.Merchant = map[string]int64{}
		}
		l.Merchant[strings.TrimSpace(merchant)] = n
	}
	return l, nil
}

// keepTrying runs op until it succeeds or ctx ends, pausing between tries
// (first, doubling up to most) and telling failed about each failure and
// the pause after it. It returns nil on success, ctx's error otherwise.
func keepTrying(ctx context.Context, first, most time.Duration, op func(context.Context) error, failed func(err error, next time.Duration)) error {
	pause := first
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := op(ctx)
		if err == nil {
			return nil
		}
		failed(err, pause)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, most)
	}
}
