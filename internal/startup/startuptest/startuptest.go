// Package startuptest runs a binary's startup.Run in a test: in the
// background, its JSON log read until the line the test waits for, then
// stopped as SIGTERM would.
package startuptest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/config"
	"github.com/hotelpay/a55-temporal/internal/startup"
)

// Running is a run started by Start.
type Running struct {
	name string
	stop context.CancelFunc
	exit chan int
}

// Start runs run(ctx, args, env) in the background, stderr discarded, and
// reads its log until a JSON line for which want is true, which it returns
// (with the rest of the log discarded); it fails the test when the run logs
// no such line. Stop the run with Stop.
func Start(t testing.TB, ctx context.Context, name string, run startup.Run, args []string, env config.Env, want func(line map[string]any) bool) (*Running, map[string]any) {
	t.Helper()
	ctx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	r := &Running{name: name, stop: stop, exit: make(chan int, 1)}
	pr, pw := io.Pipe()
	go func() {
		r.exit <- run(ctx, args, env, pw, io.Discard)
		pw.Close()
	}()
	var found map[string]any
	lines := bufio.NewScanner(pr)
	for found == nil && lines.Scan() {
		var line map[string]any
		if json.Unmarshal(lines.Bytes(), &line) == nil && want(line) {
			found = line
		}
	}
	go io.Copy(io.Discard, pr) // keep the logger unblocked
	if found == nil {
		t.Fatalf("the %s never logged the line it was waited for", name)
	}
	return r, found
}

// Stop cancels the run's context and fails the test unless it ends with
// exit code 0 within the given time.
func (r *Running) Stop(t testing.TB, within time.Duration) {
	t.Helper()
	r.stop()
	select {
	case code := <-r.exit:
		if code != 0 {
			t.Fatalf("%s: exit %d after stop, want 0", r.name, code)
		}
	case <-time.After(within):
		t.Fatalf("the %s did not stop", r.name)
	}
}

// Contains reports each of wants that body lacks, naming it with what.
func Contains(t testing.TB, what, body string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("%s lacks %s", what, want)
		}
	}
}
