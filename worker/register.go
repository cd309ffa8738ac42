package main

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/workflows"
)

// register puts the workflow (under its contract name) and the activities
// (under their method names) on the worker.
func register(w worker.Registry, acts *activities.Activities) {
	w.RegisterWorkflowWithOptions(workflows.BookingPayment, workflow.RegisterOptions{Name: workflows.WorkflowName})
	w.RegisterActivity(acts)
}
