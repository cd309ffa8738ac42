package stack

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEnvFileIsGeneratedOnceAndKeptPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "secrets.env")
	calls := 0
	gens := map[string]Generator{
		"WEBHOOK_ROUTE_SECRET": func() (string, error) { calls++; return RandomSecret(32), nil },
	}
	first, err := LoadOrCreateEnvFile(path, gens)
	if err != nil {
		t.Fatal(err)
	}
	if len(first["WEBHOOK_ROUTE_SECRET"]) < 32 {
		t.Fatalf("secret %q is too short", first["WEBHOOK_ROUTE_SECRET"])
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file mode = %v, want 0600", st.Mode().Perm())
	}

	// A second run reuses the value and only generates what is new.
	gens["CODEC_AUTH_TOKEN"] = func() (string, error) { return "token-" + RandomSecret(8), nil }
	second, err := LoadOrCreateEnvFile(path, gens)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("existing secret regenerated (%d calls)", calls)
	}
	if second["WEBHOOK_ROUTE_SECRET"] != first["WEBHOOK_ROUTE_SECRET"] || second["CODEC_AUTH_TOKEN"] == "" {
		t.Fatalf("second run = %v", second)
	}
	reread, err := ReadEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if reread["CODEC_AUTH_TOKEN"] != second["CODEC_AUTH_TOKEN"] {
		t.Fatal("the new secret was not written to the file")
	}
}

func TestReadEnvFileRejectsAMalformedLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.env")
	if err := os.WriteFile(path, []byte("# comment\nGOOD=1\nnot a pair\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEnvFile(path); err == nil {
		t.Fatal("a line without '=' was accepted")
	}
}
