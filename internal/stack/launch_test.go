package stack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// A process that exits at start (a port taken meanwhile) is started again
// after its ports are picked anew; one that runs but never serves is not.
func TestStartRetryingOnlyRetriesAnEarlyExit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var g Group
	defer g.Stop(time.Second)
	never := func(context.Context) error { return errors.New("not yet") }
	startSh := func(script string, ready Check, wait time.Duration) func() (*Process, error) {
		return func() (*Process, error) {
			p, err := g.Start(Spec{Name: "server", Path: "/bin/sh", Args: []string{"-c", script}})
			if err != nil {
				return nil, err
			}
			c, cancel := context.WithTimeout(ctx, wait)
			defer cancel()
			return p, p.WaitReady(c, ready)
		}
	}

	// Exits twice ("address already in use"), then serves.
	calls, repicks := 0, 0
	var notes []string
	p, err := startRetrying(3, "server", func() (*Process, error) {
		calls++
		if calls < 3 {
			return startSh(`echo "bind: address already in use" >&2; exit 1`, never, 10*time.Second)()
		}
		return startSh(`sleep 300`, func(context.Context) error { return nil }, 10*time.Second)()
	}, func() error { repicks++; return nil }, func(f string, a ...any) { notes = append(notes, fmt.Sprintf(f, a...)) })
	if err != nil || p == nil || calls != 3 || repicks != 2 {
		t.Fatalf("startRetrying = %v, %v after %d starts and %d repicks; want a process after 3 and 2", p, err, calls, repicks)
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "server exited at start (attempt 1)") || !strings.Contains(notes[0], "address already in use") {
		t.Errorf("notes = %q, want one per retry naming the process and its output", notes)
	}

	// Gives up after the attempts, with the last error.
	calls = 0
	_, err = startRetrying(2, "server", func() (*Process, error) {
		calls++
		return startSh(`exit 1`, never, 10*time.Second)()
	}, func() error { return nil }, func(string, ...any) {})
	if err == nil || calls != 2 {
		t.Fatalf("a process that always exits: err %v after %d starts, want an error after 2", err, calls)
	}

	// Running but not ready is not a port problem: no second start.
	calls = 0
	_, err = startRetrying(3, "server", func() (*Process, error) {
		calls++
		return startSh(`sleep 300`, never, 300*time.Millisecond)()
	}, func() error { return nil }, func(string, ...any) {})
	if err == nil || calls != 1 {
		t.Fatalf("a process that never serves: err %v after %d starts, want an error after 1", err, calls)
	}
}

// Kill takes a process's whole group down at once, and Process names the
// latest process of a name.
func TestKillAndProcess(t *testing.T) {
	p := &Project{}
	defer p.Stop()
	if err := p.Kill(BinWorker); err == nil {
		t.Fatal("Kill of a process never started passed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	up := func(context.Context) error { return nil }
	first, err := p.StartProcess(ctx, Spec{Name: "helper", Path: "/bin/sh", Args: []string{"-c", `trap "" TERM; sleep 300 & wait`}}, up)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Kill("helper"); err != nil {
		t.Fatal(err)
	}
	if GroupAlive(first.Pid()) {
		t.Fatal("the process group survived Kill")
	}
	second, err := p.StartProcess(ctx, Spec{Name: "helper", Path: "/bin/sh", Args: []string{"-c", `sleep 300`}}, up)
	if err != nil {
		t.Fatal(err)
	}
	if p.Process("helper") != second {
		t.Fatal("Process does not name the latest process of the name")
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if GroupAlive(second.Pid()) {
		t.Fatal("Stop left the restarted process running")
	}
}

// Ports Start picks are fresh for each process's own addresses, and only
// those.
func TestRepickChangesOnlyTheProcessAddresses(t *testing.T) {
	a, err := FreeAddrs()
	if err != nil {
		t.Fatal(err)
	}
	p := &Project{Addrs: a}
	if err := p.repick(BinReceiver); err != nil {
		t.Fatal(err)
	}
	if p.Addrs.Receiver == a.Receiver || p.Addrs.ReceiverMetrics == a.ReceiverMetrics {
		t.Errorf("receiver addresses unchanged: %+v", p.Addrs)
	}
	if p.Addrs.Temporal != a.Temporal || p.Addrs.Sandbox != a.Sandbox || p.Addrs.Codec != a.Codec || p.Addrs.WorkerMetrics != a.WorkerMetrics {
		t.Errorf("other processes' addresses changed: %+v, was %+v", p.Addrs, a)
	}
	if len(p.Addrs.owned(BinCodec)) != 0 {
		t.Error("the codec server's address would move after the UI points at it")
	}
}

// No two addresses of one project share a port, however often the kernel
// hands a just-closed port out again.
func TestFreeAddrsAreDistinct(t *testing.T) {
	for i := 0; i < 50; i++ {
		a, err := FreeAddrs()
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, p := range a.all() {
			if seen[*p] {
				t.Fatalf("port %s picked twice: %+v", *p, a)
			}
			seen[*p] = true
		}
	}
}
