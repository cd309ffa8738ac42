package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/internal/stack"
)

// The README's Configuration table documents every environment variable the
// processes read: a new variable without a line there fails this test.
func TestREADMEDocumentsEveryVariableTheProcessesRead(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	// `NAME` and `PREFIX_*` mentions in backquotes.
	documented := map[string]bool{}
	var wildcards []string
	for _, m := range regexp.MustCompile("`([A-Z][A-Z0-9_]*\\*?)`").FindAllStringSubmatch(text, -1) {
		if p, ok := strings.CutSuffix(m[1], "*"); ok {
			wildcards = append(wildcards, p)
		} else {
			documented[m[1]] = true
		}
	}
	envPrefix := regexp.MustCompile(`^(TEMPORAL|A55|WEBHOOK|PAYLOAD|CODEC|WORKER|METRICS|RECEIVER|LOG|DEV)_`)
	var missing []string
	for _, bin := range []string{stack.BinWorker, stack.BinReceiver, stack.BinCodec, stack.BinCtl} {
		for name := range namesRead(t, stack.MainPackage(bin)) {
			if !envPrefix.MatchString(name) || documented[name] || coveredBy(name, wildcards) {
				continue
			}
			missing = append(missing, name+" ("+bin+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("README.md does not document: %s", strings.Join(missing, ", "))
	}
}

func coveredBy(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
