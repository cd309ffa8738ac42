package config

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestA55MissingVariablesAreNamed(t *testing.T) {
	full := Map{
		EnvA55BaseURL:      "http://127.0.0.1:8099",
		EnvA55TokenURL:     "http://127.0.0.1:8099/oauth2/token",
		EnvA55ClientID:     "hotelpay",
		EnvA55ClientSecret: "s3cret",
	}
	load := func(env Map, args ...string) error {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var c A55
		RegisterA55(fs, env, &c)
		if err := fs.Parse(args); err != nil {
			return err
		}
		_, err := c.ClientConfig()
		return err
	}
	if err := load(full); err != nil {
		t.Fatalf("complete config rejected: %v", err)
	}
	for _, name := range []string{EnvA55BaseURL, EnvA55TokenURL, EnvA55ClientID, EnvA55ClientSecret} {
		env := Map{}
		for k, v := range full {
			if k != name {
				env[k] = v
			}
		}
		err := load(env)
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != name {
			t.Errorf("without %s: err = %v, want a config error naming it", name, err)
		}
	}
	bad := Map{}
	for k, v := range full {
		bad[k] = v
	}
	bad[EnvA55Vocabulary] = "klingon"
	if err := load(bad); err == nil || !strings.Contains(err.Error(), EnvA55Vocabulary) {
		t.Errorf("bad vocabulary: err = %v", err)
	}
	bad[EnvA55Vocabulary] = "seeds"
	bad[EnvA55BaseURL] = "ftp://example"
	if err := load(bad); err == nil || !strings.Contains(err.Error(), EnvA55BaseURL) {
		t.Errorf("ftp base URL: err = %v", err)
	}
	// A flag overrides the environment.
	if err := load(bad, "-a55-base-url", "https://a55.example"); err != nil {
		t.Errorf("flag did not override env: %v", err)
	}
}

func TestSecrets(t *testing.T) {
	if _, err := Secret(Map{}, EnvWebhookRouteSecret); err == nil || !strings.Contains(err.Error(), EnvWebhookRouteSecret) {
		t.Errorf("missing secret: %v", err)
	}
	if _, err := Secret(Map{EnvWebhookRouteSecret: "short"}, EnvWebhookRouteSecret); err == nil {
		t.Error("short secret accepted")
	}
	s, err := Secret(Map{EnvWebhookRouteSecret: strings.Repeat("k", 32)}, EnvWebhookRouteSecret)
	if err != nil || len(s) != 32 {
		t.Errorf("good secret: %v", err)
	}
	if s, err := OptionalSecret(Map{}, EnvWebhookSigningSecret); err != nil || s != nil {
		t.Errorf("absent optional secret: %v %v", s, err)
	}
	if _, err := OptionalSecret(Map{EnvWebhookSigningSecret: "x"}, EnvWebhookSigningSecret); err == nil {
		t.Error("short optional secret accepted")
	}
}

func TestScalars(t *testing.T) {
	if _, err := Bool(Map{EnvDevMode: "maybe"}, EnvDevMode, false); err == nil || !strings.Contains(err.Error(), EnvDevMode) {
		t.Errorf("bad bool: %v", err)
	}
	if v, _ := Bool(Map{EnvDevMode: "1"}, EnvDevMode, false); !v {
		t.Error("DEV_MODE=1 read as false")
	}
	if _, err := Int(Map{"N": "-3"}, "N", 1); err == nil {
		t.Error("negative int accepted")
	}
	if _, err := Duration(Map{"D": "5 minutes"}, "D", 0); err == nil {
		t.Error("bad duration accepted")
	}
	if err := CheckListenAddr(EnvMetricsAddr, "localhost"); err == nil || !strings.Contains(err.Error(), EnvMetricsAddr) {
		t.Errorf("addr without port: %v", err)
	}
	if err := CheckListenAddr(EnvMetricsAddr, "127.0.0.1:0"); err != nil {
		t.Errorf("port 0 rejected: %v", err)
	}
	if err := CheckHTTPURL(EnvWebhookBaseURL, "https://hooks.example/?x=1"); err == nil {
		t.Error("URL with query accepted")
	}
	if err := (Common{LogLevel: "loud"}).Check(); err == nil || !strings.Contains(err.Error(), EnvLogLevel) {
		t.Errorf("bad log level: %v", err)
	}
}

func TestTemporalClientOptionsFromEnv(t *testing.T) {
	env := Map{"TEMPORAL_ADDRESS": "127.0.0.1:7233", "TEMPORAL_NAMESPACE": "payments", "TEMPORAL_CONFIG_FILE": t.TempDir() + "/none.toml"}
	opts, err := TemporalClientOptions(env)
	if err != nil {
		t.Fatal(err)
	}
	if opts.HostPort != "127.0.0.1:7233" || opts.Namespace != "payments" {
		t.Errorf("options = %q %q", opts.HostPort, opts.Namespace)
	}
	env["TEMPORAL_ADDRESS"] = "no-port"
	if _, err := TemporalClientOptions(env); err == nil || !strings.Contains(err.Error(), "TEMPORAL_ADDRESS") {
		t.Errorf("bad address: %v", err)
	}
}
