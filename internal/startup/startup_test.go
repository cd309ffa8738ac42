package startup

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"testing"
)

func TestSettingsExit(t *testing.T) {
	var stderr bytes.Buffer
	if code, done := SettingsExit("worker", nil, &stderr); done || code != 0 {
		t.Errorf("no error = %d, %v; want 0, false", code, done)
	}
	if code, done := SettingsExit("worker", fmt.Errorf("parse: %w", flag.ErrHelp), &stderr); !done || code != 0 || stderr.Len() != 0 {
		t.Errorf("-h = %d, %v, %q; want 0, true, nothing on stderr", code, done, stderr.String())
	}
	if code, done := SettingsExit("worker", errors.New("A55_TIMEOUT: must be positive"), &stderr); !done || code != 2 || stderr.String() != "worker: A55_TIMEOUT: must be positive\n" {
		t.Errorf("bad configuration = %d, %v, %q; want 2, true, the error", code, done, stderr.String())
	}
}
