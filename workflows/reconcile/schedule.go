package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/hotelpay/a55-temporal/workflows"
)

// scheduleSpec is what the worker registers: every interval, one run at a
// time (a run that falls due while one is going waits, once).
func scheduleSpec(interval time.Duration, in Input) (client.ScheduleSpec, *client.ScheduleWorkflowAction) {
	return client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: interval}}},
		&client.ScheduleWorkflowAction{
			ID:                       ScheduleID,
			Workflow:                 WorkflowName,
			Args:                     []any{in},
			TaskQueue:                workflows.TaskQueue,
			WorkflowExecutionTimeout: interval + time.Hour,
			StaticSummary:            fmt.Sprintf("reconciliation of %d wallet(s) against the open bookings", len(in.Wallets)),
		}
}

// EnsureSchedule registers the reconciliation schedule, or brings an
// existing one to this interval and these wallets: every worker calls it
// at start, so it must be idempotent.
func EnsureSchedule(ctx context.Context, c client.Client, interval time.Duration, in Input) error {
	if interval <= 0 || len(in.Wallets) == 0 {
		return errors.New("reconciliation schedule: an interval and at least one wallet are required")
	}
	spec, action := scheduleSpec(interval, in)
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: ScheduleID, Spec: spec, Action: action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE,
		Note:    "registered by the worker: releases holds no open booking owns",
	})
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return err
	}
	return c.ScheduleClient().GetHandle(ctx, ScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(cur client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := cur.Description.Schedule
			s.Spec, s.Action = &spec, action
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
}

// Trigger asks for a run now (the webhook receiver does, for a live charge
// whose booking's workflow is closed); a run already going is followed by
// at most one more.
func Trigger(ctx context.Context, c client.Client) error {
	return c.ScheduleClient().GetHandle(ctx, ScheduleID).Trigger(ctx, client.ScheduleTriggerOptions{
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE,
	})
}
