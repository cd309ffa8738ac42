package stack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// EnvPostgresBin names the directory of PostgreSQL's server programs
// (initdb, postgres, pg_isready) when they are not where Debian puts them.
const EnvPostgresBin = "PG_BIN"

// PostgresBinDir finds PostgreSQL's server programs: $PG_BIN, else the
// newest /usr/lib/postgresql/<major>/bin (Debian's postgresql package),
// else the directory of initdb on PATH.
func PostgresBinDir() (string, error) {
	if d := os.Getenv(EnvPostgresBin); d != "" {
		if !fileExists(filepath.Join(d, "initdb")) {
			return "", fmt.Errorf("%s=%s holds no initdb", EnvPostgresBin, d)
		}
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, d := range dirs {
		if fileExists(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL is not installed: run `make prod-deps` (as root on Debian it installs the postgresql package) or set " + EnvPostgresBin)
}

func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Postgres is a throwaway PostgreSQL cluster: its own data directory in a
// temporary directory, listening on one loopback port, with password
// authentication for one superuser (as the compose file's postgres service
// has). Root cannot run PostgreSQL, so as root the programs run as the
// "postgres" user Debian's package creates.
type Postgres struct {
	BinDir   string // initdb, postgres, pg_isready
	Dir      string // the cluster's directory (data, socket); removed by Remove
	Addr     string // 127.0.0.1:<port>
	User     string // superuser, e.g. "temporal"
	Password string
	// Settings are extra server settings (name=value), e.g. max_connections=200.
	Settings []string
}

// NewPostgres prepares (initdb) a cluster in a new temporary directory.
func NewPostgres(ctx context.Context, addr, userName, password string, settings []string) (*Postgres, error) {
	bin, err := PostgresBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "a55-postgres-")
	if err != nil {
		return nil, err
	}
	pg := &Postgres{BinDir: bin, Dir: dir, Addr: addr, User: userName, Password: password, Settings: settings}
	if err := pg.initdb(ctx); err != nil {
		pg.Remove()
		return nil, err
	}
	return pg, nil
}

func (pg *Postgres) dataDir() string { return filepath.Join(pg.Dir, "data") }

// runAs is the command prefix that runs a PostgreSQL program as the
// postgres user when this process is root (PostgreSQL refuses root).
func (pg *Postgres) runAs() ([]string, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs the postgres user (Debian's postgresql package creates it): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := filepath.Walk(pg.Dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	}); err != nil {
		return nil, err
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL is started through setpriv (util-linux): %w", err)
	}
	// Changing the user clears the parent-death signal the stack sets:
	// setpriv sets it again, so the cluster dies with the test process.
	return []string{setpriv, "--reuid=" + u.Uid, "--regid=" + u.Gid, "--clear-groups", "--pdeathsig=KILL", "--"}, nil
}

func (pg *Postgres) initdb(ctx context.Context) error {
	pwfile := filepath.Join(pg.Dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(pg.Password+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(pwfile)
	prefix, err := pg.runAs()
	if err != nil {
		return err
	}
	args := append(prefix, filepath.Join(pg.BinDir, "initdb"), "-D", pg.dataDir(), "-U", pg.User,
		"--pwfile", pwfile, "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-sync")
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = Environ(nil)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return nil
}

// Spec is the postgres server process, in the foreground.
func (pg *Postgres) Spec() (Spec, error) {
	host, port, err := net.SplitHostPort(pg.Addr)
	if err != nil {
		return Spec{}, fmt.Errorf("postgres address %q: %w", pg.Addr, err)
	}
	prefix, err := pg.runAs()
	if err != nil {
		return Spec{}, err
	}
	args := []string{"-D", pg.dataDir(), "-p", port, "-c", "listen_addresses=" + host, "-k", pg.Dir}
	for _, s := range pg.Settings {
		args = append(args, "-c", s)
	}
	path := filepath.Join(pg.BinDir, "postgres")
	if len(prefix) > 0 {
		args = append(append(prefix[1:], path), args...)
		path = prefix[0]
	}
	return Spec{Name: PostgresServer, Path: path, Args: args}, nil
}

// Start starts the cluster's server in g and waits until it accepts
// connections; the caller stops g.
func (pg *Postgres) Start(ctx context.Context, g *Group) error {
	spec, err := pg.Spec()
	if err != nil {
		return err
	}
	proc, err := g.Start(spec)
	if err != nil {
		return err
	}
	if err := proc.WaitReady(ctx, pg.Ready()); err != nil {
		return fmt.Errorf("postgres: %w\n%s", err, proc.Output())
	}
	return nil
}

// PostgresServer is the PostgreSQL server's process name in a Project.
const PostgresServer = "postgres"

// Ready passes once the server accepts connections (pg_isready, as the
// compose file's health check).
func (pg *Postgres) Ready() Check {
	host, port, _ := net.SplitHostPort(pg.Addr)
	return func(ctx context.Context) error {
		cmd := exec.CommandContext(ctx, filepath.Join(pg.BinDir, "pg_isready"), "-h", host, "-p", port, "-U", pg.User, "-d", "postgres")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("pg_isready: %w: %s", err, strings.TrimSpace(string(out)))
		}
		return nil
	}
}

// DSN is the URL of one database of the cluster, for database/sql drivers
// (pgx, lib/pq): postgres://user:password@127.0.0.1:port/db?sslmode=disable.
func (pg *Postgres) DSN(db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(pg.User, pg.Password), Host: pg.Addr, Path: "/" + db,
		RawQuery: "sslmode=disable"}
	return u.String()
}

// Remove deletes the cluster's directory (the server must be stopped).
func (pg *Postgres) Remove() { _ = os.RemoveAll(pg.Dir) }
