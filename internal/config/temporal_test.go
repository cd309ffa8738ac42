package config

import (
	"os"
	"strings"
	"testing"
)

func TestPayloadKeyringRefusesToRunWithoutAKeyOutsideDevMode(t *testing.T) {
	_, _, err := PayloadKeyring(Map{}, false)
	if err == nil || !strings.Contains(err.Error(), "PAYLOAD_KEYS") || !strings.Contains(err.Error(), "-dev") {
		t.Fatalf("err = %v, want it to name PAYLOAD_KEYS and the dev escape", err)
	}
	// A configured but broken key is an error even in dev mode: never paper over a typo.
	if _, _, err := PayloadKeyring(Map{"PAYLOAD_KEYS": "k1:not-a-key"}, true); err == nil {
		t.Fatal("a malformed PAYLOAD_KEYS was accepted in dev mode")
	}
}

func TestDevModeGeneratesOneSharedLocalKey(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	first, path, err := PayloadKeyring(Map{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if path == "" {
		t.Fatal("dev mode did not say which key file it used")
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("dev key file mode %v, want 0600", info.Mode().Perm())
	}
	second, _, err := PayloadKeyring(Map{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if first.ActiveKeyID() != second.ActiveKeyID() {
		t.Errorf("two processes in dev mode got different keys: %s, %s", first.ActiveKeyID(), second.ActiveKeyID())
	}
}

func TestTemporalClientOptionsCarryTheCodec(t *testing.T) {
	env := Map{"PAYLOAD_KEYS": "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "TEMPORAL_CONFIG_FILE": t.TempDir() + "/none.toml"}
	opts, generated, err := Temporal{Env: env}.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if generated != "" || opts.DataConverter == nil || opts.FailureConverter == nil {
		t.Fatalf("options = %+v, generated %q", opts, generated)
	}
	p, err := opts.DataConverter.ToPayload(map[string]string{"number": "4111111111111111"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(p.GetData()), "4111111111111111") {
		t.Fatal("the data converter does not encrypt")
	}
}
