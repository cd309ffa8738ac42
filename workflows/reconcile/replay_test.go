package reconcile_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	sdkworkflow "go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/historytest"
	"github.com/hotelpay/a55-temporal/workflows/reconcile"
)

// historyDirs are the Reconcile workflow's recorded histories, one
// directory per change that a run may still need (the README's "Changing
// the workflow"). reread-before-release: today's code, which reads a charge
// that looks ownerless again before releasing it. No directory holds runs
// from before that patch (none were recorded then; a run lasts minutes, so
// none is left): TestReconciliationStartedBeforeTheRereadKeepsItsCommands
// pins that branch. RECORD_HISTORIES=1 writes into the last directory.
var historyDirs = []string{"reread-before-release"}

var quiet = log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

// TestReplayRecordedHistories replays every recorded run of the Reconcile
// workflow against today's code: a change that would break a run in
// flight (a command added, removed or reordered without a GetVersion
// patch) fails here.
func TestReplayRecordedHistories(t *testing.T) {
	for _, dir := range historyDirs {
		for _, file := range historytest.Files(t, dir, "./workflows/reconcile") {
			t.Run(dir+"/"+filepath.Base(file), func(t *testing.T) {
				replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{})
				if err != nil {
					t.Fatal(err)
				}
				replayer.RegisterWorkflowWithOptions(reconcile.Reconcile, sdkworkflow.RegisterOptions{Name: reconcile.WorkflowName})
				if err := replayer.ReplayWorkflowHistory(quiet, historytest.Read(t, file)); err != nil {
					t.Fatalf("replay: %v", err)
				}
			})
		}
	}
}

// TestRecordHistories runs the Reconcile workflow on a real Temporal dev
// server (bin/temporal) with an in-process worker, the real activities and
// A55 client against the A55 sandbox, and the bookings' workflows played by
// a describer, and writes each run's history to testdata/<last dir>/. It
// runs only with RECORD_HISTORIES=1.
func TestRecordHistories(t *testing.T) {
	if os.Getenv("RECORD_HISTORIES") == "" {
		t.Skip("set RECORD_HISTORIES=1 to record histories from a dev server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  filepath.Join("..", "..", "bin", "temporal"),
		ClientOptions: &client.Options{Logger: quiet},
		LogLevel:      "error",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c := srv.Client()

	// run reconciles one sandbox's wallet with bookings as setup makes them
	// (setup places the holds) and records the run as name.
	run := func(name string, setup func(a55 *a55client.Client) reconcile.Describer) reconcile.Report {
		t.Helper()
		_, a55 := sandboxClient(t, a55sandbox.VocabularySeeds, a55client.VocabularySeeds)
		queue := "reconcile-record-" + name
		w := worker.New(c, queue, worker.Options{})
		w.RegisterWorkflowWithOptions(reconcile.Reconcile, sdkworkflow.RegisterOptions{Name: reconcile.WorkflowName})
		w.RegisterActivity(&reconcile.Activities{A55: a55, Temporal: setup(a55)})
		w.RegisterActivity(activities.New(a55, activities.Config{}))
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		id := "reconcile-record-" + name
		wr, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, reconcile.WorkflowName,
			reconcile.Input{Wallets: []string{a55sandbox.DefaultWallet}})
		if err != nil {
			t.Fatal(err)
		}
		var r reconcile.Report
		if err := wr.Get(ctx, &r); err != nil {
			t.Fatal(err)
		}
		historytest.Write(ctx, t, c, id, filepath.Join("testdata", historyDirs[len(historyDirs)-1], name+".json"))
		return r
	}

	// Every kind of charge: owned by an open booking, one whose workflow
	// was terminated, one with no workflow, a booking's second charge, an
	// amount the booking disagrees with, and a reference that is no booking.
	r := run("owners_and_strays", func(a55 *a55client.Client) reconcile.Describer {
		owned, terminated, first, disputed := hold(t, a55, "R-owned", 50000), hold(t, a55, "R-terminated", 50000),
			hold(t, a55, "R-twice", 50000), hold(t, a55, "R-amount", 50000)
		hold(t, a55, "R-nobody", 50000)
		hold(t, a55, "R-twice", 50000)
		hold(t, a55, "not a booking id!", 1000)
		return describer{
			"R-owned":      {Exists: true, Open: true, PaymentStatus: "authorized", ChargeUUID: owned, Authorized: 50000},
			"R-terminated": {Exists: true, Open: false, PaymentStatus: "authorized", ChargeUUID: terminated, Authorized: 50000},
			"R-twice":      {Exists: true, Open: true, PaymentStatus: "authorized", ChargeUUID: first, Authorized: 50000},
			"R-amount":     {Exists: true, Open: true, PaymentStatus: "authorized", ChargeUUID: disputed, Authorized: 40000},
		}
	})
	if len(r.Released) != 3 || len(r.Disagreements) != 1 || r.Foreign != 1 {
		t.Fatalf("owners_and_strays report %+v", r)
	}

	// Bookings that captured or released their charge after the listing:
	// read again, settled, not released; a terminated one's hold released.
	r = run("settled_meanwhile", func(a55 *a55client.Client) reconcile.Describer {
		captured, voided, stray := hold(t, a55, "S-captured", 50000), hold(t, a55, "S-voided", 50000), hold(t, a55, "S-terminated", 50000)
		return racingDescriber{
			describer: describer{
				"S-captured":   {Exists: true, Open: false, PaymentStatus: "captured", ChargeUUID: captured, Authorized: 50000},
				"S-voided":     {Exists: true, Open: false, PaymentStatus: "voided", ChargeUUID: voided, Authorized: 50000},
				"S-terminated": {Exists: true, Open: false, PaymentStatus: "authorized", ChargeUUID: stray, Authorized: 50000},
			},
			meanwhile: map[string]func(){
				"S-captured": func() {
					if _, err := a55.CaptureCharge(ctx, &a55client.CaptureParams{WalletUUID: a55sandbox.DefaultWallet, ChargeUUID: captured}, "booking/"+captured+"/capture"); err != nil {
						t.Error(err)
					}
				},
				"S-voided": func() {
					if _, err := a55.CancelCharge(ctx, &a55client.CancelParams{WalletUUID: a55sandbox.DefaultWallet, ChargeUUID: voided}, "booking/"+voided+"/cancel"); err != nil {
						t.Error(err)
					}
				},
			},
		}
	})
	if len(r.Released) != 1 || len(r.Settled) != 2 {
		t.Fatalf("settled_meanwhile report %+v", r)
	}

	// Nothing open at A55: the run lists and ends.
	r = run("nothing_open", func(*a55client.Client) reconcile.Describer { return describer{} })
	if r.Listed != 0 {
		t.Fatalf("nothing_open report %+v", r)
	}
}
