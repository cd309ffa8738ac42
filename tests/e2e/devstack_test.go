package e2e

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/stack"
)

// make dev's program brings the whole stack up, and Ctrl-C (SIGINT) or
// SIGTERM stops every process it started, children included.
func TestDevstackStopsEverythingOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) { devstackStopsOn(t, sig) })
	}
}

func devstackStopsOn(t *testing.T, sig syscall.Signal) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	state := t.TempDir()
	cmd := env.Proj.Command(ctx, stack.BinDevstack, "-dynamic-ports", "-skip-build", "-bin", env.Proj.BinDir, "-state", state)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	pidLine := regexp.MustCompile(`^\s+(\S+)\s+ready \(pid (\d+)\)`)
	pids := map[string]int{}
	var output strings.Builder
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			output.WriteString(line + "\n")
			if m := pidLine.FindStringSubmatch(line); m != nil {
				pid, _ := strconv.Atoi(m[2])
				pids[m[1]] = pid
			}
			if line == "stack ready" {
				ready <- nil
				_, _ = io.Copy(io.Discard, stdout) // keep the pipe drained
				return
			}
		}
		ready <- errors.New("devstack stopped before the stack was ready")
	}()
	select {
	case err := <-ready:
		if err != nil {
			_ = cmd.Wait()
			t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, output.String(), stderr.String())
		}
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-ready // the reader is done with output
		t.Fatalf("devstack not ready in time\nstdout:\n%s\nstderr:\n%s", output.String(), stderr.String())
	}
	for _, name := range []string{"temporal", stack.BinSandbox, stack.BinCodec, stack.BinReceiver, stack.BinWorker} {
		if pids[name] == 0 {
			t.Fatalf("devstack did not report %s ready:\n%s", name, output.String())
		}
		if !alive(pids[name]) {
			t.Fatalf("%s (pid %d) is not running while the stack is up", name, pids[name])
		}
	}
	if _, err := os.Stat(filepath.Join(state, "temporal.db")); err != nil {
		t.Errorf("the dev server's database is not in the state directory: %v", err)
	}

	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("devstack exited with %v after %v\nstderr:\n%s", err, sig, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("devstack did not exit within 60s of %v", sig)
	}
	for name, pid := range pids {
		if alive(pid) || stack.GroupAlive(pid) {
			t.Errorf("%s (pid %d) or its process group survived %v", name, pid, sig)
		}
	}
}

// alive reports whether pid exists (and is not a zombie).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) == 0 || fields[0] != "Z"
}
