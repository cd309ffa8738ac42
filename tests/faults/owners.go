package faults

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/hotelpay/a55-temporal/workflows"
	"github.com/hotelpay/a55-temporal/workflows/reconcile"
)

// WorkflowView is what Temporal says of a booking's workflow once the run's
// bookings are done: whether it is still open (a booking in needs_attention
// waits for an operator) and, when open, the charge it owns.
type WorkflowView struct {
	Exists bool
	Open   bool
	// CloseStatus is Temporal's execution status: Running, Completed,
	// Terminated, Canceled, Failed, TimedOut, ContinuedAsNew.
	CloseStatus string
	// PaymentStatus and ChargeUUID are the status query's answer (open
	// workflows only).
	PaymentStatus workflows.Status
	ChargeUUID    string
}

// closeStatusName is the execution status without the enum's prefix.
func closeStatusName(s enumspb.WorkflowExecutionStatus) string {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "Running"
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "Completed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "Terminated"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "Canceled"
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "Failed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "TimedOut"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return "ContinuedAsNew"
	}
	return s.String()
}

// describeWorkflows fills every record's Workflow from Temporal (a few
// side by side). A booking Temporal cannot describe keeps a nil view: the
// checker then reports its live charges as owned by nobody.
func describeWorkflows(ctx context.Context, st *Stack, records []Record) error {
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for i := range records {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			v, err := describeWorkflow(ctx, st, records[i].Plan.BookingID)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			records[i].Workflow = v
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("describing %d booking workflow(s); first: %w", len(errs), errs[0])
	}
	return nil
}

func describeWorkflow(ctx context.Context, st *Stack, bookingID string) (*WorkflowView, error) {
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		if attempt > 0 {
			sleep(ctx, time.Second)
		}
		c, cancel := context.WithTimeout(ctx, queryTimeout)
		d, err := st.Client.DescribeWorkflowExecution(c, workflows.WorkflowID(bookingID), "")
		cancel()
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return &WorkflowView{}, nil
		}
		if err != nil {
			last = err
			continue
		}
		status := d.GetWorkflowExecutionInfo().GetStatus()
		v := &WorkflowView{Exists: true, CloseStatus: closeStatusName(status),
			Open: status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING}
		if v.Open {
			c, cancel := context.WithTimeout(ctx, queryTimeout)
			ps, err := st.Starter.Status(c, bookingID)
			cancel()
			if err != nil {
				last = err
				continue
			}
			v.PaymentStatus, v.ChargeUUID = ps.Status, ps.ChargeUUID
		}
		return v, nil
	}
	return nil, fmt.Errorf("booking %s: %w", bookingID, last)
}

// runReconciliation triggers the worker's reconciliation schedule and waits
// for the run it starts, returning that run's report.
func runReconciliation(ctx context.Context, st *Stack) (reconcile.Report, error) {
	var rep reconcile.Report
	h := st.Client.ScheduleClient().GetHandle(ctx, reconcile.ScheduleID)
	// The runs before the trigger (the schedule's own, hourly) are not ours.
	seen := map[string]bool{}
	desc, err := h.Describe(ctx)
	if err != nil {
		return rep, fmt.Errorf("describing the reconciliation schedule (the worker registers it at start): %w", err)
	}
	for _, a := range desc.Info.RecentActions {
		if a.StartWorkflowResult != nil {
			seen[a.StartWorkflowResult.WorkflowID] = true
		}
	}
	if err := reconcile.Trigger(ctx, st.Client); err != nil {
		return rep, fmt.Errorf("triggering the reconciliation: %w", err)
	}
	for {
		desc, err := h.Describe(ctx)
		if err != nil {
			return rep, err
		}
		for _, a := range desc.Info.RecentActions {
			w := a.StartWorkflowResult
			if w == nil || seen[w.WorkflowID] {
				continue
			}
			if err := st.Client.GetWorkflow(ctx, w.WorkflowID, w.FirstExecutionRunID).Get(ctx, &rep); err != nil {
				return rep, fmt.Errorf("reconciliation run %s: %w", w.WorkflowID, err)
			}
			return rep, nil
		}
		sleep(ctx, 250*time.Millisecond)
		if ctx.Err() != nil {
			return rep, fmt.Errorf("waiting for the triggered reconciliation run: %w", ctx.Err())
		}
	}
}
