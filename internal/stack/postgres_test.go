package stack

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startTestPostgres starts a throwaway cluster in g (max_connections=20),
// removed when the test ends; the caller stops g.
func startTestPostgres(ctx context.Context, t *testing.T, g *Group, addr, user, password string) *Postgres {
	t.Helper()
	pg, err := NewPostgres(ctx, addr, user, password, []string{"max_connections=20"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Remove)
	if err := pg.Start(ctx, g); err != nil {
		t.Fatal(err)
	}
	return pg
}

// A throwaway cluster serves on its port with password authentication, and
// its directory is gone once removed.
func TestThrowawayPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts PostgreSQL")
	}
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var g Group
	defer g.Stop(5 * time.Second)
	pg := startTestPostgres(ctx, t, &g, addr, "temporal", "s3cret-pw")
	u, err := url.Parse(pg.DSN("postgres"))
	if err != nil || u.Host != addr || u.User.Username() != "temporal" {
		t.Fatalf("DSN %q (err %v): want temporal@%s", pg.DSN("postgres"), err, addr)
	}
	psql := func(password string) (string, error) {
		cmd := exec.CommandContext(ctx, filepath.Join(pg.BinDir, "psql"), "-h", "127.0.0.1", "-p", u.Port(), "-U", "temporal",
			"-d", "postgres", "-tAc", "SHOW max_connections")
		cmd.Env = append(os.Environ(), "PGPASSWORD="+password)
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := psql("s3cret-pw"); err != nil || out != "20" {
		t.Errorf("psql with the password: %q, %v; want the setting 20", out, err)
	}
	if out, err := psql("wrong"); err == nil {
		t.Errorf("psql with a wrong password connected: %q", out)
	}
	if err := g.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	pg.Remove()
	if _, err := os.Stat(pg.Dir); !os.IsNotExist(err) {
		t.Errorf("cluster directory %s still there (%v)", pg.Dir, err)
	}
}

// The compose file's cardkeys-db job, run on the stack's cluster as the
// production stack runs it, makes the card-key store the stack then hands
// every process: the cardkeys role's database, which opens as that role.
func TestCardKeysJobMakesTheProductionStacksStore(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts PostgreSQL")
	}
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := &Project{Root: root, StateDir: t.TempDir(), Server: Server{Prod: true}}
	st := &p.prod
	st.password = RandomSecret(24)
	if st.compose, err = LoadCompose(root, map[string]string{"POSTGRES_PASSWORD": st.password, EnvCardKeysDBPassword: RandomSecret(24)}); err != nil {
		t.Fatal(err)
	}
	var g Group
	defer g.Stop(5 * time.Second)
	st.pg = startTestPostgres(ctx, t, &g, addr, st.compose.PostgresEnv["POSTGRES_USER"], st.password)
	for range 2 { // the job is safe to re-run
		if err := p.runCardKeysJob(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	dsn := p.CardKeyStore()
	u, err := url.Parse(dsn)
	if err != nil || u.Host != addr || u.User.Username() != "cardkeys" || u.Path != "/cardkeys" {
		t.Fatalf("CARD_KEY_STORE (err %v): want the cardkeys role's database on %s", err, addr)
	}
	if want, _ := OnHost(st.compose.CardKeyStore, addr); dsn != want {
		t.Errorf("CARD_KEY_STORE is not the compose file's on the stack's cluster")
	}
	if env := p.ClientEnv(); env["CARD_KEY_STORE"] != dsn {
		t.Errorf("the starters' CARD_KEY_STORE is not the stack's")
	}
	s, err := p.OpenCardKeys(ctx)
	if err != nil {
		t.Fatalf("the store does not open as the cardkeys role: %v", err)
	}
	_ = s.Close()
	if _, err := os.Stat(p.CardKeyFile()); !os.IsNotExist(err) {
		t.Errorf("a SQLite store was made at %s (%v)", p.CardKeyFile(), err)
	}
}
