// Command cardintake serves the card-intake endpoint (package
// cardvault/intake): booking systems in any language post a card and get a
// card token for the workflow's input. The card is sealed under a fresh key
// in the card-key store (CARD_KEY_STORE) and never logged.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hotelpay/a55-temporal/cardvault/cardstore"
	"github.com/hotelpay/a55-temporal/cardvault/intake"
	"github.com/hotelpay/a55-temporal/internal/logging"
	"github.com/hotelpay/a55-temporal/internal/startup"
)

// Environment variables.
const (
	EnvAddr  = "CARD_INTAKE_ADDR"  // listen address (default 127.0.0.1:8090)
	EnvToken = "CARD_INTAKE_TOKEN" // the bearer token booking systems present (secret, ≥ 16 characters)
	EnvLog   = "LOG_LEVEL"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.LookupEnv, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "cardintake:", err)
		os.Exit(2)
	}
}

// run serves until ctx ends; onListen, when set, receives the bound address.
func run(ctx context.Context, lookup func(string) (string, bool), logOut io.Writer, onListen func(string)) error {
	get := func(name, def string) string {
		if v, ok := lookup(name); ok && v != "" {
			return v
		}
		return def
	}
	level := get(EnvLog, "info")
	if _, err := logging.ParseLevel(level); err != nil {
		return err
	}
	log := logging.New(logOut, level, "cardintake")
	token := get(EnvToken, "")
	if len(token) < 16 {
		return errors.New(EnvToken + " is required (at least 16 characters: openssl rand -hex 32)")
	}
	store, err := cardstore.Open(ctx, get(cardstore.EnvStore, ""))
	if err != nil {
		return err
	}
	defer store.Close()
	h, err := intake.New(intake.Options{Store: store, Token: token, Logf: func(msg string, kv ...any) {
		log.Info().Fields(kv).Msg(msg)
	}})
	if err != nil {
		return err
	}
	addr := get(EnvAddr, "127.0.0.1:8090")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s %s: %w", EnvAddr, addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	log.Info().Str("addr", ln.Addr().String()).Msg("card intake listening (POST " + intake.Path + ")")
	if onListen != nil {
		onListen(ln.Addr().String())
	}
	return startup.ServeHTTP(ctx, srv, func() error { return srv.Serve(ln) })
}
