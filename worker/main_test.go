package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/hotelpay/a55-temporal/config"
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
	}
}

func TestSettingsDefaultsAndOverrides(t *testing.T) {
	s, err := loadSettings(nil, baseEnv(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if s.MetricsAddr != "127.0.0.1:9464" || s.MaxConcurrentActivities != 50 || s.ActivityPollers != 2 || s.StopTimeout != 30*time.Second {
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
			if strings.Contains(stderr.String(), "client-secret") || strings.Contains(stderr.String(), routeSecret) {
				t.Errorf("stderr leaks a secret: %q", stderr.String())
			}
		})
	}
}

func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("go.mod not found")
		}
		dir = filepath.Dir(dir)
	}
}

// TestWorkerServesHealthAndMetricsAndStopsCleanly runs the real process
// function against a dev server: /healthz turns 200 once polling, /metrics
// carries the SDK's metrics, and a stop signal ends it with exit 0.
func TestWorkerServesHealthAndMetricsAndStopsCleanly(t *testing.T) {
	bin := filepath.Join(repoRoot(t), "bin", "temporal")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the Temporal CLI is missing at %s (make builds it): %v", bin, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{ExistingPath: bin, LogLevel: "error", ClientOptions: &client.Options{}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	env := baseEnv()
	env["TEMPORAL_ADDRESS"] = srv.FrontendHostPort()
	env[config.EnvMetricsAddr] = "127.0.0.1:0"
	pr, pw := io.Pipe()
	runCtx, stop := context.WithCancel(ctx)
	exit := make(chan int, 1)
	go func() {
		exit <- run(runCtx, nil, env, pw, io.Discard)
		pw.Close()
	}()

	var metricsAddr string
	lines := bufio.NewScanner(pr)
	for metricsAddr == "" && lines.Scan() {
		var line map[string]any
		if json.Unmarshal(lines.Bytes(), &line) == nil {
			if a, ok := line["metrics_addr"].(string); ok {
				metricsAddr = a
			}
		}
	}
	go io.Copy(io.Discard, pr) // keep the logger unblocked
	if metricsAddr == "" {
		t.Fatal("the worker never logged its metrics address")
	}
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
	if code, body := get("/metrics"); code != http.StatusOK || !strings.Contains(body, "temporal_") {
		t.Errorf("/metrics = %d without SDK metrics:\n%.2000s", code, body)
	}
	stop()
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("exit %d after a stop signal, want 0", code)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("worker did not stop")
	}
}
