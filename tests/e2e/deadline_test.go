package e2e

import (
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/tests/testkit"
	"github.com/hotelpay/a55-temporal/workflows"
)

// A hold whose window is seconds long (the sandbox runs with the same short
// window) reaches its deadline without any word from the booking system, and
// the booking's policy decides: release the hold, or capture.
func TestHoldDeadlineAppliesThePolicy(t *testing.T) {
	// The deadline runs SafetyMargin before the hold lapses: a few seconds
	// after authorization, well before the sandbox would lapse it.
	const deadlineAfter = 4 * time.Second
	for _, tc := range []struct {
		name     string
		policy   workflows.DeadlinePolicy
		captured int64
		status   workflows.Status
	}{
		{"release", workflows.DeadlinePolicy{Action: workflows.DeadlineRelease}, 0, workflows.StatusVoided},
		{"capture", workflows.DeadlinePolicy{Action: workflows.DeadlineCapture, Amount: ptr(testkit.BRL(20000))}, 20000, workflows.StatusCaptured},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			id := ids.Next("deadline-" + tc.name)
			in := hold(id, "4111111111111111", 50000)
			in.HoldWindow = sandboxHoldWindow
			in.SafetyMargin = sandboxHoldWindow - deadlineAfter
			in.ExpectedCaptureAt = time.Now().Add(time.Hour) // the guest has not left: only the hold forces the decision
			// A long stay that gets no new authorization: the deadline policy.
			in.LongStayPolicy = workflows.LongStayReauthorize
			in.DeadlinePolicy = tc.policy
			auth := env.Authorize(t, ctx, in)
			if auth.Status != workflows.StatusAuthorized {
				t.Fatalf("authorization = %+v", auth)
			}
			// The deadline is the hold's expiry minus the margin.
			if s, err := env.Starter().Status(ctx, id); err == nil && s.Status == workflows.StatusAuthorized {
				// Counted from no later than the authorization: never
				// later than A55's own expiry.
				if latest := s.AuthorizedAt.Add(sandboxHoldWindow); s.HoldExpiresAt.After(latest) {
					t.Errorf("hold expires at %s, after authorized_at + %s = %s", s.HoldExpiresAt, sandboxHoldWindow, latest)
				}
				if want := s.HoldExpiresAt.Add(-in.SafetyMargin); !s.CaptureDeadline.Equal(want) {
					t.Errorf("capture deadline %s, want hold expiry - safety margin = %s", s.CaptureDeadline, want)
				}
			}
			if !auth.CaptureDeadline.Before(in.ExpectedCaptureAt) {
				t.Fatalf("capture deadline %s is not before the expected check-out %s", auth.CaptureDeadline, in.ExpectedCaptureAt)
			}
			res := result(t, ctx, id) // nobody captures or cancels: the timer decides
			if res.Status != tc.status || res.Captured.Minor != tc.captured {
				t.Fatalf("workflow result = %+v, want %s with %d captured", res, tc.status, tc.captured)
			}
			if tc.captured > 0 && res.CapturedBy != "deadline" {
				t.Errorf("captured_by = %q, want deadline", res.CapturedBy)
			}
			e := ledgerCharge(t, ctx, id, auth.ChargeUUID)
			if e.Captured.Minor != tc.captured || e.Released.Minor != 50000-tc.captured {
				t.Fatalf("ledger: captured %d released %d (status %s)", e.Captured.Minor, e.Released.Minor, e.Status)
			}
			if e.Status == "canceled" && tc.captured == 0 && e.Calls.Cancel != 1 {
				t.Fatalf("ledger: the hold lapsed at A55 instead of being released by the workflow (%d cancels)", e.Calls.Cancel)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
