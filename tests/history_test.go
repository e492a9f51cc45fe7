package tests

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/activities"
)

// activityRecord is one activity of a workflow's history.
type activityRecord struct {
	key       string // activity type and a hash of its input
	summary   string
	scheduled int64 // ActivityTaskScheduled event ID
	completed int64 // ActivityTaskCompleted event ID; 0 if none
	// attempt is the attempt that ended the activity (from its
	// ActivityTaskStarted event); above 1 means it was retried.
	attempt int32
	// worker is the identity of the worker that ran that attempt.
	worker string
}

// ledger is what a workflow's history says about its activities: every
// scheduled activity, keyed by type and input, and how it ended.
type ledger struct {
	activities []*activityRecord
	// resetAt is the ID of the WorkflowTaskFailed event a reset left in the
	// history it copied (0 if the run was not made by a reset): events
	// before it were carried over from the reset run.
	resetAt int64
}

// scheduledKeys counts scheduled activities per type and input.
func (l ledger) scheduledKeys() map[string]int {
	m := map[string]int{}
	for _, a := range l.activities {
		m[a.key]++
	}
	return m
}

// completedCount is the number of activities that completed.
func (l ledger) completedCount() int {
	n := 0
	for _, a := range l.activities {
		if a.completed != 0 {
			n++
		}
	}
	return n
}

// batchesBy counts the completed RunBatch activities per worker identity.
func (l ledger) batchesBy() map[string]int {
	m := map[string]int{}
	for _, a := range l.activities {
		if a.completed != 0 && strings.HasPrefix(a.key, activities.RunBatchName+"/") {
			m[a.worker]++
		}
	}
	return m
}

// retried lists the activities that took more than one attempt.
func (l ledger) retried() []*activityRecord {
	var out []*activityRecord
	for _, a := range l.activities {
		if a.attempt > 1 {
			out = append(out, a)
		}
	}
	return out
}

// readLedger reads the history of one run of a workflow (its latest run when
// runID is empty). It reads a run that continued as new on into the next, so
// the ledger covers one optimization.
func readLedger(t *testing.T, c client.Client, workflowID, runID string) ledger {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if runID == "" {
		d, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
		require.NoError(t, err, "describe %s", workflowID)
		runID = d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	}
	var l ledger
	for runID != "" {
		bySchedule := map[int64]*activityRecord{}
		next := ""
		it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			require.NoError(t, err, "read history of %s run %s", workflowID, runID)
			switch e.GetEventType() {
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				a := e.GetActivityTaskScheduledEventAttributes()
				rec := &activityRecord{
					key:       activityKey(a),
					summary:   string(e.GetUserMetadata().GetSummary().GetData()),
					scheduled: e.GetEventId(),
				}
				bySchedule[e.GetEventId()] = rec
				l.activities = append(l.activities, rec)
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
				a := e.GetActivityTaskStartedEventAttributes()
				if rec := bySchedule[a.GetScheduledEventId()]; rec != nil {
					rec.attempt = a.GetAttempt()
					rec.worker = a.GetIdentity()
				}
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
				a := e.GetActivityTaskCompletedEventAttributes()
				rec := bySchedule[a.GetScheduledEventId()]
				require.NotNil(t, rec, "completion event %d of an activity never scheduled", e.GetEventId())
				require.Zero(t, rec.completed, "activity scheduled at event %d completed twice", rec.scheduled)
				rec.completed = e.GetEventId()
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
				if e.GetWorkflowTaskFailedEventAttributes().GetCause() == enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW && l.resetAt == 0 {
					l.resetAt = e.GetEventId()
				}
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
				next = e.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
			}
		}
		runID = next
	}
	return l
}

// activityKey identifies an activity by what it does: its type and input.
func activityKey(a *historypb.ActivityTaskScheduledEventAttributes) string {
	h := sha256.New()
	for _, p := range a.GetInput().GetPayloads() {
		h.Write(p.GetData())
		h.Write([]byte{0})
	}
	return a.GetActivityType().GetName() + "/" + hex.EncodeToString(h.Sum(nil)[:12])
}

// sortedKeys lists a count map's keys in order, for stable messages.
func sortedKeys(m map[string]int) []string {
	return slices.Sorted(maps.Keys(m))
}
