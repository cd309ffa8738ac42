package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
)

// Marker names the Go SDK writes (internal constants of go.temporal.io/sdk).
const (
	markerLocalActivity     = "LocalActivity"
	markerSideEffect        = "SideEffect"
	markerMutableSideEffect = "MutableSideEffect"
	markerVersion           = "Version"
)

// Cost is what one workflow execution cost Temporal, read from its history.
type Cost struct {
	Events  int            // history events
	Actions int            // estimated Temporal Cloud billable actions
	ByKind  map[string]int // billable actions per rule (see countActions)
}

// actionRules documents countActions (docs/benchmarks/README.md has them as a table).
var actionRules = []string{
	"workflow started (WorkflowExecutionStarted): 1; search attributes given at start are free",
	"activity started or retried: 1 per attempt (ActivityTaskStarted.attempt; history keeps only the last attempt's started event)",
	"local activities: 1 per workflow task that recorded LocalActivity markers, however many (markers are grouped by WorkflowTaskCompletedEventId)",
	"timer started (TimerStarted): 1, including the SDK's implicit timers (AwaitWithTimeout, activity-less sleeps)",
	"search attribute upsert (UpsertWorkflowSearchAttributes): 1 per command, however many attributes it sets",
	"signal received (WorkflowExecutionSignaled): 1; a signal the workflow sends (SignalExternalWorkflowExecutionInitiated): 1",
	"update accepted (WorkflowExecutionUpdateAccepted): 1, update-with-start included; rejected updates leave no event and are not counted here (Cloud bills them)",
	"child workflow started (StartChildWorkflowExecutionInitiated): 2",
	"side effect marker: 1; mutable side effect marker: 1 (Cloud bills only changes: an upper bound); version markers: 0",
	"workflow options updated (WorkflowExecutionOptionsUpdated): 1",
	"not in history, so not counted: queries (the bench's status polls are reported separately), heartbeats, rejected updates",
	"free: workflow tasks, activity scheduled/completed events, completion, memo/properties changes",
}

// countActions applies actionRules to one history.
func countActions(events []*historypb.HistoryEvent) Cost {
	c := Cost{Events: len(events), ByKind: map[string]int{}}
	laTasks := map[int64]bool{}
	add := func(kind string, n int) {
		c.ByKind[kind] += n
		c.Actions += n
	}
	for _, e := range events {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			add("workflow_start", 1)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			attempts := int(e.GetActivityTaskStartedEventAttributes().GetAttempt())
			if attempts < 1 {
				attempts = 1
			}
			add("activity", attempts)
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			a := e.GetMarkerRecordedEventAttributes()
			switch a.GetMarkerName() {
			case markerLocalActivity:
				if wft := a.GetWorkflowTaskCompletedEventId(); !laTasks[wft] {
					laTasks[wft] = true
					add("local_activity_batch", 1)
				}
			case markerSideEffect, markerMutableSideEffect:
				add("side_effect", 1)
			case markerVersion:
			default:
				add("marker_"+a.GetMarkerName(), 1)
			}
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			add("timer", 1)
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			add("search_attribute_upsert", 1)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			add("signal", 1)
		case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
			add("signal_sent", 1)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			add("update", 1)
		case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
			add("child_workflow", 2)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED:
			add("options_updated", 1)
		}
	}
	return c
}

// fetchHistory reads a whole history (all pages).
func fetchHistory(ctx context.Context, c client.Client, workflowID string) ([]*historypb.HistoryEvent, error) {
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", workflowID, err)
		}
		events = append(events, e)
	}
	return events, nil
}

// closed reports whether the history ends with a close event.
func closed(events []*historypb.HistoryEvent) bool {
	if len(events) == 0 {
		return false
	}
	switch events[len(events)-1].GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		return true
	}
	return false
}

// describeEvents renders a history as one line per event with the billable
// actions it carries, for the event-by-event account in the results files.
func describeEvents(events []*historypb.HistoryEvent) []string {
	laTasks := map[int64]bool{}
	var lines []string
	for _, e := range events {
		name := eventName(e.GetEventType())
		detail := ""
		one := countActions([]*historypb.HistoryEvent{e}).Actions
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			detail = e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			detail = fmt.Sprintf("attempt %d", e.GetActivityTaskStartedEventAttributes().GetAttempt())
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			a := e.GetMarkerRecordedEventAttributes()
			detail = a.GetMarkerName()
			if a.GetMarkerName() == markerLocalActivity {
				if laTasks[a.GetWorkflowTaskCompletedEventId()] {
					one = 0 // same workflow task as an earlier marker
				}
				laTasks[a.GetWorkflowTaskCompletedEventId()] = true
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			detail = e.GetWorkflowExecutionSignaledEventAttributes().GetSignalName()
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			detail = e.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName()
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			var keys []string
			for k := range e.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields() {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			detail = strings.Join(keys, ", ")
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			detail = e.GetTimerStartedEventAttributes().GetStartToFireTimeout().AsDuration().String()
		}
		line := fmt.Sprintf("%d. %s", e.GetEventId(), name)
		if detail != "" {
			line += " (" + detail + ")"
		}
		if one > 0 {
			line += fmt.Sprintf(" — %d action", one)
			if one > 1 {
				line += "s"
			}
		}
		lines = append(lines, line)
	}
	return lines
}

// eventName is the event type as the UI shows it: WorkflowTaskCompleted.
func eventName(t enumspb.EventType) string {
	s := t.String()
	if !strings.Contains(s, "_") {
		return strings.TrimPrefix(s, "EventType")
	}
	parts := strings.Split(strings.ToLower(strings.TrimPrefix(s, "EVENT_TYPE_")), "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}
