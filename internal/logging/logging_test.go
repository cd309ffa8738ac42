package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
)

func TestNewWritesRedactedJSON(t *testing.T) {
	var buf bytes.Buffer
	zl := New(&buf, "debug", "worker")
	zl.Info().Str("card_number", "4111111111111111").Str("client_secret", "shh").
		Msg("charging 5555 5555 5555 4444 with Authorization: Bearer abc123")

	line := buf.String()
	for _, secret := range []string{"4111111111111111", "5555 5555 5555 4444", "shh", "abc123"} {
		if strings.Contains(line, secret) {
			t.Errorf("log line leaks %q: %s", secret, line)
		}
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(line), &fields); err != nil {
		t.Fatalf("log line is not JSON: %v: %s", err, line)
	}
	if fields["component"] != "worker" || fields["level"] != "info" {
		t.Errorf("component/level = %v/%v, want worker/info", fields["component"], fields["level"])
	}
	if fields["card_number"] != "411111******1111" {
		t.Errorf("card_number = %v, want 411111******1111", fields["card_number"])
	}
	if _, ok := fields["time"]; !ok {
		t.Errorf("no time field: %s", line)
	}
}

func TestNewHonoursLevel(t *testing.T) {
	var buf bytes.Buffer
	zl := New(&buf, "warn", "x")
	zl.Info().Msg("hidden")
	zl.Warn().Msg("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "shown") {
		t.Errorf("level warn: got %q", buf.String())
	}
}

func TestNewUnknownLevelFallsBackToInfo(t *testing.T) {
	var buf bytes.Buffer
	zl := New(&buf, "loud", "x")
	zl.Debug().Msg("hidden")
	zl.Info().Msg("shown")
	out := buf.String()
	if !strings.Contains(out, `log level \"loud\"`) || strings.Contains(out, "hidden") || !strings.Contains(out, "shown") {
		t.Errorf("unknown level: got %q", out)
	}
}

func TestParseLevel(t *testing.T) {
	if l, err := ParseLevel(""); err != nil || l != zerolog.InfoLevel {
		t.Errorf(`ParseLevel("") = %v, %v`, l, err)
	}
	if l, err := ParseLevel(" DEBUG "); err != nil || l != zerolog.DebugLevel {
		t.Errorf(`ParseLevel(" DEBUG ") = %v, %v`, l, err)
	}
	if _, err := ParseLevel("verbose"); err == nil || !strings.Contains(err.Error(), "want one of") {
		t.Errorf(`ParseLevel("verbose") error = %v`, err)
	}
}

func TestRedactingWriterJoinsPartialWrites(t *testing.T) {
	var buf bytes.Buffer
	w := NewRedactingWriter(&buf)
	// Split inside the PAN and inside the second line: nothing may leak.
	for _, part := range []string{"first 4111 11", "11 1111 1111 line\nsec", "ond cvv=12", "3\n"} {
		n, err := w.Write([]byte(part))
		if err != nil || n != len(part) {
			t.Fatalf("Write(%q) = %d, %v", part, n, err)
		}
	}
	want := "first 411111******1111 line\nsecond cvv=***\n"
	if got := buf.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRedactingWriterHoldsPartialLineUntilFlush(t *testing.T) {
	var buf bytes.Buffer
	w := NewRedactingWriter(&buf)
	if _, err := w.Write([]byte("no newline 4111111111111111")); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("partial line written early: %q", buf.String())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "no newline 411111******1111" {
		t.Errorf("after Flush got %q", got)
	}
	if err := w.Flush(); err != nil || buf.String() != "no newline 411111******1111" {
		t.Errorf("second Flush wrote again: %q, %v", buf.String(), err)
	}
}

func TestRedactingWriterKeepsCRLF(t *testing.T) {
	var buf bytes.Buffer
	w := NewRedactingWriter(&buf)
	_, _ = w.Write([]byte("token=abc\r\n"))
	if got := buf.String(); got != "token=[REDACTED]\r\n" {
		t.Errorf("got %q", got)
	}
}

func TestRedactingWriterBoundsPendingLine(t *testing.T) {
	var buf bytes.Buffer
	w := NewRedactingWriter(&buf)
	big := strings.Repeat("x", maxPendingLine+1)
	if _, err := w.Write([]byte(big)); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != len(big) {
		t.Errorf("oversized line: wrote %d bytes, want %d", buf.Len(), len(big))
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRedactingWriterReportsErrors(t *testing.T) {
	w := NewRedactingWriter(failingWriter{})
	if _, err := w.Write([]byte("a\n")); err == nil {
		t.Error("Write succeeded on a failing writer")
	}
}

func TestRedactingWriterConcurrentLinesStayWhole(t *testing.T) {
	var buf bytes.Buffer
	zl := New(&buf, "info", "c")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				zl.Info().Str("pan", "4111111111111111").Int("i", i).Msg("m")
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("got %d lines, want 400", len(lines))
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) || strings.Contains(l, "4111111111111111") {
			t.Fatalf("bad line %q", l)
		}
	}
}

func TestSDKLoggerRoutesThroughRedaction(t *testing.T) {
	var buf bytes.Buffer
	sdk := SDKLogger(New(&buf, "debug", "worker"))
	sdk.Info("activity failed", "WorkflowID", "BK-9", "Error", "card 4111111111111111 declined, access_token=xyz")
	line := buf.String()
	var fields map[string]any
	if err := json.Unmarshal([]byte(line), &fields); err != nil {
		t.Fatalf("not JSON: %v: %s", err, line)
	}
	if fields["WorkflowID"] != "BK-9" || fields["message"] != "activity failed" || fields["component"] != "worker" {
		t.Errorf("fields = %v", fields)
	}
	if strings.Contains(line, "4111111111111111") || strings.Contains(line, "xyz") {
		t.Errorf("SDK log leaks: %s", line)
	}
	sdk.Debug("debug line")
	if !strings.Contains(buf.String(), "debug line") {
		t.Errorf("debug not passed through: %s", buf.String())
	}
}
