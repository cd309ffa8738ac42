package faults

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/stack"
)

// brokenPatch makes the authorize activity mint a new idempotency key per
// attempt: the classic bug that turns a lost response into a second hold.
const brokenPatch = "testdata/authorize-key-per-attempt.patch"

// TestBrokenBuildIsCaught proves the suite fails when it should: it copies
// this checkout, applies brokenPatch to the copy (git apply; production code
// has no switch for it), builds the worker from the copy, runs lost
// responses on authorization against it, and expects the checker to name a
// booking with two charges at A55. If the patch no longer applies because
// activities/activities.go changed, regenerate it (see tests/faults/README.md).
func TestBrokenBuildIsCaught(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	work := t.TempDir()
	src := filepath.Join(work, "src")
	if err := copyModule(repoRoot, src); err != nil {
		t.Fatal(err)
	}
	patch, err := filepath.Abs(brokenPatch)
	if err != nil {
		t.Fatal(err)
	}
	apply := exec.Command("git", "apply", "--verbose", patch)
	apply.Dir = src
	if out, err := apply.CombinedOutput(); err != nil {
		t.Fatalf("git apply %s in a copy of the checkout: %v\n%s", brokenPatch, err, out)
	}
	bins := filepath.Join(work, "bin")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := stack.BuildBinaries(ctx, src, bins, nil, stack.BinWorker); err != nil {
		t.Fatalf("building the broken worker: %v", err)
	}

	sc, _ := NewScenario(ScenarioLostResponses, min(*bookingsFlag, 40), *seedFlag)
	sc.Name, sc.Test = "broken-build", "TestBrokenBuildIsCaught"
	sc.Title = "scenario 2 (lost answers) against a worker whose authorize mints a key per attempt (" + brokenPatch + ")"
	// Only the worker is broken: the sandbox and receiver are this checkout's.
	rep := runExpectingViolations(t, sc, filepath.Join(bins, stack.BinWorker))
	for _, v := range rep.Verdict.Violations {
		if v.Invariant == InvOneAuthorization && strings.Contains(v.Detail, "charges at A55") {
			fmt.Printf("broken build caught: %s\n", v)
			return
		}
	}
	t.Fatalf("the broken build passed the one-authorization check; violations: %v", rep.Verdict.Violations)
}

func runExpectingViolations(t *testing.T, sc Scenario, workerBin string) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sc.budget()+3*time.Minute)
	defer cancel()
	rep, err := Execute(ctx, sc, Env{
		Root: repoRoot, BinDir: binDir, WorkerBin: workerBin, StateDir: stateDir(t, sc.Name), Out: os.Stdout,
	})
	if err != nil {
		t.Fatalf("the broken-build run could not run: %v", err)
	}
	fmt.Print(rep.String())
	if rep.Verdict.OK() {
		t.Fatalf("the suite passed a worker built with %s: it cannot catch a double authorization", brokenPatch)
	}
	return rep
}

// copyModule copies the module's source (not bin/, .dev/ or .git/) to dst.
func copyModule(root, dst string) error {
	skip := map[string]bool{"bin": true, ".dev": true, ".git": true, "node_modules": true}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel != "." && (skip[rel] || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return copyFile(path, filepath.Join(dst, rel), info.Mode().Perm())
	})
}

func copyFile(from, to string, mode fs.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
