package stack

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
)

// DevServer configures `temporal server start-dev`. The stack runs it in a
// process group of its own rather than through the SDK's
// testsuite.StartDevServer, which runs the same binary but leaves the
// process running when it does not become ready, and cannot say why.
type DevServer struct {
	Binary           string   // the Temporal CLI, e.g. <repo>/bin/temporal
	Addr             string   // frontend gRPC, e.g. 127.0.0.1:7233
	UIPort           int      // Web UI port on the same IP, e.g. 8233
	DBFile           string   // SQLite file; empty keeps everything in memory
	Namespace        string   // default "default"
	SearchAttributes []string // Name=Type, e.g. workflows.SearchAttributeFlags
	CodecEndpoint    string   // the UI's remote codec, e.g. http://127.0.0.1:8081; empty = none
	DynamicConfig    []string // KEY=VALUE (VALUE in JSON), e.g. system.forceSearchAttributesCacheRefreshOnRead=false
	MetricsPort      int      // Prometheus /metrics on Addr's IP; 0 = a free port the server picks
	LogLevel         string   // default "warn"
	Log              io.Writer
}

// Args is the dev server's command line (after the binary).
func (d DevServer) Args() ([]string, error) {
	host, port, err := net.SplitHostPort(d.Addr)
	if err != nil {
		return nil, fmt.Errorf("dev server address %q: %w", d.Addr, err)
	}
	ns := d.Namespace
	if ns == "" {
		ns = "default"
	}
	level := d.LogLevel
	if level == "" {
		level = "warn"
	}
	args := []string{"server", "start-dev", "--ip", host, "--port", port, "--namespace", ns, "--log-level", level}
	if d.UIPort > 0 {
		args = append(args, "--ui-port", strconv.Itoa(d.UIPort))
	} else {
		args = append(args, "--headless")
	}
	if d.DBFile != "" {
		args = append(args, "--db-filename", d.DBFile)
	}
	for _, sa := range d.SearchAttributes {
		args = append(args, "--search-attribute", sa)
	}
	if d.CodecEndpoint != "" {
		args = append(args, "--ui-codec-endpoint", d.CodecEndpoint)
	}
	if d.MetricsPort > 0 {
		args = append(args, "--metrics-port", strconv.Itoa(d.MetricsPort))
	}
	for _, kv := range d.DynamicConfig {
		args = append(args, "--dynamic-config-value", kv)
	}
	return args, nil
}

// UIURL is the Web UI's base URL ("" when headless).
func (d DevServer) UIURL() string {
	if d.UIPort <= 0 {
		return ""
	}
	host, _, _ := net.SplitHostPort(d.Addr)
	return "http://" + net.JoinHostPort(host, strconv.Itoa(d.UIPort))
}

// Start starts the dev server in g and waits until its frontend answers, the
// namespace exists and the UI (when enabled) serves.
func (d DevServer) Start(ctx context.Context, g *Group) (*Process, error) {
	args, err := d.Args()
	if err != nil {
		return nil, err
	}
	p, err := g.Start(Spec{Name: "temporal", Path: d.Binary, Args: args, Log: d.Log})
	if err != nil {
		return nil, fmt.Errorf("%w (build it with `make temporal`)", err)
	}
	ns := d.Namespace
	if ns == "" {
		ns = "default"
	}
	if err := p.WaitReady(ctx, TemporalCheck(d.Addr, ns)); err != nil {
		return p, err
	}
	if ui := d.UIURL(); ui != "" {
		if err := p.WaitReady(ctx, HTTPCheck(ui+"/")); err != nil {
			return p, err
		}
	}
	return p, nil
}

// TemporalCheck passes when the frontend at addr is serving and knows the namespace.
func TemporalCheck(addr, namespace string) Check {
	return func(ctx context.Context) error {
		c, err := client.DialContext(ctx, client.Options{HostPort: addr, Namespace: namespace, Logger: QuietLogger{}})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
		return err
	}
}

// QuietLogger is an SDK logger that drops everything: the SDK's connection
// logs while polling for readiness, and a test client's.
type QuietLogger struct{}

func (QuietLogger) Debug(string, ...any) {}
func (QuietLogger) Info(string, ...any)  {}
func (QuietLogger) Warn(string, ...any)  {}
func (QuietLogger) Error(string, ...any) {}

var _ log.Logger = QuietLogger{}
