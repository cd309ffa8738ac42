package reconcile_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	sdkworkflow "go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
	"github.com/hotelpay/a55-temporal/workflows/reconcile"
)

// describer plays Temporal: the bookings' workflows as the test sets them.
type describer map[string]reconcile.Booking

func (d describer) DescribeWorkflowExecution(_ context.Context, workflowID, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	for id, b := range d {
		if workflows.WorkflowID(id) != workflowID || !b.Exists {
			continue
		}
		status := enums.WORKFLOW_EXECUTION_STATUS_TERMINATED
		if b.Open {
			status = enums.WORKFLOW_EXECUTION_STATUS_RUNNING
		}
		fields := map[string]*common.Payload{}
		dc := converter.GetDefaultDataConverter()
		for k, v := range map[string]any{"PaymentStatus": b.PaymentStatus, "ChargeUUID": b.ChargeUUID, "AuthorizedAmount": b.Authorized} {
			p, _ := dc.ToPayload(v)
			fields[k] = p
		}
		return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflow.WorkflowExecutionInfo{
			Status: status, SearchAttributes: &common.SearchAttributes{IndexedFields: fields}}}, nil
	}
	return nil, serviceerror.NewNotFound("workflow not found")
}

// QueryWorkflow answers the status query as the booking's workflow would:
// its hold, and in Holding[1] a replacement hold waiting for its 3DS
// challenge.
func (d describer) QueryWorkflow(_ context.Context, workflowID, _, queryType string, _ ...interface{}) (converter.EncodedValue, error) {
	for id, b := range d {
		if workflows.WorkflowID(id) != workflowID || !b.Open || queryType != workflows.QueryStatus {
			continue
		}
		st := workflows.PaymentState{BookingID: id, Status: workflows.Status(b.PaymentStatus), ChargeUUID: b.ChargeUUID}
		switch {
		case len(b.Holding) > 1:
			st.ChargeUUID = b.Holding[0]
			st.Replacement = &workflows.ReplaceHoldResult{Number: 1, Status: workflows.StatusAwaiting3DS, ChargeUUID: b.Holding[1]}
		case b.Replacing:
			// The replacement's create call has not been answered yet.
			st.Replacement = &workflows.ReplaceHoldResult{Number: 1, Status: workflows.StatusAuthorizing}
		}
		return encoded{st}, nil
	}
	return nil, serviceerror.NewNotFound("workflow not found")
}

// encoded is a query answer.
type encoded struct{ v workflows.PaymentState }

func (e encoded) HasValue() bool { return true }
func (e encoded) Get(ptr interface{}) error {
	*ptr.(*workflows.PaymentState) = e.v
	return nil
}

func hold(t *testing.T, c *a55client.Client, booking string, minor int64) string {
	t.Helper()
	ch, err := c.CreateCharge(context.Background(), &a55client.CreateChargeParams{
		WalletUUID: a55sandbox.DefaultWallet, MerchantID: "m-1",
		Payer:  a55client.Payer{Name: "Ana Souza", Email: "ana@example.com", CellPhone: "+5511987654321", TaxID: "12345678909"},
		Amount: money.Amount{Minor: minor, Currency: "BRL"}, Description: "stay",
		Card:                a55client.Card{HolderName: "ANA SOUZA", Number: "4111111111111111", ExpiryMonth: 12, ExpiryYear: time.Now().Year() + 3, CVV: "123"},
		ReferenceExternalID: booking,
	}, fmt.Sprintf("test-%d", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	return ch.UUID
}

// sandboxClient starts an A55 sandbox speaking vocabulary and a client
// reading it in the same words.
func sandboxClient(t *testing.T, sandboxVocabulary string, clientVocabulary a55client.Vocabulary) (*a55sandbox.Server, *a55client.Client) {
	t.Helper()
	sb := a55sandbox.Start(t, a55sandbox.Config{SettlementDelay: -1, Vocabulary: sandboxVocabulary})
	c, err := a55client.New(a55client.Config{BaseURL: sb.URL, TokenURL: sb.TokenURL(), Vocabulary: clientVocabulary,
		ClientID: a55sandbox.DefaultClientID, ClientSecret: a55sandbox.DefaultClientSecret, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return sb, c
}

// reconcileOnce runs the Reconcile workflow in the SDK test suite against
// the sandbox and the bookings; setup may mock versions or watch activities.
func reconcileOnce(t *testing.T, c *a55client.Client, bookings reconcile.Describer, setup func(*testsuite.TestWorkflowEnvironment)) reconcile.Report {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(reconcile.Reconcile, sdkworkflow.RegisterOptions{Name: reconcile.WorkflowName})
	env.RegisterActivity(&reconcile.Activities{A55: c, Temporal: bookings})
	env.RegisterActivity(activities.New(c, activities.Config{}))
	if setup != nil {
		setup(env)
	}
	env.ExecuteWorkflow(reconcile.WorkflowName, reconcile.Input{Wallets: []string{a55sandbox.DefaultWallet}})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var r reconcile.Report
	if err := env.GetWorkflowResult(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReconciliationReleasesEveryHoldWithoutAnOwner(t *testing.T) {
	sb, c := sandboxClient(t, a55sandbox.VocabularySeeds, a55client.VocabularySeeds)
	owned := hold(t, c, "R-owned", 50000)
	terminated := hold(t, c, "R-terminated", 50000)
	orphan := hold(t, c, "R-nobody", 50000)
	first := hold(t, c, "R-twice", 50000)
	second := hold(t, c, "R-twice", 50000)
	disputed := hold(t, c, "R-amount", 50000)
	foreign := hold(t, c, "not a booking id!", 1000)
	// Captured in part by its booking, whose workflow stays open for its
	// refund window: A55 says "confirmed" (the seeds' capture) for 320,00.
	inWindow := hold(t, c, "R-window", 50000)
	part := money.Amount{Minor: 32000, Currency: "BRL"}
	if _, err := c.CaptureCharge(context.Background(), &a55client.CaptureParams{WalletUUID: a55sandbox.DefaultWallet, ChargeUUID: inWindow, Amount: &part}, "booking-R-window/capture"); err != nil {
		t.Fatal(err)
	}
	// A booking replacing its hold: the replacement waits for its 3DS
	// challenge, its search attribute still names the old hold.
	replaced := hold(t, c, "R-replacing", 50000)
	replacement := hold(t, c, "R-replacing", 70000)
	// The same before the workflow has recorded A55's answer to the
	// replacement's create call.
	unanswered := hold(t, c, "R-unanswered", 50000)
	created := hold(t, c, "R-unanswered", 70000)
	bookings := describer{
		"R-window":     {Exists: true, Open: true, PaymentStatus: "captured", ChargeUUID: inWindow, Authorized: 50000},
		"R-unanswered": {Exists: true, Open: true, PaymentStatus: "authorized", ChargeUUID: unanswered, Authorized: 50000, Replacing: true},
		"R-replacing":  {Exists: true, Open: true, PaymentStatus: "authorized", ChargeUUID: replaced, Authorized: 50000, Holding: []string{replaced, replacement}},
		"R-owned":      {Exists: true, Open: true, PaymentStatus: "authorized", ChargeUUID: owned, Authorized: 50000},
		"R-terminated": {Exists: true, Open: false, PaymentStatus: "authorized", ChargeUUID: terminated, Authorized: 50000},
		"R-twice":      {Exists: true, Open: true, PaymentStatus: "authorized", ChargeUUID: first, Authorized: 50000},
		"R-amount":     {Exists: true, Open: true, PaymentStatus: "authorized", ChargeUUID: disputed, Authorized: 40000},
	}

	r := reconcileOnce(t, c, bookings, nil)

	released := map[string]bool{}
	for _, a := range r.Released {
		released[a.ChargeUUID] = true
	}
	for uuid, want := range map[string]bool{owned: false, terminated: true, orphan: true, first: false, second: true, disputed: false, foreign: false,
		replaced: false, replacement: false, unanswered: false, created: false} {
		if released[uuid] != want {
			t.Errorf("charge %s released = %v, want %v (report %+v)", uuid, released[uuid], want, r)
		}
		entry, _ := sb.Charge(uuid)
		if live := entry.Status == "authorized"; live == want {
			t.Errorf("charge %s is %s at A55 after the run", uuid, entry.Status)
		}
	}
	if entry, _ := sb.Charge(inWindow); released[inWindow] || entry.Status != "confirmed" {
		t.Errorf("the charge captured by an open booking: released %v, %s at A55", released[inWindow], entry.Status)
	}
	if r.Listed != 12 || r.Owned != 8 || r.Foreign != 1 || len(r.ReleaseFailed) != 0 {
		t.Errorf("report = %+v", r)
	}
	if len(r.Disagreements) != 1 || r.Disagreements[0].ChargeUUID != disputed {
		t.Errorf("disagreements = %+v, want the amount of %s", r.Disagreements, disputed)
	}
}

// racingDescriber plays Temporal while bookings finish: describing a booking
// first runs what its workflow did at A55 after the reconciliation listed
// the charges (captured or released the hold, then closed).
type racingDescriber struct {
	describer
	meanwhile map[string]func()
}

func (d racingDescriber) DescribeWorkflowExecution(ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	for id, do := range d.meanwhile {
		if workflows.WorkflowID(id) == workflowID {
			do()
		}
	}
	return d.describer.DescribeWorkflowExecution(ctx, workflowID, runID)
}

// A run that overlaps bookings' captures and releases: a charge listed as a
// hold whose workflow captured or released it and closed before the run
// looked is no stray hold. It is read again, not released, and reported
// as settled, not as release_failed; the same for a charge captured in the
// instant between that read and the release (A55 refuses the release).
func TestReconciliationDoesNotReleaseChargesItsBookingsSettledMeanwhile(t *testing.T) {
	for name, v := range map[string]struct {
		sandbox string
		client  a55client.Vocabulary
		// lateBooking is what the workflow of the charge captured just
		// before the release recorded: captured (its capture landed and it
		// closed), or authorized (terminated while its capture was in flight).
		lateBooking string
		// capturedOwned: the hold is listed "confirmed" (public documents), so
		// a closed booking that captured it owns it from the listing on.
		capturedOwned bool
	}{
		"seeds":       {a55sandbox.VocabularySeeds, a55client.VocabularySeeds, string(workflows.StatusCaptured), false},
		"public-docs": {a55sandbox.VocabularyPublicDocs, a55client.VocabularyPublicDocs, "authorized", true},
	} {
		t.Run(name, func(t *testing.T) {
			sb, c := sandboxClient(t, v.sandbox, v.client)
			ctx := context.Background()
			capture := func(uuid string) {
				if _, err := c.CaptureCharge(ctx, &a55client.CaptureParams{WalletUUID: a55sandbox.DefaultWallet, ChargeUUID: uuid}, "booking/"+uuid+"/capture"); err != nil {
					t.Errorf("capturing %s: %v", uuid, err)
				}
			}
			captured := hold(t, c, "S-captured", 50000)
			voided := hold(t, c, "S-voided", 50000)
			lateCapture := hold(t, c, "S-late", 50000)
			stray := hold(t, c, "S-terminated", 50000)
			bookings := racingDescriber{
				describer: describer{
					"S-captured":   {Exists: true, Open: false, PaymentStatus: string(workflows.StatusCaptured), ChargeUUID: captured, Authorized: 50000},
					"S-voided":     {Exists: true, Open: false, PaymentStatus: "voided", ChargeUUID: voided, Authorized: 50000},
					"S-late":       {Exists: true, Open: false, PaymentStatus: v.lateBooking, ChargeUUID: lateCapture, Authorized: 50000},
					"S-terminated": {Exists: true, Open: false, PaymentStatus: "authorized", ChargeUUID: stray, Authorized: 50000},
				},
				meanwhile: map[string]func(){
					"S-captured": func() { capture(captured) },
					"S-voided": func() {
						if _, err := c.CancelCharge(ctx, &a55client.CancelParams{WalletUUID: a55sandbox.DefaultWallet, ChargeUUID: voided, Reason: "guest cancelled"}, "booking/"+voided+"/cancel"); err != nil {
							t.Errorf("cancelling %s: %v", voided, err)
						}
					},
				},
			}

			releaseAsked := map[string]bool{}
			watchReleases := func(env *testsuite.TestWorkflowEnvironment) {
				env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, args converter.EncodedValues) {
					if info.ActivityType.Name != workflows.ActivityCancel {
						return
					}
					var in workflows.CancelInput
					if err := args.Get(&in); err != nil {
						t.Error(err)
						return
					}
					if !releaseAsked[in.ChargeUUID] && in.ChargeUUID == lateCapture {
						capture(lateCapture) // the booking's capture lands just before the release
					}
					releaseAsked[in.ChargeUUID] = true
				})
			}
			r := reconcileOnce(t, c, bookings, watchReleases)

			if r.Listed != 4 || len(r.ReleaseFailed) != 0 {
				t.Errorf("listed %d, release_failed %+v; want 4 listed, no failure (report %+v)", r.Listed, r.ReleaseFailed, r)
			}
			if len(r.Released) != 1 || r.Released[0].ChargeUUID != stray {
				t.Errorf("released %+v, want only the terminated booking's %s", r.Released, stray)
			}
			settled := map[string]bool{}
			for _, a := range r.Settled {
				settled[a.ChargeUUID] = true
			}
			wantSettled, wantOwned := []string{captured, voided, lateCapture}, 0
			if v.capturedOwned {
				wantSettled, wantOwned = []string{voided, lateCapture}, 1
			}
			for _, uuid := range wantSettled {
				if !settled[uuid] {
					t.Errorf("charge %s not reported settled (report %+v)", uuid, r)
				}
			}
			if len(r.Settled) != len(wantSettled) || r.Owned != wantOwned {
				t.Errorf("settled %+v, owned %d; want %d settled by their bookings, %d owned", r.Settled, r.Owned, len(wantSettled), wantOwned)
			}
			for _, uuid := range []string{captured, voided} {
				if releaseAsked[uuid] {
					t.Errorf("the reconciliation asked A55 to release %s, which its booking had already settled", uuid)
				}
			}
			for uuid, want := range map[string]string{captured: a55sandbox.StatusConfirmed, lateCapture: a55sandbox.StatusConfirmed, voided: a55sandbox.StatusCanceled, stray: a55sandbox.StatusCanceled} {
				if entry, _ := sb.Charge(uuid); entry.Status != want {
					t.Errorf("charge %s is %s at A55, want %s", uuid, entry.Status, want)
				}
			}
		})
	}
}

// A run started before the re-read (reread-before-release) keeps its
// commands: no read, the release straight away.
func TestReconciliationStartedBeforeTheRereadKeepsItsCommands(t *testing.T) {
	_, c := sandboxClient(t, a55sandbox.VocabularySeeds, a55client.VocabularySeeds)
	voided := hold(t, c, "V-voided", 50000)
	bookings := racingDescriber{
		describer: describer{"V-voided": {Exists: true, Open: false, PaymentStatus: "voided", ChargeUUID: voided, Authorized: 50000}},
		meanwhile: map[string]func(){"V-voided": func() {
			if _, err := c.CancelCharge(context.Background(), &a55client.CancelParams{WalletUUID: a55sandbox.DefaultWallet, ChargeUUID: voided}, "booking/"+voided+"/cancel"); err != nil {
				t.Error(err)
			}
		}},
	}
	var started []string
	r := reconcileOnce(t, c, bookings, func(env *testsuite.TestWorkflowEnvironment) {
		env.OnGetVersion(reconcile.ChangeRereadBeforeRelease, sdkworkflow.DefaultVersion, 1).Return(sdkworkflow.DefaultVersion)
		env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
			started = append(started, info.ActivityType.Name)
		})
	})
	want := []string{reconcile.ActivityListOpen, reconcile.ActivityDescribe, workflows.ActivityCancel}
	if fmt.Sprint(started) != fmt.Sprint(want) {
		t.Errorf("activities %v, want the old run's %v", started, want)
	}
	if len(r.Released) != 1 || len(r.Settled) != 0 {
		t.Errorf("report %+v: the old path releases (A55 reports the charge canceled already)", r)
	}
}
