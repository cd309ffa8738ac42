package workflows

import (
	"errors"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Notifications tell the booking system what happened to a booking (the
// event contract is events.go). The workflow queues each event when it
// happens (notify; most come from transition) and one coroutine of the run
// delivers the queue in order, each event by one activity that retries
// for NotificationRetryBudget; the next event waits until the previous one
// is accepted or given up. Nothing of the payment waits for the queue: a
// slow or dead booking system never delays a capture, a release or the
// deadline. A booking with its outcome stays open until its queue is empty,
// at most NotificationDrainBound; a run that continues as new hands its
// queue (the event in flight included, redelivered with the same id) and
// its sequence number to the next run in PaymentState.Notifications.
//
// Only bookings started on this code notify (GetVersion ChangeNotifications,
// asked once at a booking's first run): their histories are in
// testdata/notifications.

// ChangeNotifications is the GetVersion change id of notifications.
const ChangeNotifications = "notifications"

// NotificationTaskQueue is where DeliverNotification runs: every worker
// process polls it with its own activity slots (worker.New), so deliveries
// hanging on a slow booking system never hold the slots of the A55 calls.
const NotificationTaskQueue = "booking-notifications"

// statusEvents is the event each status sends when a booking enters it.
var statusEvents = map[Status]EventType{
	StatusAwaiting3DS:    EventAwaiting3DS,
	StatusAuthorized:     EventAuthorized,
	StatusDeclined:       EventDeclined,
	StatusCaptured:       EventCaptured,
	StatusVoided:         EventVoided,
	StatusExpired:        EventExpired,
	StatusNeedsAttention: EventNeedsAttention,
	StatusFailed:         EventFailed,
}

// notifyMaxAttempts is above what NotificationRetryBudget allows.
const notifyMaxAttempts = 200

// MetricNotificationsUndelivered counts the events given up (tags type and
// reason: rejected | gave_up | booking_closed), recorded by the workflow
// through its replay-safe metrics handler (package workflows stays free of
// the worker's packages: booking systems import it); internal/metrics
// names it for the worker's exporter and alerts.
const MetricNotificationsUndelivered = "booking_notifications_undelivered"

// Values of the undelivered metric's reason tag.
const (
	undeliveredRejected = "rejected"
	undeliveredGaveUp   = "gave_up"
	undeliveredClosed   = "booking_closed"
)

// startNotifications turns notifications on for a booking's first run
// started on this code, and starts the delivery coroutine of a run whose
// booking notifies.
func (p *payment) startNotifications(ctx workflow.Context) {
	if p.in.Continued == nil {
		if workflow.GetVersion(ctx, ChangeNotifications, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			return
		}
		p.st.Notifications = &NotificationState{}
	}
	if p.st.Notifications == nil {
		return
	}
	workflow.Go(ctx, p.deliverNotifications)
}

// notify queues an event of type t for the booking system, built from the
// payment's state now; reason explains it; extra sets what only the caller
// knows (a refund's amount). It is the one way to emit an event, and it
// emits no command: the delivery coroutine does. A booking without
// notifications (started before them, or without a URL) ignores it.
func (p *payment) notify(ctx workflow.Context, t EventType, reason string, extra ...func(*Event)) {
	n := p.st.Notifications
	if n == nil || n.Off != "" {
		return
	}
	n.LastSequence++
	ev := Event{
		ID:         p.wfID + "/" + strconv.FormatInt(n.LastSequence, 10) + "/" + string(t),
		Sequence:   n.LastSequence,
		Type:       t,
		BookingID:  p.in.BookingID,
		Status:     p.st.Status,
		Time:       workflow.Now(ctx),
		ChargeUUID: p.st.ChargeUUID,
		Hold:       p.in.Amount,
		Authorized: p.st.Authorized,
		Captured:   p.st.Captured,
		Reason:     reason,
	}
	switch t {
	case EventAwaiting3DS:
		ev.URL3DS = p.st.URL3DS
	case EventAuthorized, EventHoldExpiring:
		ev.CaptureDeadline, ev.DeadlinePolicy = p.st.CaptureDeadline, p.in.DeadlinePolicy.Action
	case EventDeclined:
		ev.DeclineCode, ev.DeclineMessage = p.st.DeclineCode, p.st.DeclineMessage
	case EventVoided:
		ev.VoidedBy = p.voidedBy
	}
	for _, f := range extra {
		f(&ev)
	}
	n.Pending = append(n.Pending, ev)
}

// deliverNotifications delivers the queue, oldest first, one event at a
// time, for the life of the run.
func (p *payment) deliverNotifications(ctx workflow.Context) {
	n := p.st.Notifications
	for {
		_ = workflow.Await(ctx, func() bool { return len(n.Pending) > 0 && n.Off == "" })
		ev := n.Pending[0]
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout:    NotificationAttemptTimeout,
			ScheduleToCloseTimeout: NotificationRetryBudget,
			RetryPolicy: &temporal.RetryPolicy{
				InitialInterval:    time.Second,
				BackoffCoefficient: 2,
				MaximumInterval:    time.Hour,
				// More than the budget allows (about 80): the budget ends
				// the retries (an explicit cap, as the SDK's test
				// environment caps an unlimited policy at 10 attempts).
				MaximumAttempts:        notifyMaxAttempts,
				NonRetryableErrorTypes: []string{ErrTypeNotificationRejected},
			},
			Summary: "notify the booking system: " + string(ev.Type) + " (#" + strconv.FormatInt(ev.Sequence, 10) + ")",
			// Its own task queue and workers: deliveries to a slow booking
			// system never take the activity slots captures and releases need.
			TaskQueue: NotificationTaskQueue,
		})
		var res DeliverNotificationResult
		err := workflow.ExecuteActivity(actx, ActivityDeliverNotification, DeliverNotificationInput{
			MerchantID: p.in.MerchantID, URL: p.in.NotificationURL, Event: ev,
		}).Get(ctx, &res)
		if len(n.Pending) == 0 || n.Pending[0].ID != ev.ID {
			continue // given up meanwhile (the booking closed)
		}
		n.Pending = n.Pending[1:]
		switch {
		case err == nil && res.NoEndpoint:
			n.Off = "no notification URL is configured for the booking or merchant " + p.in.MerchantID
			n.Pending = nil
			p.logger(ctx).Info("booking sends no notifications", "booking_id", p.in.BookingID, "merchant_id", p.in.MerchantID)
		case err == nil:
			n.Delivered++
		case isRejected(err):
			p.undelivered(ctx, ev, "refused by the booking system: "+describe(err), undeliveredRejected)
		default:
			p.undelivered(ctx, ev, describe(err), undeliveredGaveUp)
		}
	}
}

// undelivered gives an event up: the status query lists it, the log and
// the undelivered metric raise it, and the next event goes on.
func (p *payment) undelivered(ctx workflow.Context, ev Event, problem, why string) {
	n := p.st.Notifications
	n.Undelivered = append(n.Undelivered, UndeliveredEvent{ID: ev.ID, Sequence: ev.Sequence, Type: ev.Type, Problem: problem})
	p.logger(ctx).Warn("notification not delivered", "booking_id", p.in.BookingID, "event_id", ev.ID,
		"event_type", string(ev.Type), "problem", problem)
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"type": string(ev.Type), "reason": why}).
		Counter(MetricNotificationsUndelivered).Inc(1)
}

func isRejected(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == ErrTypeNotificationRejected
}

// drainNotifications keeps a booking that has its outcome open until its
// events are delivered, at most NotificationDrainBound; the rest is given
// up. An empty queue costs nothing.
func (p *payment) drainNotifications(ctx workflow.Context) {
	n := p.st.Notifications
	if n == nil || len(n.Pending) == 0 {
		return
	}
	done, _ := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
		Timeout:      NotificationDrainBound,
		TimerOptions: workflow.TimerOptions{Summary: "wait for the booking system to accept the last events"},
	}, func() bool { return len(n.Pending) == 0 })
	if done {
		return
	}
	pending := n.Pending
	n.Pending = nil
	for _, ev := range pending {
		p.undelivered(ctx, ev, "still undelivered when the booking closed, "+NotificationDrainBound.String()+" after its outcome", undeliveredClosed)
	}
}

// holdExpiring sends hold_expiring once per capture deadline, notice before
// it (at once when less is left); armed from the hold loop, re-armed when
// the deadline moves.
type holdExpiring struct {
	at     time.Time
	cancel workflow.CancelFunc
	gen    int
}

func (p *payment) armHoldExpiring(ctx workflow.Context) {
	n := p.st.Notifications
	deadline := p.st.CaptureDeadline
	if n == nil || n.Off != "" || p.expiring.at.Equal(deadline) {
		return
	}
	if p.expiring.cancel != nil {
		p.expiring.cancel()
		p.expiring.cancel = nil
	}
	p.expiring.at = deadline
	p.expiring.gen++
	gen := p.expiring.gen
	if n.HoldExpiringFor.Equal(deadline) {
		return // sent by an earlier run of the booking
	}
	send := func(ctx workflow.Context) {
		if gen != p.expiring.gen || p.st.Status != StatusAuthorized {
			return
		}
		n.HoldExpiringFor = deadline
		p.notify(ctx, EventHoldExpiring, p.holdExpiringReason(deadline))
	}
	wait := deadline.Add(-p.holdExpiringNotice()).Sub(workflow.Now(ctx))
	if wait <= 0 {
		send(ctx)
		return
	}
	tctx, cancel := workflow.WithCancel(ctx)
	p.expiring.cancel = cancel
	timer := workflow.NewTimerWithOptions(tctx, wait, workflow.TimerOptions{Summary: "hold_expiring notice"})
	workflow.Go(ctx, func(ctx workflow.Context) {
		if timer.Get(ctx, nil) == nil {
			send(ctx)
		}
	})
}

// holdExpiringNotice is how long before the deadline hold_expiring goes. A
// long stay with the reauthorize policy is told when its wait for a new
// card authorization begins (stay.go's beginReauthorizationWait).
func (p *payment) holdExpiringNotice() time.Duration {
	if p.in.LongStayPolicy == LongStayReauthorize && p.longStay() {
		return orDefault(p.in.ReauthorizeNotice, DefaultReauthorizeNotice)
	}
	return orDefault(p.in.HoldExpiringNotice, DefaultHoldExpiringNotice)
}

func (p *payment) holdExpiringReason(deadline time.Time) string {
	at := deadline.UTC().Format(time.RFC3339)
	if p.in.LongStayPolicy == LongStayReauthorize && p.longStay() {
		return "the stay outlasts the hold: a new card authorization (replace_hold) is needed before " + at +
			"; without one the deadline policy (" + p.policyText() + ") runs then"
	}
	return "the deadline policy (" + p.policyText() + ") runs at " + at
}
