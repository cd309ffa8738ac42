package codecserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAuthTokenFromLookup(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("  file-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(kv map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
	}
	if got, err := AuthTokenFromLookup(env(map[string]string{EnvAuthToken: "env-token-0123456789"})); err != nil || got != "env-token-0123456789" {
		t.Errorf("from env = %q, %v", got, err)
	}
	if got, err := AuthTokenFromLookup(env(map[string]string{EnvAuthTokenFile: tokenFile})); err != nil || got != "file-token-0123456789" {
		t.Errorf("from file = %q, %v", got, err)
	}
	for name, tt := range map[string]struct {
		env     map[string]string
		wantErr string
	}{
		"none":         {map[string]string{}, EnvAuthToken},
		"both":         {map[string]string{EnvAuthToken: "env-token-0123456789", EnvAuthTokenFile: tokenFile}, "only one"},
		"short":        {map[string]string{EnvAuthToken: "short"}, "at least 16"},
		"missing file": {map[string]string{EnvAuthTokenFile: filepath.Join(dir, "nope")}, EnvAuthTokenFile},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := AuthTokenFromLookup(env(tt.env)); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestEnsureTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".dev", "codec.token")
	created, err := EnsureTokenFile(path)
	if err != nil || !created {
		t.Fatalf("EnsureTokenFile = %v, %v", created, err)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode = %o, want 600", info.Mode().Perm())
	}
	first, _ := os.ReadFile(path)
	token, err := AuthTokenFromLookup(func(k string) (string, bool) { return path, k == EnvAuthTokenFile })
	if err != nil || len(token) != 64 {
		t.Errorf("token from generated file = %q, %v", token, err)
	}
	if created, err := EnsureTokenFile(path); err != nil || created {
		t.Errorf("second EnsureTokenFile = %v, %v", created, err)
	}
	if second, _ := os.ReadFile(path); string(first) != string(second) {
		t.Error("existing token file rewritten")
	}
}
