// Command codecserver serves the payload codec to the Temporal Web UI and CLI:
// it decrypts payloads for authorised operators and masks card data in what
// it returns.
//
//	PAYLOAD_KEY_FILE=.dev/payload.keys CODEC_AUTH_TOKEN_FILE=.dev/codec.token codecserver
//	temporal workflow show -w BK-1 --codec-endpoint http://127.0.0.1:8081 --codec-auth "Bearer $(cat .dev/codec.token)"
//
// First run of the dev stack: codecserver -init-key-file .dev/payload.keys -init-token-file .dev/codec.token
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/cardvault/cardstore"
	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/internal/codecserver"
	"github.com/hotelpay/a55-temporal/internal/logging"
	"github.com/hotelpay/a55-temporal/internal/startup"
)

const (
	envListenAddr = "CODEC_LISTEN_ADDR"
	envTLSCert    = "CODEC_TLS_CERT"
	envTLSKey     = "CODEC_TLS_KEY"
	envLogLevel   = "LOG_LEVEL"
	envTrust      = "CODEC_TRUST_UI_ORIGINS"

	defaultListenAddr = "127.0.0.1:8081"
	defaultOrigins    = "http://localhost:8233,http://127.0.0.1:8233"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr, nil); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "codecserver:", err)
		}
		os.Exit(2)
	}
}

type config struct {
	listen        string
	origins       string
	maxBody       int64
	tlsCert       string
	tlsKey        string
	logLevel      string
	initKeyFile   string
	initTokenFile string
	trustOrigins  bool
}

func parseFlags(args []string, lookup func(string) (string, bool), usage io.Writer) (config, error) {
	env := func(name, fallback string) string {
		if v, ok := lookup(name); ok && v != "" {
			return v
		}
		return fallback
	}
	var cfg config
	fs := flag.NewFlagSet("codecserver", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&cfg.listen, "listen", env(envListenAddr, defaultListenAddr), "listen address (env "+envListenAddr+")")
	fs.StringVar(&cfg.origins, "cors-origins", env(codecserver.EnvCORSOrigins, defaultOrigins), "comma-separated Web UI origins allowed to call the server (env "+codecserver.EnvCORSOrigins+")")
	fs.Int64Var(&cfg.maxBody, "max-body-bytes", codecserver.DefaultMaxBodyBytes, "largest accepted request body")
	fs.StringVar(&cfg.tlsCert, "tls-cert", env(envTLSCert, ""), "TLS certificate file; serve HTTPS (env "+envTLSCert+")")
	fs.StringVar(&cfg.tlsKey, "tls-key", env(envTLSKey, ""), "TLS key file (env "+envTLSKey+")")
	fs.StringVar(&cfg.logLevel, "log-level", env(envLogLevel, "info"), "log level (env "+envLogLevel+")")
	fs.BoolVar(&cfg.trustOrigins, "trust-ui-origins", env(envTrust, "") == "1" || env(envTrust, "") == "true",
		"dev only: let the allowed UI origins decode without a token; needs a loopback -listen address (env "+envTrust+"=1)")
	fs.StringVar(&cfg.initKeyFile, "init-key-file", "", "create this payload key file (0600) if missing, then exit")
	fs.StringVar(&cfg.initTokenFile, "init-token-file", "", "create this codec token file (0600) if missing, then exit")
	fs.Usage = func() {
		fmt.Fprintf(usage, "Usage: codecserver [flags]\n\nKeys: %s or %s. Token: %s or %s. Card-key store (optional): %s.\n\n",
			codec.EnvKeys, codec.EnvKeyFile, codecserver.EnvAuthToken, codecserver.EnvAuthTokenFile, cardstore.EnvStore)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return cfg, errors.New("-tls-cert and -tls-key go together: set both or neither")
	}
	if cfg.trustOrigins && !isLoopback(cfg.listen) {
		return cfg, fmt.Errorf("-trust-ui-origins needs a loopback -listen address (127.0.0.1, ::1, localhost), not %q: any program that reaches the port can claim an Origin", cfg.listen)
	}
	if _, err := logging.ParseLevel(cfg.logLevel); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// run serves until ctx ends. onListen, when set, receives the bound address.
func run(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer, onListen func(addr string)) error {
	cfg, err := parseFlags(args, lookup, stderr)
	if err != nil {
		return err
	}
	if cfg.initKeyFile != "" || cfg.initTokenFile != "" {
		return initFiles(cfg, stdout)
	}
	log := logging.New(stderr, cfg.logLevel, "codecserver")

	ring, err := codec.KeyringFromLookup(lookup)
	if err != nil {
		return err
	}
	token, err := codecserver.AuthTokenFromLookup(lookup)
	if err != nil {
		return err
	}
	// Optional: with the card-key store, decoded histories say whether each
	// booking's card is destroyed.
	var cardKeys cardvault.Store
	if dsn, ok := lookup(cardstore.EnvStore); ok && dsn != "" {
		if cardKeys, err = cardstore.Open(ctx, dsn); err != nil {
			return err
		}
		defer cardKeys.Close()
	} else {
		log.Warn().Msg(cardstore.EnvStore + " is not set: card tokens show as \"key state unknown\"")
	}
	handler, err := codecserver.NewServer(codecserver.ServerOptions{
		Keyring:        ring,
		AuthToken:      token,
		AllowedOrigins: codecserver.ParseOrigins(cfg.origins),
		MaxBodyBytes:   cfg.maxBody,
		SecureCookie:   cfg.tlsCert != "",

		TrustAllowedOrigins: cfg.trustOrigins,
		CardKeys:            cardKeys,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("-listen %s: %w", cfg.listen, err)
	}
	srv := &http.Server{
		Handler:           accessLog(log, handler),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	log.Info().Str("addr", ln.Addr().String()).Str("active_key_id", ring.ActiveKeyID()).
		Strs("cors_origins", codecserver.ParseOrigins(cfg.origins)).Bool("tls", cfg.tlsCert != "").Bool("trust_ui_origins", cfg.trustOrigins).Msg("codec server listening")
	if onListen != nil {
		onListen(ln.Addr().String())
	}

	err = startup.ServeHTTP(ctx, srv, func() error {
		if cfg.tlsCert != "" {
			return srv.ServeTLS(ln, cfg.tlsCert, cfg.tlsKey)
		}
		return srv.Serve(ln)
	})
	log.Info().Msg("codec server stopped")
	return err
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func initFiles(cfg config, stdout io.Writer) error {
	if cfg.initKeyFile != "" {
		created, err := codec.EnsureKeyFile(cfg.initKeyFile)
		if err != nil {
			return fmt.Errorf("-init-key-file: %w", err)
		}
		report(stdout, "payload key file", cfg.initKeyFile, created)
	}
	if cfg.initTokenFile != "" {
		created, err := codecserver.EnsureTokenFile(cfg.initTokenFile)
		if err != nil {
			return fmt.Errorf("-init-token-file: %w", err)
		}
		report(stdout, "codec token file", cfg.initTokenFile, created)
	}
	return nil
}

func report(w io.Writer, what, path string, created bool) {
	if created {
		fmt.Fprintf(w, "created %s %s\n", what, path)
	} else {
		fmt.Fprintf(w, "kept existing %s %s\n", what, path)
	}
}

// accessLog records who called what and the outcome; never bodies or headers.
func accessLog(log zerolog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.Info().Str("method", r.Method).Str("path", r.URL.Path).Int("status", rec.status).
			Str("origin", r.Header.Get("Origin")).Str("namespace", r.Header.Get("X-Namespace")).
			Str("duration", strconv.FormatInt(time.Since(start).Milliseconds(), 10)+"ms").Msg("request")
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
