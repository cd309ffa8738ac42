package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/money"
)

// holdLoop waits in authorized for a capture or cancel update, a webhook, a
// moved capture time, or the deadline.
func (p *payment) holdLoop(ctx workflow.Context) {
	// The deadline timer stays armed when the hold leaves authorized: the
	// capture or cancel ends the workflow, which drops a pending timer
	// without a TimerCanceled event (a moved deadline still cancels the old
	// timer).
	for p.st.Status == StatusAuthorized {
		if at := p.holdTimerAt(ctx); !p.deadline.armedFor(at) {
			p.deadline.arm(ctx, at, p.holdTimerSummary(at))
		}
		p.armHoldExpiring(ctx)
		long := false
		_ = workflow.Await(ctx, func() bool {
			long = p.bounded >= 0 && historyLong(ctx)
			return p.st.Status != StatusAuthorized || p.deadline.due || p.readWanted ||
				!p.deadline.armedFor(p.nextHoldInstant()) || p.cancelRequested || long
		})
		switch {
		case p.st.Status != StatusAuthorized || p.busy || p.cancelRequested:
			return
		case p.deadline.due && p.beginReauthorizationWait(ctx):
		case p.deadline.due:
			p.applyDeadlinePolicy(ctx)
			return
		case long && p.boundsOn(ctx):
			p.continuing = true
			return
		case p.readWanted:
			p.readWanted = false
			// The deadline does not wait for a slow read.
			if c, ok := p.readUnless(ctx, func() bool { return p.deadline.due }); ok {
				p.applyHeldRead(ctx, c)
			}
		}
	}
}

// applyHeldRead handles what A55 says about an authorized charge.
func (p *payment) applyHeldRead(ctx workflow.Context, c ChargeView) {
	if p.st.Status != StatusAuthorized || p.busy {
		return // an update is acting on the hold; its own result decides
	}
	switch c.State {
	case a55client.StateAuthorized, a55client.StateProcessing, a55client.StateUnknown, a55client.StatePending3DS:
	case a55client.StateCanceled:
		p.transition(ctx, StatusExpired, "A55 reports the hold "+c.Status+" before any capture or cancel")
	case a55client.StateCaptured:
		if isApprovedHold(c) {
			return // still the hold
		}
		p.needAttention(ctx, pendingOp{operation: opRead, phase: StatusAuthorized},
			"A55 reports the charge "+c.Status+" without a capture from this workflow: check what A55 captured")
	default:
		p.needAttention(ctx, pendingOp{operation: opRead, phase: StatusAuthorized}, "A55 reports the authorized charge as "+c.Status+": "+c.Code+" "+c.Message)
	}
}

// deadlineTimer is the capture deadline's durable timer: armed for one
// instant at a time and re-armed when the booking system moves the capture
// time; due reports that the armed instant has come.
type deadlineTimer struct {
	at     time.Time
	due    bool
	cancel workflow.CancelFunc
	// gen tells the current timer from one cancelled by a re-arm, whose
	// firing must not make the new deadline due.
	gen int
}

func (d *deadlineTimer) armedFor(at time.Time) bool { return d.at.Equal(at) }

// arm starts a timer that makes the deadline due at at, cancelling the one
// armed before; a deadline already past is due at once.
func (d *deadlineTimer) arm(ctx workflow.Context, at time.Time, summary string) {
	if d.cancel != nil {
		d.cancel()
		d.cancel = nil
	}
	d.due = false
	d.at = at
	d.gen++
	gen := d.gen
	wait := at.Sub(workflow.Now(ctx))
	if wait <= 0 {
		d.due = true
		return
	}
	tctx, cancel := workflow.WithCancel(ctx)
	d.cancel = cancel
	timer := workflow.NewTimerWithOptions(tctx, wait, workflow.TimerOptions{Summary: summary})
	workflow.Go(ctx, func(ctx workflow.Context) {
		if timer.Get(ctx, nil) == nil && gen == d.gen {
			d.due = true
		}
	})
}

func (p *payment) policyText() string {
	if p.longStay() {
		switch p.in.LongStayPolicy {
		case LongStayDeposit:
			return "long stay: capture the whole hold " + p.st.Authorized.Display() + " as the deposit"
		case LongStayRelease:
			return "long stay: release the hold"
		}
	}
	if p.in.DeadlinePolicy.Action == DeadlineCapture {
		return "capture " + p.deadlineCaptureAmount().Display()
	}
	return "release the hold"
}

func (p *payment) deadlineCaptureAmount() money.Amount {
	if a := p.in.DeadlinePolicy.Amount; a != nil {
		return *a
	}
	return p.st.Authorized
}

func (p *payment) applyDeadlinePolicy(ctx workflow.Context) {
	p.logger(ctx).Info("capture deadline reached", "policy", string(p.in.DeadlinePolicy.Action))
	if p.applyLongStayPolicy(ctx) {
		return
	}
	if p.in.DeadlinePolicy.Action == DeadlineCapture {
		_, _ = p.capture(ctx, p.deadlineCaptureAmount(), CapturedByDeadline)
		return
	}
	p.voidedBy = VoidedByDeadlinePolicy
	_, _ = p.release(ctx, "deadline policy: release the hold", "capture deadline reached")
}
