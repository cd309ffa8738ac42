package stack

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func sh(t *testing.T, g *Group, name, script string, log *SyncBuffer) *Process {
	t.Helper()
	spec := Spec{Name: name, Path: "/bin/sh", Args: []string{"-c", script}}
	if log != nil {
		spec.Log = log
	}
	var (
		p   *Process
		err error
	)
	if g != nil {
		p, err = g.Start(spec)
	} else {
		p, err = Start(spec)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-p.Pid(), syscall.SIGKILL) })
	return p
}

// waitFor polls cond (a wait, not a timing assertion) and fails after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventuallyf(t, cond, 10*time.Second, 10*time.Millisecond, "timed out waiting for %s", what)
}

func TestStopKillsTheWholeProcessGroup(t *testing.T) {
	log := &SyncBuffer{}
	// The shell starts two grandchildren, then waits: a stand-in for a server
	// that forks helpers.
	p := sh(t, nil, "forker", `sleep 300 & sleep 300 & echo started; wait`, log)
	waitFor(t, "the grandchildren", func() bool { return strings.Contains(log.String(), "started") })
	if !GroupAlive(p.Pid()) {
		t.Fatal("group should be alive before Stop")
	}
	if err := p.Stop(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if GroupAlive(p.Pid()) {
		t.Fatal("a member of the process group survived Stop")
	}
	if exited, _ := p.Exited(); !exited {
		t.Fatal("Exited reports false after Stop")
	}
}

func TestStopEscalatesToSIGKILLWhenTERMIsIgnored(t *testing.T) {
	log := &SyncBuffer{}
	p := sh(t, nil, "stubborn", `trap "" TERM; sleep 300 & echo ignoring; wait`, log)
	waitFor(t, "the trap", func() bool { return strings.Contains(log.String(), "ignoring") })
	start := time.Now()
	if err := p.Stop(300 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if GroupAlive(p.Pid()) {
		t.Fatal("the group survived SIGKILL escalation")
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Fatal("Stop returned before the grace period although the process ignores SIGTERM")
	}
}

func TestGroupStopsInReverseOrder(t *testing.T) {
	var g Group
	order := &SyncBuffer{}
	// Each process reports its own name when it receives SIGTERM.
	for _, name := range []string{"server", "worker"} {
		sh(t, &g, name, `trap 'echo stopped:`+name+`; exit 0' TERM; echo up; while :; do sleep 0.05; done`, order)
	}
	waitFor(t, "both processes", func() bool { return strings.Count(order.String(), "up") == 2 })
	if err := g.Stop(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range strings.Fields(order.String()) {
		if name, ok := strings.CutPrefix(f, "stopped:"); ok {
			got = append(got, name)
		}
	}
	if strings.Join(got, ",") != "worker,server" {
		t.Fatalf("stop order = %v, want worker then server", got)
	}
	for _, p := range g.Processes() {
		if GroupAlive(p.Pid()) {
			t.Fatalf("%s still running", p.Name)
		}
	}
}

func TestWaitReadyReportsAnEarlyExitWithItsOutput(t *testing.T) {
	p := sh(t, nil, "crasher", `echo "config: PAYLOAD_KEYS is required" >&2; exit 3`, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := p.WaitReady(ctx, func(context.Context) error { return context.DeadlineExceeded })
	if err == nil {
		t.Fatal("WaitReady passed for a process that exited")
	}
	for _, want := range []string{"crasher exited", "PAYLOAD_KEYS is required"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q lacks %q", err, want)
		}
	}
}

func TestWaitReadyPassesOnceTheCheckDoes(t *testing.T) {
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	p := sh(t, nil, "late", `sleep 300`, nil)
	defer p.Stop(time.Second)
	calls := 0
	err = p.WaitReady(context.Background(), func(ctx context.Context) error {
		calls++
		if calls < 3 {
			return TCPCheck(addr)(ctx) // nothing listens there
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("WaitReady = %v after %d checks, want nil after 3", err, calls)
	}
}

func TestChildrenDoNotInheritProjectVariables(t *testing.T) {
	t.Setenv("A55_CLIENT_SECRET", "from-the-developer-shell")
	t.Setenv("TEMPORAL_ADDRESS", "elsewhere:7233")
	t.Setenv("UNRELATED_SETTING", "kept")
	// WORKER_SET_CURRENT=0 in a shell would leave a test stack's worker without tasks.
	t.Setenv("WORKER_SET_CURRENT", "0")
	out := &SyncBuffer{}
	p, err := Start(Spec{
		Name: "env", Path: "/bin/sh", Log: out,
		Args: []string{"-c", `echo "secret=[$A55_CLIENT_SECRET] addr=[$TEMPORAL_ADDRESS] other=[$UNRELATED_SETTING] worker=[$WORKER_SET_CURRENT]"`},
		Env:  map[string]string{"TEMPORAL_ADDRESS": "127.0.0.1:1234"},
	})
	if err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	want := "secret=[] addr=[127.0.0.1:1234] other=[kept] worker=[]"
	if got := strings.TrimSpace(out.String()); got != want {
		t.Fatalf("child saw %q, want %q", got, want)
	}
}

func TestStartRefusesAMissingExecutable(t *testing.T) {
	_, err := Start(Spec{Name: "ghost", Path: "/nonexistent/bin/worker"})
	if err == nil || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("err = %v, want an error naming the process", err)
	}
}

func TestRepoRootFindsTheModule(t *testing.T) {
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	if !PackageExists(root, "internal/stack") {
		t.Fatalf("RepoRoot = %s, which has no internal/stack", root)
	}
	if _, err := RepoRoot(t.TempDir()); err == nil {
		t.Fatal("RepoRoot found a module above a temp dir")
	}
}
