package workflows_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/workflows"
)

var quietLogger = sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))

func recordedHistories(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no histories in %s; record them with DSPY_RECORD_HISTORIES=1", historiesDir)
	return files
}

// Every recorded history replays on today's workflow code: runs started
// before a change keep working after it. A failure here means a change made
// the workflow, or an optimizer running in it, take other decisions on the
// same history; guard the change with workflow.GetVersion instead.
func TestRecordedHistoriesReplay(t *testing.T) {
	replayer := worker.NewWorkflowReplayer()
	// The names workers register, so the histories replay as they ran.
	workflows.RegisterWorkflows(replayer)
	for _, file := range recordedHistories(t) {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(quietLogger, file))
		})
	}
}

// Each registered optimizer has a recorded history to replay.
func TestEveryOptimizerHasARecordedHistory(t *testing.T) {
	for _, name := range optimize.Names() {
		_, err := os.Stat(filepath.Join(historiesDir, name+".json"))
		assert.NoError(t, err, "record a history for %s with DSPY_RECORD_HISTORIES=1", name)
	}
}

// The replay test can fail: a workflow that runs the same optimization with
// other batch sizes schedules other activities, and replay says so.
func TestReplayDetectsAChangedWorkflow(t *testing.T) {
	replayer := worker.NewWorkflowReplayer()
	replayer.RegisterWorkflowWithOptions(func(ctx workflow.Context, in workflows.OptimizeInput) (workflows.OptimizeResult, error) {
		in.Execution.BatchSize = 1
		return workflows.Optimize(ctx, in)
	}, workflow.RegisterOptions{Name: workflows.OptimizeWorkflowName})
	file := filepath.Join(historiesDir, "bootstrap_random_search.json")
	err := replayer.ReplayWorkflowHistoryFromJSONFile(quietLogger, file)
	require.Error(t, err)
	// TMPRL1100 is the SDK's code for a nondeterminism error.
	assert.Contains(t, err.Error(), "TMPRL1100")
}
