package clockcheck

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/starter/startertest"
)

// The years a real clock reads while this project lives. A date outside
// them is either long past (an expired card, a list filter from 2000) or
// far enough ahead (a card valid until 2099) to hold on any day.
const firstRiskyYear, lastRiskyYear = 2021, 2089

var datePatterns = []*regexp.Regexp{
	regexp.MustCompile(`time\.Date\(\s*(\d{4})\b`),                                      // time.Date(2026, 12, 3, ...)
	regexp.MustCompile(`\b(\d{4})-[01]\d-[0-3]\d(?:\D|$)`),                              // "2026-12-03", RFC 3339 times
	regexp.MustCompile(`(?i)expiry_?year"?\s*[:=]\s*"?(\d{4})\b`),                       // ExpiryYear: 2030, "card_expiry_year": "2030"
	regexp.MustCompile(`\b[0-3]\d/[01]\d/(\d{4})\b`),                                    // 31/12/2026
	regexp.MustCompile(`(?i)(?:expiry|valid|due|checkout|check_out).{0,20}\b(\d{4})\b`), // free-form: "due 2027"
}

// realClockUse marks a Go test file that can compare a date with the real
// clock: it reads the clock itself or starts processes (a dev server, the
// stack, a binary) that do. Such a file cannot vouch for all its dates at
// once; each date must say why the real clock never reads it.
var realClockUse = regexp.MustCompile(`time\.(Now|Since|Until)\(|StartDevServer\(|startertest\.Start\(|exec\.Command|\bstack\.\w+\(`)

// A comment containing "clock:" justifies the date on its line (and a file
// comment "clock: injected" every date in a file that never meets the real
// clock).
var lineMarker = regexp.MustCompile(`//.*\bclock:`)

const fileMarker = "// clock: injected"

// Fixtures have no comments: each one holding a date names the tests that
// take care of it. Recorded workflow histories replay on their own recorded
// clock, so their timestamps are never compared with today.
var fixtureReasons = map[string]string{
	"cmd/bookingctl/testdata/booking.json":       "the README's example; its tests validate it three days before its own check-out and rewrite its dates before sending it to the stack",
	"internal/a55seeds/testdata/h2h-charge.json": "A55's example verbatim; its tests (the client's JSON round trip, the in-process sandbox, which only checks the date's form) never compare due_date with a clock",
}

// Fuzz corpora are arbitrary inputs: their targets assert properties
// (no panic, no card data in errors), never an outcome that depends on the day.
var skippedDirs = map[string]bool{".git": true, "bin": true, ".dev": true, "node_modules": true, "fuzz": true,
	"workflows/testdata": true, "workflows/reconcile/testdata": true, "internal/clockcheck": true}

type finding struct {
	file string
	line int
	text string
}

func (f finding) String() string {
	return fmt.Sprintf("%s:%d: %s", f.file, f.line, strings.TrimSpace(f.text))
}

// riskyDates lists the lines of one file that hold a date in the risky years
// and carry no justification.
func riskyDates(name, content string) []finding {
	isGo := strings.HasSuffix(name, ".go")
	fileVouched := isGo && strings.Contains(content, fileMarker) && !realClockUse.MatchString(content)
	if !isGo {
		if _, ok := fixtureReasons[name]; ok {
			return nil
		}
	}
	var out []finding
	sc := bufio.NewScanner(strings.NewReader(content))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if !hasRiskyDate(line) || fileVouched || (isGo && lineMarker.MatchString(line)) {
			continue
		}
		out = append(out, finding{name, n, line})
	}
	return out
}

func hasRiskyDate(line string) bool {
	for _, p := range datePatterns {
		for _, m := range p.FindAllStringSubmatch(line, -1) {
			if y, err := strconv.Atoi(m[1]); err == nil && y >= firstRiskyYear && y <= lastRiskyYear {
				return true
			}
		}
	}
	return false
}

func TestNoTestDateTheRealClockWillOvertake(t *testing.T) {
	root := startertest.RepoRoot(t)
	var found []finding
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if skippedDirs[rel] || skippedDirs[d.Name()] && d.Name() != "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		inTestdata := strings.Contains("/"+rel, "/testdata/")
		if !strings.HasSuffix(rel, "_test.go") && !inTestdata {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found = append(found, riskyDates(rel, string(b))...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("%v\n\tA calendar date the real clock will overtake. Compute it from the clock the code reads "+
			"(time.Now() for a real stack, the injected clock otherwise), or say which clock reads it: "+
			"a %q comment on the line, or %q in a file that never reads the real clock.", f, "// clock: ...", fileMarker)
	}
}

// The check must catch the mistake it exists for, and only that.
func TestTheCheckCatchesARealClockDate(t *testing.T) {
	cases := []struct {
		name, file, content string
		risky               bool
	}{
		{"check-out literal beside a dev server", "starter/starter_test.go",
			"srv := startertest.StartDevServer(t)\n// clock: injected\nExpectedCaptureAt: time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC),", true},
		{"card expiry literal", "x_test.go", `Card{ExpiryMonth: 12, ExpiryYear: 2030}`, true},
		{"wire expiry as a string", "x_test.go", `"card_expiry_year": "2031",`, true},
		{"due date", "x_test.go", `"due_date": "2026-12-31",`, true},
		{"Brazilian date", "x_test.go", `DueDate: "31/12/2026",`, true},
		{"fixture", "a/testdata/b.json", `{"expected_capture_at": "2026-12-03T11:00:00-03:00"}`, true},
		{"computed", "x_test.go", "now := time.Now()\nExpiryYear: now.Year() + 3", false},
		{"long past", "x_test.go", `m["card_expiry_year"] = 2020`, false},
		{"far ahead", "x_test.go", `ExpiryYear: 2099`, false},
		{"Go's layout", "x_test.go", "time.Now().Format(\"2006-01-02\")", false},
		{"line marker", "x_test.go", "time.Now()\nbase := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // clock: injected into the sandbox", false},
		{"file marker, injected clock only", "x_test.go", "// clock: injected\nvar t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)", false},
		{"file marker beside the real clock", "x_test.go", "// clock: injected\nvar t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)\nx := time.Since(t0)", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := len(riskyDates(tc.file, tc.content)) > 0; got != tc.risky {
				t.Errorf("risky = %v, want %v", got, tc.risky)
			}
		})
	}
}
