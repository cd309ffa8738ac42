// Package pgtest starts a real, throwaway PostgreSQL server for a test: a
// fresh cluster (initdb) in a temporary directory on a free port, stopped
// and deleted when the test ends. It needs Debian's postgresql package (make
// test-deps installs it); it fails the test, naming the package, when the
// binaries are missing. As root, the server runs as the postgres user
// (PostgreSQL refuses to run as root).
package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is a running throwaway PostgreSQL.
type Server struct {
	Port int
	dir  string
	cred *syscall.Credential
	bin  string
}

// BinDir finds PostgreSQL's server binaries: $PG_BIN_DIR, else the newest
// /usr/lib/postgresql/<version>/bin (Debian's layout).
func BinDir() (string, error) {
	if d := os.Getenv("PG_BIN_DIR"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL server binaries not found (install Debian's postgresql package: make test-deps, or set PG_BIN_DIR)")
}

func versionOf(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// Start initializes and starts a server; the test's cleanup stops it and
// deletes its files.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := BinDir()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	s := &Server{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, PostgreSQL needs the postgres user (Debian's postgresql package creates it): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s.Port = port
	ctx, cancel := context.WithCancel(context.Background())
	cmd := s.command(ctx, "postgres", "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "shared_buffers=16MB", "-c", "max_connections=40")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) } // fast shutdown
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	for {
		if out, err := s.run("pg_isready", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres", "-t", "1"); err == nil {
			break
		} else if cmd.ProcessState != nil || ctx.Err() != nil {
			t.Fatalf("postgres exited: %s\n%s", out, logs.String())
		}
		select {
		case <-t.Context().Done():
			t.Fatal("test ended before postgres was ready")
		case <-time.After(100 * time.Millisecond):
		}
	}
	return s
}

// DSN is a connection string to database db as user role.
func (s *Server) DSN(role, password, db string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", role, password, s.Port, db)
}

// SQL runs statements as the superuser in database db.
func (s *Server) SQL(t testing.TB, db, statements string) {
	t.Helper()
	if out, err := s.run("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-U", "postgres", "-d", db, "-c", statements); err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
}

// CreateDatabase makes a role with a password and a database it owns, as
// production has (docker-compose.temporal.yml), and returns its DSN.
func (s *Server) CreateDatabase(t testing.TB, name string) string {
	t.Helper()
	s.SQL(t, "postgres", fmt.Sprintf(`CREATE ROLE %[1]s LOGIN PASSWORD '%[1]s-pw'`, name))
	s.SQL(t, "postgres", fmt.Sprintf(`CREATE DATABASE %[1]s OWNER %[1]s`, name))
	return s.DSN(name, name+"-pw", name)
}

// SQLFile runs a psql script as the superuser in database db, with psql
// variables (-v name=value).
func (s *Server) SQLFile(t testing.TB, db, script string, vars map[string]string) {
	t.Helper()
	f := filepath.Join(s.dir, "script.sql")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-U", "postgres", "-d", db, "-f", f}
	for k, v := range vars {
		args = append(args, "-v", k+"="+v)
	}
	if out, err := s.run("psql", args...); err != nil {
		t.Fatalf("psql -f: %v\n%s", err, out)
	}
}

// Query runs one query as the superuser in database db and returns its
// output, unaligned and trimmed.
func (s *Server) Query(t testing.TB, db, query string) string {
	t.Helper()
	out, err := s.run("psql", "-X", "-A", "-t", "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-U", "postgres", "-d", db, "-c", query)
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// DSNHost is the server's host:port for a connection string.
func (s *Server) DSNHost() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

func (s *Server) run(name string, args ...string) ([]byte, error) {
	return s.command(context.Background(), name, args...).CombinedOutput()
}

func (s *Server) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, name)
	if _, err := os.Stat(path); err != nil {
		path = name // psql and pg_isready live in /usr/bin too
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
