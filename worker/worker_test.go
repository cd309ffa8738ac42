package worker

import (
	"testing"

	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
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
