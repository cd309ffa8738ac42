package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/config"
	"github.com/hotelpay/a55-temporal/internal/startup/startuptest"
	"github.com/hotelpay/a55-temporal/internal/webhook"
	"github.com/hotelpay/a55-temporal/workflows"
)

const secret = "0123456789abcdef0123456789abcdef"

func TestSettingsFromEnvAndFlags(t *testing.T) {
	s, err := loadSettings(nil, config.Map{config.EnvWebhookRouteSecret: secret}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr != "127.0.0.1:8088" || s.MetricsAddr != "127.0.0.1:9465" || s.LogLevel != "info" || s.SigningSecret != nil ||
		s.UpdateTimeout != webhook.DefaultUpdateTimeout || s.SignalTimeout != webhook.DefaultSignalTimeout {
		t.Errorf("defaults = %+v", s)
	}
	s, err = loadSettings([]string{"-update-timeout", "0"}, config.Map{config.EnvWebhookRouteSecret: secret}, io.Discard)
	if err != nil || s.UpdateTimeout != 0 {
		t.Errorf("-update-timeout 0 (signals only): %v, %+v", err, s)
	}
	env := config.Map{config.EnvWebhookRouteSecret: secret, config.EnvReceiverAddr: "127.0.0.1:9000", config.EnvMetricsAddr: "127.0.0.1:9001"}
	s, err = loadSettings([]string{"-addr", "127.0.0.1:9100"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr != "127.0.0.1:9100" || s.MetricsAddr != "127.0.0.1:9001" {
		t.Errorf("flag should win over env, env over default: %+v", s)
	}
}

func TestBadConfigurationExitsNonZeroNamingTheVariable(t *testing.T) {
	cases := map[string]struct {
		env  config.Map
		args []string
		want string
	}{
		"no route secret":      {config.Map{}, nil, config.EnvWebhookRouteSecret},
		"bad listen address":   {config.Map{config.EnvWebhookRouteSecret: secret, config.EnvReceiverAddr: "8088"}, nil, config.EnvReceiverAddr},
		"short signing secret": {config.Map{config.EnvWebhookRouteSecret: secret, config.EnvWebhookSigningSecret: "abc"}, nil, config.EnvWebhookSigningSecret},
		"bad log level":        {config.Map{config.EnvWebhookRouteSecret: secret, config.EnvLogLevel: "chatty"}, nil, config.EnvLogLevel},
		"bad dev mode":         {config.Map{config.EnvWebhookRouteSecret: secret, config.EnvDevMode: "perhaps"}, nil, config.EnvDevMode},
		"no payload key":       {config.Map{config.EnvWebhookRouteSecret: secret, "TEMPORAL_CONFIG_FILE": "/nonexistent/t.toml"}, nil, "PAYLOAD_KEYS"},
		"unknown flag":         {config.Map{config.EnvWebhookRouteSecret: secret}, []string{"-frobnicate"}, "frobnicate"},
		"negative update wait": {config.Map{config.EnvWebhookRouteSecret: secret}, []string{"-update-timeout", "-1s"}, "-update-timeout"},
		"zero signal wait":     {config.Map{config.EnvWebhookRouteSecret: secret}, []string{"-signal-timeout", "0s"}, "-signal-timeout"},
		"waits beyond A55's":   {config.Map{config.EnvWebhookRouteSecret: secret}, []string{"-update-timeout", "20s", "-signal-timeout", "10s"}, "-update-timeout"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var stderr strings.Builder
			code := run(context.Background(), tc.args, tc.env, io.Discard, &stderr)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q does not name %s", stderr.String(), tc.want)
			}
		})
	}
}

// TestReceiverAnswers503WhileTemporalIsDown runs the process function with
// Temporal unreachable: it still starts (lazy client), a valid webhook gets
// 503 so A55 retries, a forged one 401, and a stop ends it with exit 0.
func TestReceiverAnswers503WhileTemporalIsDown(t *testing.T) {
	env := config.Map{
		config.EnvWebhookRouteSecret: secret,
		config.EnvReceiverAddr:       "127.0.0.1:0",
		config.EnvMetricsAddr:        "127.0.0.1:0",
		"TEMPORAL_ADDRESS":           "127.0.0.1:1",
		"TEMPORAL_CONFIG_FILE":       "/nonexistent/t.toml",
		"PAYLOAD_KEYS":               "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
	r, line := startuptest.Start(t, context.Background(), "receiver", run, []string{"-signal-timeout", "1s", "-update-timeout", "1s"}, env,
		func(line map[string]any) bool { return line["message"] == "receiver listening" })
	addr, _ := line["addr"].(string)
	metricsAddr, _ := line["metrics_addr"].(string)
	updates := line["updates"]
	if updates != true {
		t.Errorf("the receiver logged updates=%v, want true by default", updates)
	}
	id := workflows.WorkflowIDPrefix + "BK-1"
	post := func(target string) int {
		resp, err := http.Post("http://"+addr+target, "application/json",
			strings.NewReader(`{"charge_uuid":"c-1","status":"confirmed"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(webhook.URL("", []byte(secret), id)); code != http.StatusServiceUnavailable {
		t.Errorf("valid webhook with Temporal down = %d, want 503", code)
	}
	if code := post(webhook.PathPrefix + id + "?token=forged"); code != http.StatusUnauthorized {
		t.Errorf("forged webhook = %d, want 401", code)
	}
	for _, a := range []string{addr, metricsAddr} {
		resp, err := http.Get("http://" + a + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s/healthz with Temporal down = %d, want 503", a, resp.StatusCode)
		}
	}
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The update failed, then the signal: one webhook, counted once.
	startuptest.Contains(t, "/metrics", string(body), `a55_webhooks_signalled_total{result="temporal_unavailable"} 1`, `a55_webhooks_rejected_total{reason="token"} 1`)
	r.Stop(t, 20*time.Second)
}
