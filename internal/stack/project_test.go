package stack

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/internal/codecserver"
	"github.com/hotelpay/a55-temporal/internal/config"
)

// The secrets the dev stack generates are ones the binaries accept, and a
// second run reuses them (the dev server's database holds payloads
// encrypted with the first key).
func TestGeneratedSecretsSatisfyTheBinaries(t *testing.T) {
	state := filepath.Join(t.TempDir(), ".dev")
	p := &Project{Root: t.TempDir(), StateDir: state}
	s, err := p.Secrets()
	if err != nil {
		t.Fatal(err)
	}
	env := config.Map(s)
	if _, err := config.Secret(env, config.EnvWebhookRouteSecret); err != nil {
		t.Errorf("route secret: %v", err)
	}
	if _, err := config.Secret(env, config.EnvWebhookSigningSecret); err != nil {
		t.Errorf("signing secret: %v", err)
	}
	if _, err := codecserver.AuthTokenFromLookup(env.LookupEnv); err != nil {
		t.Errorf("codec token: %v", err)
	}
	ring, err := codec.KeyringFromFile(s[EnvPayloadKeyFile])
	if err != nil {
		t.Fatalf("payload key file: %v", err)
	}
	for _, f := range []string{"secrets.env", "payload.keys"} {
		st, err := os.Stat(filepath.Join(state, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", f, st.Mode().Perm())
		}
	}

	again, err := (&Project{Root: p.Root, StateDir: state}).Secrets()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range s {
		if again[k] != v {
			t.Errorf("%s changed on the second run", k)
		}
	}
	ring2, err := codec.KeyringFromFile(again[EnvPayloadKeyFile])
	if err != nil || ring2.ActiveKeyID() != ring.ActiveKeyID() {
		t.Fatalf("payload key changed on the second run: %v", err)
	}
}

func TestAddressesAndLinks(t *testing.T) {
	a, err := FreeAddrs()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, addr := range []string{a.Temporal, a.TemporalUI, a.TemporalMetrics, a.Sandbox, a.Codec, a.Receiver, a.WorkerMetrics, a.ReceiverMetrics} {
		if !strings.HasPrefix(addr, "127.0.0.1:") || seen[addr] {
			t.Fatalf("address %q is not a distinct loopback address (%+v)", addr, a)
		}
		seen[addr] = true
	}
	p := &Project{Addrs: DefaultAddrs()}
	if got, want := p.WorkflowUIURL("hotel-42"), "http://127.0.0.1:8233/namespaces/default/workflows/booking-hotel-42"; got != want {
		t.Fatalf("WorkflowUIURL = %s, want %s", got, want)
	}
	if p.ServerMetricsURL() != "" {
		t.Errorf("ServerMetricsURL = %q for the fixed ports, which leave the port to the dev server", p.ServerMetricsURL())
	}
	p.Addrs.TemporalMetrics = "127.0.0.1:9233"
	if got := p.ServerMetricsURL(); got != "http://127.0.0.1:9233/metrics" {
		t.Errorf("ServerMetricsURL = %s", got)
	}
	env := p.ClientEnv()
	if env["TEMPORAL_ADDRESS"] != "127.0.0.1:7233" || env["TEMPORAL_NAMESPACE"] != "default" || env[EnvPayloadKeyFile] == "" {
		t.Fatalf("ClientEnv = %v", env)
	}
}

// The dev-server stacks keep the embedded SQLite store; a production stack
// has none until its server's first start has run the compose file's
// cardkeys-db job (then the job's role on the stack's PostgreSQL), and
// opening it before then is an error, not a SQLite file.
func TestCardKeyStoreIsSQLiteOnlyOnDevServerStacks(t *testing.T) {
	dir := t.TempDir()
	dev := &Project{StateDir: dir}
	if got, want := dev.CardKeyStore(), "sqlite:"+filepath.Join(dir, "cardkeys.db"); got != want {
		t.Errorf("dev stack's CARD_KEY_STORE = %q, want %q", got, want)
	}
	prod := &Project{StateDir: dir, Server: Server{Prod: true}}
	if got := prod.CardKeyStore(); got != "" {
		t.Errorf("production stack's CARD_KEY_STORE before start = %q, want none", got)
	}
	if s, err := prod.OpenCardKeys(context.Background()); err == nil {
		_ = s.Close()
		t.Error("OpenCardKeys opened a store on a production stack not started")
	}
	if got := prod.ClientEnv()["CARD_KEY_STORE"]; got != "" {
		t.Errorf("production stack's client environment names store %q before start", got)
	}
}
