// Package stack starts and stops the processes of the local stack (the
// Temporal dev server, the A55 sandbox, the codec server, the webhook receiver
// and the worker). It is the one launcher: the devstack command (make dev,
// make demo), the end-to-end, browser, security and fault-injection suites
// and the bench all start their processes through a Project, so the demo,
// the tests and the measurements run the same binaries the same way.
//
// Every process runs in its own process group: stopping it signals the whole
// group, so nothing a process spawned is left behind.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Spec describes one process to start.
type Spec struct {
	Name string   // short name for messages: "sandbox", "worker", ...
	Path string   // executable
	Args []string // arguments after the executable
	// Env is set on top of the inherited environment, from which every
	// project variable (see ProjectEnvPrefixes) has been removed first, so a
	// developer's shell cannot leak configuration into a child.
	Env map[string]string
	Dir string    // working directory; empty = current
	Log io.Writer // receives stdout and stderr; nil discards them
}

// Process is a started process and its process group.
type Process struct {
	Name string
	cmd  *exec.Cmd
	tail *tailBuffer

	done    chan struct{}
	waitErr error

	stopOnce sync.Once
	stopErr  error
}

// ProjectEnvPrefixes are the variable names (or prefixes) the project's
// binaries read. Children never inherit them from the parent: each one gets
// exactly what its Spec says.
var ProjectEnvPrefixes = []string{
	"TEMPORAL_", "A55_", "WEBHOOK_", "PAYLOAD_", "CODEC_", "SANDBOX_", "WORKER_",
	"DEV_MODE", "METRICS_ADDR", "RECEIVER_ADDR", "LOG_LEVEL", "LOG_FORMAT",
}

// Environ returns the parent's environment without project variables, plus
// extra, sorted for reproducible logs.
func Environ(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if isProjectVar(name) {
			continue
		}
		if _, overridden := extra[name]; overridden {
			continue
		}
		env = append(env, kv)
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+extra[k])
	}
	return env
}

func isProjectVar(name string) bool {
	for _, p := range ProjectEnvPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Start starts the process in a new process group.
func Start(spec Spec) (*Process, error) {
	if spec.Name == "" {
		spec.Name = spec.Path
	}
	if _, err := os.Stat(spec.Path); err != nil {
		return nil, fmt.Errorf("%s: executable %s: %w", spec.Name, spec.Path, err)
	}
	tail := &tailBuffer{max: 16 << 10}
	var out io.Writer = tail
	if spec.Log != nil {
		out = io.MultiWriter(spec.Log, tail)
	}
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Dir = spec.Dir
	cmd.Env = Environ(spec.Env)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start: %w", spec.Name, err)
	}
	p := &Process{Name: spec.Name, cmd: cmd, tail: tail, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process id, which is also its process group id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// Output returns the last lines the process printed (up to 16 KiB), for
// error messages.
func (p *Process) Output() string { return p.tail.String() }

// Check is a readiness probe: nil means ready.
type Check func(ctx context.Context) error

// WaitReady polls check until it passes, the context ends, or the process
// exits (then the error includes the process's last output).
func (p *Process) WaitReady(ctx context.Context, check Check) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
		last = check(attempt)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready (%v); its output:\n%s", p.Name, p.waitErr, indent(p.Output()))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %v (last check: %v); its output:\n%s", p.Name, ctx.Err(), last, indent(p.Output()))
		case <-tick.C:
		}
	}
}

// Stop sends SIGTERM to the process group, waits up to grace for the process
// to exit, then SIGKILLs the group. It returns once the process has exited
// and no member of its group is left. Safe to call more than once.
func (p *Process) Stop(grace time.Duration) error {
	p.stopOnce.Do(func() { p.stopErr = p.stop(grace) })
	return p.stopErr
}

func (p *Process) stop(grace time.Duration) error {
	pgid := p.Pid()
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// The leader is gone; anything it spawned into its group goes too.
	deadline := time.Now().Add(grace)
	for GroupAlive(pgid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			deadline = time.Now().Add(grace)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// GroupAlive reports whether any process of the group pgid still exists
// (zombies included until their parent reaps them).
func GroupAlive(pgid int) bool {
	err := syscall.Kill(-pgid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Group is a set of processes stopped together, last started first.
type Group struct {
	mu    sync.Mutex
	procs []*Process
}

// Start starts a process and adds it to the group.
func (g *Group) Start(spec Spec) (*Process, error) {
	p, err := Start(spec)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.procs = append(g.procs, p)
	g.mu.Unlock()
	return p, nil
}

// Processes lists the group's processes in start order.
func (g *Group) Processes() []*Process {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*Process(nil), g.procs...)
}

// Stop stops every process in reverse start order (the worker before the
// server it talks to).
func (g *Group) Stop(grace time.Duration) error {
	procs := g.Processes()
	var errs []error
	for i := len(procs) - 1; i >= 0; i-- {
		if err := procs[i].Stop(grace); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "    (no output)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
