// Package historytest writes and reads the recorded workflow histories that
// the replay tests run today's code over (the README's "Changing the
// workflow"): JSON of temporal.api.history.v1.History, as the CLI exports.
package historytest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// Write exports the history of workflowID's latest run to file.
func Write(ctx context.Context, t testing.TB, c client.Client, workflowID, file string) {
	t.Helper()
	hist := &historypb.History{}
	iter := c.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		hist.Events = append(hist.Events, ev)
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(hist)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d events)", file, len(hist.Events))
}

// Read reads a history Write wrote.
func Read(t testing.TB, file string) *historypb.History {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var hist historypb.History
	if err := protojson.Unmarshal(raw, &hist); err != nil {
		t.Fatal(err)
	}
	return &hist
}

// Files lists the recorded histories in testdata/<dir> of the package
// under test; none fails the test, saying how to record them (pkg is the
// package's path, e.g. ./workflows).
func Files(t testing.TB, dir, pkg string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no recorded histories in testdata/%s (run RECORD_HISTORIES=1 go test -run TestRecordHistories %s)", dir, pkg)
	}
	return files
}
