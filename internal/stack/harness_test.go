package stack

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTailKeepsWholeLines(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"first line\nsecond\nthird", 12, "third"},
		{"first\nsecond\nthird", 13, "second\nthird"},
		{"no newline at all", 4, " all"},
	}
	for _, c := range cases {
		if got := Tail(c.in, c.n); got != c.want {
			t.Errorf("Tail(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestBuildAndStartNameWhatIsMissing(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	p := &Project{Root: root, StateDir: filepath.Join(root, ".dev"), Apps: AllApps}
	for what, err := range map[string]error{"Build": p.Build(ctx), "Start": p.Start(ctx)} {
		if err == nil || !strings.Contains(err.Error(), filepath.Join(root, "bin", "temporal")) || !strings.Contains(err.Error(), "make temporal") {
			t.Fatalf("%s without bin/temporal: err %v, want one naming the binary and how to build it", what, err)
		}
	}

	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "temporal"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	err := p.Build(ctx)
	if err == nil || !strings.Contains(err.Error(), MainPackages[BinSandbox]+") is missing from "+root) {
		t.Fatalf("without the main packages: err %v, want one naming a missing package", err)
	}
	if err := BuildBinaries(ctx, root, t.TempDir(), nil, "no-such-binary"); err == nil {
		t.Fatal("BuildBinaries accepted a name that is not a binary of the project")
	}
}

// Every binary the stack knows is a main package of this checkout.
func TestMainPackagesExist(t *testing.T) {
	repo, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	for name, pkg := range MainPackages {
		if !PackageExists(repo, pkg) {
			t.Errorf("%s: %s has no Go files", name, pkg)
		}
	}
}
