package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/cardvault/cardstore"
)

// The production topology without Docker (Server.Prod): the compose file's
// postgres service is a throwaway PostgreSQL cluster (Postgres), its
// temporal-schema job is its own script run with the server's SQL tool, its
// cardkeys-db job its own script run with psql (the card-key store's
// database and role, whose DSN every process gets as CARD_KEY_STORE),
// its temporal service is the real Temporal server built from Go source at
// the image's version and rendering the image's own configuration template
// (the server module's config/docker.yaml) from the service's environment,
// and its temporal-namespace job is its own script run with the Temporal CLI.
// Only addresses differ: everything listens on 127.0.0.1 on free ports.

// ServerModule is the Go module of the Temporal server.
const ServerModule = "go.temporal.io/server"

// ServerDir is where `make temporal-server` installs the server ("server")
// and its SQL tool ("sql") of one version: Root/bin/temporal-server-<version>.
func (p *Project) ServerDir(version string) string {
	return filepath.Join(p.Root, "bin", "temporal-server-"+version)
}

// ServerModuleDir is the server module's source directory in the Go module
// cache (its config/ and schema/ are what the images ship), downloading it
// when missing.
func ServerModuleDir(ctx context.Context, version string) (string, error) {
	cmd := exec.CommandContext(ctx, goTool(), "mod", "download", "-json", ServerModule+"@"+version)
	cmd.Dir = os.TempDir() // outside any module
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	_ = json.Unmarshal(out, &info)
	if err != nil || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %v %s", ServerModule, version, err, info.Error)
	}
	return info.Dir, nil
}

// prodState is what a production stack keeps between (re)starts of its server.
type prodState struct {
	mu        sync.Mutex
	compose   Compose
	moduleDir string
	pg        *Postgres
	password  string
	ports     map[string]string // the server's own ports besides the frontend's, by variable
	ready     bool              // schema, card-key and namespace jobs done
	cardKeys  string            // the compose file's CARD_KEY_STORE on this cluster, once its job ran
}

// serverPortVars are the server's ports (besides FRONTEND_GRPC_PORT) that
// config/docker.yaml reads; the production stack picks a free one for each.
var serverPortVars = []string{
	"FRONTEND_HTTP_PORT", "FRONTEND_MEMBERSHIP_PORT", "MATCHING_GRPC_PORT", "MATCHING_MEMBERSHIP_PORT",
	"HISTORY_GRPC_PORT", "HISTORY_MEMBERSHIP_PORT", "WORKER_GRPC_PORT", "WORKER_MEMBERSHIP_PORT",
}

// PostgresDSN is the URL of database db on the production stack's
// PostgreSQL as its superuser ("" on a dev-server stack, or before Start).
// The card-key store is not reached through it: CardKeyStore is the
// compose file's own DSN, the cardkeys role's.
func (p *Project) PostgresDSN(db string) string {
	p.prod.mu.Lock()
	defer p.prod.mu.Unlock()
	if p.prod.pg == nil {
		return ""
	}
	return p.prod.pg.DSN(db)
}

// checkProd says what is missing for a production stack: the compose file's
// server build and PostgreSQL.
func (p *Project) checkProd() (Compose, error) {
	c, err := LoadCompose(p.Root, map[string]string{"POSTGRES_PASSWORD": "x", EnvCardKeysDBPassword: "x", "TEMPORAL_NAMESPACE": p.namespace()})
	if err != nil {
		return c, err
	}
	for _, bin := range []string{"server", "sql"} {
		if path := filepath.Join(p.ServerDir(c.ServerVersion), bin); !fileExists(path) {
			return c, fmt.Errorf("%s is missing: run `make temporal-server` first (make prod-test does)", path)
		}
	}
	if !fileExists(p.TemporalBin()) {
		return c, fmt.Errorf("%s is missing (the namespace job runs it): run `make temporal` first", p.TemporalBin())
	}
	_, err = PostgresBinDir()
	return c, err
}

// startProdServer starts the production topology's server: on the first
// call PostgreSQL and the schema job first, and the namespace job after;
// later calls (Restart) the server alone, on the same database.
func (p *Project) startProdServer(ctx context.Context) (*Process, error) {
	st := &p.prod
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.pg == nil {
		if err := p.startPostgres(ctx, st); err != nil {
			return nil, err
		}
	}
	c := st.compose
	if !st.ready {
		p.progress("running the compose file's %s job (temporal-sql-tool %s)", ComposeSchemaJob, c.ServerVersion)
		env := maps.Clone(c.SchemaEnv)
		maps.Copy(env, map[string]string{"SQL_HOST": hostOf(st.pg.Addr), "SQL_PORT": portOf(st.pg.Addr)})
		script := strings.ReplaceAll(c.SchemaScript, AdminToolsSchemaDir+"/", filepath.Join(st.moduleDir, "schema")+"/")
		if err := p.runJob(ctx, ComposeSchemaJob, script, env); err != nil {
			return nil, err
		}
		if err := p.runCardKeysJob(ctx, st); err != nil {
			return nil, err
		}
	}
	env := maps.Clone(c.ServerEnv)
	maps.Copy(env, map[string]string{
		// The template reads the visibility store's port from POSTGRES_PORT
		// (default 5432), the main store's from DB_PORT.
		"POSTGRES_SEEDS": hostOf(st.pg.Addr), "DB_PORT": portOf(st.pg.Addr), "POSTGRES_PORT": portOf(st.pg.Addr),
		"POSTGRES_PWD": st.password,
		"BIND_ON_IP":   hostOf(p.Addrs.Temporal), "TEMPORAL_BROADCAST_ADDRESS": hostOf(p.Addrs.Temporal),
		"FRONTEND_GRPC_PORT":       portOf(p.Addrs.Temporal),
		"DYNAMIC_CONFIG_FILE_PATH": filepath.Join(st.moduleDir, "config", "dynamicconfig", "docker.yaml"),
	})
	maps.Copy(env, st.ports)
	if p.Addrs.TemporalMetrics != "" {
		env["PROMETHEUS_ENDPOINT"] = p.Addrs.TemporalMetrics
	}
	if _, set := env["LOG_LEVEL"]; !set {
		env["LOG_LEVEL"] = "warn"
	}
	if len(p.Server.Config) > 0 {
		path, err := p.writeDynamicConfig()
		if err != nil {
			return nil, err
		}
		env["DYNAMIC_CONFIG_FILE_PATH"] = path
	}
	log, err := p.logWriter(Temporal)
	if err != nil {
		return nil, err
	}
	p.progress("starting the Temporal server %s on PostgreSQL, frontend %s", c.ServerVersion, p.Addrs.Temporal)
	proc, err := p.group.Start(Spec{
		Name: Temporal, Path: filepath.Join(p.ServerDir(c.ServerVersion), "server"), Env: env, Log: log,
		// The image's own configuration: config/docker.yaml, a template of
		// the environment above.
		Args: []string{"--root", st.moduleDir, "--config", "config", "--env", "docker", "--allow-no-auth", "start"},
	})
	if err != nil {
		return nil, err
	}
	if st.ready {
		return p.started(Temporal, proc, proc.WaitReady(ctx, TemporalCheck(p.Addrs.Temporal, p.namespace())))
	}
	if err := proc.WaitReady(ctx, frontendServing(p.Addrs.Temporal)); err != nil {
		return p.started(Temporal, proc, err)
	}
	p.progress("running the compose file's %s job (namespace %s, search attributes)", ComposeNSJob, p.namespace())
	env = maps.Clone(c.NamespaceEnv)
	env["TEMPORAL_ADDRESS"] = p.Addrs.Temporal
	if err := p.runJob(ctx, ComposeNSJob, c.NamespaceScript, env); err != nil {
		return p.started(Temporal, proc, err)
	}
	st.ready = true
	return p.started(Temporal, proc, proc.WaitReady(ctx, TemporalCheck(p.Addrs.Temporal, p.namespace())))
}

// runCardKeysJob runs the compose file's cardkeys-db job (its psql script,
// deploy/cardkeys-init.sql, with the job's variables) on the cluster, and
// keeps the compose file's CARD_KEY_STORE, pointed at the cluster, as the
// stack's card-key store.
func (p *Project) runCardKeysJob(ctx context.Context, st *prodState) error {
	c := st.compose
	store, err := OnHost(c.CardKeyStore, st.pg.Addr)
	if err != nil {
		return fmt.Errorf("%s of the compose file: %w", cardstore.EnvStore, err)
	}
	p.progress("running the compose file's %s job (psql: the card-key store's database and role)", ComposeCardKeysJob)
	env := maps.Clone(c.CardKeysEnv)
	maps.Copy(env, map[string]string{"PGHOST": hostOf(st.pg.Addr), "PGPORT": portOf(st.pg.Addr)})
	if err := p.runJob(ctx, ComposeCardKeysJob, c.CardKeysScript, env); err != nil {
		return err
	}
	st.cardKeys = store
	return nil
}

// OnHost is the connection string dsn (postgres://user:password@host:port/db)
// with its host and port replaced by addr: a compose service's DSN on the
// production stack's cluster.
func OnHost(dsn, addr string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme != "postgres" || u.Host == "" {
		// url's message would quote the string, password included.
		return "", errors.New("not a postgres://user:password@host:port/database URL")
	}
	u.Host = addr
	return u.String(), nil
}

// startPostgres creates and starts the throwaway cluster, with the compose
// file's superuser and a generated password.
func (p *Project) startPostgres(ctx context.Context, st *prodState) error {
	st.password = RandomSecret(24)
	c, err := LoadCompose(p.Root, map[string]string{
		"POSTGRES_PASSWORD": st.password, EnvCardKeysDBPassword: RandomSecret(24), "TEMPORAL_NAMESPACE": p.namespace(),
	})
	if err != nil {
		return err
	}
	st.compose = c
	if st.moduleDir, err = ServerModuleDir(ctx, c.ServerVersion); err != nil {
		return err
	}
	if st.ports == nil {
		if st.ports, err = p.freePorts(len(serverPortVars)); err != nil {
			return err
		}
	}
	if p.Addrs.Postgres == "" {
		return errors.New("no address for PostgreSQL")
	}
	p.progress("creating a throwaway PostgreSQL cluster on %s", p.Addrs.Postgres)
	pg, err := NewPostgres(ctx, p.Addrs.Postgres, c.PostgresEnv["POSTGRES_USER"], st.password, nil)
	if err != nil {
		return err
	}
	spec, err := pg.Spec()
	if err != nil {
		pg.Remove()
		return err
	}
	st.pg = pg
	_, err = p.StartProcess(ctx, spec, pg.Ready())
	return err
}

// freePorts picks n free loopback ports, none of them one of the stack's
// addresses, for the server's variables. They are below 32768, outside
// the kernel's ephemeral range: the server stores its membership ports in
// a PostgreSQL smallint (an ephemeral port makes it exit at start).
func (p *Project) freePorts(n int) (map[string]string, error) {
	out := map[string]string{}
	var held []net.Listener
	defer func() {
		for _, l := range held {
			_ = l.Close()
		}
	}()
	for attempts := 0; len(out) < n; attempts++ {
		if attempts > 1000 {
			return nil, errors.New("no free port between 20000 and 32767")
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(20000+rand.IntN(12768)))
		if p.Addrs.uses(addr) {
			continue
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		held = append(held, l)
		out[serverPortVars[len(out)]] = portOf(addr)
	}
	return out, nil
}

// runJob runs a compose job's script with /bin/sh, with the compose file's
// image commands on PATH: temporal-sql-tool (the server's SQL tool) and
// temporal (the CLI).
func (p *Project) runJob(ctx context.Context, name, script string, env map[string]string) error {
	tools := filepath.Join(p.StateDir, "compose-tools")
	if err := os.MkdirAll(tools, 0o700); err != nil {
		return err
	}
	links := map[string]string{
		"temporal-sql-tool": filepath.Join(p.ServerDir(p.prod.compose.ServerVersion), "sql"),
		"temporal":          p.TemporalBin(),
		"psql":              filepath.Join(p.prod.pg.BinDir, "psql"),
	}
	for link, target := range links {
		path := filepath.Join(tools, link)
		_ = os.Remove(path)
		if err := os.Symlink(target, path); err != nil {
			return err
		}
	}
	env = maps.Clone(env)
	env["PATH"] = tools + string(os.PathListSeparator) + os.Getenv("PATH")
	log, err := p.logWriter(name)
	if err != nil {
		return err
	}
	tail := &tailBuffer{max: 8 << 10}
	var out io.Writer = tail
	if log != nil {
		out = io.MultiWriter(log, tail)
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script)
	cmd.Env = Environ(env)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("compose job %s: %w; its output:\n%s", name, err, indent(tail.String()))
	}
	return nil
}

// writeDynamicConfig writes Server.Config (KEY=JSON) as the server's
// dynamic config file.
func (p *Project) writeDynamicConfig() (string, error) {
	var b strings.Builder
	for _, kv := range p.Server.Config {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return "", fmt.Errorf("dynamic config %q is not KEY=VALUE", kv)
		}
		fmt.Fprintf(&b, "%s:\n  - value: %s\n", k, v)
	}
	path := filepath.Join(p.StateDir, "dynamicconfig.yaml")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

// frontendServing passes when the frontend at addr answers its health check
// (before any namespace exists).
func frontendServing(addr string) Check {
	return func(ctx context.Context) error {
		c, err := client.DialContext(ctx, client.Options{HostPort: addr, Logger: QuietLogger{}})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
}

func hostOf(addr string) string {
	host, _, _ := net.SplitHostPort(addr)
	return host
}
