// Package config reads the processes' configuration from the environment and
// from flags, flags winning. Every error names the variable it is about, so an
// operator knows what to fix without reading code.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/logging"
)

// Environment variable names shared by the worker, the receiver and the starter.
const (
	EnvA55BaseURL           = "A55_BASE_URL"
	EnvA55TokenURL          = "A55_TOKEN_URL"
	EnvA55ClientID          = "A55_CLIENT_ID"
	EnvA55ClientSecret      = "A55_CLIENT_SECRET"
	EnvA55Vocabulary        = "A55_VOCABULARY"
	EnvWebhookBaseURL       = "WEBHOOK_BASE_URL"
	EnvWebhookRouteSecret   = "WEBHOOK_ROUTE_SECRET"
	EnvWebhookSigningSecret = "A55_WEBHOOK_SIGNING_SECRET"
	EnvMetricsAddr          = "METRICS_ADDR"
	EnvReceiverAddr         = "RECEIVER_ADDR"
	EnvLogLevel             = "LOG_LEVEL"
	EnvDevMode              = "DEV_MODE"
)

// MinSecretBytes is the shortest routing secret accepted: 32 bytes, the
// size of the HMAC-SHA256 output it keys, so guessing it is pointless.
const MinSecretBytes = 32

// Error is a configuration error about one variable (or flag).
type Error struct {
	Var    string // the environment variable, e.g. WEBHOOK_ROUTE_SECRET
	Reason string
}

func (e *Error) Error() string { return "config: " + e.Var + ": " + e.Reason }

// Errorf builds an *Error.
func Errorf(variable, format string, args ...any) error {
	return &Error{Var: variable, Reason: fmt.Sprintf(format, args...)}
}

// Env looks a variable up; tests pass a map, processes os.LookupEnv.
type Env interface {
	LookupEnv(key string) (string, bool)
	Environ() []string
}

// OS is the process environment.
var OS Env = osEnv{}

type osEnv struct{}

func (osEnv) LookupEnv(k string) (string, bool) { return os.LookupEnv(k) }
func (osEnv) Environ() []string                 { return os.Environ() }

// Map is an Env backed by a map, for tests and for composing environments.
type Map map[string]string

func (m Map) LookupEnv(k string) (string, bool) { v, ok := m[k]; return v, ok }
func (m Map) Environ() []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

// Get returns the variable's value, or def when it is unset or empty.
func Get(env Env, name, def string) string {
	if v, ok := env.LookupEnv(name); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}

// Bool parses 1/0/true/false/yes/no (empty = def).
func Bool(env Env, name string, def bool) (bool, error) {
	v := Get(env, name, "")
	if v == "" {
		return def, nil
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, Errorf(name, "%q is not a boolean (use 1 or 0)", v)
}

// Int parses a non-negative integer (empty = def).
func Int(env Env, name string, def int) (int, error) {
	v := Get(env, name, "")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, Errorf(name, "%q is not a non-negative integer", v)
	}
	return n, nil
}

// Duration parses a Go duration such as 30s (empty = def).
func Duration(env Env, name string, def time.Duration) (time.Duration, error) {
	v := Get(env, name, "")
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, Errorf(name, "%q is not a duration such as 30s or 5m", v)
	}
	return d, nil
}

// CheckListenAddr checks a host:port listen address.
func CheckListenAddr(name, addr string) error {
	if addr == "" {
		return Errorf(name, "is required (host:port, e.g. 127.0.0.1:9464)")
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return Errorf(name, "%q is not host:port: %v", addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return Errorf(name, "%q has an invalid port", addr)
	}
	return nil
}

// CheckHTTPURL checks an absolute http(s) URL.
func CheckHTTPURL(name, raw string) error {
	if raw == "" {
		return Errorf(name, "is required (an absolute http(s) URL)")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Errorf(name, "%q is not an absolute http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Errorf(name, "%q must not carry a query or fragment", raw)
	}
	return nil
}

// Secret reads a required HMAC secret of at least MinSecretBytes bytes.
func Secret(env Env, name string) ([]byte, error) {
	v, _ := env.LookupEnv(name)
	if v == "" {
		return nil, Errorf(name, "is required (at least %d random bytes, e.g. `openssl rand -hex 32`)", MinSecretBytes)
	}
	if len(v) < MinSecretBytes {
		return nil, Errorf(name, "is too short (%d bytes; at least %d)", len(v), MinSecretBytes)
	}
	return []byte(v), nil
}

// OptionalSecret reads a secret that may be absent; when present it must be
// long enough.
func OptionalSecret(env Env, name string) ([]byte, error) {
	v, _ := env.LookupEnv(name)
	if v == "" {
		return nil, nil
	}
	if len(v) < 16 {
		return nil, Errorf(name, "is too short (%d bytes; at least 16)", len(v))
	}
	return []byte(v), nil
}

// Common is what every process reads.
type Common struct {
	LogLevel string
	DevMode  bool
}

// NewFlagSet is a long-running binary's flag set: usage and errors go to
// stderr, and the common settings are registered into c with their defaults
// from the environment. Parse it with Common.Parse.
func NewFlagSet(name string, env Env, stderr io.Writer, c *Common) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dev, err := Bool(env, EnvDevMode, false)
	if err != nil {
		return nil, err
	}
	fs.StringVar(&c.LogLevel, "log-level", Get(env, EnvLogLevel, "info"), "log level: debug, info, warn, error ("+EnvLogLevel+")")
	fs.BoolVar(&c.DevMode, "dev", dev, "development mode: allows a generated local payload key ("+EnvDevMode+"=1)")
	return fs, nil
}

// Parse parses the command line into fs (made by NewFlagSet for c), refuses
// positional arguments and checks the common settings.
func (c *Common) Parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return c.Check()
}

// CommonSettings returns c; a binary's settings embedding Common have it too.
func (c Common) CommonSettings() Common { return c }

// Check validates the common settings.
func (c Common) Check() error {
	if _, err := logging.ParseLevel(c.LogLevel); err != nil {
		return Errorf(EnvLogLevel, "%v", err)
	}
	return nil
}

// A55 is the gateway's configuration.
type A55 struct {
	BaseURL      string
	TokenURL     string
	ClientID     string
	ClientSecret string
	Vocabulary   string
}

// RegisterA55 binds the non-secret A55 settings to flags with env defaults.
// The client secret is read from the environment only: flags show in ps.
func RegisterA55(fs *flag.FlagSet, env Env, c *A55) {
	fs.StringVar(&c.BaseURL, "a55-base-url", Get(env, EnvA55BaseURL, ""), "A55 API base URL ("+EnvA55BaseURL+")")
	fs.StringVar(&c.TokenURL, "a55-token-url", Get(env, EnvA55TokenURL, ""), "A55 OAuth2 token URL ("+EnvA55TokenURL+")")
	fs.StringVar(&c.ClientID, "a55-client-id", Get(env, EnvA55ClientID, ""), "A55 client id ("+EnvA55ClientID+")")
	fs.StringVar(&c.Vocabulary, "a55-vocabulary", Get(env, EnvA55Vocabulary, "seeds"), "A55 field vocabulary: seeds or public-docs ("+EnvA55Vocabulary+")")
	c.ClientSecret, _ = env.LookupEnv(EnvA55ClientSecret)
}

// Check validates the A55 settings.
func (c A55) Check() error {
	if err := CheckHTTPURL(EnvA55BaseURL, c.BaseURL); err != nil {
		return err
	}
	if err := CheckHTTPURL(EnvA55TokenURL, c.TokenURL); err != nil {
		return err
	}
	if c.ClientID == "" {
		return Errorf(EnvA55ClientID, "is required")
	}
	if c.ClientSecret == "" {
		return Errorf(EnvA55ClientSecret, "is required (environment only, never a flag)")
	}
	if _, err := c.vocabulary(); err != nil {
		return err
	}
	return nil
}

func (c A55) vocabulary() (a55client.Vocabulary, error) {
	switch c.Vocabulary {
	case "", "seeds":
		return a55client.VocabularySeeds, nil
	case "public-docs":
		return a55client.VocabularyPublicDocs, nil
	}
	return 0, Errorf(EnvA55Vocabulary, "%q is not seeds or public-docs", c.Vocabulary)
}

// ClientConfig turns the settings into an a55client.Config (HTTPClient left for the caller).
func (c A55) ClientConfig() (a55client.Config, error) {
	if err := c.Check(); err != nil {
		return a55client.Config{}, err
	}
	v, _ := c.vocabulary()
	return a55client.Config{
		BaseURL:      c.BaseURL,
		TokenURL:     c.TokenURL,
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		Vocabulary:   v,
	}, nil
}

// TemporalClientOptions loads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_API_KEY, TEMPORAL_TLS_* (and an optional TOML profile) through the
// SDK's envconfig. The caller adds Logger, DataConverter, FailureConverter and
// MetricsHandler.
func TemporalClientOptions(env Env) (client.Options, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{EnvLookup: env})
	if err != nil {
		return client.Options{}, Errorf("TEMPORAL_*", "%v", err)
	}
	if opts.HostPort != "" {
		if _, _, err := net.SplitHostPort(opts.HostPort); err != nil {
			return client.Options{}, Errorf("TEMPORAL_ADDRESS", "%q is not host:port", opts.HostPort)
		}
	}
	return opts, nil
}

// IsConfigError reports whether err is a configuration error.
func IsConfigError(err error) bool {
	var ce *Error
	return errors.As(err, &ce)
}
