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
	pg, err := NewPostgres(ctx, addr, "temporal", "s3cret-pw", []string{"max_connections=20"})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Remove()
	spec, err := pg.Spec()
	if err != nil {
		t.Fatal(err)
	}
	var g Group
	defer g.Stop(5 * time.Second)
	proc, err := g.Start(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.WaitReady(ctx, pg.Ready()); err != nil {
		t.Fatal(err)
	}
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
