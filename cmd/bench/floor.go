package main

// The floor: the least a booking of our shape can cost on Temporal. One
// update-with-start whose handler runs a no-op "authorize" activity, one
// signal (what a webhook becomes), one update whose handler runs a no-op
// "capture" activity, then the workflow completes. FloorLocal is the same
// with local activities. Both run on their own task queue, served by the
// bench binary itself in a separate process (bench -floor-worker), so the
// worker's memory and CPU are measured the same way as ours.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/internal/stack"
)

const (
	FloorTaskQueue     = "bench-floor"
	FloorWorkflow      = "FloorBooking"
	FloorLocalWorkflow = "FloorBookingLocal"
	floorUpdateAuth    = "authorization"
	floorUpdateCapture = "capture"
	floorSignalWebhook = "charge_changed"
	floorActAuthorize  = "FloorAuthorize"
	floorActCapture    = "FloorCapture"
	floorActStartToEnd = 10 * time.Second
)

// FloorInput carries a booking id and an amount: a payload of realistic size
// is not the point, the number of round trips is.
type FloorInput struct {
	BookingID string `json:"booking_id"`
	Minor     int64  `json:"minor"`
}

// FloorResult is the activities' and the updates' answer.
type FloorResult struct {
	Status string `json:"status"`
	Minor  int64  `json:"minor"`
}

// FloorAuthorize and FloorCapture do nothing: the floor measures Temporal.
func FloorAuthorize(_ context.Context, in FloorInput) (FloorResult, error) {
	return FloorResult{Status: "authorized", Minor: in.Minor}, nil
}

func FloorCapture(_ context.Context, in FloorInput) (FloorResult, error) {
	return FloorResult{Status: "captured", Minor: in.Minor}, nil
}

func floorBooking(ctx workflow.Context, in FloorInput) (FloorResult, error) {
	return floorShape(ctx, in, false)
}

func floorBookingLocal(ctx workflow.Context, in FloorInput) (FloorResult, error) {
	return floorShape(ctx, in, true)
}

func floorShape(ctx workflow.Context, in FloorInput, local bool) (FloorResult, error) {
	run := func(ctx workflow.Context, activity string) (FloorResult, error) {
		var r FloorResult
		if local {
			ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: floorActStartToEnd})
			err := workflow.ExecuteLocalActivity(ctx, activity, in).Get(ctx, &r)
			return r, err
		}
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: floorActStartToEnd})
		err := workflow.ExecuteActivity(ctx, activity, in).Get(ctx, &r)
		return r, err
	}
	var authorized, captured bool
	var result FloorResult
	if err := workflow.SetUpdateHandler(ctx, floorUpdateAuth, func(ctx workflow.Context) (FloorResult, error) {
		r, err := run(ctx, floorActAuthorize)
		if err == nil {
			authorized = true
			result = r
		}
		return r, err
	}); err != nil {
		return result, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, floorUpdateCapture, func(ctx workflow.Context) (FloorResult, error) {
		r, err := run(ctx, floorActCapture)
		if err == nil {
			captured = true
			result = r
		}
		return r, err
	}, workflow.UpdateHandlerOptions{Validator: func(workflow.Context) error {
		if !authorized {
			return errors.New("not authorized")
		}
		return nil
	}}); err != nil {
		return result, err
	}
	// The webhook signal is only noted, as ours re-reads the charge on it.
	webhooks := 0
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, floorSignalWebhook)
		for ch.Receive(ctx, nil) {
			webhooks++
		}
	})
	if err := workflow.Await(ctx, func() bool { return captured && workflow.AllHandlersFinished(ctx) }); err != nil {
		return result, err
	}
	return result, nil
}

// runFloorWorker serves the floor task queue until SIGTERM or SIGINT.
func runFloorWorker(addr, namespace string, pollers pollerCounts) error {
	c, err := client.Dial(client.Options{HostPort: addr, Namespace: namespace, Logger: stack.QuietLogger{}})
	if err != nil {
		return fmt.Errorf("floor worker: dial %s: %w", addr, err)
	}
	defer c.Close()
	w := worker.New(c, FloorTaskQueue, worker.Options{
		MaxConcurrentWorkflowTaskPollers: pollers.Workflow, // 0: the SDK's default
		MaxConcurrentActivityTaskPollers: pollers.Activity,
	})
	w.RegisterWorkflowWithOptions(floorBooking, workflow.RegisterOptions{Name: FloorWorkflow})
	w.RegisterWorkflowWithOptions(floorBookingLocal, workflow.RegisterOptions{Name: FloorLocalWorkflow})
	w.RegisterActivityWithOptions(FloorAuthorize, activity.RegisterOptions{Name: floorActAuthorize})
	w.RegisterActivityWithOptions(FloorCapture, activity.RegisterOptions{Name: floorActCapture})
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	interrupt := make(chan any)
	go func() { <-stop; close(interrupt) }()
	return w.Run(interrupt)
}

// floorStartOptions mirror ours: id per booking, attach to a running one.
func floorStartOptions(id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                FloorTaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}
}
