// Command receiver accepts A55's charge webhooks and hands each to its
// booking's workflow: as the charge_changed update, which the workflow turns
// away without a history event when the webhook tells it nothing new, and as
// the durable charge_changed signal when the update cannot be delivered. It
// answers 2xx only once the workflow has the webhook (or has turned it away,
// or is over) and 5xx while Temporal is unavailable, so A55's retries carry
// the webhook over outages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/rs/zerolog"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/internal/config"
	"github.com/hotelpay/a55-temporal/internal/metrics/prom"
	"github.com/hotelpay/a55-temporal/internal/startup"
	"github.com/hotelpay/a55-temporal/internal/webhook"
	"github.com/hotelpay/a55-temporal/workflows/reconcile"
)

// settings is the receiver's whole configuration.
type settings struct {
	config.Common
	Addr          string
	MetricsAddr   string
	RouteSecret   []byte
	SigningSecret []byte
	MaxBodyBytes  int64
	SignalTimeout time.Duration
	UpdateTimeout time.Duration // 0 = signals only
}

func loadSettings(args []string, env config.Env, stderr io.Writer) (settings, error) {
	var s settings
	fs, err := config.NewFlagSet("receiver", env, stderr, &s.Common)
	if err != nil {
		return s, err
	}
	fs.StringVar(&s.Addr, "addr", config.Get(env, config.EnvReceiverAddr, "127.0.0.1:8088"), "webhook listen address ("+config.EnvReceiverAddr+")")
	fs.StringVar(&s.MetricsAddr, "metrics-addr", config.Get(env, config.EnvMetricsAddr, "127.0.0.1:9465"), "Prometheus /metrics and /healthz listen address ("+config.EnvMetricsAddr+")")
	fs.Int64Var(&s.MaxBodyBytes, "max-body-bytes", webhook.DefaultMaxBodyBytes, "largest webhook body accepted (413 above)")
	fs.DurationVar(&s.SignalTimeout, "signal-timeout", webhook.DefaultSignalTimeout, "how long to wait for Temporal to take the signal before answering 503")
	fs.DurationVar(&s.UpdateTimeout, "update-timeout", webhook.DefaultUpdateTimeout, "how long to wait for the workflow's answer to the charge_changed update before falling back to the signal (0 = signals only)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: receiver [flags]\n\nEnvironment: %s (required), %s (optional),\nTEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, PAYLOAD_KEYS or PAYLOAD_KEY_FILE.\n\nFlags:\n",
			config.EnvWebhookRouteSecret, config.EnvWebhookSigningSecret)
		fs.PrintDefaults()
	}
	if err := s.Common.Parse(fs, args); err != nil {
		return s, err
	}
	if err := config.CheckListenAddr(config.EnvReceiverAddr, s.Addr); err != nil {
		return s, err
	}
	if err := config.CheckListenAddr(config.EnvMetricsAddr, s.MetricsAddr); err != nil {
		return s, err
	}
	if s.MaxBodyBytes <= 0 {
		return s, config.Errorf("-max-body-bytes", "must be positive")
	}
	if s.SignalTimeout <= 0 {
		return s, config.Errorf("-signal-timeout", "must be positive")
	}
	if s.UpdateTimeout < 0 {
		return s, config.Errorf("-update-timeout", "must not be negative (0 sends signals only)")
	}
	if s.UpdateTimeout > 0 {
		if err := webhook.CheckDeliveryTime(s.UpdateTimeout, s.SignalTimeout); err != nil {
			return s, config.Errorf("-update-timeout", "plus -signal-timeout: %v", err)
		}
	}
	if s.RouteSecret, err = config.Secret(env, config.EnvWebhookRouteSecret); err != nil {
		return s, err
	}
	if s.SigningSecret, err = config.OptionalSecret(env, config.EnvWebhookSigningSecret); err != nil {
		return s, err
	}
	return s, nil
}

func main() { startup.Main(run) }

// run returns the exit code: 0 after a clean shutdown, 2 on bad
// configuration, 1 on a runtime failure.
var run = startup.Command[settings]{Name: "receiver", Component: "webhook-receiver", Load: loadSettings, Serve: serve}.Run

func serve(ctx context.Context, s settings, p *startup.Process, _ io.Writer) int {
	zl, exporter := p.Log, p.Exporter
	logger := slog.New(zerolog.NewSlogHandler(zl))

	// Lazy: the receiver starts while Temporal is down and answers 503 until
	// it is up; A55 retries those.
	tc, err := client.NewLazyClient(p.Temporal)
	if err != nil {
		zl.Error().Err(err).Msg("temporal client")
		return 1
	}
	defer tc.Close()

	health := func(ctx context.Context) error {
		_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
	var updater webhook.Updater
	if s.UpdateTimeout > 0 {
		updater = tc
	}
	rc, err := webhook.NewReceiver(webhook.Options{
		RouteSecret:   s.RouteSecret,
		SigningSecret: s.SigningSecret,
		Updater:       updater,
		Signaler:      tc,
		Logger:        logger,
		Metrics:       exporter.Handler(),
		MaxBodyBytes:  s.MaxBodyBytes,
		SignalTimeout: s.SignalTimeout,
		UpdateTimeout: s.UpdateTimeout,
		Health:        health,
		Reconcile: func(ctx context.Context) error {
			err := reconcile.Trigger(ctx, tc)
			var notFound *serviceerror.NotFound
			if errors.As(err, &notFound) {
				zl.Error().Msg("a live charge without an open workflow, and no reconciliation schedule (the worker's RECONCILE_WALLETS is not set): release it by hand")
				return nil
			}
			return err
		},
	})
	if err != nil {
		zl.Error().Err(err).Msg("receiver")
		return 1
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	metricsAddr, metricsDone, err := prom.Serve(ctx, s.MetricsAddr, exporter.Mux(health))
	if err != nil {
		zl.Error().Err(err).Str("addr", s.MetricsAddr).Msg("metrics listener")
		return 1
	}
	addr, done, err := prom.Serve(ctx, s.Addr, rc)
	if err != nil {
		zl.Error().Err(err).Str("addr", s.Addr).Msg("webhook listener")
		return 1
	}
	zl.Info().Str("addr", addr.String()).Str("metrics_addr", metricsAddr.String()).
		Bool("signature_required", len(s.SigningSecret) > 0).Bool("updates", updater != nil).Str("path", webhook.PathPrefix+"<workflow id>?token=...").
		Msg("receiver listening")

	code := 0
	select {
	case err := <-done:
		if err != nil {
			zl.Error().Err(err).Msg("webhook server")
			code = 1
		}
	case err := <-metricsDone:
		if err != nil {
			zl.Error().Err(err).Msg("metrics server")
			code = 1
		}
	case <-ctx.Done():
	}
	cancel()
	// prom.Serve shuts both servers down on ctx; wait for the webhook one to drain.
	select {
	case <-done:
	case <-time.After(6 * time.Second):
	}
	zl.Info().Msg("receiver stopped")
	return code
}
