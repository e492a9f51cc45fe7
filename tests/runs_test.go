package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// runTimeout bounds how long a test waits for one optimization to finish,
// interruptions included.
const runTimeout = 4 * time.Minute

// optimizeInput is the workflow input `starter optimize --spec qa.json
// --trainset train.jsonl --valset val.jsonl --metric exact_match` sends, for
// the given optimizer and parameters.
func optimizeInput(t *testing.T, f dataFiles, optimizer, params string) workflows.OptimizeInput {
	t.Helper()
	sp, err := spec.Parse([]byte(qaSpec))
	require.NoError(t, err)
	return workflows.OptimizeInput{
		Optimizer: optimizer,
		Params:    json.RawMessage(params),
		Program:   activities.ProgramRef{Spec: sp.JSON()},
		Trainset:  activities.DatasetRef{Path: f.train},
		Valset:    &activities.DatasetRef{Path: f.val},
		Metric:    "exact_match",
	}
}

// startRun starts an optimization through the SDK, as a Go service would,
// and returns its first run ID.
func startRun(t *testing.T, c client.Client, id, queue string, in workflows.OptimizeInput) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, workflows.OptimizeWorkflowName, in)
	require.NoError(t, err, "start %s", id)
	return run.GetRunID()
}

// resultOf waits for an optimization to finish and returns its result.
func resultOf(t *testing.T, c client.Client, id string) workflows.OptimizeResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	var res workflows.OptimizeResult
	require.NoError(t, c.GetWorkflow(ctx, id, "").Get(ctx, &res), "result of %s", id)
	return res
}

// requireSameResult checks that two optimizations compiled the same program
// with the same scores and trial table.
func requireSameResult(t *testing.T, want, got workflows.OptimizeResult) {
	t.Helper()
	wantProgram, err := want.Program.Encode()
	require.NoError(t, err)
	gotProgram, err := got.Program.Encode()
	require.NoError(t, err)
	assert.Equal(t, string(wantProgram), string(gotProgram), "compiled program")
	assert.Equal(t, want.Score, got.Score, "score")
	assert.Equal(t, want.BaselineScore, got.BaselineScore, "baseline score")
	assert.Equal(t, want.Trials, got.Trials, "trials")
}

// runState is a run's progress as Temporal records it.
type runState struct {
	closed bool
	status enumspb.WorkflowExecutionStatus
	// completed counts the activities completed in the run's history.
	completed int
	// batchRunning and promptRunning: a RunBatch or a Prompt activity has
	// been started on a worker and not finished.
	batchRunning, promptRunning bool
	// batchesBy counts the completed RunBatch activities per identity of
	// the worker that ran them.
	batchesBy map[string]int
}

// observe reads a run's state from its history and its description.
func observe(t *testing.T, c client.Client, id string) runState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	require.NoError(t, err, "describe %s", id)
	info := d.GetWorkflowExecutionInfo()
	s := runState{status: info.GetStatus(), closed: info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING}
	for _, a := range d.GetPendingActivities() {
		if a.GetState() != enumspb.PENDING_ACTIVITY_STATE_STARTED {
			continue
		}
		switch a.GetActivityType().GetName() {
		case activities.RunBatchName:
			s.batchRunning = true
		case activities.PromptName:
			s.promptRunning = true
		}
	}
	l := readLedger(t, c, id, info.GetExecution().GetRunId())
	s.completed, s.batchesBy = l.completedCount(), l.batchesBy()
	return s
}

// waitFor polls a run until cond holds. It fails if the run closes first:
// the moment the test wanted to act at never came.
func waitFor(t *testing.T, c client.Client, id, what string, cond func(runState) bool) runState {
	t.Helper()
	deadline := time.Now().Add(runTimeout)
	for {
		s := observe(t, c, id)
		if cond(s) {
			return s
		}
		if s.closed {
			t.Fatalf("%s closed (%s, %d activities completed) before %s", id, s.status, s.completed, what)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s after %v (%d activities completed)", id, what, runTimeout, s.completed)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// paidBound is how many more LM calls an interrupted run may pay than an
// uninterrupted one: 5%.
func paidBound(uninterrupted int64) int64 {
	return uninterrupted + uninterrupted/20
}

func describeKeys(m map[string]int) string {
	var s string
	for _, k := range sortedKeys(m) {
		s += fmt.Sprintf("\n  %s ×%d", k, m[k])
	}
	return s
}
