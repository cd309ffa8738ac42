package stack

import (
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

func TestCheckCheckoutNamesWhatIsMissing(t *testing.T) {
	root := t.TempDir()
	err := CheckCheckout(root)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(root, "bin", "temporal")) {
		t.Fatalf("without bin/temporal: err %v, want one naming the binary", err)
	}

	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "temporal"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	err = CheckCheckout(root)
	if err == nil || !strings.Contains(err.Error(), "is missing from this checkout") {
		t.Fatalf("without the main packages: err %v, want one naming a missing package", err)
	}

	repo, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, statErr := os.Stat(filepath.Join(repo, "bin", "temporal")); statErr == nil {
		if err := CheckCheckout(repo); err != nil {
			t.Errorf("this checkout: %v", err)
		}
	}
}
