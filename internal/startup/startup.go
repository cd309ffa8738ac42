// Package startup is the process setup the long-running binaries (worker,
// receiver) share: a main that stops on SIGINT / SIGTERM, the exit code of a
// configuration error, and the JSON logger, Prometheus exporter and Temporal
// client options every run starts with.
package startup

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/internal/config"
	"github.com/hotelpay/a55-temporal/internal/logging"
	"github.com/hotelpay/a55-temporal/internal/metrics/prom"
)

// Run is a binary's body: it returns the exit code, 0 after a clean stop, 2
// on bad configuration, 1 on a runtime failure.
type Run func(ctx context.Context, args []string, env config.Env, stdout, stderr io.Writer) int

// Main runs run with the command line, the process environment and a context
// cancelled on SIGINT or SIGTERM, and exits with its code.
func Main(run Run) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], config.OS, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Process is what a run starts with.
type Process struct {
	Log      zerolog.Logger
	Exporter *prom.Exporter
	// Temporal: the client options (connection from the environment,
	// encrypting converters, the SDK logger and the exporter's handler).
	Temporal client.Options
}

// Settings is a binary's whole configuration, embedding config.Common.
type Settings interface {
	CommonSettings() config.Common
}

// Command is a long-running binary: its name (on stderr before a
// configuration error), its logger's component, how it loads its settings
// from the command line and the environment, and what it serves with them.
type Command[S Settings] struct {
	Name, Component string
	Load            func(args []string, env config.Env, stderr io.Writer) (S, error)
	// Serve runs until ctx ends or it fails, and returns the exit code.
	Serve func(ctx context.Context, s S, p *Process, stderr io.Writer) int
}

// Run is the command as a Run: it loads the settings, sets the process up
// (logger, metrics exporter, Temporal client options; see setup), serves and
// shuts the exporter down.
func (c Command[S]) Run(ctx context.Context, args []string, env config.Env, stdout, stderr io.Writer) int {
	s, err := c.Load(args, env, stderr)
	p, code := setup(c.Name, c.Component, s.CommonSettings(), err, env, stdout, stderr)
	if p == nil {
		return code
	}
	defer p.Close()
	return c.Serve(ctx, s, p, stderr)
}

// setup starts a run whose settings (with their common part c) loaded with
// settingsErr: it builds the logger (component names it in every line), the
// metrics exporter and the Temporal client options, and warns when dev mode
// generated a payload key. A nil Process means the run is over with the
// returned exit code: 0 after -h, 2 for a bad configuration (said on stderr,
// prefixed by name), 1 for a runtime failure (logged). Otherwise call Close
// when the run ends.
func setup(name, component string, c config.Common, settingsErr error, env config.Env, stdout, stderr io.Writer) (*Process, int) {
	if code, done := SettingsExit(name, settingsErr, stderr); done {
		return nil, code
	}
	zl := logging.New(stdout, c.LogLevel, component)
	exporter, err := prom.New(func(err error) { zl.Warn().Err(err).Msg("metric instrument") })
	if err != nil {
		zl.Error().Err(err).Msg("metrics")
		return nil, 1
	}
	p := &Process{Log: zl, Exporter: exporter}
	opts, devKey, err := config.Temporal{Env: env, DevMode: c.DevMode, Logger: logging.SDKLogger(zl), Metrics: exporter.Handler()}.ClientOptions()
	if err != nil {
		p.Close()
		fmt.Fprintln(stderr, name+":", err)
		return nil, 2
	}
	if devKey != "" {
		zl.Warn().Str("key_file", devKey).Msg("dev mode: payloads encrypted with a generated local key")
	}
	p.Temporal = opts
	return p, 0
}

// Close shuts the metrics exporter down, waiting 5s at the most.
func (p *Process) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.Exporter.Shutdown(ctx)
}
