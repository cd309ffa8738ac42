package deploy

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/cardvault/pgstore"
	"github.com/hotelpay/a55-temporal/internal/pgtest"
)

// The card-key store in production is its own PostgreSQL database and role:
// the compose job's script, run twice on a real server as the compose
// superuser would, makes a role that is no superuser and a database it owns,
// and the worker's and the codec server's CARD_KEY_STORE (the same one, its
// password from .env) opens it, its migrations applied at start-up.
func TestComposeCardKeyStoreIsItsOwnDatabaseAndRole(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	c := load(t)
	worker, codec, intake := c.Services["worker"].Environment["CARD_KEY_STORE"], c.Services["codecserver"].Environment["CARD_KEY_STORE"],
		c.Services["cardintake"].Environment["CARD_KEY_STORE"]
	if worker == "" || worker != codec || worker != intake {
		t.Fatalf("worker CARD_KEY_STORE %q, codec server %q, card intake %q: want the same store", worker, codec, intake)
	}
	const pwVar = "${CARDKEYS_DB_PASSWORD:?set CARDKEYS_DB_PASSWORD in .env}"
	if !strings.Contains(worker, ":"+pwVar+"@") {
		t.Fatalf("CARD_KEY_STORE %q does not take its password from .env", worker)
	}
	job := c.Services["cardkeys-db"]
	if !strings.Contains(commandText(job), "-f /cardkeys-init.sql") || job.Environment["CARDKEYS_DB_PASSWORD"] != pwVar {
		t.Fatalf("cardkeys-db job: %q, env %v", commandText(job), job.Environment)
	}
	script, err := os.ReadFile(filepath.Join(root(t), "deploy", "cardkeys-init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	srv := pgtest.Start(t)
	for range 2 { // re-running the job changes nothing
		srv.SQLFile(t, "postgres", string(script), map[string]string{"pw": "0123abcd"})
	}
	u, err := url.Parse(strings.Replace(worker, pwVar, "0123abcd", 1))
	if err != nil {
		t.Fatal(err)
	}
	if u.User.Username() != "cardkeys" || u.Path != "/cardkeys" {
		t.Fatalf("CARD_KEY_STORE %s: want role cardkeys on database cardkeys", u.Redacted())
	}
	u.Host = srv.DSNHost()
	s, err := pgstore.Open(context.Background(), u.String())
	if err != nil {
		t.Fatalf("the worker's store does not open: %v", err)
	}
	_ = s.Close()
	if got := srv.Query(t, "postgres", `SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = 'cardkeys'`); got != "f" {
		t.Errorf("the cardkeys role has superuser, createrole or createdb powers (%q)", got)
	}
	if got := srv.Query(t, "cardkeys", `SELECT tableowner FROM pg_tables WHERE tablename = 'card_keys'`); got != "cardkeys" {
		t.Errorf("card_keys is owned by %q, want the cardkeys role (migrated at start-up)", got)
	}
}
