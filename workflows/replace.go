package workflows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/money"
)

// Replacing a hold. A55 has no incremental authorization (nor a way to
// extend a hold's life) in the documents we have, so a longer or larger
// guarantee is a new hold on the card the guest presents again: authorize it
// first (the same create call and 3DS path as the first authorization, its
// own Idempotency-Key), and only once A55 has approved it release the old
// one. The booking holds at least one live hold all along and at most one
// once the old release is answered; only the current charge is ever
// captured. A declined (or abandoned) replacement leaves the booking as it
// was.

// UpdateReplaceHold authorizes a new hold for the booking and, once it is
// approved, releases the old one (ReplaceHoldRequest → ReplaceHoldResult).
// The result comes when A55 has answered the create call: authorized,
// awaiting_3ds (send the guest to URL3DS; the status query's Replacement
// shows the end), declined or failed.
const UpdateReplaceHold = "replace_hold"

// ReplaceHoldRequest is a new authorization for a booking that holds one.
type ReplaceHoldRequest struct {
	// CardToken is the card the guest presented again, sealed for this
	// booking under a new key (starter.ReplaceHold or the card intake): never
	// the card in clear. Its key is destroyed once A55 has answered.
	CardToken *cardvault.Token `json:"card_token"`
	// Amount is the new hold (same currency).
	Amount money.Amount `json:"amount"`
	// ExpectedCaptureAt, when set, moves the check-out / return.
	ExpectedCaptureAt time.Time             `json:"expected_capture_at,omitzero"`
	ThreeDS           bool                  `json:"threeds"`
	DeviceInfo        *a55client.DeviceInfo `json:"device_info,omitempty"`
}

// ReplaceHoldResult is a replacement's outcome (and, in PaymentState, the
// last replacement's progress).
type ReplaceHoldResult struct {
	// Number counts the booking's replacements (1, 2, ...): its create call's
	// Idempotency-Key is "<workflow id>/authorize/<number>".
	Number int `json:"number"`
	// Status: authorizing, awaiting_3ds, authorized (the booking now holds
	// this charge), declined or failed (the booking keeps its old hold).
	Status     Status       `json:"status"`
	Amount     money.Amount `json:"amount"`
	ChargeUUID string       `json:"charge_uuid,omitempty"`
	URL3DS     string       `json:"url_3ds,omitempty"`
	// ReplacedChargeUUID is the hold this one replaces (released once this
	// one is authorized).
	ReplacedChargeUUID string    `json:"replaced_charge_uuid,omitempty"`
	CaptureDeadline    time.Time `json:"capture_deadline,omitzero"`
	DeclineCode        string    `json:"decline_code,omitempty"`
	DeclineMessage     string    `json:"decline_message,omitempty"`
	Reason             string    `json:"reason,omitempty"`
}

// replacement is a replace_hold in progress.
type replacement struct {
	req       ReplaceHoldRequest
	res       *ReplaceHoldResult
	startedAt time.Time
	// readWanted: a webhook or 3ds_complete about the new charge came.
	readWanted bool
}

func (r *replacement) pending() bool {
	return r.res.Status == StatusAuthorizing || r.res.Status == StatusAwaiting3DS
}

// validateReplaceHold holds replace_hold's rules: a new card token, an
// amount the deadline policy fits in, a check-out the new hold can reach
// (or a long-stay policy), and a hold nothing else is acting on.
func (p *payment) validateReplaceHold(ctx workflow.Context, req ReplaceHoldRequest) error {
	now := workflow.Now(ctx)
	var pr inputProblems
	switch t := req.CardToken; {
	case t == nil:
		pr.add("card_token", "is required: the card the guest presented again, sealed for this booking (starter.ReplaceHold or the card intake)")
	case p.in.CardToken != nil && t.KeyID == p.in.CardToken.KeyID:
		pr.add("card_token", "must be a new token (this one's key was destroyed after the first authorization)")
	default:
		checkCardToken(&pr, *t, now)
	}
	if err := req.Amount.Validate(); err != nil {
		pr.add("amount", "%v", err)
	} else if req.Amount.Currency != p.in.Amount.Currency {
		pr.add("amount", "currency %s differs from the booking's %s", req.Amount.Currency, p.in.Amount.Currency)
	} else if a := p.in.DeadlinePolicy.Amount; a != nil && req.Amount.Minor < a.Minor {
		pr.add("amount", "%s is less than deadline_policy.amount %s", req.Amount.Display(), a.Display())
	}
	checkout := p.st.ExpectedCaptureAt
	if !req.ExpectedCaptureAt.IsZero() {
		checkout = req.ExpectedCaptureAt
		if !checkout.After(now) {
			pr.add("expected_capture_at", "%s is not in the future", checkout.UTC().Format(time.RFC3339))
		}
	}
	if reach := now.Add(p.holdWindow - p.margin); p.in.LongStayPolicy == "" && checkout.After(reach) {
		pr.add("expected_capture_at", "is %s, beyond the new hold's reach %s: the booking has no long_stay_policy",
			checkout.UTC().Format(time.RFC3339), reach.UTC().Format(time.RFC3339))
	}
	if req.ThreeDS {
		checkDeviceInfo(&pr, req.DeviceInfo)
	}
	if len(pr) > 0 {
		parts := make([]string, len(pr))
		for i, problem := range pr {
			parts[i] = problem.String()
		}
		return fmt.Errorf("replace_hold refused: %s", strings.Join(parts, "; "))
	}
	return p.moneyOpAllowed(ctx, "replace_hold")
}

// handleReplaceHold authorizes the new hold in the background (a 3DS
// challenge outlasts the update) and answers as soon as A55 has answered the
// create call. The booking is busy (no capture, cancel or deadline policy)
// until the replacement ends.
func (p *payment) handleReplaceHold(ctx workflow.Context, req ReplaceHoldRequest) (ReplaceHoldResult, error) {
	if err := p.takenMeanwhile("replace_hold", StatusAuthorized); err != nil {
		return ReplaceHoldResult{}, err
	}
	number := 1
	if last := p.st.Replacement; last != nil {
		number = last.Number + 1
	}
	r := &replacement{req: req, res: &ReplaceHoldResult{
		Number: number, Status: StatusAuthorizing, Amount: req.Amount, ReplacedChargeUUID: p.st.ChargeUUID,
	}}
	p.busy, p.replacing, p.st.Replacement = true, r, r.res
	p.details(ctx)
	// As capture: a cancellation request must not cut the replacement short.
	work, _ := workflow.NewDisconnectedContext(ctx)
	workflow.Go(work, func(ctx workflow.Context) {
		defer func() {
			p.busy, p.replacing = false, nil
			p.details(ctx)
		}()
		p.replaceHold(ctx, r)
	})
	_ = workflow.Await(ctx, func() bool { return r.res.Status != StatusAuthorizing })
	return *r.res, nil
}

// replaceHold places the new hold and, once A55 approves it, makes it the
// booking's hold and releases the old one.
func (p *payment) replaceHold(ctx workflow.Context, r *replacement) {
	r.startedAt = workflow.Now(ctx)
	n := strconv.Itoa(r.res.Number)
	in := AuthorizeInput{
		IdempotencyKey: p.wfID + "/authorize/" + n,
		WorkflowID:     p.wfID,
		BookingID:      p.in.BookingID,
		WalletUUID:     p.in.WalletUUID,
		MerchantID:     p.in.MerchantID,
		Payer:          p.in.Payer,
		Amount:         r.req.Amount,
		Description:    p.in.Description,
		CardToken:      r.req.CardToken,
		ThreeDS:        r.req.ThreeDS,
		DeviceInfo:     r.req.DeviceInfo,
		WebhookBaseURL: p.in.WebhookBaseURL,
		ReturnURL:      p.in.ReturnURL,
		DueDate:        r.startedAt.UTC().Format(time.DateOnly),
	}
	var res AuthorizeResult
	err := p.callA55(ctx, ActivityAuthorize, "authorize replacement hold "+n+": "+r.req.Amount.Display()+" (capture:false)",
		authorizeBudget, in).Get(ctx, &res)
	if reason := cardKeyReason(err); reason != "" {
		p.destroyCardKey(ctx, r.req.CardToken.KeyID, reason)
	}
	switch {
	case err == nil && res.Declined:
		r.res.ChargeUUID = res.Charge.ChargeUUID
		p.endReplacement(ctx, r, StatusDeclined, res.DeclineCode, res.DeclineMessage, "declined by A55: the booking keeps its hold")
	case err == nil:
		r.res.ChargeUUID = res.Charge.ChargeUUID
		p.applyReplacementRead(ctx, r, res.Charge)
		if r.pending() {
			p.awaitReplacementChallenge(ctx, r)
		}
	case isCardDataExpired(err):
		p.endReplacement(ctx, r, StatusDeclined, ReasonCardDataExpired, "the card's key is destroyed or past its lifetime: ask the guest for the card again", ReasonCardDataExpired)
	case provesNoCharge(err):
		p.endReplacement(ctx, r, StatusFailed, "", "", "A55 refused the replacement (no charge was created): "+describe(err))
	default:
		p.releaseUnansweredReplacement(ctx, r, describe(err))
	}
}

// applyReplacementRead moves a replacement according to what A55 says
// about its charge.
func (p *payment) applyReplacementRead(ctx workflow.Context, r *replacement, c ChargeView) {
	in3DS := r.res.Status == StatusAwaiting3DS
	switch c.State {
	case a55client.StateAuthorized:
		p.promoteReplacement(ctx, r)
	case a55client.StateCaptured:
		if isApprovedHold(c) {
			p.promoteReplacement(ctx, r)
			return
		}
		p.endReplacement(ctx, r, StatusFailed, "", "", "A55 reports the replacement charge "+c.Status+" although it was created with capture:false")
		p.needAttention(ctx, pendingOp{operation: opRead, phase: StatusAuthorized},
			"A55 reports replacement charge "+c.ChargeUUID+" "+c.Status+" without a capture from this workflow: check what A55 captured (the booking's hold is "+p.st.ChargeUUID+")")
	case a55client.StatePending3DS:
		if c.URL3DS != "" {
			r.res.URL3DS = c.URL3DS
		}
		if !in3DS {
			r.res.Status = StatusAwaiting3DS
			p.recordReplacementOutcome(ctx, r)
		}
	case a55client.StateFailed:
		reason := "declined by A55: the booking keeps its hold"
		if in3DS {
			reason = Reason3DSFailed
		}
		p.endReplacement(ctx, r, StatusDeclined, c.Code, c.Message, reason)
	case a55client.StateCanceled:
		p.endReplacement(ctx, r, StatusDeclined, c.Code, c.Message, Reason3DSAbandoned)
	case a55client.StateProcessing, a55client.StateUnknown:
		// Not decided yet: wait for a webhook or the timeout.
	default:
		p.releaseUnansweredReplacement(ctx, r, "A55 reports the replacement charge as "+c.Status)
	}
}

// awaitReplacementChallenge waits, like awaitChallenge, for the
// replacement's 3DS challenge (or undecided charge) to end; after
// ThreeDSTimeout, or on a cancellation request, it reads once more and
// cancels a charge still undecided.
func (p *payment) awaitReplacementChallenge(ctx workflow.Context, r *replacement) {
	tctx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	timedOut := false
	timer := workflow.NewTimerWithOptions(tctx, p.threeDSTimeout, workflow.TimerOptions{Summary: "replacement hold: 3DS challenge timeout"})
	workflow.Go(ctx, func(ctx workflow.Context) {
		if timer.Get(ctx, nil) == nil {
			timedOut = true
		}
	})
	for r.pending() {
		_ = workflow.Await(ctx, func() bool { return timedOut || r.readWanted || p.cancelRequested })
		r.readWanted = false
		if c, ok := p.readReplacement(ctx, r); ok {
			p.applyReplacementRead(ctx, r, c)
		}
		if r.pending() && (timedOut || p.cancelRequested) {
			p.cancelReplacementCharge(ctx, r, Reason3DSAbandoned)
		}
	}
}

func (p *payment) readReplacement(ctx workflow.Context, r *replacement) (ChargeView, bool) {
	var c ChargeView
	if err := p.callA55(ctx, ActivityGetCharge, "read replacement charge "+r.res.ChargeUUID, readBudget,
		GetChargeInput{WalletUUID: p.in.WalletUUID, ChargeUUID: r.res.ChargeUUID}).Get(ctx, &c); err != nil {
		p.logger(ctx).Warn("reading the replacement charge failed", "charge_uuid", r.res.ChargeUUID, "error", describe(err))
		return ChargeView{}, false
	}
	return c, true
}

// cancelReplacementCharge cancels a replacement charge that never became the
// booking's hold. Should the cancel fail, the reconciliation releases it (a
// second charge of an open booking).
func (p *payment) cancelReplacementCharge(ctx workflow.Context, r *replacement, reason string) {
	actx := p.moneyActivityContext(ctx, "cancel replacement charge "+r.res.ChargeUUID, releaseBudget)
	var res OperationResult
	err := workflow.ExecuteActivity(actx, ActivityCancel, CancelInput{
		IdempotencyKey: p.wfID + "/cancel/" + strconv.Itoa(r.res.Number),
		WalletUUID:     p.in.WalletUUID,
		ChargeUUID:     r.res.ChargeUUID,
		Reason:         "replacement hold of booking " + p.in.BookingID + " not completed",
	}).Get(ctx, &res)
	switch {
	case err != nil:
		p.logger(ctx).Warn("cancelling the replacement charge failed; the reconciliation releases it", "booking_id", p.in.BookingID,
			"charge_uuid", r.res.ChargeUUID, "error", describe(err))
		p.endReplacement(ctx, r, StatusFailed, "", "", reason+": cancelling the replacement charge failed ("+describe(err)+"); the booking keeps its hold")
	case res.Outcome == OutcomeCaptured:
		p.endReplacement(ctx, r, StatusFailed, "", "", "the replacement charge turned out captured ("+res.Charge.Status+")")
		p.needAttention(ctx, pendingOp{operation: opRead, phase: StatusAuthorized},
			"A55 reports replacement charge "+r.res.ChargeUUID+" "+res.Charge.Status+": check what A55 captured (the booking's hold is "+p.st.ChargeUUID+")")
	case res.Outcome == OutcomeNothingHeld:
		p.endReplacement(ctx, r, StatusDeclined, res.Charge.Code, res.Charge.Message, Reason3DSFailed)
	default:
		p.endReplacement(ctx, r, StatusDeclined, reason, "", reason)
	}
}

// releaseUnansweredReplacement ends a replacement whose create call got no
// definite answer: A55 may hold a charge for it, which the booking's look-up
// finds (any live charge of the booking but its hold) and releases.
func (p *payment) releaseUnansweredReplacement(ctx workflow.Context, r *replacement, problem string) {
	var found FindChargesResult
	if err := p.callA55(ctx, ActivityFindCharges, "look booking "+p.in.BookingID+" up at A55 (replacement unanswered)", readBudget,
		FindChargesInput{WalletUUID: p.in.WalletUUID, BookingID: p.in.BookingID}).Get(ctx, &found); err != nil {
		p.logger(ctx).Warn("looking the booking up at A55 failed; the reconciliation releases a second charge", "booking_id", p.in.BookingID, "error", describe(err))
	}
	answered := false
	for _, c := range found.Charges {
		if c.ChargeUUID != p.st.ChargeUUID && (isApprovedHold(c) || !moneyTaken(c.State)) &&
			c.State != a55client.StateFailed && c.State != a55client.StateCanceled {
			p.releaseExtra(ctx, c)
			answered = answered || (c.Amount != nil && *c.Amount == r.req.Amount)
		}
	}
	if answered {
		// A55 holds the replacement's charge: it has answered the create
		// call, and no retry will need the card. Without such a charge the
		// key stays for its lifetime (the store's sweep destroys it).
		p.destroyCardKey(ctx, r.req.CardToken.KeyID, cardvault.ReasonAnswered)
	}
	p.endReplacement(ctx, r, StatusFailed, "", "", "the replacement got no definite answer from A55 ("+problem+"); any charge it made is released and the booking keeps its hold")
}

// promoteReplacement makes the approved replacement the booking's hold
// (charge, amount, expiry and deadline counted from the new authorization),
// then releases the old hold: there is never a moment without one.
func (p *payment) promoteReplacement(ctx workflow.Context, r *replacement) {
	old := p.st.ChargeUUID
	now := workflow.Now(ctx)
	p.setCharge(ctx, r.res.ChargeUUID)
	p.in.Amount = r.req.Amount
	p.st.Hold, p.st.Authorized = r.req.Amount, r.req.Amount
	p.authorizeStartedAt = r.startedAt
	p.st.AuthorizedAt = now
	p.st.HoldExpiresAt = r.startedAt.Add(p.holdWindow)
	if !r.req.ExpectedCaptureAt.IsZero() {
		p.st.ExpectedCaptureAt = r.req.ExpectedCaptureAt
	}
	p.st.CaptureDeadline = captureDeadline(p.st.ExpectedCaptureAt, p.grace, p.st.HoldExpiresAt, p.margin)
	p.st.Reauthorization = nil
	p.st.URL3DS = ""
	r.res.URL3DS = ""
	r.res.CaptureDeadline = p.st.CaptureDeadline
	p.st.History = append(p.st.History, Transition{At: now, From: StatusAuthorized, To: StatusAuthorized,
		Reason: "hold replaced (replacement " + strconv.Itoa(r.res.Number) + "): " + r.res.Amount.Display() + " on charge " + r.res.ChargeUUID + ", releasing " + old})
	p.upsert(AuthorizedAmountKey.ValueSet(p.st.Authorized.Minor), CaptureDeadlineKey.ValueSet(p.st.CaptureDeadline))
	p.flushSA(ctx)
	r.res.Status = StatusAuthorized
	p.recordReplacementOutcome(ctx, r)
	// The booking is free as soon as the new hold is its own: a capture of
	// it need not wait for the old one's release (which may retry for a
	// while); the run waits for that release before it closes.
	p.replacedReleases++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { p.replacedReleases-- }()
		p.releaseReplaced(ctx, old, r)
	})
}

// releaseReplaced releases the hold a replacement took over, under its own
// key. A failure leaves it to the reconciliation (a second charge of an open
// booking); a charge A55 reports captured needs a person.
func (p *payment) releaseReplaced(ctx workflow.Context, old string, r *replacement) {
	actx := p.moneyActivityContext(ctx, "release replaced hold "+old, releaseBudget)
	var res OperationResult
	err := workflow.ExecuteActivity(actx, ActivityCancel, CancelInput{
		IdempotencyKey: p.wfID + "/release-replaced/" + strconv.Itoa(r.res.Number),
		WalletUUID:     p.in.WalletUUID,
		ChargeUUID:     old,
		Reason:         "hold of booking " + p.in.BookingID + " replaced by charge " + r.res.ChargeUUID,
	}).Get(ctx, &res)
	switch {
	case err != nil:
		p.logger(ctx).Warn("releasing the replaced hold failed; the reconciliation releases it", "booking_id", p.in.BookingID,
			"charge_uuid", old, "error", describe(err))
	case res.Outcome == OutcomeCaptured:
		p.needAttention(ctx, pendingOp{operation: opRead, phase: StatusAuthorized},
			"A55 reports the replaced charge "+old+" "+res.Charge.Status+" while the booking holds "+p.st.ChargeUUID+": check what A55 captured")
	default:
		p.logger(ctx).Info("replaced hold released", "booking_id", p.in.BookingID, "charge_uuid", old, "outcome", string(res.Outcome))
	}
}

// endReplacement ends a replacement that did not become the booking's hold:
// the booking stays as it was.
func (p *payment) endReplacement(ctx workflow.Context, r *replacement, status Status, code, message, reason string) {
	r.res.Status, r.res.DeclineCode, r.res.DeclineMessage, r.res.Reason = status, code, message, reason
	r.res.URL3DS = ""
	p.recordReplacementOutcome(ctx, r)
}

// recordReplacementOutcome is where every step of a replacement the booking
// system must hear of passes: awaiting_3ds, authorized (the booking holds
// the new charge), declined or failed (it keeps the old one). Notifications
// go here.
func (p *payment) recordReplacementOutcome(ctx workflow.Context, r *replacement) {
	p.logger(ctx).Info("replacement hold", "booking_id", p.in.BookingID, "replacement", r.res.Number,
		"status", string(r.res.Status), "charge_uuid", r.res.ChargeUUID, "decline_code", r.res.DeclineCode, "reason", r.res.Reason)
	p.details(ctx)
}

// replacementWebhookIgnored decides a webhook about the replacement charge
// (about false: another charge, decided as before).
func (p *payment) replacementWebhookIgnored(chargeUUID string) (why string, about bool) {
	r := p.replacing
	if r == nil || chargeUUID == "" || chargeUUID != r.res.ChargeUUID {
		return "", false
	}
	if r.readWanted {
		return "a read of the replacement charge is already due", true
	}
	return "", true
}

// replacementWebhook takes a webhook or 3ds_complete about the replacement
// charge (a read of it), reporting whether it was one.
func (p *payment) replacementWebhook(chargeUUID string) bool {
	if _, about := p.replacementWebhookIgnored(chargeUUID); !about {
		return false
	}
	p.replacing.readWanted = true
	return true
}

// chargeToAdopt picks, among the live charges A55 holds for the booking
// (oldest first), the one the booking keeps and those it releases: the
// oldest, unless a newer approved hold is of another amount than the
// booking's first. That is a replacement's (a duplicate of the first
// authorization has its amount): after a Reset to before the replacement
// the look-up keeps the hold in use (and, its amount differing, puts the
// booking in front of a person) and releases the one it replaced. GetVersion
// is asked only when the choice differs from the oldest.
func (p *payment) chargeToAdopt(ctx workflow.Context, live []ChargeView) (ChargeView, []ChargeView) {
	for i := len(live) - 1; i > 0; i-- {
		c := live[i]
		replaced := (c.State == a55client.StateAuthorized || isApprovedHold(c)) && c.Amount != nil && *c.Amount != p.in.Amount
		if replaced && p.staysOn(ctx) {
			rest := append(append([]ChargeView(nil), live[:i]...), live[i+1:]...)
			return c, rest
		}
		if replaced {
			break
		}
	}
	return live[0], live[1:]
}
