package faults

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// CardKind is how the sandbox answers the booking's card (see the sandbox's
// test cards). Plans and reports name the kind, never the number.
type CardKind string

const (
	CardApproved     CardKind = "approved"      // authorized at once
	CardChallenge    CardKind = "3ds_challenge" // pending + url_3ds, approved after the challenge
	CardChallengeBad CardKind = "3ds_failed"    // pending + url_3ds, the card holder fails the challenge
	CardDeclined     CardKind = "declined"      // CARD_DECLINED
	CardNoFunds      CardKind = "no_funds"      // INSUFFICIENT_FUNDS
)

// Sandbox test card numbers per kind.
var cardNumbers = map[CardKind]string{
	CardApproved:     "4111111111111111",
	CardChallenge:    "4000000000000101",
	CardChallengeBad: "4000000000000101",
	CardDeclined:     "4000000000000002",
	CardNoFunds:      "5105105105105100",
}

// Action is what the booking system does once the hold is placed.
type Action string

const (
	ActCaptureFull     Action = "capture_full"     // check-out: capture the whole hold
	ActCapturePartial  Action = "capture_partial"  // check-out: capture part, release the rest
	ActCancel          Action = "cancel"           // the booking is cancelled: release the hold
	ActDeadlineRelease Action = "deadline_release" // silence: the deadline policy releases the hold
	ActDeadlineCapture Action = "deadline_capture" // silence: the deadline policy captures part of the hold
	// Operator actions on the booking's workflow, mid-hold (Temporal UI or CLI).
	ActWorkflowCancel Action = "workflow_cancel" // Request Cancellation (client.CancelWorkflow): the workflow releases the hold
	ActTerminate      Action = "terminate"       // Terminate: the hold is stranded until the reconciliation releases it
)

// Plan is one booking as the simulated booking system will drive it.
type Plan struct {
	BookingID string
	Kind      workflows.BookingKind
	Card      CardKind
	// Report3DS: the booking front end forwards the 3ds-auth-complete message
	// (when false, only A55's webhook or the workflow's own timeout tells the
	// workflow the challenge was answered).
	Report3DS bool
	Action    Action
	Hold      money.Amount
	// Capture is the amount of a partial or deadline capture.
	Capture money.Amount
	// StartAfter is when the booking arrives, from the start of the run.
	StartAfter time.Duration
	// ActAfter is how long after the authorization the booking system acts
	// (the stay or rental, compressed).
	ActAfter time.Duration
}

// Mix is the share of each kind of booking in a run, in percent of bookings
// (they need not add up to 100: they are weights).
type Mix struct {
	CaptureFull, CapturePartial, Cancel, DeadlineRelease, DeadlineCapture int
	Challenge, ChallengeFailed, Declined                                  int
	// Operator actions (0 in every mix but the operator scenario's).
	WorkflowCancel, Terminate int
}

// DefaultMix is the everyday blend of a hotel and car-rental merchant: most
// bookings are captured at check-out, some cancelled, a few left to the
// deadline policy, some need a 3DS challenge and some are declined.
var DefaultMix = Mix{
	CaptureFull: 25, CapturePartial: 15, Cancel: 15, DeadlineRelease: 7, DeadlineCapture: 5,
	Challenge: 15, ChallengeFailed: 5, Declined: 13,
}

// PlanOptions shape the generated bookings.
type PlanOptions struct {
	Prefix   string // booking id prefix, e.g. "s1"
	Bookings int
	Seed     uint64
	Mix      Mix
	// Arrival is the gap between two bookings' arrivals.
	Arrival time.Duration
	// MaxActAfter bounds ActAfter (drawn uniformly in [0, MaxActAfter]).
	MaxActAfter time.Duration
	// ReportShare is the share (0–1) of 3DS bookings whose front end forwards
	// the 3ds-auth-complete message.
	ReportShare float64
}

// Plans draws the bookings of a run from the seed: the same options give the
// same bookings, so a failing run can be replayed.
func Plans(o PlanOptions) []Plan {
	r := rand.New(rand.NewPCG(o.Seed, 0x5eed_fa17))
	mix := o.Mix
	if mix == (Mix{}) {
		mix = DefaultMix
	}
	type choice struct {
		weight int
		card   CardKind
		action Action
	}
	choices := []choice{
		{mix.CaptureFull, CardApproved, ActCaptureFull},
		{mix.CapturePartial, CardApproved, ActCapturePartial},
		{mix.Cancel, CardApproved, ActCancel},
		{mix.DeadlineRelease, CardApproved, ActDeadlineRelease},
		{mix.DeadlineCapture, CardApproved, ActDeadlineCapture},
		{mix.Challenge, CardChallenge, ActCaptureFull},
		{mix.ChallengeFailed, CardChallengeBad, ActCaptureFull},
		{mix.Declined, CardDeclined, ActCaptureFull},
		// Last, and weight 0 elsewhere: the other mixes draw the same plans.
		{mix.WorkflowCancel, CardApproved, ActWorkflowCancel},
		{mix.Terminate, CardApproved, ActTerminate},
	}
	total := 0
	for _, c := range choices {
		total += c.weight
	}
	plans := make([]Plan, o.Bookings)
	for i := range plans {
		n := r.IntN(total)
		var c choice
		for _, c = range choices {
			if n < c.weight {
				break
			}
			n -= c.weight
		}
		card := c.card
		if card == CardDeclined && r.IntN(2) == 0 {
			card = CardNoFunds
		}
		action := c.action
		if card == CardChallenge && r.IntN(3) == 0 {
			action = ActCancel
		}
		hold := money.Amount{Minor: 10_000 + 100*r.Int64N(4_900), Currency: "BRL"} // R$ 100,00 – 5.000,00
		kind := workflows.KindHotelStay
		if r.IntN(3) == 0 {
			kind = workflows.KindCarRental
		}
		var actAfter time.Duration
		if o.MaxActAfter > 0 {
			actAfter = time.Duration(r.Int64N(int64(o.MaxActAfter) + 1))
		}
		plans[i] = Plan{
			// The seed in base 36: a long run of digits in a booking id
			// looks like a card number to the log redactor.
			BookingID:  fmt.Sprintf("%s-%s-%04d", o.Prefix, strconv.FormatUint(o.Seed, 36), i+1),
			Kind:       kind,
			Card:       card,
			Report3DS:  r.Float64() < o.ReportShare,
			Action:     action,
			Hold:       hold,
			Capture:    money.Amount{Minor: hold.Minor * int64(40+r.IntN(55)) / 100, Currency: hold.Currency},
			StartAfter: time.Duration(i) * o.Arrival,
			ActAfter:   actAfter,
		}
	}
	return plans
}

// DefaultDeadlineIn leaves the workflow's first task time to run on a busy
// machine: the workflow rejects an input whose expected capture time plus
// grace has passed by the time it starts.
const DefaultDeadlineIn = 10 * time.Second

// Timing is how a run compresses a booking's life.
type Timing struct {
	// HoldWindow and SafetyMargin go into the workflow input (zero: the
	// workflow's defaults of 7 days and 6 hours).
	HoldWindow   time.Duration
	SafetyMargin time.Duration
	// DeadlineIn is how soon after the booking's start the deadline policy of
	// ActDeadline* bookings is due (expected capture time + grace; 0:
	// DefaultDeadlineIn).
	DeadlineIn time.Duration
	// ThreeDSTimeout goes into the input (zero: the workflow's default).
	ThreeDSTimeout time.Duration
}

// Input is the workflow input the booking system sends for the plan.
func (p Plan) Input(now time.Time, t Timing) workflows.BookingPaymentInput {
	in := workflows.BookingPaymentInput{
		BookingID:  p.BookingID,
		Kind:       p.Kind,
		MerchantID: "faults-merchant",
		WalletUUID: a55sandbox.DefaultWallet,
		Payer: a55client.Payer{
			Name: "Joana Lima", Email: "joana.lima@example.com", CellPhone: "+5521987654321", TaxID: "12345678909",
			Address: &a55client.Address{Street: "Rua das Laranjeiras", AddressNumber: "100", Neighborhood: "Laranjeiras",
				City: "Rio de Janeiro", State: "RJ", PostalCode: "22240-000", Country: "BR"},
		},
		Amount:      p.Hold,
		Description: "fault-injection booking",
		Card: a55client.Card{HolderName: "JOANA LIMA", Number: cardNumbers[p.Card], ExpiryMonth: 12,
			ExpiryYear: now.Year() + 3, CVV: "123"},
		ExpectedCaptureAt: now.Add(48 * time.Hour),
		DeadlinePolicy:    workflows.DeadlinePolicy{Action: workflows.DeadlineRelease},
		HoldWindow:        t.HoldWindow,
		SafetyMargin:      t.SafetyMargin,
		ThreeDSTimeout:    t.ThreeDSTimeout,
		// Every booking must end (the "terminal" invariant): a captured
		// one closes after a short refund window.
		RefundWindow: stack.ShortRefundWindow,
	}
	if workflows.BeyondHoldReach(in, now) {
		// A scenario's short hold ends before the check-out: no new
		// authorization comes, so the deadline policy decides.
		in.LongStayPolicy = workflows.LongStayReauthorize
	}
	if p.Card == CardChallenge || p.Card == CardChallengeBad {
		yes, no := true, false
		in.ThreeDS = true
		in.DeviceInfo = &a55client.DeviceInfo{
			IPAddress: "127.0.0.1", UserAgent: "Mozilla/5.0 faults", HTTPAcceptContent: "text/html",
			HTTPAcceptBrowserValue: "text/html", HTTPBrowserLanguage: "pt-BR",
			HTTPBrowserJavaEnabled: &no, HTTPBrowserJavascriptEnabled: &yes, HTTPBrowserColorDepth: "24",
			HTTPBrowserScreenHeight: "1080", HTTPBrowserScreenWidth: "1920", HTTPBrowserTimeDifference: "180",
			SessionID: "session-" + p.BookingID,
		}
	}
	switch p.Action {
	case ActDeadlineRelease, ActDeadlineCapture:
		deadlineIn := t.DeadlineIn
		if deadlineIn <= 0 {
			deadlineIn = DefaultDeadlineIn
		}
		in.ExpectedCaptureAt = now.Add(deadlineIn / 2)
		in.CaptureGrace = deadlineIn - deadlineIn/2
		if p.Action == ActDeadlineCapture {
			amount := p.Capture
			in.DeadlinePolicy = workflows.DeadlinePolicy{Action: workflows.DeadlineCapture, Amount: &amount}
		}
	}
	return in
}

// Authorizes reports whether the card gets a hold at all.
func (p Plan) Authorizes() bool { return p.Card == CardApproved || p.Card == CardChallenge }

// Expected lists the outcomes the plan may end in. allowLapse adds the
// outcomes a run whose faults can outlast the hold window legitimately
// produces: the deadline policy acting before the booking system did, or the
// hold lapsing at A55 while A55 was unreachable.
func (p Plan) Expected(allowLapse bool) []workflows.Status {
	if !p.Authorizes() {
		return []workflows.Status{workflows.StatusDeclined}
	}
	var want workflows.Status
	switch p.Action {
	case ActTerminate:
		// The workflow is closed without a result; the reconciliation
		// releases the hold (checked against A55, not a status).
		return []workflows.Status{StatusTerminated}
	case ActCaptureFull, ActCapturePartial, ActDeadlineCapture:
		want = workflows.StatusCaptured
	default:
		want = workflows.StatusVoided
	}
	if !allowLapse {
		return []workflows.Status{want}
	}
	return []workflows.Status{want, workflows.StatusVoided, workflows.StatusExpired}
}

// WantCaptured is the amount the plan captures when it ends captured as asked.
func (p Plan) WantCaptured() money.Amount {
	switch p.Action {
	case ActCapturePartial, ActDeadlineCapture:
		return p.Capture
	}
	return p.Hold
}
