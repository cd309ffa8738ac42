package worker

import (
	"reflect"
	"testing"

	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/workflows"
)

func TestOptionsVersionTheWorkerAsItsDeployment(t *testing.T) {
	d := Deployment{Name: DefaultDeploymentName, BuildID: "eff639e1c0ff"}
	o := Options(Tuning{}, d).DeploymentOptions
	want := sdkworker.WorkerDeploymentVersion{DeploymentName: DefaultDeploymentName, BuildID: "eff639e1c0ff"}
	if !o.UseVersioning || o.Version != want || o.DefaultVersioningBehavior != workflow.VersioningBehaviorAutoUpgrade {
		t.Errorf("deployment options %+v: want versioned as %+v, auto-upgrade", o, want)
	}
	if o := Options(Tuning{}, Deployment{}).DeploymentOptions; o.UseVersioning || o.Version != (sdkworker.WorkerDeploymentVersion{}) {
		t.Errorf("a zero Deployment must leave the worker unversioned: %+v", o)
	}
}

// Bookings live for days: auto-upgrade, so that the current build (which
// replays every older history, see the README's versioning policy) takes
// them over; pinned would keep every old build running for weeks.
func TestBookingsAutoUpgrade(t *testing.T) {
	if VersioningBehavior != workflow.VersioningBehaviorAutoUpgrade {
		t.Errorf("VersioningBehavior = %v, want auto-upgrade", VersioningBehavior)
	}
}

// Register puts every activity of the workflow's contract on the worker:
// each registered name is a method of *activities.Activities.
func TestRegisterCoversTheActivityContract(t *testing.T) {
	methods := reflect.TypeOf(&activities.Activities{})
	for _, name := range []string{
		workflows.ActivityAuthorize, workflows.ActivityGetCharge, workflows.ActivityCapture, workflows.ActivityCancel,
		workflows.ActivityRefund, workflows.ActivityFindCharges, workflows.ActivityDestroyCardKey,
		workflows.ActivityDeliverNotification,
	} {
		if _, ok := methods.MethodByName(name); !ok {
			t.Errorf("activity %s of the contract is no method of *activities.Activities: Register does not put it on the worker", name)
		}
	}
}
