package stack

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/hotelpay/a55-temporal/cardvault/cardstore"
	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/workflows"
)

// The processes of the stack, by name: the dev server, and the project's
// binaries (binary name in bin/, main package cmd/<name>).
const (
	Temporal       = "temporal" // the Temporal CLI's dev server (bin/temporal)
	BinSandbox     = "a55sandbox"
	BinCodec       = "codecserver"
	BinReceiver    = "receiver"
	BinWorker      = "worker"
	BinCtl         = "bookingctl"
	BinDevstack    = "devstack"
	BinHealthcheck = "healthcheck" // the containers' health probe
	BinBench       = "bench"
	BinCardIntake  = "cardintake" // booking systems' card-intake endpoint (card tokens)
	// BinWorker2 is a second worker process (the BinWorker binary with its
	// own metrics address), for stacks that run two workers.
	BinWorker2 = "worker-2"
)

// binaryOf is the binary a process of the stack runs.
func binaryOf(name string) string {
	if name == BinWorker2 {
		return BinWorker
	}
	return name
}

// Commands are the project's binaries: every one has its main package in
// cmd/<name>, and nothing else is in cmd/.
var Commands = []string{BinSandbox, BinCodec, BinReceiver, BinWorker, BinCtl, BinDevstack, BinHealthcheck, BinBench, BinCardIntake}

// MainPackage is a binary's main package, relative to the repo root.
func MainPackage(name string) string { return "./cmd/" + name }

// AllApps are the long-running binaries of the whole stack, in the order
// they start (each after the previous one is ready).
var AllApps = []string{BinSandbox, BinCodec, BinReceiver, BinWorker}

// HealthPaths are the readiness URLs' paths per binary (the worker's is on
// its metrics address). The compose file's health checks use the same ones;
// deploy's test checks that they agree.
var HealthPaths = map[string]string{
	BinSandbox:  "/_sandbox/ledger",
	BinCodec:    "/login", // the sign-in page: no secret needed, proves the handler serves
	BinReceiver: "/healthz",
	BinWorker:   "/healthz",
	// Not started by the dev stack; its container's health check.
	BinCardIntake: "/healthz",
}

// Addrs are the stack's listen addresses (host:port).
type Addrs struct {
	Temporal        string // frontend gRPC
	TemporalUI      string // Web UI
	TemporalMetrics string // the dev server's Prometheus /metrics; empty: a port it picks and does not tell
	Sandbox         string
	Codec           string
	Receiver        string
	WorkerMetrics   string
	ReceiverMetrics string
	Worker2Metrics  string // BinWorker2's
	Postgres        string // the production stack's PostgreSQL (Server.Prod)
	BookingSystem   string // the booking system's notification endpoint (Project.Notify)
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
		BookingSystem:   "127.0.0.1:8091",
	}
}

// FreeAddrs picks a free 127.0.0.1 port for each address, for stacks that
// run side by side. Every port stays held until all are picked, so no two
// addresses get the same port (the kernel may hand a just-closed port out
// again: the sandbox and the codec server once got the same one).
func FreeAddrs() (Addrs, error) {
	var a Addrs
	for _, p := range a.all() {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return Addrs{}, err
		}
		defer l.Close()
		*p = l.Addr().String()
	}
	return a, nil
}

// uses reports whether one of the addresses is addr.
func (a *Addrs) uses(addr string) bool {
	for _, p := range a.all() {
		if *p == addr {
			return true
		}
	}
	return false
}

func (a *Addrs) all() []*string {
	return []*string{&a.Temporal, &a.TemporalUI, &a.TemporalMetrics, &a.Sandbox, &a.Codec, &a.Receiver, &a.WorkerMetrics, &a.ReceiverMetrics, &a.Worker2Metrics, &a.Postgres, &a.BookingSystem}
}

// owned are the addresses a process listens on, which a start on fresh
// ports picks again. The codec server has none: the dev server's UI is
// already pointed at its address when it starts.
func (a *Addrs) owned(name string) []*string {
	switch name {
	case Temporal:
		return []*string{&a.Temporal, &a.TemporalUI, &a.TemporalMetrics}
	case BinSandbox:
		return []*string{&a.Sandbox}
	case BinReceiver:
		return []*string{&a.Receiver, &a.ReceiverMetrics}
	case BinWorker:
		return []*string{&a.WorkerMetrics}
	case BinWorker2:
		return []*string{&a.Worker2Metrics}
	}
	return nil
}

// Sandbox credentials (the sandbox's defaults).
const (
	SandboxClientID     = "sandbox-client"
	SandboxClientSecret = "sandbox-secret"
)

// Server configures the Temporal server a Project runs: the CLI's dev
// server, or with Prod the compose file's topology (see ProdServer).
type Server struct {
	DBFile   string   // SQLite file; empty keeps everything in memory
	Headless bool     // no Web UI
	Config   []string // dynamic config values, KEY=VALUE (VALUE in JSON)
	// Prod runs the compose file's topology instead of the dev server: a
	// throwaway PostgreSQL cluster, the schema job, the real Temporal server
	// built from source at the compose file's version, the namespace job
	// (see prodserver.go). No Web UI: Headless is implied, DBFile unused.
	Prod bool
}

// Project runs the local stack: the Temporal dev server, then the project's
// binaries it is asked for (the A55 sandbox, the codec server, the webhook
// receiver, the worker), each a process of its own. The dev stack (make
// dev), the end-to-end, browser, security and fault suites and the bench
// all start their processes through it.
type Project struct {
	Root     string // repository root
	BinDir   string // where binaries are built; default Root/bin
	StateDir string // generated secrets and keys (and the dev server's DB); e.g. Root/.dev
	LogDir   string // each process logs to LogDir/<name>.log; empty = no log files
	// Addrs are the listen addresses. Left zero, Start picks free ports, and
	// a process that exits at start (another program took one of its ports
	// since) is started again on fresh ones.
	Addrs     Addrs
	Namespace string // default "default"

	// Apps are the binaries Start runs once the dev server serves, in this
	// order (AllApps: the whole stack; none: the dev server alone).
	Apps []string
	// Tools are binaries Build compiles besides the Apps, not started
	// (e.g. bookingctl).
	Tools []string
	// Binaries run an executable instead of BinDir/<name>, which Build then
	// leaves alone (e.g. a worker built from a patched copy of the tree).
	Binaries map[string]string
	// BuildFlags are extra go build flags for the binaries (e.g. -race).
	BuildFlags []string

	// Server configures the dev server.
	Server Server
	// SandboxArgs are extra a55sandbox flags (e.g. -hold-window 5s).
	SandboxArgs []string
	// ExtraEnv adds or overrides variables per binary name.
	ExtraEnv map[string]map[string]string
	// Notify runs a booking system's notification endpoint (BookingSystem,
	// in this process) before the apps and points the worker at it
	// (NOTIFY_URL, NOTIFY_SECRET).
	Notify bool
	// Progress receives one line per step; nil = silent.
	Progress io.Writer

	secrets  map[string]string
	dynamic  bool // Start picked the ports
	group    Group
	mu       sync.Mutex
	procs    map[string]*Process // the latest process of each name
	pids     map[string][]int    // every process started under each name
	prod     prodState
	logFiles map[string]*os.File
	bookings *BookingSystem // Notify's
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

// Bin is the path of a process's binary: Binaries[name], else
// BinDir/<its binary> (BinWorker2 runs the worker).
func (p *Project) Bin(name string) string {
	if path := p.Binaries[binaryOf(name)]; path != "" {
		return path
	}
	return filepath.Join(p.binDir(), binaryOf(name))
}

// TemporalBin is the Temporal CLI the dev server runs: Root/bin/temporal,
// built once by `make temporal`.
func (p *Project) TemporalBin() string { return filepath.Join(p.Root, "bin", "temporal") }

// checkTemporal says how to get the Temporal CLI (or, for a production
// stack, the server and PostgreSQL) when it is missing.
func (p *Project) checkTemporal() error {
	if p.Server.Prod {
		_, err := p.checkProd()
		return err
	}
	if !fileExists(p.TemporalBin()) {
		return fmt.Errorf("%s is missing: run `make temporal` first (make test does)", p.TemporalBin())
	}
	return nil
}

// PayloadKeyFile is where the payload encryption keys live.
func (p *Project) PayloadKeyFile() string { return filepath.Join(p.StateDir, "payload.keys") }

func (p *Project) progress(format string, args ...any) {
	if p.Progress != nil {
		fmt.Fprintf(p.Progress, format+"\n", args...)
	}
}

// Build compiles the Apps and Tools into BinDir with one `go build` (those
// in Binaries excepted). It first checks that the Temporal CLI is there:
// the stack cannot run without it, and a cold build takes minutes.
func (p *Project) Build(ctx context.Context) error {
	if err := p.checkTemporal(); err != nil {
		return err
	}
	var names []string
	for _, name := range append(append([]string(nil), p.Apps...), p.Tools...) {
		if name = binaryOf(name); p.Binaries[name] == "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	p.progress("building %d binaries into %s", len(names), p.binDir())
	return BuildBinaries(ctx, p.Root, p.binDir(), p.BuildFlags, names...)
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
		EnvNotifySecret:         NewNotifySecret,
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

// Group is the set of processes started so far (restarted ones included).
func (p *Project) Group() *Group { return &p.group }

// Stop stops every process the project started, last started first.
func (p *Project) Stop() error {
	err := p.group.Stop(10 * time.Second)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.logFiles {
		_ = f.Close()
	}
	p.logFiles = nil
	if p.bookings != nil {
		_ = p.bookings.Close()
		p.bookings = nil
	}
	if p.prod.pg != nil {
		p.prod.pg.Remove()
	}
	return err
}

// URLs of the running stack.
func (p *Project) SandboxURL() string  { return "http://" + p.Addrs.Sandbox }
func (p *Project) CodecURL() string    { return "http://" + p.Addrs.Codec }
func (p *Project) ReceiverURL() string { return "http://" + p.Addrs.Receiver }

// BookingSystem is the running notification endpoint (nil without Notify).
func (p *Project) BookingSystem() *BookingSystem { return p.bookings }

// BookingSystemSecret is the whsec_ secret the worker signs with and the
// booking system verifies with.
func (p *Project) BookingSystemSecret() string { return p.secrets[EnvNotifySecret] }
func (p *Project) UIURL() string               { return "http://" + p.Addrs.TemporalUI }

// ServerMetricsURL is the dev server's Prometheus endpoint ("" when its
// port was not chosen: see Addrs.TemporalMetrics).
func (p *Project) ServerMetricsURL() string {
	if p.Addrs.TemporalMetrics == "" {
		return ""
	}
	return "http://" + p.Addrs.TemporalMetrics + "/metrics"
}

// WorkflowUIURL links to one booking's workflow in the Web UI.
func (p *Project) WorkflowUIURL(bookingID string) string {
	return p.UIURL() + "/namespaces/" + p.namespace() + "/workflows/" + workflows.WorkflowID(bookingID)
}

// logWriter is LogDir/<name>.log, opened once (a restarted process appends).
func (p *Project) logWriter(name string) (io.Writer, error) {
	if p.LogDir == "" {
		return nil, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if f := p.logFiles[name]; f != nil {
		return f, nil
	}
	if err := os.MkdirAll(p.LogDir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(p.LogDir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if p.logFiles == nil {
		p.logFiles = map[string]*os.File{}
	}
	p.logFiles[name] = f
	return f, nil
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
// (bookingctl, a test's starter): the frontend, the namespace, the payload
// keys and the card-key store.
func (p *Project) ClientEnv() map[string]string {
	env := p.temporalEnv()
	env[cardstore.EnvStore] = p.CardKeyStore()
	return env
}

// CardKeyStore is the stack's card-key store (CARD_KEY_STORE), shared by the
// workers, the codec server and the starters: on a dev-server stack the
// embedded SQLite file in StateDir; on a production stack (Server.Prod)
// the compose file's, the cardkeys role's database on the stack's
// PostgreSQL ("" before the server's first start has run its job).
func (p *Project) CardKeyStore() string {
	if p.Server.Prod {
		p.prod.mu.Lock()
		defer p.prod.mu.Unlock()
		return p.prod.cardKeys
	}
	return "sqlite:" + p.CardKeyFile()
}

// CardKeyFile is the dev-server stacks' card-key store's SQLite file.
func (p *Project) CardKeyFile() string { return filepath.Join(p.StateDir, "cardkeys.db") }
