// Package pgtest starts a real, throwaway PostgreSQL server for a test: the
// stack's own throwaway cluster (stack.Postgres: initdb in a temporary
// directory, one loopback port, password authentication, run as the
// postgres user when the test runs as root), stopped and deleted when the
// test ends. It needs Debian's postgresql package (make test-deps installs
// it) and fails the test, naming the package, when the programs are missing.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/stack"
)

// superuser and its password, as the compose file's postgres service has one.
const superuser, superPassword = "postgres", "pgtest-superuser"

// Server is a running throwaway PostgreSQL.
type Server struct {
	pg *stack.Postgres
}

// Start initializes and starts a server; the test's cleanup stops it and
// deletes its files.
func Start(t testing.TB) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	addr, err := stack.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	pg, err := stack.NewPostgres(ctx, addr, superuser, superPassword,
		[]string{"fsync=off", "shared_buffers=16MB", "max_connections=40"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Remove)
	var g stack.Group
	t.Cleanup(func() { _ = g.Stop(10 * time.Second) })
	if err := pg.Start(ctx, &g); err != nil {
		t.Fatal(err)
	}
	return &Server{pg: pg}
}

// DSN is a connection string to database db as user role.
func (s *Server) DSN(role, password, db string) string {
	return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", role, password, s.pg.Addr, db)
}

// CreateDatabase makes a role with a password and a database it owns, as
// production has (docker-compose.temporal.yml), and returns its DSN.
func (s *Server) CreateDatabase(t testing.TB, name string) string {
	t.Helper()
	s.SQL(t, "postgres", fmt.Sprintf(`CREATE ROLE %[1]s LOGIN PASSWORD '%[1]s-pw'`, name))
	s.SQL(t, "postgres", fmt.Sprintf(`CREATE DATABASE %[1]s OWNER %[1]s`, name))
	return s.DSN(name, name+"-pw", name)
}

// SQL runs statements as the superuser in database db.
func (s *Server) SQL(t testing.TB, db, statements string) {
	t.Helper()
	if out, err := s.psql(db, "-c", statements); err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
}

// SQLFile runs a psql script as the superuser in database db, with psql
// variables (-v name=value).
func (s *Server) SQLFile(t testing.TB, db, script string, vars map[string]string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "script.sql")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-f", f}
	for k, v := range vars {
		args = append(args, "-v", k+"="+v)
	}
	if out, err := s.psql(db, args...); err != nil {
		t.Fatalf("psql -f: %v\n%s", err, out)
	}
}

// Query runs one query as the superuser in database db and returns its
// output, unaligned and trimmed.
func (s *Server) Query(t testing.TB, db, query string) string {
	t.Helper()
	out, err := s.psql(db, "-A", "-t", "-c", query)
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// DataDir is the cluster's data directory (PGDATA): its files, WAL
// included, for tests that look for bytes left on disk.
func (s *Server) DataDir() string { return filepath.Join(s.pg.Dir, "data") }

// DSNHost is the server's host:port for a connection string.
func (s *Server) DSNHost() string { return s.pg.Addr }

// psql runs psql as the superuser over TCP (no socket, so no user switch).
func (s *Server) psql(db string, args ...string) ([]byte, error) {
	host, port, _ := net.SplitHostPort(s.pg.Addr)
	path := filepath.Join(s.pg.BinDir, "psql")
	if _, err := os.Stat(path); err != nil {
		path = "psql" // Debian puts psql in /usr/bin too
	}
	cmd := exec.Command(path, append([]string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", superuser, "-d", db}, args...)...)
	cmd.Env = append(stack.Environ(nil), "LC_ALL=C", "PGPASSWORD="+superPassword)
	return cmd.CombinedOutput()
}
