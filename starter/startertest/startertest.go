// Package startertest runs the whole payment stack inside a test process: a
// Temporal dev server (the repository's bin/temporal), a worker with the real
// workflow and activities, the A55 sandbox and the webhook receiver. Tests of
// code that drives bookings (package starter, bookingctl, a booking system's
// own adapters) use it to talk to the real thing.
package startertest

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/cardvault/sqlitestore"
	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/webhook"
	"github.com/hotelpay/a55-temporal/worker"
	"github.com/hotelpay/a55-temporal/workflows"
)

// TestPayloadKeys is a fixed keyring for tests (never for real payloads).
const TestPayloadKeys = "test:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// Stack is a running payment stack.
type Stack struct {
	// Client talks to the dev server with the project's payload codec.
	Client client.Client
	// ClientOptions are Client's options (codec included), for
	// client.NewClientFromExisting.
	ClientOptions client.Options
	// HostPort is the dev server's frontend address.
	HostPort string
	// Sandbox is the A55 simulator the activities call.
	Sandbox *a55sandbox.Server
	// Wallet is a BRL wallet the sandbox knows.
	Wallet string
	// CardKeys is the card-key store the worker opens card tokens with
	// (starter.WithCardKeys); CardKeyStore is its CARD_KEY_STORE value.
	CardKeys     cardvault.Store
	CardKeyStore string
}

// RepoRoot is the directory holding go.mod, found from the working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = filepath.Dir(dir)
	}
}

// StartDevServer starts bin/temporal with the project's search attributes
// and a codec client; it fails the test when the binary is missing.
func StartDevServer(t testing.TB) *testsuite.DevServer {
	t.Helper()
	srv, _ := startDevServer(t)
	return srv
}

func startDevServer(t testing.TB) (*testsuite.DevServer, client.Options) {
	t.Helper()
	bin := filepath.Join(RepoRoot(t), "bin", "temporal")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the Temporal CLI is missing at %s (make builds it): %v", bin, err)
	}
	ring, err := codec.ParseKeys("test", TestPayloadKeys)
	if err != nil {
		t.Fatal(err)
	}
	dc, fc := codec.ClientOptions(ring)
	args := []string{"--log-level", "error"}
	for _, sa := range workflows.SearchAttributeFlags {
		args = append(args, "--search-attribute", sa)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  bin,
		ClientOptions: &client.Options{DataConverter: dc, FailureConverter: fc},
		ExtraArgs:     args,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv, client.Options{HostPort: srv.FrontendHostPort(), DataConverter: dc, FailureConverter: fc}
}

// Start runs the stack until the test ends.
func Start(t testing.TB) *Stack {
	t.Helper()
	srv, opts := startDevServer(t)
	c := srv.Client()
	routeSecret := []byte("startertest-route-secret-0123456789")
	rc, err := webhook.NewReceiver(webhook.Options{RouteSecret: routeSecret, Signaler: c, Updater: c})
	if err != nil {
		t.Fatal(err)
	}
	hooks := httptest.NewServer(rc)
	t.Cleanup(hooks.Close)
	sandbox := a55sandbox.Start(t, a55sandbox.Config{WebhookRetryScale: 0.0001})
	a55, err := a55client.New(a55client.Config{BaseURL: sandbox.URL, TokenURL: sandbox.TokenURL(),
		ClientID: "sandbox-client", ClientSecret: "sandbox-secret"})
	if err != nil {
		t.Fatal(err)
	}
	keysFile := filepath.Join(t.TempDir(), "cardkeys.db")
	keys, err := sqlitestore.Open(context.Background(), keysFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = keys.Close() })
	w := sdkworker.New(c, workflows.TaskQueue, sdkworker.Options{})
	acts := activities.New(a55, activities.Config{WebhookBaseURL: hooks.URL, WebhookSecret: routeSecret, CardKeys: keys})
	worker.Register(w, acts)
	// The notifications' own worker (worker.New starts it with the other).
	notifier := worker.NewNotifier(c, worker.Tuning{}, worker.Deployment{}, acts)
	for _, w := range []sdkworker.Worker{w, notifier} {
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}
	return &Stack{Client: c, ClientOptions: opts, HostPort: srv.FrontendHostPort(), Sandbox: sandbox, Wallet: "00000000-0000-4000-8000-000000000001",
		CardKeys: keys, CardKeyStore: "sqlite:" + keysFile}
}
