package main

// clock: injected — the report tests build their own timelines from a base time.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/sdk/testsuite"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hotelpay/a55-temporal/workflows"
)

func ev(id int64, t enumspb.EventType) *historypb.HistoryEvent {
	return &historypb.HistoryEvent{EventId: id, EventType: t}
}

func activityStarted(id int64, attempt int32) *historypb.HistoryEvent {
	e := ev(id, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED)
	e.Attributes = &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{
		ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{Attempt: attempt},
	}
	return e
}

func marker(id int64, name string, wft int64) *historypb.HistoryEvent {
	e := ev(id, enumspb.EVENT_TYPE_MARKER_RECORDED)
	e.Attributes = &historypb.HistoryEvent_MarkerRecordedEventAttributes{
		MarkerRecordedEventAttributes: &historypb.MarkerRecordedEventAttributes{MarkerName: name, WorkflowTaskCompletedEventId: wft},
	}
	return e
}

func TestCountActionsFollowsTheCloudRules(t *testing.T) {
	events := []*historypb.HistoryEvent{
		ev(1, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
		ev(2, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
		ev(3, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED),
		ev(4, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
		ev(5, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
		// Two local activities in one workflow task: one action.
		marker(6, markerLocalActivity, 4),
		marker(7, markerLocalActivity, 4),
		ev(8, enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
		ev(9, enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
		ev(10, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
		// Third attempt: the two retries before it were billed too.
		activityStarted(11, 3),
		ev(12, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
		ev(13, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
		ev(14, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
		// A local activity in a later workflow task: a second action.
		marker(15, markerLocalActivity, 14),
		marker(16, markerVersion, 14), // free
		marker(17, markerSideEffect, 14),
		ev(18, enumspb.EVENT_TYPE_TIMER_STARTED),
		ev(19, enumspb.EVENT_TYPE_TIMER_CANCELED), // free
		ev(20, enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED),
		ev(21, enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED),
		ev(22, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
	}
	c := countActions(events)
	want := map[string]int{
		"workflow_start": 1, "update": 1, "local_activity_batch": 2, "search_attribute_upsert": 2,
		"activity": 3, "signal": 1, "side_effect": 1, "timer": 1, "child_workflow": 2, "signal_sent": 1,
	}
	total := 0
	for k, v := range want {
		total += v
		if c.ByKind[k] != v {
			t.Errorf("%s: %d actions, want %d", k, c.ByKind[k], v)
		}
	}
	for k := range c.ByKind {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected kind %s", k)
		}
	}
	if c.Actions != total || c.Events != len(events) {
		t.Errorf("got %d actions over %d events, want %d over %d", c.Actions, c.Events, total, len(events))
	}

	// The event-by-event account adds up to the same total.
	sum := 0
	for _, line := range describeEvents(events) {
		if i := strings.Index(line, " — "); i >= 0 {
			var n int
			if _, err := fmt.Sscan(line[i+len(" — "):], &n); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			sum += n
		}
	}
	if sum != total {
		t.Errorf("described actions add up to %d, want %d", sum, total)
	}
	if !closed(events) || closed(events[:5]) {
		t.Error("closed() misreads the last event")
	}
}

func TestEventNamesReadLikeTheUI(t *testing.T) {
	if got := eventName(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED); got != "WorkflowExecutionUpdateAccepted" {
		t.Fatalf("eventName = %q", got)
	}
}

func TestSignalLagTakesTheFirstSignalAfterTheChallenge(t *testing.T) {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(id int64, tp enumspb.EventType, d time.Duration) *historypb.HistoryEvent {
		e := ev(id, tp)
		e.EventTime = timestamppb.New(base.Add(d))
		return e
	}
	events := []*historypb.HistoryEvent{
		at(1, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 0),
		at(2, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, time.Second), // the "pending" webhook, before the challenge
		at(3, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 3*time.Second),
		at(4, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, 2*time.Second+40*time.Millisecond),
	}
	lag, ok := signalLag(events, base.Add(2*time.Second))
	if !ok || lag != 40*time.Millisecond {
		t.Fatalf("lag = %v, %v; want 40ms", lag, ok)
	}
	if _, ok := signalLag(events, base.Add(5*time.Second)); ok {
		t.Fatal("found a signal after the last one")
	}
	// The receiver's charge_changed update counts; another update does not.
	update := func(id int64, name string, d time.Duration) *historypb.HistoryEvent {
		e := at(id, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, d)
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionUpdateAcceptedEventAttributes{
			WorkflowExecutionUpdateAcceptedEventAttributes: &historypb.WorkflowExecutionUpdateAcceptedEventAttributes{
				AcceptedRequest: &updatepb.Request{Input: &updatepb.Input{Name: name}},
			},
		}
		return e
	}
	events = append(events, update(5, workflows.UpdateCapture, 6*time.Second), update(6, workflows.UpdateChargeChanged, 7*time.Second))
	if lag, ok := signalLag(events, base.Add(5*time.Second)); !ok || lag != 2*time.Second {
		t.Fatalf("lag after the capture = %v, %v; want 2s (the charge_changed update, not the capture)", lag, ok)
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- { // unsorted input
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	s := summarize(ds)
	if s.P50 != 50*time.Millisecond || s.P95 != 95*time.Millisecond || s.P99 != 99*time.Millisecond || s.Max != 100*time.Millisecond {
		t.Fatalf("summary = %+v", s)
	}
	one := summarize([]time.Duration{7 * time.Millisecond})
	if one.P50 != 7*time.Millisecond || one.P99 != 7*time.Millisecond {
		t.Fatalf("single value summary = %+v", one)
	}
	if summarize(nil).String() != "–" {
		t.Fatal("empty summary should render as a dash")
	}
}

func TestParseStatCPUCountsFieldsAfterTheCommandName(t *testing.T) {
	// comm "(my (odd) cmd)" holds spaces and parentheses; utime 250, stime 50 ticks.
	line := "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 100 1000000 500"
	d, err := parseStatCPU(line)
	if err != nil {
		t.Fatal(err)
	}
	if d != 3*time.Second {
		t.Fatalf("cpu = %v, want 3s", d)
	}
	if _, err := parseStatCPU("garbage"); err == nil {
		t.Fatal("a line without a command name was accepted")
	}
}

func TestReadProcSeesThisProcess(t *testing.T) {
	s, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.RSS <= 0 || s.HWM < s.RSS {
		t.Fatalf("RSS %d, HWM %d", s.RSS, s.HWM)
	}
	if _, err := readProc(-1); err == nil {
		t.Fatal("pid -1 read without error")
	}
}

func TestWriteRunReplacesOnlyItsOwnFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "docs", "benchmarks") // created by the first write
	for _, run := range [][2]string{{"throughput", "first run"}, {"hold", "hold run"}, {"throughput", "second run\n\n"}} {
		if _, err := writeRun(dir, run[0], run[1]); err != nil {
			t.Fatal(err)
		}
	}
	for label, want := range map[string]string{"throughput": "second run\n", "hold": "hold run\n"} {
		b, err := os.ReadFile(filepath.Join(dir, label+".md"))
		if err != nil || string(b) != want {
			t.Errorf("%s.md = %q (%v), want %q", label, b, err, want)
		}
	}
}

func TestLabelNamesAFileInTheResultsDirectory(t *testing.T) {
	o := options{mode: "throughput", n: 10, c: 2, m: 1, rounds: 1, phases: []string{phaseOurs}}
	for label, ok := range map[string]bool{"throughput-floor-same-pollers": true, "c5.v2": true, "": true,
		"../BENCHMARKS": false, "runs/x": false, ".hidden": false, "a b": false} {
		o.label = label
		if err := o.check(); (err == nil) != ok {
			t.Errorf("-label %q: %v", label, err)
		}
	}
}

func TestRunBookingsRunsEachIndexOnceAndBoundsConcurrency(t *testing.T) {
	const n, c = 50, 4
	var mu sync.Mutex
	inFlight, peak := 0, 0
	seen := make([]int, n)
	samples, _ := runBookings(context.Background(), n, c, func(_ context.Context, i int) sample {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		seen[i]++
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
		return sample{WorkflowID: "wf", Path: pathOf(i)}
	}, nil)
	for i, k := range seen {
		if k != 1 {
			t.Fatalf("booking %d ran %d times", i, k)
		}
	}
	if peak > c {
		t.Fatalf("%d bookings in flight, limit %d", peak, c)
	}
	if countPath(samples, pathHappy) != n/2 || countPath(samples, path3DS) != n/2 {
		t.Fatalf("paths: %d happy, %d 3DS", countPath(samples, pathHappy), countPath(samples, path3DS))
	}
}

func TestErrorSummaryGroupsAndLimits(t *testing.T) {
	samples := []sample{
		{Err: errors.New("capture: boom")}, {Err: errors.New("capture: boom")}, {},
		{Err: errors.New("authorize: nope")}, {Err: errors.New("third")},
	}
	got := errorSummary(samples, 2)
	if len(got) != 3 || got[0] != "2× capture: boom" || got[1] != "1× authorize: nope" || !strings.Contains(got[2], "1 more") {
		t.Fatalf("summary = %q", got)
	}
}

// The floor workflow completes only after an authorization, a signal and a
// capture, and refuses a capture before the authorization.
func TestFloorWorkflowShape(t *testing.T) {
	for _, local := range []bool{false, true} {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		env.RegisterActivity(FloorAuthorize)
		env.RegisterActivity(FloorCapture)
		var early, auth, capt error
		var authRes, captRes FloorResult
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow(floorUpdateCapture, "early", &testsuite.TestUpdateCallback{
				OnReject: func(err error) { early = err }, OnAccept: func() {}, OnComplete: func(any, error) {},
			})
			env.UpdateWorkflow(floorUpdateAuth, "a", &testsuite.TestUpdateCallback{
				OnReject: func(err error) { auth = err }, OnAccept: func() {},
				OnComplete: func(r any, err error) {
					auth = err
					if err == nil {
						authRes = r.(FloorResult)
					}
				},
			})
		}, time.Second)
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(floorSignalWebhook, nil) }, 2*time.Second)
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow(floorUpdateCapture, "c", &testsuite.TestUpdateCallback{
				OnReject: func(err error) { capt = err }, OnAccept: func() {},
				OnComplete: func(r any, err error) {
					capt = err
					if err == nil {
						captRes = r.(FloorResult)
					}
				},
			})
		}, 3*time.Second)
		if local {
			env.ExecuteWorkflow(floorBookingLocal, FloorInput{BookingID: "b", Minor: 100})
		} else {
			env.ExecuteWorkflow(floorBooking, FloorInput{BookingID: "b", Minor: 100})
		}
		if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
			t.Fatalf("local=%v: completed %v, error %v", local, env.IsWorkflowCompleted(), env.GetWorkflowError())
		}
		if early == nil {
			t.Errorf("local=%v: a capture before the authorization was accepted", local)
		}
		if auth != nil || capt != nil || authRes.Status != "authorized" || captRes.Status != "captured" {
			t.Errorf("local=%v: authorization %v %+v, capture %v %+v", local, auth, authRes, capt, captRes)
		}
		var res FloorResult
		if err := env.GetWorkflowResult(&res); err != nil || res.Status != "captured" || res.Minor != 100 {
			t.Errorf("local=%v: result %+v, %v", local, res, err)
		}
	}
}

func TestStatusRecordedFindsThePaymentStatusUpsert(t *testing.T) {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	upsert := func(id int64, d time.Duration, fields map[string]string) *historypb.HistoryEvent {
		e := ev(id, enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
		e.EventTime = timestamppb.New(base.Add(d))
		idx := map[string]*commonpb.Payload{}
		for k, v := range fields {
			idx[k] = &commonpb.Payload{Data: []byte(v)}
		}
		e.Attributes = &historypb.HistoryEvent_UpsertWorkflowSearchAttributesEventAttributes{
			UpsertWorkflowSearchAttributesEventAttributes: &historypb.UpsertWorkflowSearchAttributesEventAttributes{
				SearchAttributes: &commonpb.SearchAttributes{IndexedFields: idx},
			},
		}
		return e
	}
	events := []*historypb.HistoryEvent{
		upsert(5, time.Second, map[string]string{"PaymentStatus": `"awaiting_3ds"`}),
		upsert(9, 2*time.Second, map[string]string{"ChargeUUID": `"authorized"`}), // another attribute
		upsert(12, 3*time.Second, map[string]string{"PaymentStatus": `"authorized"`, "AuthorizedAmount": "50000"}),
		upsert(20, 4*time.Second, map[string]string{"PaymentStatus": `"authorized"`}),
	}
	at, ok := statusRecorded(events, "authorized")
	if !ok || !at.Equal(base.Add(3*time.Second)) {
		t.Fatalf("recorded at %v, %v; want the first PaymentStatus=authorized upsert", at, ok)
	}
	if _, ok := statusRecorded(events, "captured"); ok {
		t.Fatal("found a status that was never recorded")
	}
}

func TestParseTCPPeersKeepsConnectionsToThePort(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F77 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:9C40 0100007F:1F77 06 00000000:00000000 03:00000A2B 00000000     0        0 0 3 0
   2: 0100007F:9C41 0100007F:1F77 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0
   3: 0100007F:1F77 0100007F:9C41 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0
   4: 0100007F:9C42 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 4 1 0
`
	got := parseTCPPeers(table, 0x1F77)
	if len(got) != 2 || !got["0100007F:9C40"] || !got["0100007F:9C41"] {
		t.Fatalf("peers = %v, want the two client ends (TIME_WAIT and ESTABLISHED)", got)
	}
}

func TestPollerCountsParseWorkflowSlashActivity(t *testing.T) {
	var p pollerCounts
	if err := p.Set("16/8"); err != nil || p != (pollerCounts{Workflow: 16, Activity: 8}) || p.String() != "16/8" {
		t.Fatalf("16/8 → %+v, %v", p, err)
	}
	if (pollerCounts{}).String() != "" {
		t.Error("the zero value must read as unset (the SDK's defaults)")
	}
	// The SDK needs two workflow pollers with sticky execution on.
	for _, bad := range []string{"16", "1/8", "16/0", "a/b", "16/8/2"} {
		var q pollerCounts
		if err := q.Set(bad); err == nil {
			t.Errorf("%q accepted as %+v", bad, q)
		}
	}
}

func TestParseDBRequestsSumsOperationsAcrossServices(t *testing.T) {
	metrics := `# HELP persistence_requests persistence_requests counter
# TYPE persistence_requests counter
persistence_requests{namespace="default",operation="UpdateWorkflowExecution",service_name="history"} 12
persistence_requests{namespace="_unknown_",operation="GetNamespace",service_name="frontend"} 3
persistence_requests{namespace="default",operation="GetNamespace",service_name="history"} 4
persistence_latency_count{namespace="default",operation="UpdateWorkflowExecution",service_name="history"} 99
visibility_persistence_requests{operation="RecordWorkflowExecutionStarted",service_name="history",visibility_plugin_name="sqlite"} 2
persistence_requests_total{operation="CreateTasks"} 5
`
	got, err := parseDBRequests(strings.NewReader(metrics))
	if err != nil {
		t.Fatal(err)
	}
	want := dbRequests{"UpdateWorkflowExecution": 12, "GetNamespace": 7, "RecordWorkflowExecutionStarted": 2}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	later := dbRequests{"UpdateWorkflowExecution": 20, "GetNamespace": 7, "RecordWorkflowExecutionStarted": 3, "CreateTasks": 1}
	if d := later.since(got); !reflect.DeepEqual(d, dbRequests{"UpdateWorkflowExecution": 8, "RecordWorkflowExecutionStarted": 1, "CreateTasks": 1}) {
		t.Fatalf("since = %v", d)
	}
}
