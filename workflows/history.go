package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
)

// A booking's history stays bounded whatever reaches it. Signals skip
// validators: anyone holding a booking's webhook token (or a Temporal
// client) can send charge_changed or 3ds_complete as often as they like, and
// Temporal records every one. Two bounds answer that:
//
//   - Reads: a webhook only asks for a read of the charge. After
//     maxFruitlessReads reads in a row that found nothing new, webhooks are
//     folded away (the update is rejected, the signal ignored) until
//     something else changes the payment; a capture, a cancel or the
//     deadline reads A55's own answer anyway.
//   - Events: once the run's history is long (maxRunEvents, or the server
//     suggests it), a booking waiting in authorized continues as new: the
//     next run gets the payment's state (never card data) and goes on
//     waiting, with the same deadline and the same charge.
//
// BookingPayment hands over once every handler has finished, and only if
// the booking is still authorized and idle by then.
//
// Both are behind GetVersion(changeBoundedHistory), asked only when a bound
// is first reached, so that a booking that never reaches one records
// nothing more.

// changeBoundedHistory is the GetVersion change id of the bounds above.
const changeBoundedHistory = "bounded-history"

const (
	maxFruitlessReads = 20
	// maxRunEvents is well below Temporal's limit (51,200 events), which
	// would terminate the workflow and leave its hold without an owner.
	maxRunEvents = 10_000
)

// validateRunInput: a first run is checked as the starter checks it, a
// plain card refused (ChangeCardTokenOnly); a continued run carries the
// state of a booking that passed those checks (its card already dropped),
// and only a continued run may carry it.
func validateRunInput(ctx workflow.Context, in BookingPaymentInput) error {
	if in.Continued == nil {
		return validateInput(in, time.Time{}, in.CardToken == nil && !cardTokenOnly(ctx))
	}
	if workflow.GetInfo(ctx).ContinuedExecutionRunID == "" {
		return errors.New("continued is set only by the workflow itself when it continues as new")
	}
	if err := ValidateBookingID(in.BookingID); err != nil {
		return err
	}
	if !validContinuedStatus(in.Continued.State) || in.Continued.State.ChargeUUID == "" {
		return errors.New("continued: only an authorized booking, or a captured one in its refund window, with its charge continues as new")
	}
	return nil
}

func (p *payment) resume(c *ContinuedBooking) {
	p.st = c.State
	p.request = c.Request
	p.authorizeStartedAt = c.AuthorizeStartedAt
	p.lastReadStatus = c.LastReadStatus
	p.fruitlessReads = c.FruitlessReads
	p.readWanted = c.ReadWanted
	p.bounded = 1 // this code continued it
	p.resumeRefunds(c)
}

// resumeSearchAttributes sets the booking's search attributes again if the
// new run did not inherit them.
func (p *payment) resumeSearchAttributes(ctx workflow.Context) {
	sa := workflow.GetTypedSearchAttributes(ctx)
	if v, ok := sa.GetKeyword(BookingIDKey); ok && v == p.in.BookingID {
		return
	}
	p.upsert(BookingIDKey.ValueSet(p.in.BookingID), ChargeUUIDKey.ValueSet(p.st.ChargeUUID),
		PaymentStatusKey.ValueSet(string(p.st.Status)), AuthorizedAmountKey.ValueSet(p.st.Authorized.Minor),
		CaptureDeadlineKey.ValueSet(p.st.CaptureDeadline))
	if p.st.Status == StatusCaptured {
		p.upsert(CapturedAmountKey.ValueSet(p.st.Captured.Minor), RefundedAmountKey.ValueSet(p.st.Refunded.Minor))
	}
	p.flushSA(ctx)
}

// boundsOn reports whether this booking applies the bounds, asking
// GetVersion the first time one is reached.
func (p *payment) boundsOn(ctx workflow.Context) bool {
	if p.bounded == 0 {
		p.bounded = -1
		if workflow.GetVersion(ctx, changeBoundedHistory, workflow.DefaultVersion, 1) >= 1 {
			p.bounded = 1
		}
	}
	return p.bounded == 1
}

// readsExhausted: webhooks have brought nothing new maxFruitlessReads
// times in a row.
func (p *payment) readsExhausted() bool { return p.fruitlessReads >= maxFruitlessReads }

// historyLong: this run should hand over to a new one.
func historyLong(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= maxRunEvents
}

// nextRunInput is the input of the run that continues this booking: the
// payment's state as it is now, never card data.
func (p *payment) nextRunInput(ctx workflow.Context) BookingPaymentInput {
	next := p.in
	next.Card = a55client.Card{} // dropped already; never carried
	st := p.st
	st.History = append([]Transition(nil), p.st.History...)
	next.Continued = &ContinuedBooking{
		State: st, Request: p.request, AuthorizeStartedAt: p.authorizeStartedAt,
		LastReadStatus: p.lastReadStatus, FruitlessReads: p.fruitlessReads, ReadWanted: p.readWanted,
		CapturedBy: p.capturedBy,
	}
	p.logger(ctx).Info("continuing as new to keep the history bounded", "booking_id", p.in.BookingID,
		"history_length", workflow.GetInfo(ctx).GetCurrentHistoryLength())
	return next
}

// ChangeCardTokenOnly is the patch (workflow.GetVersion) that refuses a card
// in clear in a new booking's input (PCI DSS 3.3.1: its ciphertext would stay
// in the history for the booking's life); the card comes sealed, as
// card_token. Bookings started with a plain card before it replay on
// DefaultVersion and keep it (testdata/release-1 ... bounded-history).
// Recorded histories: testdata/card-token-only/.
const ChangeCardTokenOnly = "card-token-only"

// cardTokenOnly reports whether this booking refuses a plain card. It is
// asked only for an input without card_token, so a booking with a token
// records no marker. The marker is the run's first command, before the
// validation that may fail it: a refused run's one workflow task records
// the marker (and its TemporalChangeVersion search attribute) and the
// failure, nothing else, and a booking that started before the patch has no
// marker there and replays on DefaultVersion, accepted as it was.
func cardTokenOnly(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, ChangeCardTokenOnly, workflow.DefaultVersion, 1) >= 1
}
