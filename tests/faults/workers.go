package faults

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/workflows"
)

// WorkerTasks is how much of a run one worker process did (all its
// restarts together), read from the bookings' histories: every workflow
// and activity task's started event names the worker that took it, whose
// identity ends in its process id ("worker@<host>/<pid>").
type WorkerTasks struct {
	Name          string // the stack's process name, e.g. "worker-2"
	Pids          []int
	WorkflowTasks int
	ActivityTasks int
	// Versions counts the workflow tasks the worker completed per Worker
	// Deployment version and versioning behavior, as the history (and so
	// the Web UI) records them: "<deployment>/<build id> <behavior>"
	// ("unversioned" for a worker without a deployment version).
	Versions map[string]int
}

func (w WorkerTasks) String() string {
	return fmt.Sprintf("%-9s %d workflow tasks, %d activity tasks (pids %v); completed by %s", w.Name, w.WorkflowTasks,
		w.ActivityTasks, w.Pids, joinCounts(w.Versions, ", "))
}

// countWorkerTasks reads every booking's history and counts the tasks each
// worker process of the stack took.
func countWorkerTasks(ctx context.Context, st *Stack, records []Record) ([]WorkerTasks, error) {
	names := []string{stack.BinWorker, stack.BinWorker2}
	out := make([]WorkerTasks, len(names))
	byPid := map[string]*WorkerTasks{}
	for i, name := range names {
		out[i] = WorkerTasks{Name: name, Pids: st.proj.Pids(name), Versions: map[string]int{}}
		for _, pid := range out[i].Pids {
			byPid[strconv.Itoa(pid)] = &out[i]
		}
	}
	for _, rec := range records {
		it := st.Client.GetWorkflowHistory(ctx, workflows.WorkflowID(rec.Plan.BookingID), "", false,
			enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				return nil, fmt.Errorf("history of %s: %w", rec.Plan.BookingID, err)
			}
			worker := func(identity string) *WorkerTasks { return byPid[identity[strings.LastIndexByte(identity, '/')+1:]] }
			switch e.GetEventType() {
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
				if w := worker(e.GetWorkflowTaskStartedEventAttributes().GetIdentity()); w != nil {
					w.WorkflowTasks++
				}
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
				if w := worker(e.GetActivityTaskStartedEventAttributes().GetIdentity()); w != nil {
					w.ActivityTasks++
				}
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
				a := e.GetWorkflowTaskCompletedEventAttributes()
				if w := worker(a.GetIdentity()); w != nil {
					version := "unversioned"
					if v := a.GetDeploymentVersion(); v != nil {
						version = v.GetDeploymentName() + "/" + v.GetBuildId() + " " + a.GetVersioningBehavior().String()
					}
					w.Versions[version]++
				}
			}
		}
	}
	return out, nil
}
