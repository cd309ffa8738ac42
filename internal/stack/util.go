package stack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hotelpay/a55-temporal/internal/httpprobe"
)

// ModulePath is the project's Go module.
const ModulePath = "github.com/hotelpay/a55-temporal"

// RepoRoot walks up from dir to the directory holding the project's go.mod.
func RepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module "+ModulePath)) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod for %s above %s", ModulePath, dir)
		}
	}
}

// BuildBinaries compiles the named binaries (of Commands) of the module at
// root into binDir with one `go build`, so they share the build
// cache and the compiler's parallelism; flags are extra go build flags (e.g.
// -race). A binary whose package is missing from root is named in the error.
func BuildBinaries(ctx context.Context, root, binDir string, flags []string, names ...string) error {
	var pkgs []string
	for _, name := range names {
		if !slices.Contains(Commands, name) {
			return fmt.Errorf("%s is not one of the project's binaries", name)
		}
		pkg := MainPackage(name)
		if !PackageExists(root, pkg) {
			return fmt.Errorf("%s (%s) is missing from %s", name, pkg, root)
		}
		pkgs = append(pkgs, pkg)
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	args := append([]string{"build"}, flags...)
	args = append(args, "-o", binDir+string(os.PathSeparator))
	args = append(args, pkgs...)
	cmd := exec.CommandContext(ctx, goTool(), args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %s: %w\n%s", strings.Join(pkgs, " "), err, out)
	}
	return nil
}

// goTool finds the go command: the one running this build's toolchain, then PATH.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// PackageExists reports whether root/pkg holds Go files, so a harness can
// say which component is missing instead of failing in go build.
func PackageExists(root, pkg string) bool {
	m, _ := filepath.Glob(filepath.Join(root, pkg, "*.go"))
	return len(m) > 0
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// HTTPCheck passes when GET url answers with a 2xx status.
func HTTPCheck(url string) Check {
	return func(ctx context.Context) error { return httpprobe.Get(ctx, url) }
}

// TCPCheck passes when addr accepts a connection.
func TCPCheck(addr string) Check {
	return func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
}

// RandomSecret returns n random bytes, base64url without padding.
func RandomSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
