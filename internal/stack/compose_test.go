package stack

import (
	"strings"
	"testing"
)

func TestLoadComposeTakesTheTopologyFromTheComposeFile(t *testing.T) {
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadCompose(root, map[string]string{"POSTGRES_PASSWORD": "pw-from-env"})
	if err != nil {
		t.Fatal(err)
	}
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

func TestLoadComposeRefusesAMissingSecret(t *testing.T) {
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	_, err = LoadCompose(root, nil)
	if err == nil || !strings.Contains(err.Error(), "POSTGRES_PASSWORD") {
		t.Fatalf("err = %v, want one naming POSTGRES_PASSWORD", err)
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
