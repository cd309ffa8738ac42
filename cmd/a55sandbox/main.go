// Command a55sandbox runs the A55 API simulator as a standalone HTTP server.
//
//	go run ./cmd/a55sandbox [flags]
//
// Every flag can also be set with an environment variable A55_SANDBOX_<FLAG>,
// upper case with '-' as '_' (e.g. A55_SANDBOX_HOLD_WINDOW=30s); a flag on the
// command line wins. SIGINT or SIGTERM shuts it down gracefully.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, nil)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "a55sandbox:", err)
		os.Exit(2)
	}
}

// run serves until ctx ends. getenv reads the A55_SANDBOX_* variables;
// ready, when not nil, receives the server once it listens.
func run(ctx context.Context, args []string, getenv func(string) string, ready func(*a55sandbox.Server)) error {
	fs := flag.NewFlagSet("a55sandbox", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8055", "listen address")
	clientID := fs.String("client-id", a55sandbox.DefaultClientID, "OAuth client_id accepted by /oauth2/token")
	clientSecret := fs.String("client-secret", a55sandbox.DefaultClientSecret, "OAuth client_secret accepted by /oauth2/token")
	tokenLifetime := fs.Duration("token-lifetime", time.Hour, "access token lifetime (expires_in)")
	wallets := fs.String("wallets", a55sandbox.DefaultWallet+":BRL,"+a55sandbox.SecondWallet+":BRL", "wallets as uuid:CURRENCY, comma separated")
	holdWindow := fs.Duration("hold-window", 7*24*time.Hour, "uncaptured authorizations lapse to canceled after this (negative: never)")
	settlement := fs.Duration("settlement-delay", 2*time.Second, "captured (confirmed) charges become paid after this (negative: never)")
	challengeTimeout := fs.Duration("challenge-timeout", 15*time.Minute, "an unanswered 3DS challenge becomes canceled after this (negative: never)")
	retryScale := fs.Float64("webhook-retry-scale", 1, "multiplies A55's webhook retry gaps (1m, 5m, 30m, 2h, 6h, 24h)")
	webhookTimeout := fs.Duration("webhook-timeout", 30*time.Second, "timeout of one webhook delivery attempt")
	signingSecret := fs.String("webhook-signing-secret", "", "sign webhooks (X-Webhook-Timestamp, X-Webhook-Signature = hex HMAC-SHA256 of \"<ts>.<body>\"); empty: unsigned")
	defaultWebhook := fs.String("default-webhook-url", "", "webhook URL for charges created without webhook_url")
	publicURL := fs.String("public-url", "", "base URL of url_3ds links (default http://<addr>)")
	seed := fs.Uint64("seed", 1, "seed of the random source (faults, last-digit-9 cards)")
	sweep := fs.Duration("sweep-interval", 100*time.Millisecond, "how often expiry, settlement and challenge timeouts are applied")
	faults := fs.String("faults", "", `initial faults as JSON, or @file, e.g. {"capture":{"error_rate":0.2},"webhook":{"duplicate_rate":0.5}}`)
	idemTTL := fs.Duration("idempotency-ttl", 24*time.Hour, "how long an Idempotency-Key is remembered")
	quiet := fs.Bool("quiet", false, "do not log requests")
	vocabulary := fs.String("vocabulary", a55sandbox.VocabularySeeds, "status words of the API: "+a55sandbox.VocabularySeeds+
		" (a hold is authorized, a captured hold confirmed) or "+a55sandbox.VocabularyPublicDocs+" (a hold is confirmed, a captured hold pre_captured)")
	acquirer := fs.String("acquirer", a55sandbox.AcquirerPartialCapture, "how captures book: "+a55sandbox.AcquirerPartialCapture+
		" (the amount asked, the rest released) or "+a55sandbox.AcquirerFullCapture+" (the whole hold whatever is asked)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: a55sandbox [flags]

Runs the A55 API simulator: POST /oauth2/token, /api/v1/bank/wallet/..., the 3DS
challenge page /3ds/challenge/{uuid}, and the admin endpoints /_sandbox/ledger,
/_sandbox/faults, /_sandbox/reset. Every flag may also come from the environment
as A55_SANDBOX_<FLAG> (e.g. A55_SANDBOX_WEBHOOK_SIGNING_SECRET); flags win.

`)
		fs.PrintDefaults()
	}

	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "A55_SANDBOX_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s: %w", name, err)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	if err := fs.Parse(args); err != nil {
		return err
	}

	cfg := a55sandbox.Config{
		ClientID: *clientID, ClientSecret: *clientSecret, TokenLifetime: *tokenLifetime,
		HoldWindow: *holdWindow, SettlementDelay: *settlement, ChallengeTimeout: *challengeTimeout,
		WebhookRetryScale: *retryScale, WebhookTimeout: *webhookTimeout, WebhookSigningSecret: *signingSecret,
		DefaultWebhookURL: *defaultWebhook, PublicURL: *publicURL, Seed: *seed, SweepInterval: *sweep,
		IdempotencyTTL: *idemTTL, Vocabulary: *vocabulary, Acquirer: *acquirer,
		Wallets: map[string]string{},
	}
	for _, w := range strings.Split(*wallets, ",") {
		id, cur, ok := strings.Cut(strings.TrimSpace(w), ":")
		if !ok || id == "" || cur == "" {
			return fmt.Errorf("-wallets: %q is not uuid:CURRENCY", w)
		}
		cfg.Wallets[id] = strings.ToUpper(cur)
	}
	if *faults != "" {
		text := []byte(*faults)
		if strings.HasPrefix(*faults, "@") {
			b, err := os.ReadFile((*faults)[1:])
			if err != nil {
				return fmt.Errorf("-faults: %w", err)
			}
			text = b
		}
		if err := json.Unmarshal(text, &cfg.Faults); err != nil {
			return fmt.Errorf("-faults: %w", err)
		}
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if !*quiet {
		cfg.Logger = logger
	}

	srv, err := a55sandbox.Listen(*addr, cfg)
	if err != nil {
		return err
	}
	if err := srv.SetFaults(cfg.Faults); err != nil {
		srv.Close()
		return fmt.Errorf("-faults: %w", err)
	}
	logger.Info("A55 sandbox listening", "url", srv.URL, "token_url", srv.TokenURL(), "client_id", cfg.ClientID,
		"admin", srv.URL+"/_sandbox/ledger")

	if ready != nil {
		ready(srv)
	}
	<-ctx.Done()
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
