package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/cardvault/cardstore"
	"github.com/hotelpay/a55-temporal/cardvault/intake"
	"github.com/hotelpay/a55-temporal/internal/stack"
)

func TestConfigurationIsRequired(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"no token":       {cardstore.EnvStore: "sqlite:" + filepath.Join(t.TempDir(), "k.db")},
		"short token":    {EnvToken: "short", cardstore.EnvStore: "sqlite:" + filepath.Join(t.TempDir(), "k.db")},
		"no store":       {EnvToken: "0123456789abcdef0123"},
		"bad log level":  {EnvToken: "0123456789abcdef0123", EnvLog: "loud"},
		"unknown scheme": {EnvToken: "0123456789abcdef0123", cardstore.EnvStore: "mysql://u:secretpw@h/db"},
	} {
		lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		err := run(context.Background(), lookup, &strings.Builder{}, nil)
		if err == nil || strings.Contains(err.Error(), "secretpw") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestServesUntilStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	env := map[string]string{EnvToken: "0123456789abcdef0123", cardstore.EnvStore: "sqlite:" + filepath.Join(t.TempDir(), "k.db"), EnvAddr: "127.0.0.1:0"}
	addrc := make(chan string, 1)
	logs := &stack.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, logs, func(a string) { addrc <- a })
	}()
	addr := <-addrc
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+intake.Path, strings.NewReader(
		`{"booking_id":"BK-1","card":{"holder_name":"ANA CMD","number":"4111111111111111","expiry_month":12,"expiry_year":2099,"cvv":"123"}}`))
	req.Header.Set("Authorization", "Bearer "+env[EnvToken])
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if out := logs.String(); !strings.Contains(out, "card key created") || strings.Contains(out, "4111111111111111") || strings.Contains(out, "ANA CMD") {
		t.Errorf("log: %s", out)
	}
}
