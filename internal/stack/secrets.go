package stack

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Generator makes a fresh value for one variable of an env file.
type Generator func() (string, error)

// LoadOrCreateEnvFile reads KEY=VALUE lines from path and generates every
// variable of gens that the file lacks, then writes the file back (mode
// 0600, its directory 0700). Values already in the file are never replaced:
// the dev server's database holds histories encrypted with the first key.
func LoadOrCreateEnvFile(path string, gens map[string]Generator) (map[string]string, error) {
	vals, err := ReadEnvFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if vals == nil {
		vals = map[string]string{}
	}
	changed := false
	for _, k := range sortedKeys(gens) {
		if vals[k] != "" {
			continue
		}
		v, err := gens[k]()
		if err != nil {
			return nil, fmt.Errorf("generate %s: %w", k, err)
		}
		if strings.ContainsAny(v, "\n\r") {
			return nil, fmt.Errorf("generate %s: value spans lines", k)
		}
		vals[k] = v
		changed = true
	}
	if changed {
		if err := writeEnvFile(path, vals); err != nil {
			return nil, err
		}
	}
	return vals, nil
}

// ReadEnvFile parses KEY=VALUE lines; blank lines and # comments are skipped.
func ReadEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vals := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%s:%d: not KEY=VALUE", path, n)
		}
		vals[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return vals, sc.Err()
}

func writeEnvFile(path string, vals map[string]string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# Local secrets for the dev stack, generated on first run. Never commit this file.\n")
	for _, k := range sortedKeys(vals) {
		b.WriteString(k + "=" + vals[k] + "\n")
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
