package workflows_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// A run's setup (describing the program, loading the data) runs as local
// activities, recorded as markers instead of activities of their own, and
// such a run replays; runs recorded before keep their setup activities and
// replay too (TestRecordedHistoriesReplay). With DSPY_RECORD_HISTORIES=1 the
// run is also recorded for the replay test to keep checking.
func TestSetupRunsAsLocalActivitiesAndReplays(t *testing.T) {
	_, lmClient := testkit.SimLM(t, simlm.Config{Seed: 23}, fastLM(3))
	_, tc := startServer(t, workerConfig(lmClient))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	const id = "record-local-setup"
	in := evaluateInput(testkit.Arithmetic(1, 5))
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}, workflows.EvaluateWorkflowName, in)
	require.NoError(t, err)
	var res workflows.EvaluateResult
	require.NoError(t, run.Get(ctx, &res))
	require.Equal(t, 5, res.Total)

	iter := tc.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var scheduled, markers []string
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			scheduled = append(scheduled, ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName())
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			markers = append(markers, ev.GetMarkerRecordedEventAttributes().GetMarkerName())
		}
	}
	assert.NotContains(t, scheduled, activities.DescribeProgramName)
	assert.NotContains(t, scheduled, activities.LoadDatasetName)
	assert.Contains(t, scheduled, activities.RunBatchName)
	assert.Contains(t, markers, "LocalActivity")

	path := filepath.Join(t.TempDir(), "local_setup.json")
	if os.Getenv("DSPY_RECORD_HISTORIES") == "1" {
		path = filepath.Join(historiesDir, "evaluate_local_setup.json")
	}
	writeHistory(t, tc, id, path)
	replayer := worker.NewWorkflowReplayer()
	workflows.RegisterWorkflows(replayer)
	require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(quietLogger, path))
}
