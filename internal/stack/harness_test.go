package stack

import (
	"context"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
	if err == nil || !strings.Contains(err.Error(), MainPackage(BinSandbox)+") is missing from "+root) {
		t.Fatalf("without the main packages: err %v, want one naming a missing package", err)
	}
	if err := BuildBinaries(ctx, root, t.TempDir(), nil, "no-such-binary"); err == nil {
		t.Fatal("BuildBinaries accepted a name that is not a binary of the project")
	}
}

// One convention for binaries: cmd/<name> holds each one's main package,
// and every folder of cmd/ is a binary Commands names.
func TestEveryBinaryIsACommand(t *testing.T) {
	repo, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Commands {
		if !PackageExists(repo, MainPackage(name)) {
			t.Errorf("%s: %s has no Go files", name, MainPackage(name))
		}
	}
	dirs, err := os.ReadDir(filepath.Join(repo, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if d.IsDir() && !slices.Contains(Commands, d.Name()) {
			t.Errorf("cmd/%s is not in Commands", d.Name())
		}
	}
	// And no main package lives anywhere else.
	err = filepath.WalkDir(repo, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repo, path)
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && rel != "." || rel == "bin" || rel == "cmd" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" {
			t.Errorf("%s is a main package outside cmd/", filepath.Dir(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
