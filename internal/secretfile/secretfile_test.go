package secretfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFromEnvTakesExactlyOneSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	cases := []struct {
		name              string
		env               map[string]string
		value, source, em string
		set               bool
	}{
		{"inline", map[string]string{"S": "inline"}, "inline", "S", "", true},
		{"file", map[string]string{"S_FILE": path}, "from-file\n", "S_FILE " + path, "", true},
		{"blank inline, file", map[string]string{"S": " ", "S_FILE": path}, "from-file\n", "S_FILE " + path, "", true},
		{"neither", map[string]string{"S_FILE": "  "}, "", "", "", false},
		{"both", map[string]string{"S": "inline", "S_FILE": path}, "", "", "both S and S_FILE are set", false},
		{"missing file", map[string]string{"S_FILE": path + ".gone"}, "", "", "S_FILE: open", false},
	}
	for _, tc := range cases {
		value, source, set, err := FromEnv(env(tc.env), "S", "S_FILE")
		if value != tc.value || source != tc.source || set != tc.set {
			t.Errorf("%s: %q, %q, %v; want %q, %q, %v", tc.name, value, source, set, tc.value, tc.source, tc.set)
		}
		if (err == nil) != (tc.em == "") || err != nil && !strings.Contains(err.Error(), tc.em) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.em)
		}
	}
}
