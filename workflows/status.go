package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// allowed lists every legal transition; anything else is ignored and logged,
// so a late or duplicate event cannot move a terminal state.
var allowed = map[Status][]Status{
	"":                {StatusAuthorizing},
	StatusAuthorizing: {StatusAwaiting3DS, StatusAuthorized, StatusDeclined, StatusFailed, StatusCaptured, StatusVoiding, StatusNeedsAttention},
	StatusAwaiting3DS: {StatusAuthorized, StatusDeclined, StatusFailed, StatusVoiding, StatusCaptured, StatusNeedsAttention},
	StatusAuthorized:  {StatusCapturing, StatusVoiding, StatusExpired, StatusFailed, StatusCaptured, StatusNeedsAttention},
	StatusCapturing:   {StatusCaptured, StatusExpired, StatusFailed, StatusNeedsAttention},
	// Within the refund window, everything captured refunded (refund.go).
	StatusCaptured: {StatusRefunded},
	StatusVoiding:  {StatusVoided, StatusDeclined, StatusCaptured, StatusFailed, StatusNeedsAttention},
	// An operator's decision (UpdateResolve) moves a booking on: a retried
	// operation, or what was done at A55 by hand.
	StatusNeedsAttention: {StatusAuthorizing, StatusAwaiting3DS, StatusAuthorized, StatusCapturing, StatusVoiding,
		StatusCaptured, StatusVoided, StatusExpired, StatusDeclined},
}

func legal(from, to Status) bool {
	for _, s := range allowed[from] {
		if s == to {
			return true
		}
	}
	return false
}

func (p *payment) setCharge(ctx workflow.Context, uuid string) {
	if uuid == "" || uuid == p.st.ChargeUUID {
		return
	}
	p.st.ChargeUUID = uuid
	p.upsert(ChargeUUIDKey.ValueSet(uuid))
}

func (p *payment) decline(ctx workflow.Context, code, message, reason string) {
	p.st.DeclineCode, p.st.DeclineMessage = code, message
	if p.st.DeclineCode == "" && (reason == Reason3DSAbandoned || reason == Reason3DSFailed || reason == ReasonUndecided) {
		p.st.DeclineCode = reason
	}
	p.transition(ctx, StatusDeclined, reason)
}

func (p *payment) fail(ctx workflow.Context, reason string) {
	p.transition(ctx, StatusFailed, reason)
}

// transition moves the status if the move is legal; a terminal status never
// moves again.
func (p *payment) transition(ctx workflow.Context, to Status, reason string) bool {
	from := p.st.Status
	if !legal(from, to) {
		p.logger(ctx).Warn("transition refused", "from", string(from), "to", string(to), "reason", reason)
		return false
	}
	p.st.Status = to
	if from == StatusNeedsAttention {
		p.st.Attention, p.attn = nil, nil
	}
	p.st.Reason = "" // PaymentState.Reason explains a terminal status; History keeps every step's
	if to.Terminal() {
		p.st.Reason = reason
	}
	p.st.History = append(p.st.History, Transition{At: workflow.Now(ctx), From: from, To: to, Reason: reason})
	p.logger(ctx).Info("payment status", "booking_id", p.in.BookingID, "from", string(from), "to", string(to), "reason", reason)
	switch {
	case to == StatusAuthorizing && p.statusSetAtStart:
		p.flushSA(ctx)
	case to == StatusCapturing:
		// Transient (the capture call's run): the status query, current
		// details and the pending activity show it; PaymentStatus moves
		// from authorized straight to the capture's outcome.
		p.flushSA(ctx)
	default:
		p.flushSA(ctx, PaymentStatusKey.ValueSet(string(to)))
	}
	p.details(ctx)
	switch to {
	case StatusCaptured:
		p.countCapture(ctx)
	case StatusVoided:
		p.countRelease(ctx)
	}
	if t, ok := statusEvents[to]; ok {
		p.notify(ctx, t, reason)
	}
	return true
}

// Money metrics, recorded by the workflow when a booking enters captured or
// voided (its workflow closes later: at the end of its refund window, or
// once its last notifications are delivered). internal/metrics names them
// for the worker's exporter and alerts; the workflow's metrics handler emits
// nothing while it replays, so nothing is counted twice.
const (
	// MetricCaptures counts captures, tag MetricTagBy: who captured
	// (BookingPaymentResult.CapturedBy).
	MetricCaptures = "booking_payment_captures"
	// MetricReleases counts released holds, tag MetricTagBy: request (the
	// booking system's cancel), deadline (the deadline or long-stay policy),
	// cancellation_request (the workflow's cancellation: Temporal UI, CLI)
	// or operator (recorded by an operator's decision).
	MetricReleases = "booking_payment_releases"
	// MetricCaptureAmountMismatches counts captures where A55 captured
	// another amount than the workflow asked for.
	MetricCaptureAmountMismatches = "booking_payment_capture_amount_mismatch"
	MetricTagBy                   = "by"
)

func (p *payment) countCapture(ctx workflow.Context) {
	by := p.capturedBy
	if by == "" {
		by = "unknown"
	}
	h := workflow.GetMetricsHandler(ctx)
	h.WithTags(map[string]string{MetricTagBy: by}).Counter(MetricCaptures).Inc(1)
	if asked := p.st.CaptureRequested; !asked.IsZero() && asked != p.st.Captured {
		// The workflow logged the booking and both amounts when it
		// recorded A55's figure; this is the alert's counter.
		h.Counter(MetricCaptureAmountMismatches).Inc(1)
	}
}

// details keeps the Web UI's "current details" line in step with the status.
func (p *payment) details(ctx workflow.Context) {
	var d string
	switch p.st.Status {
	case StatusAuthorizing:
		d = "authorizing " + p.in.Amount.Display()
	case StatusAwaiting3DS:
		d = "waiting for 3DS: " + p.st.URL3DS
	case StatusAuthorized:
		d = "authorized " + p.st.Authorized.Display() + "; deadline policy " + string(p.in.DeadlinePolicy.Action) +
			" at " + p.st.CaptureDeadline.UTC().Format(time.RFC3339) + p.stayDetails()
	case StatusCapturing:
		d = "capturing (" + p.st.History[len(p.st.History)-1].Reason + ")"
	case StatusCaptured:
		released, _ := p.st.Authorized.Sub(p.st.Captured)
		d = "captured " + p.st.Captured.Display() + ", released " + released.Display()
		if !p.st.Refunded.IsZero() {
			d += ", refunded " + p.st.Refunded.Display()
		}
		if p.refundWindowOpen() {
			d += "; refunds until " + p.st.RefundWindowEndsAt.UTC().Format(time.RFC3339)
		}
	case StatusVoiding:
		d = "releasing the hold"
	case StatusNeedsAttention:
		d = "NEEDS ATTENTION: " + p.st.History[len(p.st.History)-1].Reason + " (bookingctl resolve)"
	case StatusVoided:
		d = "voided: " + p.st.Reason
	case StatusDeclined:
		d = "declined: " + p.st.Reason
		if p.st.DeclineCode != "" {
			d += " (" + p.st.DeclineCode + " " + p.st.DeclineMessage + ")"
		}
	default:
		d = string(p.st.Status) + ": " + p.st.Reason
	}
	// The Web UI renders current details as Markdown, where two "$" (as in
	// "R$ 500,00 ... R$ 0,00") start inline maths; escaped, they show as "$".
	workflow.SetCurrentDetails(ctx, strings.ReplaceAll(d, "$", `\$`))
}

// upsert queues search attribute changes for the next flushSA: one command,
// one event and one billable action per status change.
func (p *payment) upsert(updates ...temporal.SearchAttributeUpdate) {
	p.pendingSA = append(p.pendingSA, updates...)
}

// flushSA sends what upsert queued, with updates.
func (p *payment) flushSA(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) {
	updates = append(p.pendingSA, updates...)
	p.pendingSA = nil
	if len(updates) > 0 {
		p.sendSA(ctx, updates...)
	}
}

func (p *payment) sendSA(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		p.logger(ctx).Warn("search attribute upsert failed", "error", err)
	}
}

func (p *payment) result() BookingPaymentResult {
	r := BookingPaymentResult{
		BookingID:      p.in.BookingID,
		Status:         p.st.Status,
		ChargeUUID:     p.st.ChargeUUID,
		Authorized:     p.st.Authorized,
		Captured:       p.st.Captured,
		DeclineCode:    p.st.DeclineCode,
		DeclineMessage: p.st.DeclineMessage,
		Reason:         p.st.Reason,
		Refunded:       p.st.Refunded,
		SettledAt:      p.st.SettledAt,
	}
	if p.st.Status == StatusCaptured || p.st.Status == StatusRefunded {
		r.CapturedBy = p.capturedBy
		if !p.st.CaptureRequested.IsZero() && p.st.CaptureRequested != p.st.Captured {
			r.CaptureRequested = p.st.CaptureRequested
		}
	}
	return r
}

// releaseTag is the by tag of MetricReleases for why the hold was released.
var releaseTag = map[string]string{
	VoidedByCancel:              "request",
	VoidedByDeadlinePolicy:      "deadline",
	VoidedByCancellationRequest: "cancellation_request",
	VoidedByOperator:            "operator",
}

func (p *payment) countRelease(ctx workflow.Context) {
	by, ok := releaseTag[p.voidedBy]
	if !ok {
		by = "unknown"
	}
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{MetricTagBy: by}).Counter(MetricReleases).Inc(1)
}
