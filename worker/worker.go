// Package worker is the booking-payment worker as a library: what it runs on
// the booking-payments task queue (the workflow under its contract name and
// the A55 activities), how it is tuned (Tuning: concurrency, pollers, stop
// timeout) and the business metrics it derives from the workflow (a
// replay-safe interceptor). Command cmd/worker is the process around it:
// configuration, logs, the metrics endpoint, the Temporal connection and the
// graceful stop.
package worker

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/activities"
	"github.com/hotelpay/a55-temporal/workflows"
	"github.com/hotelpay/a55-temporal/workflows/reconcile"
)

// Default poller counts, above the SDK's 2 and 2. A poll holds its poller
// while the server records the task as started (a database write), so under
// load two pollers are often both busy; a task that finds no poller waiting is
// written to the task queue's table and read back (BENCHMARKS.md measures it).
const (
	DefaultWorkflowPollers = 16
	DefaultActivityPollers = 8
)

// DefaultStickyCacheSize is how many workflows a worker process keeps in
// memory between their tasks (the SDK's sticky cache; its own default is
// 10,000). An idle booking costs ~75 KB there, so the SDK's default let a
// worker holding 10,000 open authorizations grow to 748 MiB; evicted
// bookings are replayed from their history on their next task (a few
// dozen events). With 1000 a worker sat at 146 MiB whatever the number of
// holds, above the 150 MB (143 MiB) it is meant to stay within; 500 keeps
// it near 100 MiB and still holds every booking with work in flight many
// times over. BENCHMARKS.md has the measurements behind the number.
const DefaultStickyCacheSize = 500

// Tuning is how much work the worker takes on at once and how long it gives
// running activities to finish when it stops.
type Tuning struct {
	MaxConcurrentActivities    int // A55 calls in flight
	MaxConcurrentWorkflowTasks int
	ActivityPollers            int
	WorkflowPollers            int // at least 2 (sticky execution)
	StopTimeout                time.Duration
	// MaxConcurrentNotifications: deliveries to booking systems in flight
	// (DefaultNotificationConcurrency when 0), apart from the A55 calls.
	MaxConcurrentNotifications int
	// StickyCacheSize bounds the workflows kept in memory between their
	// tasks. The SDK's cache is one per process: SetStickyCacheSize applies
	// it, before any worker starts.
	StickyCacheSize int
}

// SetStickyCacheSize sets the process-wide sticky cache size from t (the
// SDK's default when 0). Call it once, before starting any worker.
func SetStickyCacheSize(t Tuning) {
	if t.StickyCacheSize > 0 {
		sdkworker.SetStickyWorkflowCacheSize(t.StickyCacheSize)
	}
}

// DefaultDeploymentName is the Worker Deployment the booking-payments
// workers belong to.
const DefaultDeploymentName = "a55-booking-payments"

// VersioningBehavior is how a running booking moves between builds:
// auto-upgrade. A booking lives up to 7 days (30 with hold_window) plus its
// 3DS wait; pinned to the build that started it, every build would have to
// keep running until its last booking ended, and a fix to the money paths
// would never reach the holds already open. The versioning policy (README,
// "Changing the workflow") already makes every build replay every older
// booking's history (GetVersion patches, replay tests in CI), which is what
// auto-upgrade needs: a booking's next task runs on the current build.
const VersioningBehavior = workflow.VersioningBehaviorAutoUpgrade

// Deployment identifies the worker's build to Temporal's Worker Deployment
// versioning: the Web UI shows, for every workflow task, which deployment
// version (name and build id) ran it. A zero Deployment is an unversioned
// worker.
type Deployment struct {
	Name    string // e.g. DefaultDeploymentName
	BuildID string // e.g. buildinfo.BuildID()
}

// Version is the deployment version the worker polls as.
func (d Deployment) Version() sdkworker.WorkerDeploymentVersion {
	return sdkworker.WorkerDeploymentVersion{DeploymentName: d.Name, BuildID: d.BuildID}
}

// Options are the SDK worker options for t, with the business metrics
// interceptor, versioned as d (unversioned when d is zero).
func Options(t Tuning, d Deployment) sdkworker.Options {
	o := sdkworker.Options{
		MaxConcurrentActivityExecutionSize:     t.MaxConcurrentActivities,
		MaxConcurrentWorkflowTaskExecutionSize: t.MaxConcurrentWorkflowTasks,
		MaxConcurrentActivityTaskPollers:       t.ActivityPollers,
		MaxConcurrentWorkflowTaskPollers:       t.WorkflowPollers,
		WorkerStopTimeout:                      t.StopTimeout,
		Interceptors:                           []interceptor.WorkerInterceptor{&businessMetrics{}},
	}
	if d != (Deployment{}) {
		o.DeploymentOptions = sdkworker.DeploymentOptions{
			UseVersioning: true, Version: d.Version(), DefaultVersioningBehavior: VersioningBehavior,
		}
	}
	return o
}

// MakeCurrent makes d the current version of its Worker Deployment: new
// bookings start on it and, auto-upgrading, running ones take their next
// task on it. Until then a versioned worker gets no task. The server knows
// a version once one of its workers has polled, so this retries (every
// 500 ms) until it succeeds or ctx ends; it does nothing when d is
// already current.
func MakeCurrent(ctx context.Context, c client.Client, d Deployment) error {
	h := c.WorkerDeploymentClient().GetHandle(d.Name)
	for {
		desc, err := h.Describe(ctx, client.WorkerDeploymentDescribeOptions{})
		if err == nil {
			if cur := desc.Info.RoutingConfig.CurrentVersion; cur != nil && *cur == d.Version() {
				return nil
			}
			_, err = h.SetCurrentVersion(ctx, client.WorkerDeploymentSetCurrentVersionOptions{
				BuildID: d.BuildID, ConflictToken: desc.ConflictToken})
			if err == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("making %s/%s the current version of the worker deployment: %w", d.Name, d.BuildID, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// New is a worker on the booking-payments task queue, tuned by t and
// versioned as d, with the workflow and acts registered (not started). It
// starts and stops with it the worker that delivers the bookings'
// notifications (NewNotifier).
func New(c client.Client, t Tuning, d Deployment, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, workflows.TaskQueue, Options(t, d))
	Register(w, acts)
	return &withNotifier{Worker: w, notifier: NewNotifier(c, t, d, acts)}
}

// DefaultNotificationConcurrency is how many notification deliveries a
// worker process runs at once (Tuning.MaxConcurrentNotifications).
const DefaultNotificationConcurrency = 20

// NewNotifier is the worker of workflows.NotificationTaskQueue: the
// DeliverNotification activity only, with activity slots of its own
// (Tuning.MaxConcurrentNotifications), so deliveries waiting on a slow
// booking system never hold the slots captures and releases need. Versioned
// as d, like the booking-payments worker of the same build.
func NewNotifier(c client.Client, t Tuning, d Deployment, acts *activities.Activities) sdkworker.Worker {
	o := Options(t, d)
	o.Interceptors = nil
	o.DisableWorkflowWorker = true
	o.MaxConcurrentWorkflowTaskExecutionSize, o.MaxConcurrentWorkflowTaskPollers = 0, 0
	o.MaxConcurrentActivityExecutionSize = t.MaxConcurrentNotifications
	if o.MaxConcurrentActivityExecutionSize <= 0 {
		o.MaxConcurrentActivityExecutionSize = DefaultNotificationConcurrency
	}
	w := sdkworker.New(c, workflows.NotificationTaskQueue, o)
	w.RegisterActivityWithOptions(acts.DeliverNotification, activity.RegisterOptions{Name: workflows.ActivityDeliverNotification})
	return w
}

// withNotifier is the booking-payments worker (registrations go to it)
// with its notifications worker, started and stopped together.
type withNotifier struct {
	sdkworker.Worker
	notifier sdkworker.Worker
}

func (w *withNotifier) Start() error {
	if err := w.notifier.Start(); err != nil {
		return err
	}
	if err := w.Worker.Start(); err != nil {
		w.notifier.Stop()
		return err
	}
	return nil
}

func (w *withNotifier) Run(interruptCh <-chan any) error {
	if err := w.Start(); err != nil {
		return err
	}
	<-interruptCh
	w.Stop()
	return nil
}

func (w *withNotifier) Stop() {
	w.Worker.Stop()
	w.notifier.Stop()
}

// RegisterReconciliation puts the reconciliation (package reconcile) on a
// worker: its workflow and its reads of A55 and Temporal. Its release is the
// Cancel activity Register adds.
func RegisterReconciliation(w sdkworker.Registry, a55 reconcile.Gateway, c client.Client) {
	w.RegisterWorkflowWithOptions(reconcile.Reconcile, workflow.RegisterOptions{
		Name: reconcile.WorkflowName, VersioningBehavior: VersioningBehavior})
	w.RegisterActivity(&reconcile.Activities{A55: a55, Temporal: c})
}

// Register puts the workflow (under its contract name) and the activities
// (under their method names) on a worker.
func Register(w sdkworker.Registry, acts *activities.Activities) {
	w.RegisterWorkflowWithOptions(workflows.BookingPayment, workflow.RegisterOptions{
		Name: workflows.WorkflowName, VersioningBehavior: VersioningBehavior})
	w.RegisterActivity(acts)
}
