package workflows_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// credentialRotation stands in for A55 refusing this worker's credentials
// (401) on captures until refused is cleared; then the real capture runs
// against the sandbox.
type credentialRotation struct {
	mu      sync.Mutex
	refused bool
	calls   int
	real    *activities.Activities
}

func newCredentialRotation(t *testing.T, r *sandboxRun) *credentialRotation {
	t.Helper()
	c, err := a55client.New(a55client.Config{
		BaseURL: r.sb.URL, TokenURL: r.sb.TokenURL(),
		ClientID: a55sandbox.DefaultClientID, ClientSecret: a55sandbox.DefaultClientSecret, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	cr := &credentialRotation{refused: true, real: activities.New(c, activities.Config{})}
	r.env.OnActivity(workflows.ActivityCapture, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in workflows.CaptureInput) (*workflows.OperationResult, error) {
			cr.mu.Lock()
			cr.calls++
			refused := cr.refused
			cr.mu.Unlock()
			if refused {
				return nil, temporal.NewApplicationError("a55: capture: HTTP 401: invalid_client", workflows.ErrTypeA55Unauthorized)
			}
			return cr.real.Capture(ctx, in)
		})
	return cr
}

func (cr *credentialRotation) fix() {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	cr.refused = false
}

// A credential rotation at check-out delays a capture; it never ends the
// booking while the hold lives.
func TestCaptureRefusedCredentialsAreRetriedWhileTheHoldLives(t *testing.T) {
	r := newSandboxRun(t, validInput("N-1"))
	cr := newCredentialRotation(t, r)
	amount := brl(32000)
	var capture *outcome
	r.at(time.Hour, func() {
		capture = r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{Amount: &amount})
	})
	// (The SDK's test environment caps a retry policy without a limit at 10
	// attempts, a few minutes; a real server retries for the hold's life.)
	r.at(time.Hour+time.Minute, func() {
		if st := r.state(); st.Status != workflows.StatusCapturing {
			t.Errorf("status while A55 refuses the credentials = %s, want capturing", st.Status)
		}
		cr.fix()
	})
	res := r.execute()
	if capture.err != nil || res.Status != workflows.StatusCaptured || res.Captured.Minor != 32000 {
		t.Fatalf("capture err %v, result %+v", capture.err, res)
	}
	if cr.calls < 2 {
		t.Errorf("the refused capture was tried %d times, want retries", cr.calls)
	}
	if entry, _ := r.sb.Charge(res.ChargeUUID); entry.Captured.Minor != 32000 {
		t.Errorf("A55 ledger = %+v", entry)
	}
}

// Past the hold's life the booking needs a person: it stays open, owning
// the charge, and an operator's retry finishes the capture.
func TestCaptureThatCannotFinishNeedsAttentionAndAnOperatorRetries(t *testing.T) {
	in := validInput("N-2")
	in.HoldWindow, in.SafetyMargin = 24*time.Hour, time.Hour
	in.ExpectedCaptureAt = t0.Add(20 * time.Hour) // within the hold's reach; the deadline is still the hold's (23 h)
	r := newSandboxRun(t, in)
	cr := newCredentialRotation(t, r)
	var capture, early, refused, retried *outcome
	r.at(time.Hour, func() { capture = r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	r.at(30*time.Hour, func() {
		st := r.state()
		if st.Status != workflows.StatusNeedsAttention || st.Attention == nil || st.Attention.Operation != "capture" ||
			!strings.Contains(st.Attention.Problem, "invalid_client") {
			t.Errorf("state %s, attention %+v", st.Status, st.Attention)
		}
		early = r.update(workflows.UpdateCapture, "capture-again", workflows.CaptureRequest{})
		refused = r.update(workflows.UpdateResolve, "resolve-1", workflows.ResolveRequest{Action: workflows.ResolveRetry, Who: "ana"})
		cr.fix()
		retried = r.update(workflows.UpdateResolve, "resolve-2", workflows.ResolveRequest{Action: workflows.ResolveRetry, Who: "ana", Why: "A55 credentials rotated"})
	})
	res := r.execute()
	if capture.err == nil || !strings.Contains(capture.err.Error(), "needs attention") {
		t.Errorf("the first capture's error = %v, want it to say the booking needs attention", capture.err)
	}
	if early.rejected == nil || !strings.Contains(early.rejected.Error(), "needs attention") {
		t.Errorf("a capture while the booking needs attention: %+v", early)
	}
	if refused.rejected == nil || !strings.Contains(refused.rejected.Error(), "why is required") {
		t.Errorf("a decision without why: %+v", refused)
	}
	if retried.err != nil || res.Status != workflows.StatusCaptured || res.CapturedBy != workflows.CapturedByRequest {
		t.Fatalf("operator retry: %v, result %+v", retried.err, res)
	}
	wantStatuses(t, r.state(), workflows.StatusAuthorizing, workflows.StatusAuthorized, workflows.StatusCapturing,
		workflows.StatusNeedsAttention, workflows.StatusCapturing, workflows.StatusCaptured)
}

// An operator who captured by hand at A55 records it, with the amount A55
// shows; the decision is checked before it is taken.
func TestOperatorMarksACaptureMadeByHand(t *testing.T) {
	r := newSandboxRun(t, validInput("N-3"))
	newCredentialRotation(t, r) // never fixed
	in := r.in
	in.HoldWindow, in.SafetyMargin = 24*time.Hour, time.Hour
	in.ExpectedCaptureAt = t0.Add(20 * time.Hour) // within the hold's reach; the deadline is still the hold's (23 h)
	r.in = in
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	var bad []*outcome
	var good *outcome
	r.at(30*time.Hour, func() {
		for i, req := range []workflows.ResolveRequest{
			{Action: workflows.ResolveMarkCaptured, Who: "ana", Why: "captured in the dashboard"},                                                       // no amount
			{Action: workflows.ResolveMarkCaptured, Amount: &money.Amount{Minor: 50001, Currency: "BRL"}, Who: "ana", Why: "captured in the dashboard"}, // above the hold
			{Action: workflows.ResolveMarkCaptured, Amount: &money.Amount{Minor: 100, Currency: "CLP"}, Who: "ana", Why: "captured in the dashboard"},   // other currency
			{Action: workflows.ResolveMarkReleased, Amount: &money.Amount{Minor: 100, Currency: "BRL"}, Who: "ana", Why: "released in the dashboard"},   // amount on a release
			{Action: "refund", Who: "ana", Why: "?"}, // unknown action
			{Action: workflows.ResolveMarkCaptured, Amount: &money.Amount{Minor: 32000, Currency: "BRL"}, Why: "captured in the dashboard"}, // no who
		} {
			bad = append(bad, r.update(workflows.UpdateResolve, "bad-"+string(rune('a'+i)), req))
		}
		good = r.update(workflows.UpdateResolve, "good", workflows.ResolveRequest{Action: workflows.ResolveMarkCaptured,
			Amount: &money.Amount{Minor: 32000, Currency: "BRL"}, Who: "ana", Why: "captured R$ 320,00 in A55's dashboard"})
	})
	res := r.execute()
	for i, o := range bad {
		if o.rejected == nil {
			t.Errorf("bad decision %d was accepted", i)
		}
	}
	if good.err != nil || res.Status != workflows.StatusCaptured || res.CapturedBy != workflows.CapturedByOperator ||
		res.Captured.Minor != 32000 || !strings.Contains(res.Reason, "by ana (captured R$ 320,00 in A55's dashboard)") {
		t.Fatalf("result = %+v, err %v", res, good.err)
	}
}

// The whole hold is a valid amount to mark captured (the boundary).
func TestOperatorMayMarkTheWholeHoldCaptured(t *testing.T) {
	in := validInput("N-7")
	in.HoldWindow, in.SafetyMargin = 24*time.Hour, time.Hour
	in.ExpectedCaptureAt = t0.Add(20 * time.Hour) // within the hold's reach; the deadline is still the hold's (23 h)
	r := newSandboxRun(t, in)
	newCredentialRotation(t, r) // never fixed
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	var mark *outcome
	r.at(30*time.Hour, func() {
		mark = r.update(workflows.UpdateResolve, "whole", workflows.ResolveRequest{Action: workflows.ResolveMarkCaptured,
			Amount: &money.Amount{Minor: 50000, Currency: "BRL"}, Who: "ana", Why: "A55 shows the whole hold captured"})
	})
	res := r.execute()
	if mark.rejected != nil || res.Status != workflows.StatusCaptured || res.Captured.Minor != 50000 {
		t.Fatalf("mark %v, result %+v", mark.rejected, res)
	}
}

// A cancellation request on a booking that needs attention tries the
// release once more.
func TestCancellationRequestReleasesABookingThatNeedsAttention(t *testing.T) {
	in := validInput("N-4")
	in.HoldWindow, in.SafetyMargin = 24*time.Hour, time.Hour
	in.ExpectedCaptureAt = t0.Add(20 * time.Hour) // within the hold's reach; the deadline is still the hold's (23 h)
	r := newSandboxRun(t, in)
	newCredentialRotation(t, r) // captures never succeed; cancels do
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	r.at(30*time.Hour, func() { r.env.CancelWorkflow() })
	res := r.execute()
	if res.Status != workflows.StatusVoided || !strings.Contains(res.Reason, "cancellation requested") {
		t.Fatalf("result = %+v", res)
	}
}

// A frictionless hold answered "confirmed" (A55's public documents' word for
// an approved capture:false charge, which the seeds' vocabulary maps to a
// capture) is a hold: never recorded as captured.
func TestAHoldAnsweredConfirmedIsAHold(t *testing.T) {
	r := newSandboxRun(t, validInput("N-5"))
	confirmed := workflows.ChargeView{ChargeUUID: "ch-n5", Status: "confirmed", State: a55client.StateCaptured}
	r.env.OnActivity(workflows.ActivityAuthorize, mock.Anything, mock.Anything).Return(&workflows.AuthorizeResult{Charge: confirmed}, nil)
	r.env.OnActivity(workflows.ActivityCancel, mock.Anything, mock.Anything).Return(
		&workflows.OperationResult{Outcome: workflows.OutcomeVoided, Charge: workflows.ChargeView{ChargeUUID: "ch-n5", Status: "canceled", State: a55client.StateCanceled}}, nil)
	var auth *outcome
	r.at(0, func() { auth = r.update(workflows.UpdateAuthorization, "auth") })
	r.at(time.Hour, func() { r.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{}) })
	res := r.execute()
	var a workflows.AuthorizationResult
	auth.decode(t, &a)
	if a.Status != workflows.StatusAuthorized || res.Status != workflows.StatusVoided || !res.Captured.IsZero() {
		t.Fatalf("authorization %+v, result %+v: want a hold, released", a, res)
	}
}

// What was captured is what A55's capture answer says: an acquirer without
// partial capture books the whole hold, and the booking says so.
func TestCapturedAmountIsA55s(t *testing.T) {
	r := newSandboxRun(t, validInput("N-6"))
	r.env.OnActivity(workflows.ActivityCapture, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.CaptureInput) (*workflows.OperationResult, error) {
			whole := brl(50000)
			return &workflows.OperationResult{Outcome: workflows.OutcomeCaptured,
				Charge: workflows.ChargeView{ChargeUUID: in.ChargeUUID, Status: "confirmed", State: a55client.StateCaptured, Captured: &whole}}, nil
		})
	asked := brl(32000)
	var capture *outcome
	r.at(time.Hour, func() {
		capture = r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{Amount: &asked})
	})
	res := r.execute()
	var c workflows.CaptureResult
	capture.decode(t, &c)
	if c.Captured.Minor != 50000 || c.Released.Minor != 0 || res.Captured.Minor != 50000 || res.CaptureRequested.Minor != 32000 ||
		!strings.Contains(res.Reason, "CAPTURE AMOUNT DIFFERS") {
		t.Fatalf("capture %+v, result %+v: want A55's R$ 500,00 and the difference flagged", c, res)
	}
}
