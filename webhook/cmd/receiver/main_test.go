package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/config"
)

const secret = "0123456789abcdef0123456789abcdef"

func TestSettingsFromEnvAndFlags(t *testing.T) {
	s, err := loadSettings(nil, config.Map{config.EnvWebhookRouteSecret: secret}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr != "127.0.0.1:8088" || s.MetricsAddr != "127.0.0.1:9465" || s.LogLevel != "info" || s.SigningSecret != nil {
		t.Errorf("defaults = %+v", s)
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
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var stderr strings.Builder
			code := run(context.Background(), tc.args, tc.env, &stderr)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q does not name %s", stderr.String(), tc.want)
			}
		})
	}
}
