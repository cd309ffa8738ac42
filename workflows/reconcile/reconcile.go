// Package reconcile is the safety net under rule one: no live hold without
// an owner. A Temporal Schedule (registered by the worker, hourly by
// default) runs the Reconcile workflow, which lists the charges A55 still
// holds in the configured wallets and, for each whose booking has no open
// workflow to capture or release it (terminated, reset away, closed while a
// late 3DS completed, never started), reads it again and releases it if A55
// still holds it (else its booking settled it meanwhile). Charges that an open
// booking owns are left to it; an open booking that holds a second charge,
// or disagrees with A55 about the amount, is reported. Every run returns a
// report (counts, charge uuids, actions) and records metrics.
package reconcile

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/metrics"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Names registered on the worker, and the schedule's id.
const (
	WorkflowName           = "Reconcile"
	ActivityListOpen       = "ListOpenCharges"
	ActivityDescribe       = "DescribeBookings"
	ActivityReadCharge     = "ReadCharge"
	ScheduleID             = "a55-reconciliation"
	DefaultInterval        = time.Hour
	releaseReasonToA55     = "reconciliation: no open booking workflow owns this charge"
	releaseKeyPrefix       = "reconcile/"
	listBudget, descBudget = 10 * time.Minute, 10 * time.Minute
	releaseBudget          = time.Hour
	readBudget             = 5 * time.Minute

	// ChangeRereadBeforeRelease: a charge that looks ownerless is read again
	// at A55 before it is released, and a refused release is classified by
	// a read (Report.Settled). Runs started before it keep their commands.
	ChangeRereadBeforeRelease = "reread-before-release"
)

// Input says where to look.
type Input struct {
	Wallets []string `json:"wallets"`
}

// OpenCharge is a charge A55 still holds (or may hold): authorized, pending
// a 3DS challenge, or confirmed (an approved hold in A55's public words).
type OpenCharge struct {
	ChargeUUID string        `json:"charge_uuid"`
	WalletUUID string        `json:"wallet_uuid"`
	Status     string        `json:"status"`
	BookingID  string        `json:"booking_id"` // reference_external_id
	Amount     *money.Amount `json:"amount,omitempty"`
}

// Booking is what Temporal knows of a booking's workflow.
type Booking struct {
	Exists        bool   `json:"exists"`
	Open          bool   `json:"open"`
	PaymentStatus string `json:"payment_status,omitempty"`
	ChargeUUID    string `json:"charge_uuid,omitempty"`
	Authorized    int64  `json:"authorized_minor,omitempty"`
	// Holding is what an open booking with several open charges says it
	// holds (its hold and a replacement in progress); empty otherwise.
	Holding []string `json:"holding,omitempty"`
	// Replacing: the booking is placing a replacement hold whose charge it
	// may not know yet (a second charge of it is left to the next run).
	Replacing bool `json:"replacing,omitempty"`
}

// Action is one thing the run did or saw about a charge.
type Action struct {
	ChargeUUID string `json:"charge_uuid"`
	BookingID  string `json:"booking_id,omitempty"`
	A55Status  string `json:"a55_status"`
	Why        string `json:"why"`
}

// Report is a run's result, kept in history for operators.
type Report struct {
	Listed        int      `json:"listed"`  // open charges seen at A55
	Owned         int      `json:"owned"`   // left to their bookings: owned by an open workflow, or captured by a closed one
	Foreign       int      `json:"foreign"` // reference_external_id is not a booking id of ours
	Released      []Action `json:"released,omitempty"`
	ReleaseFailed []Action `json:"release_failed,omitempty"`
	// Settled: charges listed as live whose booking's workflow was closed,
	// but which A55, read again, no longer holds (or holds as the closed
	// booking's capture): the booking captured or released them while the
	// run looked. Not released, not a failure.
	Settled       []Action `json:"settled,omitempty"`
	Disagreements []Action `json:"disagreements,omitempty"`
}

// Reconcile is the workflow the schedule runs.
func Reconcile(ctx workflow.Context, in Input) (Report, error) {
	var report Report
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute, ScheduleToCloseTimeout: listBudget,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	var charges []OpenCharge
	for _, wallet := range in.Wallets {
		var page []OpenCharge
		if err := workflow.ExecuteActivity(actx, ActivityListOpen, wallet).Get(ctx, &page); err != nil {
			return report, fmt.Errorf("listing the open charges of wallet %s: %w", wallet, err)
		}
		charges = append(charges, page...)
	}
	report.Listed = len(charges)
	var ids []string
	for _, c := range charges {
		if workflows.ValidateBookingID(c.BookingID) == nil {
			ids = append(ids, c.BookingID)
		}
	}
	bookings := map[string]Booking{}
	if len(ids) > 0 {
		dctx := workflow.WithActivityOptions(actx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute, ScheduleToCloseTimeout: descBudget})
		if err := workflow.ExecuteActivity(dctx, ActivityDescribe, ids).Get(ctx, &bookings); err != nil {
			return report, fmt.Errorf("describing the bookings: %w", err)
		}
	}
	reread := workflow.GetVersion(ctx, ChangeRereadBeforeRelease, workflow.DefaultVersion, 1)
	for _, c := range charges {
		if workflows.ValidateBookingID(c.BookingID) != nil {
			report.Foreign++
			continue
		}
		b := bookings[c.BookingID]
		act := Action{ChargeUUID: c.ChargeUUID, BookingID: c.BookingID, A55Status: c.Status}
		switch why := ownerProblem(c, b); {
		case why == "" && b.Open && (b.PaymentStatus == string(workflows.StatusCaptured) || b.PaymentStatus == string(workflows.StatusRefunded)):
			report.Owned++ // captured by its booking, open for its refund window: "confirmed" is the seeds' word for a capture
		case why == "" && b.Open:
			report.Owned++
			// (A replacement in progress holds its own amount.)
			if c.Amount != nil && b.Authorized != 0 && c.Amount.Minor != b.Authorized && (b.ChargeUUID == "" || b.ChargeUUID == c.ChargeUUID) {
				act.Why = fmt.Sprintf("A55 holds %s, the booking records %d minor units", c.Amount.Display(), b.Authorized)
				report.Disagreements = append(report.Disagreements, act)
			}
		case why == "":
			report.Owned++ // the booking's own outcome (a capture A55 calls confirmed)
		default:
			act.Why = why
			if reread == workflow.DefaultVersion {
				if _, err := release(ctx, c); err != nil {
					act.Why += "; release failed: " + err.Error()
					report.ReleaseFailed = append(report.ReleaseFailed, act)
					continue
				}
				report.Released = append(report.Released, act)
				continue
			}
			releaseIfStillLive(ctx, &report, act, c, b)
		}
	}
	record(ctx, report)
	workflow.GetLogger(ctx).Info("reconciliation done", "listed", report.Listed, "owned", report.Owned,
		"released", len(report.Released), "release_failed", len(report.ReleaseFailed), "settled", len(report.Settled),
		"disagreements", len(report.Disagreements))
	return report, nil
}

// ownerProblem says why no open workflow owns the charge, or "" when one
// does (or the booking's closed outcome explains it).
func ownerProblem(c OpenCharge, b Booking) string {
	switch {
	case !b.Exists:
		return "no workflow for booking " + c.BookingID
	case b.Open && (b.Replacing || slices.Contains(b.Holding, c.ChargeUUID)):
		return "" // the booking's hold or its replacement in progress (asked, not the search attribute)
	case b.Open && b.ChargeUUID != "" && b.ChargeUUID != c.ChargeUUID:
		return "a second charge: booking " + c.BookingID + " owns " + b.ChargeUUID
	case b.Open:
		return ""
	case b.PaymentStatus == string(workflows.StatusCaptured) && b.ChargeUUID == c.ChargeUUID && a55client.IsConfirmed(c.Status):
		return "" // captured by the booking: "confirmed" is the seeds' word for it
	}
	return fmt.Sprintf("booking %s's workflow is closed (payment status %q)", c.BookingID, b.PaymentStatus)
}

// releaseIfStillLive acts on a charge that looked ownerless in the listing,
// but only on what A55 says now: the listing came before the look at the
// booking's workflow, which may have captured or released the charge and
// closed in between. A read that fails leaves the release to decide (A55
// refuses to release a charge that is no longer a hold).
func releaseIfStillLive(ctx workflow.Context, report *Report, act Action, c OpenCharge, b Booking) {
	if now, err := readCharge(ctx, c); err == nil {
		act.A55Status = now.Status
		if settled, why := settledSince(now, b); settled {
			act.Why += "; " + why
			report.Settled = append(report.Settled, act)
			return
		}
		c = now
	}
	res, err := release(ctx, c)
	switch {
	case res.Outcome == workflows.OutcomeCaptured || res.Outcome == workflows.OutcomeNothingHeld:
		// A55 refused, the Cancel activity read the charge and found it no
		// longer held (captured, failed): A55's answer says so.
		act.A55Status = res.Charge.Status
		act.Why += fmt.Sprintf("; A55 refused the release: the charge is %s (%s)", res.Outcome, res.Charge.Status)
		report.Settled = append(report.Settled, act)
		return
	case err == nil:
		if res.Recovered {
			// A55 reports it canceled already: our earlier attempt whose
			// answer was lost, or its booking an instant before.
			act.Why += "; A55 reports it canceled already"
		}
		report.Released = append(report.Released, act)
		return
	}
	// A refusal the Cancel activity could not explain: ask A55 what the
	// charge is before calling it a failure.
	if now, rerr := readCharge(ctx, c); rerr == nil {
		if settled, why := settledSince(now, b); settled {
			act.A55Status = now.Status
			act.Why += "; A55 refused the release, " + why
			report.Settled = append(report.Settled, act)
			return
		}
	}
	act.Why += "; release failed: " + err.Error()
	report.ReleaseFailed = append(report.ReleaseFailed, act)
}

// settledSince says whether the charge, as A55 reports it now, is no
// longer a hold that needs an owner: not in an open status, or the closed
// booking's own capture ("confirmed" in the seeds' words).
func settledSince(now OpenCharge, b Booking) (bool, string) {
	if !isOpenStatus(now.Status) {
		return true, fmt.Sprintf("read again, A55 says %q: settled by its booking", now.Status)
	}
	if b.Exists && !b.Open && ownerProblem(now, b) == "" {
		return true, fmt.Sprintf("read again, A55 says %q: the booking's capture", now.Status)
	}
	return false, ""
}

func readCharge(ctx workflow.Context, c OpenCharge) (OpenCharge, error) {
	rctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute, ScheduleToCloseTimeout: readBudget,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
		Summary:     "read charge " + c.ChargeUUID + " again",
	})
	var now OpenCharge
	err := workflow.ExecuteActivity(rctx, ActivityReadCharge, c).Get(ctx, &now)
	return now, err
}

// release cancels the charge with its own idempotency key; the booking
// workflow's Cancel activity reads before it retries, and reads the charge
// when A55 refuses.
func release(ctx workflow.Context, c OpenCharge) (workflows.OperationResult, error) {
	rctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: workflows.MoneyAttemptTimeout, ScheduleToCloseTimeout: releaseBudget,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			NonRetryableErrorTypes: []string{workflows.ErrTypeA55Invalid, workflows.ErrTypeA55Conflict, workflows.ErrTypeA55NotCapturable}},
		Summary: "release stray charge " + c.ChargeUUID,
	})
	var res workflows.OperationResult
	err := workflow.ExecuteActivity(rctx, workflows.ActivityCancel, workflows.CancelInput{
		IdempotencyKey: releaseKeyPrefix + c.ChargeUUID + "/cancel",
		WalletUUID:     c.WalletUUID,
		ChargeUUID:     c.ChargeUUID,
		Reason:         releaseReasonToA55,
	}).Get(ctx, &res)
	if err != nil {
		return res, err
	}
	if res.Outcome == workflows.OutcomeCaptured {
		return res, fmt.Errorf("A55 reports the charge captured (%s): nothing to release", res.Charge.Status)
	}
	return res, nil
}

func record(ctx workflow.Context, r Report) {
	h := workflow.GetMetricsHandler(ctx)
	metrics.Reconciliation(h, metrics.ReconcileReleased, len(r.Released))
	metrics.Reconciliation(h, metrics.ReconcileReleaseFailed, len(r.ReleaseFailed))
	metrics.Reconciliation(h, metrics.ReconcileSettled, len(r.Settled))
	metrics.Reconciliation(h, metrics.ReconcileDisagreement, len(r.Disagreements))
}
