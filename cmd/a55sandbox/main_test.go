package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
)

func TestRunServesAndShutsDown(t *testing.T) {
	faults := filepath.Join(t.TempDir(), "faults.json")
	os.WriteFile(faults, []byte(`{"list":{"error_next":1,"error_statuses":[503]}}`), 0o600)
	env := map[string]string{
		"A55_SANDBOX_CLIENT_ID":   "env-client",
		"A55_SANDBOX_HOLD_WINDOW": "1h",
		"A55_SANDBOX_ADDR":        "127.0.0.1:1", // the command line wins
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *a55sandbox.Server, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-client-secret", "flag-secret", "-faults", "@" + faults, "-quiet",
			"-wallets", "11111111-1111-4111-8111-111111111111:mxn"}, func(k string) string { return env[k] },
			func(s *a55sandbox.Server) { ready <- s })
	}()
	var srv *a55sandbox.Server
	select {
	case srv = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	resp, err := http.PostForm(srv.TokenURL(), url.Values{"grant_type": {"client_credentials"}, "client_id": {"env-client"}, "client_secret": {"flag-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("credentials from env and flags: %d %v", resp.StatusCode, tok)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/bank/wallet/charges/?wallet_uuid=11111111-1111-4111-8111-111111111111", nil)
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	for _, want := range []int{503, 200} { // the faults file injects one 503
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("list: %d, want %d", resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no shutdown")
	}
}

func TestRunRejectsBadConfiguration(t *testing.T) {
	none := func(string) string { return "" }
	for name, args := range map[string][]string{
		"wallets":      {"-wallets", "nocurrency"},
		"faults json":  {"-faults", "{"},
		"faults file":  {"-faults", "@/nonexistent/faults.json"},
		"faults value": {"-faults", `{"teleport":{}}`, "-addr", "127.0.0.1:0"},
		"flag":         {"-no-such-flag"},
		"addr":         {"-addr", "256.0.0.1:99999"},
		"vocabulary":   {"-vocabulary", "confirmed", "-addr", "127.0.0.1:0"},
		"acquirer":     {"-acquirer", "full", "-addr", "127.0.0.1:0"},
	} {
		if err := run(context.Background(), args, none, nil); err == nil {
			t.Errorf("%s: accepted %v", name, args)
		}
	}
	bad := func(k string) string {
		if k == "A55_SANDBOX_HOLD_WINDOW" {
			return "a week"
		}
		return ""
	}
	if err := run(context.Background(), nil, bad, nil); err == nil {
		t.Error("bad env duration accepted")
	}
}

// The modes come from the environment as well as from flags.
func TestRunTakesTheModesFromTheEnvironment(t *testing.T) {
	env := map[string]string{"A55_SANDBOX_VOCABULARY": "public-docs", "A55_SANDBOX_ACQUIRER": "full-capture"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan *a55sandbox.Server, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-quiet"}, func(k string) string { return env[k] },
			func(s *a55sandbox.Server) { ready <- s })
	}()
	select {
	case srv := <-ready:
		if l := srv.Ledger(); l.Vocabulary != "public-docs" || l.Acquirer != "full-capture" {
			t.Errorf("ledger modes %q, %q; want public-docs, full-capture", l.Vocabulary, l.Acquirer)
		}
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
