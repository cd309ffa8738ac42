package stack

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadRepoCompose loads the repository's compose file with the .env
// passwords pw-from-env (POSTGRES_PASSWORD) and keys-pw (the cardkeys role's).
func loadRepoCompose(t *testing.T) (root string, c Compose) {
	t.Helper()
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	c, err = LoadCompose(root, map[string]string{"POSTGRES_PASSWORD": "pw-from-env", EnvCardKeysDBPassword: "keys-pw"})
	if err != nil {
		t.Fatal(err)
	}
	return root, c
}

func TestLoadComposeTakesTheTopologyFromTheComposeFile(t *testing.T) {
	_, c := loadRepoCompose(t)
	if !strings.HasPrefix(c.ServerVersion, "v1.") {
		t.Errorf("server version %q: want the image tag as a module version (v1.x.y)", c.ServerVersion)
	}
	if c.ServerEnv["DB"] != "postgres12" || c.ServerEnv["POSTGRES_PWD"] != "pw-from-env" {
		t.Errorf("server environment %v: want DB=postgres12 and the password interpolated", c.ServerEnv)
	}
	if c.SchemaEnv["SQL_PASSWORD"] != "pw-from-env" || c.PostgresEnv["POSTGRES_USER"] == "" {
		t.Errorf("schema job %v / postgres %v: want the password and the user", c.SchemaEnv, c.PostgresEnv)
	}
	if c.NamespaceEnv["NAMESPACE"] != "default" || c.NamespaceEnv["RETENTION"] == "" {
		t.Errorf("namespace job environment %v: want the defaults", c.NamespaceEnv)
	}
	for _, script := range []string{c.SchemaScript, c.NamespaceScript} {
		if strings.Contains(script, "$$") || !strings.Contains(script, "set -eu") {
			t.Errorf("script not unescaped or not the job's:\n%s", script)
		}
	}
	if !strings.Contains(c.SchemaScript, "temporal-sql-tool") || !strings.Contains(c.SchemaScript, AdminToolsSchemaDir+"/postgresql/") {
		t.Errorf("schema script does not run temporal-sql-tool on the image's schemas:\n%s", c.SchemaScript)
	}
}

// The card-key store: the cardkeys-db job's script reads the repository's
// SQL file, and the one CARD_KEY_STORE of the worker, the codec server and
// the card intake is the cardkeys role's database, the password from .env.
func TestLoadComposeTakesTheCardKeyStoreFromTheComposeFile(t *testing.T) {
	root, c := loadRepoCompose(t)
	sqlFile := filepath.Join(root, "deploy", "cardkeys-init.sql")
	if !strings.Contains(c.CardKeysScript, "psql ") || !strings.Contains(c.CardKeysScript, "-f "+sqlFile) ||
		!strings.Contains(c.CardKeysScript, `pw="$CARDKEYS_DB_PASSWORD"`) {
		t.Errorf("cardkeys-db script does not run psql on %s with the password variable:\n%s", sqlFile, c.CardKeysScript)
	}
	if c.CardKeysEnv["PGPASSWORD"] != "pw-from-env" || c.CardKeysEnv["PGUSER"] != c.PostgresEnv["POSTGRES_USER"] ||
		c.CardKeysEnv[EnvCardKeysDBPassword] != "keys-pw" {
		t.Errorf("cardkeys-db environment %v: want the superuser's login and the role's password", c.CardKeysEnv)
	}
	u, err := url.Parse(c.CardKeyStore)
	if err != nil {
		t.Fatal(err)
	}
	if pw, _ := u.User.Password(); u.Scheme != "postgres" || u.User.Username() != "cardkeys" || pw != "keys-pw" || u.Path != "/cardkeys" {
		t.Errorf("CARD_KEY_STORE %s: want the cardkeys role's database with the .env password", u.Redacted())
	}
	on, err := OnHost(c.CardKeyStore, "127.0.0.1:25432")
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(c.CardKeyStore, "@"+u.Host+"/", "@127.0.0.1:25432/", 1); on != want || want == c.CardKeyStore {
		t.Errorf("OnHost = %q, want %q", on, want)
	}
	if _, err := OnHost("sqlite:/tmp/keys.db", "127.0.0.1:1"); err == nil {
		t.Error("OnHost accepted a SQLite store")
	}
}

// A compose file whose services disagree on CARD_KEY_STORE is refused: the
// production stack would not know which one the deployment means.
func TestLoadComposeRefusesDisagreeingCardKeyStores(t *testing.T) {
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, ComposeFile))
	if err != nil {
		t.Fatal(err)
	}
	const intake = "CARD_INTAKE_TOKEN: ${CARD_INTAKE_TOKEN:?set CARD_INTAKE_TOKEN in .env}\n      CARD_KEY_STORE: postgres://cardkeys:"
	if !strings.Contains(string(b), intake) {
		t.Fatalf("the compose file's cardintake service no longer reads %q", intake)
	}
	dir := t.TempDir()
	other := strings.Replace(string(b), intake, intake+"x", 1)
	if err := os.WriteFile(filepath.Join(dir, ComposeFile), []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadCompose(dir, map[string]string{"POSTGRES_PASSWORD": "p", EnvCardKeysDBPassword: "k"})
	if err == nil || !strings.Contains(err.Error(), "cardintake: CARD_KEY_STORE differs") {
		t.Fatalf("err = %v, want one naming cardintake's CARD_KEY_STORE", err)
	}
}

func TestLoadComposeRefusesAMissingSecret(t *testing.T) {
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	_, err = LoadCompose(root, nil)
	if err == nil || !strings.Contains(err.Error(), "POSTGRES_PASSWORD") {
		t.Fatalf("err = %v, want one naming POSTGRES_PASSWORD", err)
	}
	_, err = LoadCompose(root, map[string]string{"POSTGRES_PASSWORD": "p"})
	if err == nil || !strings.Contains(err.Error(), EnvCardKeysDBPassword) {
		t.Fatalf("err = %v, want one naming %s", err, EnvCardKeysDBPassword)
	}
}

func TestInterpolate(t *testing.T) {
	vars := map[string]string{"SET": "value"}
	for in, want := range map[string]string{
		"${SET}":             "value",
		"${SET:-default}":    "value",
		"${UNSET:-default}":  "default",
		"${UNSET}":           "",
		"a $$b ${SET:?need}": "a $b value",
		"$$$$":               "$$",
	} {
		got, err := interpolate(in, vars)
		if err != nil || got != want {
			t.Errorf("interpolate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := interpolate("${UNSET:?set UNSET in .env}", vars); err == nil || !strings.Contains(err.Error(), "set UNSET in .env") {
		t.Errorf("a missing required variable: err = %v", err)
	}
}
