package workflows_test

// The A55 side of a run: the sandbox's ledger, faults, actions taken at A55
// outside the workflow, and the few answers the sandbox cannot give, mocked
// at the activity boundary.

import (
	"context"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/workflows"
)

// unavailable: the next n calls fail before any work with a retryable 500
// (no Retry-After, so the retry policy's own backoff applies).
func unavailable(n int) a55sandbox.Fault {
	return a55sandbox.Fault{ErrorNext: n, ErrorStatuses: []int{500}}
}

// rateLimited: the next n calls answer 429 with Retry-After: 3.
func rateLimited(n int) a55sandbox.Fault {
	return a55sandbox.Fault{ErrorNext: n, ErrorStatuses: []int{429}, RetryAfter: a55sandbox.Duration(3 * time.Second)}
}

// lostResponses: the next n calls do their work, then the answer is lost.
func lostResponses(n int) a55sandbox.Fault { return a55sandbox.Fault{LostResponseNext: n} }

// refused: the next call is refused with this 4xx (A55's code and body for
// the endpoint, e.g. 422 VALIDATION_ERROR, 403 FORBIDDEN) before any work.
func refused(status int) a55sandbox.Fault {
	return a55sandbox.Fault{ErrorNext: 1, ErrorStatuses: []int{status}}
}

// fault sets the faults of one sandbox endpoint ("create", "get",
// "capture", "cancel"), replacing what it had.
func (r *run) fault(endpoint string, f a55sandbox.Fault) {
	r.t.Helper()
	if err := r.sb.SetFault(endpoint, f); err != nil {
		r.t.Fatal(err)
	}
}

// charge is the sandbox's ledger entry of a charge (zero if unknown).
func (r *run) charge(uuid string) a55sandbox.LedgerEntry {
	e, _ := r.sb.Charge(uuid)
	return e
}

// chargeFor returns the uuid of the booking's charge ("" before the create).
func (r *run) chargeFor(ref string) string {
	if es := r.sb.ChargesByReference(ref); len(es) > 0 {
		return es[0].ChargeUUID
	}
	return ""
}

// counts are the charges A55 created for the booking and the captures and
// cancels that changed one of them (replays not counted).
func (r *run) counts(ref string) (creates, captures, cancels int) {
	for _, e := range r.sb.ChargesByReference(ref) {
		creates += e.Calls.Create
		captures += e.Calls.Capture
		cancels += e.Calls.Cancel
	}
	return creates, captures, cancels
}

// completeChallenge answers the charge's 3DS challenge as the card holder
// would; false when there is no pending challenge (no charge yet, already
// answered or cancelled).
func (r *run) completeChallenge(uuid string, approve bool) bool {
	return uuid != "" && r.sb.CompleteChallenge(uuid, approve) == nil
}

// captureAtA55 captures the charge in full through A55's API with its own
// idempotency key, as someone in A55's dashboard would.
func (r *run) captureAtA55(uuid string) {
	r.t.Helper()
	r.atA55("capture", func(ctx context.Context) error {
		_, err := r.a55.CaptureCharge(ctx, &a55client.CaptureParams{WalletUUID: r.in.WalletUUID, ChargeUUID: uuid}, "dashboard/capture/"+uuid)
		return err
	})
}

// cancelAtA55 cancels the charge through A55's API with its own idempotency
// key: a hold released by an operator at A55 (for the workflow, a lapse).
func (r *run) cancelAtA55(uuid string) {
	r.t.Helper()
	r.atA55("cancel", func(ctx context.Context) error {
		_, err := r.a55.CancelCharge(ctx, &a55client.CancelParams{WalletUUID: r.in.WalletUUID, ChargeUUID: uuid, Reason: "operator"}, "dashboard/cancel/"+uuid)
		return err
	})
}

// atA55 runs an operator's call (from an r.at callback: no activity is
// running then, the clock only moves when none is). The faults injected for
// the workflow's calls are set aside meanwhile and put back untouched: the
// operator does not use them up.
func (r *run) atA55(what string, call func(ctx context.Context) error) {
	r.t.Helper()
	faults := r.sb.Faults()
	if err := r.sb.SetFaults(nil); err != nil {
		r.t.Fatal(err)
	}
	defer func() {
		if err := r.sb.SetFaults(faults); err != nil {
			r.t.Fatal(err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := call(ctx); err != nil {
		r.t.Errorf("%s at A55: %v", what, err)
	}
}

// afterAuthorize mocks the Authorize activity (local and regular) with the
// real one followed by fn, which sees what A55 answered (after the work, and
// before the answer reaches the workflow) and returns what the workflow gets.
// Call it once per run, before execute.
func (r *run) afterAuthorize(fn func(in workflows.AuthorizeInput, res *workflows.AuthorizeResult, err error) (*workflows.AuthorizeResult, error)) {
	r.env.OnActivity(workflows.ActivityAuthorize, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in workflows.AuthorizeInput) (*workflows.AuthorizeResult, error) {
			res, err := r.acts.Authorize(ctx, in)
			return fn(in, res, err)
		})
}

// afterGetCharge is afterAuthorize for the GetCharge activity.
func (r *run) afterGetCharge(fn func(in workflows.GetChargeInput, v *workflows.ChargeView, err error) (*workflows.ChargeView, error)) {
	r.env.OnActivity(workflows.ActivityGetCharge, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in workflows.GetChargeInput) (*workflows.ChargeView, error) {
			v, err := r.acts.GetCharge(ctx, in)
			return fn(in, v, err)
		})
}

// undecided makes A55 answer "issued" (not decided yet) for the charge while
// it is authorized in the sandbox, until decide: the Authorize and GetCharge
// activities' answers are rewritten at the activity boundary (the sandbox
// decides at once). Whatever else A55 says (a cancel, a decline) shows.
// Call before execute; it uses afterAuthorize and afterGetCharge.
func (r *run) undecided() {
	r.mu.Lock()
	r.masked = true
	r.mu.Unlock()
	mask := func(v *workflows.ChargeView) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.masked && v != nil && v.State == a55client.StateAuthorized {
			v.Status = "issued"
			v.State = a55client.MapStatus(v.Status, "", a55client.VocabularySeeds)
		}
	}
	r.afterAuthorize(func(_ workflows.AuthorizeInput, res *workflows.AuthorizeResult, err error) (*workflows.AuthorizeResult, error) {
		if res != nil {
			mask(&res.Charge)
		}
		return res, err
	})
	r.afterGetCharge(func(_ workflows.GetChargeInput, v *workflows.ChargeView, err error) (*workflows.ChargeView, error) {
		mask(v)
		return v, err
	})
}

// decide ends undecided: from now on A55's answers show the charge as it is.
func (r *run) decide() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.masked = false
}

// isUndecided reports whether A55 still answers "issued" for an authorized charge.
func (r *run) isUndecided() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.masked
}
