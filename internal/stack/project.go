package stack

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/workflows"
)

// The project's binaries: main package → binary name in bin/.
const (
	BinSandbox  = "a55sandbox"
	BinCodec    = "codecserver"
	BinReceiver = "receiver"
	BinWorker   = "worker"
	BinCtl      = "bookingctl"
)

// MainPackages maps each binary to its package, relative to the repo root.
var MainPackages = map[string]string{
	BinSandbox:  "./a55sandbox/cmd/a55sandbox",
	BinCodec:    "./codecserver",
	BinReceiver: "./webhook/cmd/receiver",
	BinWorker:   "./worker",
	BinCtl:      "./starter/cmd/bookingctl",
}

// HealthPaths are the readiness URLs' paths per binary (the worker's is on
// its metrics address). The compose file's health checks use the same ones;
// deploy's test checks that they agree.
var HealthPaths = map[string]string{
	BinSandbox:  "/_sandbox/ledger",
	BinCodec:    "/login", // the sign-in page: no secret needed, proves the handler serves
	BinReceiver: "/healthz",
	BinWorker:   "/healthz",
}

// Addrs are the stack's listen addresses (host:port).
type Addrs struct {
	Temporal        string // frontend gRPC
	TemporalUI      string // Web UI
	Sandbox         string
	Codec           string
	Receiver        string
	WorkerMetrics   string
	ReceiverMetrics string
}

// DefaultAddrs are the fixed ports of the dev stack (make dev / make demo).
func DefaultAddrs() Addrs {
	return Addrs{
		Temporal:        "127.0.0.1:7233",
		TemporalUI:      "127.0.0.1:8233",
		Sandbox:         "127.0.0.1:8055",
		Codec:           "127.0.0.1:8081",
		Receiver:        "127.0.0.1:8088",
		WorkerMetrics:   "127.0.0.1:9464",
		ReceiverMetrics: "127.0.0.1:9465",
	}
}

// FreeAddrs picks a free 127.0.0.1 port for each address, for tests that run
// side by side.
func FreeAddrs() (Addrs, error) {
	var a Addrs
	for _, p := range []*string{&a.Temporal, &a.TemporalUI, &a.Sandbox, &a.Codec, &a.Receiver, &a.WorkerMetrics, &a.ReceiverMetrics} {
		addr, err := FreeAddr()
		if err != nil {
			return Addrs{}, err
		}
		*p = addr
	}
	return a, nil
}

// Sandbox credentials (the sandbox's defaults).
const (
	SandboxClientID     = "sandbox-client"
	SandboxClientSecret = "sandbox-secret"
)

// Project runs the project's processes: the Temporal dev server (optional:
// tests may bring their own), the A55 sandbox, the codec server, the webhook
// receiver and the worker.
type Project struct {
	Root      string // repository root
	BinDir    string // where binaries are built; default Root/bin
	StateDir  string // generated secrets and keys (and the dev server's DB); e.g. Root/.dev
	LogDir    string // each process logs to LogDir/<name>.log; empty = no log files
	Addrs     Addrs
	Namespace string // default "default"

	// BuildFlags are extra go build flags for the binaries (e.g. -race).
	BuildFlags []string
	// SandboxArgs are extra a55sandbox flags (e.g. -hold-window 5s).
	SandboxArgs []string
	// ServerConfig are extra dev server dynamic config values (KEY=VALUE).
	ServerConfig []string
	// ServerMetricsPort is the dev server's Prometheus port on the frontend's
	// IP (0: a port the dev server picks and does not tell).
	ServerMetricsPort int
	// ExtraEnv adds or overrides variables per binary name.
	ExtraEnv map[string]map[string]string
	// Progress receives one line per step; nil = silent.
	Progress io.Writer

	secrets map[string]string
	group   Group
}

// Secret names the dev stack generates.
const (
	EnvWebhookRouteSecret   = "WEBHOOK_ROUTE_SECRET"
	EnvWebhookSigningSecret = "A55_WEBHOOK_SIGNING_SECRET"
	EnvCodecAuthToken       = "CODEC_AUTH_TOKEN"
	EnvPayloadKeyFile       = "PAYLOAD_KEY_FILE"
)

func (p *Project) binDir() string {
	if p.BinDir != "" {
		return p.BinDir
	}
	return filepath.Join(p.Root, "bin")
}

func (p *Project) namespace() string {
	if p.Namespace != "" {
		return p.Namespace
	}
	return "default"
}

// Bin is the path of a built binary.
func (p *Project) Bin(name string) string { return filepath.Join(p.binDir(), name) }

// PayloadKeyFile is where the payload encryption keys live.
func (p *Project) PayloadKeyFile() string { return filepath.Join(p.StateDir, "payload.keys") }

func (p *Project) progress(format string, args ...any) {
	if p.Progress != nil {
		fmt.Fprintf(p.Progress, format+"\n", args...)
	}
}

// Build compiles every binary the stack runs (and bookingctl) into BinDir.
func (p *Project) Build(ctx context.Context) error {
	var pkgs []string
	for _, name := range []string{BinSandbox, BinCodec, BinReceiver, BinWorker, BinCtl} {
		pkgs = append(pkgs, MainPackages[name])
	}
	p.progress("building %d binaries into %s", len(pkgs), p.binDir())
	return BuildWith(ctx, p.Root, p.binDir(), p.BuildFlags, pkgs...)
}

// Secrets generates (first run) or loads the stack's local secrets from
// StateDir: secrets.env (HMAC secrets, the codec token) and payload.keys.
func (p *Project) Secrets() (map[string]string, error) {
	if p.secrets != nil {
		return p.secrets, nil
	}
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		return nil, err
	}
	secret := func() (string, error) { return RandomSecret(32), nil }
	vals, err := LoadOrCreateEnvFile(filepath.Join(p.StateDir, "secrets.env"), map[string]Generator{
		EnvWebhookRouteSecret:   secret,
		EnvWebhookSigningSecret: secret,
		EnvCodecAuthToken:       secret,
	})
	if err != nil {
		return nil, err
	}
	if _, err := codec.EnsureKeyFile(p.PayloadKeyFile()); err != nil {
		return nil, fmt.Errorf("payload key file: %w", err)
	}
	vals[EnvPayloadKeyFile] = p.PayloadKeyFile()
	p.secrets = vals
	return vals, nil
}

// Group is the set of processes started so far.
func (p *Project) Group() *Group { return &p.group }

// Stop stops every process the project started, last started first.
func (p *Project) Stop() error { return p.group.Stop(10 * time.Second) }

// URLs of the running stack.
func (p *Project) SandboxURL() string  { return "http://" + p.Addrs.Sandbox }
func (p *Project) CodecURL() string    { return "http://" + p.Addrs.Codec }
func (p *Project) ReceiverURL() string { return "http://" + p.Addrs.Receiver }
func (p *Project) UIURL() string       { return "http://" + p.Addrs.TemporalUI }

// WorkflowUIURL links to one booking's workflow in the Web UI.
func (p *Project) WorkflowUIURL(bookingID string) string {
	return p.UIURL() + "/namespaces/" + p.namespace() + "/workflows/" + workflows.WorkflowID(bookingID)
}

func (p *Project) logWriter(name string) (io.Writer, error) {
	if p.LogDir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(p.LogDir, 0o700); err != nil {
		return nil, err
	}
	return os.OpenFile(filepath.Join(p.LogDir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
}

// StartDevServer starts bin/temporal with the project's search attributes, the
// codec server as the UI's codec endpoint, and dbFile as its SQLite store
// (empty: in memory).
func (p *Project) StartDevServer(ctx context.Context, dbFile string) (*Process, error) {
	log, err := p.logWriter("temporal")
	if err != nil {
		return nil, err
	}
	_, uiPort, err := net.SplitHostPort(p.Addrs.TemporalUI)
	if err != nil {
		return nil, fmt.Errorf("UI address %q: %w", p.Addrs.TemporalUI, err)
	}
	port, _ := strconv.Atoi(uiPort)
	d := DevServer{
		Binary: filepath.Join(p.Root, "bin", "temporal"), Addr: p.Addrs.Temporal, UIPort: port,
		DBFile: dbFile, Namespace: p.namespace(), SearchAttributes: workflows.SearchAttributeFlags, Log: log,
		CodecEndpoint: p.CodecURL(), DynamicConfig: p.ServerConfig, MetricsPort: p.ServerMetricsPort,
	}
	p.progress("starting the Temporal dev server on %s (UI %s)", p.Addrs.Temporal, p.UIURL())
	return d.Start(ctx, &p.group)
}

// start runs one of the project's binaries with env and waits for check.
func (p *Project) start(ctx context.Context, name string, args []string, env map[string]string, check Check) (*Process, error) {
	log, err := p.logWriter(name)
	if err != nil {
		return nil, err
	}
	env = maps.Clone(env)
	maps.Copy(env, p.ExtraEnv[name])
	proc, err := p.group.Start(Spec{Name: name, Path: p.Bin(name), Args: args, Env: env, Log: log})
	if err != nil {
		return nil, err
	}
	if err := proc.WaitReady(ctx, check); err != nil {
		return proc, err
	}
	p.progress("  %-12s ready (pid %d)", name, proc.Pid())
	return proc, nil
}

// temporalEnv is how every binary finds the Temporal frontend and the payload keys.
func (p *Project) temporalEnv() map[string]string {
	return map[string]string{
		"TEMPORAL_ADDRESS":   p.Addrs.Temporal,
		"TEMPORAL_NAMESPACE": p.namespace(),
		EnvPayloadKeyFile:    p.PayloadKeyFile(),
	}
}

// ClientEnv is the environment a Temporal client of this stack needs
// (bookingctl, a test's starter): the frontend, the namespace and the keys.
func (p *Project) ClientEnv() map[string]string { return p.temporalEnv() }

// StartSandbox starts the A55 sandbox.
func (p *Project) StartSandbox(ctx context.Context) (*Process, error) {
	s, err := p.Secrets()
	if err != nil {
		return nil, err
	}
	args := append([]string{"-addr", p.Addrs.Sandbox, "-public-url", p.SandboxURL()}, p.SandboxArgs...)
	// The signing secret goes through the environment: flags show in ps.
	env := map[string]string{"A55_SANDBOX_WEBHOOK_SIGNING_SECRET": s[EnvWebhookSigningSecret]}
	return p.start(ctx, BinSandbox, args, env, HTTPCheck(p.SandboxURL()+HealthPaths[BinSandbox]))
}

// StartCodec starts the codec server the Web UI decodes payloads with.
func (p *Project) StartCodec(ctx context.Context) (*Process, error) {
	s, err := p.Secrets()
	if err != nil {
		return nil, err
	}
	env := map[string]string{
		"CODEC_LISTEN_ADDR":  p.Addrs.Codec,
		EnvCodecAuthToken:    s[EnvCodecAuthToken],
		"CODEC_CORS_ORIGINS": p.UIURL() + "," + "http://localhost:" + portOf(p.Addrs.TemporalUI),
		EnvPayloadKeyFile:    p.PayloadKeyFile(),
		"LOG_LEVEL":          "info",
		// Loopback, single-user machine: the local UI decodes without a
		// sign-in (output is card-masked either way).
		"CODEC_TRUST_UI_ORIGINS": "1",
	}
	return p.start(ctx, BinCodec, nil, env, HTTPCheck(p.CodecURL()+HealthPaths[BinCodec]))
}

// StartReceiver starts the webhook receiver.
func (p *Project) StartReceiver(ctx context.Context) (*Process, error) {
	s, err := p.Secrets()
	if err != nil {
		return nil, err
	}
	env := p.temporalEnv()
	maps.Copy(env, map[string]string{
		"RECEIVER_ADDR":         p.Addrs.Receiver,
		"METRICS_ADDR":          p.Addrs.ReceiverMetrics,
		EnvWebhookRouteSecret:   s[EnvWebhookRouteSecret],
		EnvWebhookSigningSecret: s[EnvWebhookSigningSecret],
		"LOG_LEVEL":             "info",
	})
	return p.start(ctx, BinReceiver, nil, env, HTTPCheck(p.ReceiverURL()+HealthPaths[BinReceiver]))
}

// StartWorker starts the worker against the sandbox.
func (p *Project) StartWorker(ctx context.Context) (*Process, error) {
	s, err := p.Secrets()
	if err != nil {
		return nil, err
	}
	env := p.temporalEnv()
	maps.Copy(env, map[string]string{
		"A55_BASE_URL":        p.SandboxURL(),
		"A55_TOKEN_URL":       p.SandboxURL() + "/oauth2/token",
		"A55_CLIENT_ID":       SandboxClientID,
		"A55_CLIENT_SECRET":   SandboxClientSecret,
		"WEBHOOK_BASE_URL":    p.ReceiverURL(),
		EnvWebhookRouteSecret: s[EnvWebhookRouteSecret],
		"METRICS_ADDR":        p.Addrs.WorkerMetrics,
		"LOG_LEVEL":           "info",
	})
	return p.start(ctx, BinWorker, nil, env, HTTPCheck("http://"+p.Addrs.WorkerMetrics+HealthPaths[BinWorker]))
}

// StartApps starts the project's processes in dependency order (sandbox,
// codec server, receiver, worker), each once the previous one is ready. The
// Temporal frontend at Addrs.Temporal must already be serving.
func (p *Project) StartApps(ctx context.Context) error {
	if _, err := p.Secrets(); err != nil {
		return err
	}
	for _, start := range []func(context.Context) (*Process, error){
		p.StartSandbox, p.StartCodec, p.StartReceiver, p.StartWorker,
	} {
		if _, err := start(ctx); err != nil {
			return err
		}
	}
	return nil
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}
