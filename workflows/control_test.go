package workflows_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// searchCase is a random search long enough to interrupt: the zero-shot
// baseline, labeled demos, bootstrapped demos and four shuffled candidates,
// each a checkpoint.
var searchCase = optimizerCase{
	name:   "bootstrap_random_search",
	params: `{"num_candidate_programs": 4, "max_bootstrapped_demos": 2, "max_labeled_demos": 3}`,
	train:  8, val: 8,
}

// onRunBatchCompleted calls fn, on the test environment's loop, after the
// n-th batch activity completes.
func onRunBatchCompleted(env *testsuite.TestWorkflowEnvironment, n int, fn func()) {
	count := 0
	env.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, err error) {
		if info.ActivityType.Name != activities.RunBatchName || err != nil {
			return
		}
		count++
		if count == n {
			fn()
		}
	})
}

// updateCallbacks records an update's outcome.
type updateOutcome struct {
	mu       sync.Mutex
	accepted bool
	rejected error
	result   any
	err      error
}

func (u *updateOutcome) callbacks() *testsuite.TestUpdateCallback {
	return &testsuite.TestUpdateCallback{
		OnAccept: func() { u.mu.Lock(); u.accepted = true; u.mu.Unlock() },
		OnReject: func(err error) { u.mu.Lock(); u.rejected = err; u.mu.Unlock() },
		OnComplete: func(res any, err error) {
			u.mu.Lock()
			u.result, u.err = res, err
			u.mu.Unlock()
		},
	}
}

func queryStatus(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.Status {
	t.Helper()
	v, err := env.QueryWorkflow(workflows.QueryStatus)
	require.NoError(t, err)
	var s workflows.Status
	require.NoError(t, v.Get(&s))
	return s
}

// workflowMetadataQuery is the SDK's built-in query for a workflow's
// metadata, which holds the current details the Web UI shows.
const workflowMetadataQuery = "__temporal_workflow_metadata"

func currentDetails(t *testing.T, env *testsuite.TestWorkflowEnvironment) string {
	t.Helper()
	v, err := env.QueryWorkflow(workflowMetadataQuery)
	require.NoError(t, err)
	var md sdkpb.WorkflowMetadata
	require.NoError(t, v.Get(&md))
	return md.GetCurrentDetails()
}

func TestStopUpdateEndsTheRunWithTheBestProgramSoFar(t *testing.T) {
	full := searchCase.localResult(t, 5)
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(3))
	env := newEnv(t, workerConfig(client))
	var stop updateOutcome
	// Four batches of four: the baseline and the labeled-demos candidate
	// are scored; the stop lands before the rest of the search.
	onRunBatchCompleted(env, 4, func() {
		env.UpdateWorkflow(workflows.UpdateStop, "stop-1", stop.callbacks())
	})
	env.ExecuteWorkflow(workflows.OptimizeWorkflowName, searchCase.input())
	got := resultOf(t, env)

	require.True(t, stop.accepted)
	require.NoError(t, stop.rejected)
	require.NoError(t, stop.err)
	assert.Equal(t, "stopping at the next checkpoint with the best program so far", stop.result)
	assert.Equal(t, "stop requested", got.Stopped)
	assert.Less(t, len(got.Trials), len(full.Trials), "the search went on after the stop")
	require.NotEmpty(t, got.Trials)
	assert.Equal(t, full.Trials[:len(got.Trials)], got.Trials, "the trials run before the stop are those of a full run")
	assert.GreaterOrEqual(t, got.Score, got.BaselineScore)
	best := got.Trials[0]
	for _, tr := range got.Trials[1:] {
		if tr.Score > best.Score {
			best = tr
		}
	}
	assert.Equal(t, best.Score, got.Score, "the program returned is the best scored so far")
	assert.Equal(t, "completed", queryStatus(t, env).State)
}

func TestPauseHoldsTheRunUntilUnpausedAndChangesNothing(t *testing.T) {
	want := searchCase.localResult(t, 5)
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(3))
	env := newEnv(t, workerConfig(client))

	var pause, unpause updateOutcome
	var whilePaused workflows.Status
	var detailsWhilePaused string
	var activitiesWhilePaused, activitiesAtUnpause int
	started := 0
	env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) { started++ })
	onRunBatchCompleted(env, 3, func() {
		env.UpdateWorkflow(workflows.UpdatePause, "pause-1", pause.callbacks())
		// Virtual time moves on only while nothing runs: this fires once
		// the run sits paused at its next checkpoint.
		env.RegisterDelayedCallback(func() {
			whilePaused = queryStatus(t, env)
			detailsWhilePaused = currentDetails(t, env)
			activitiesWhilePaused = started
			env.RegisterDelayedCallback(func() {
				activitiesAtUnpause = started
				env.UpdateWorkflow(workflows.UpdateUnpause, "unpause-1", unpause.callbacks())
			}, time.Hour)
		}, time.Hour)
	})
	env.ExecuteWorkflow(workflows.OptimizeWorkflowName, searchCase.input())
	got := resultOf(t, env)

	require.True(t, pause.accepted)
	require.True(t, unpause.accepted)
	assert.Equal(t, "pausing at the next checkpoint", pause.result)
	assert.Equal(t, "running", unpause.result)
	assert.Equal(t, "paused", whilePaused.State)
	assert.True(t, whilePaused.Paused)
	assert.Greater(t, whilePaused.Progress.Step, 0)
	assert.NotEmpty(t, whilePaused.Progress.Trials)
	assert.Contains(t, detailsWhilePaused, "· paused")
	assert.Equal(t, activitiesWhilePaused, activitiesAtUnpause, "no activity ran during an hour of pause")

	assert.Empty(t, got.Stopped)
	assert.Equal(t, encoded(t, want.Program), encoded(t, got.Program))
	assert.Equal(t, want.Trials, got.Trials)
	final := queryStatus(t, env)
	assert.Equal(t, "completed", final.State)
	assert.False(t, final.Paused)
}

func TestBudgetOnLMCallsEndsTheRunCleanly(t *testing.T) {
	full := searchCase.localResult(t, 5)
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(3))
	env := newEnv(t, workerConfig(client))
	in := searchCase.input()
	in.Budget = workflows.Budget{MaxLMCalls: 10}
	env.ExecuteWorkflow(workflows.OptimizeWorkflowName, in)
	got := resultOf(t, env)

	require.True(t, strings.HasPrefix(got.Stopped, "budget: "), "stopped: %q", got.Stopped)
	assert.Contains(t, got.Stopped, "cap of 10")
	assert.GreaterOrEqual(t, got.Spent.Calls-got.Spent.CacheHits, 10)
	assert.Less(t, len(got.Trials), len(full.Trials))
	assert.GreaterOrEqual(t, got.Score, got.BaselineScore)
	status := queryStatus(t, env)
	assert.Equal(t, in.Budget, status.Budget)
	assert.Equal(t, got.Spent, status.Spent)
}

func TestStatusQueryAndCurrentDetailsReportProgressAndTrials(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(3))
	env := newEnv(t, workerConfig(client))
	var mid workflows.Status
	var midDetails string
	onRunBatchCompleted(env, 5, func() {
		mid = queryStatus(t, env)
		midDetails = currentDetails(t, env)
	})
	env.ExecuteWorkflow(workflows.OptimizeWorkflowName, searchCase.input())
	got := resultOf(t, env)

	assert.Equal(t, "bootstrap_random_search", mid.Optimizer)
	assert.Equal(t, "predict(question -> answer)", mid.Program)
	assert.Equal(t, "running", mid.State)
	assert.Equal(t, "search", mid.Progress.Phase)
	assert.Equal(t, 7, mid.Progress.Total)
	assert.Positive(t, mid.Progress.Step)
	assert.Len(t, mid.Progress.Trials, mid.Progress.Step)
	assert.Positive(t, mid.Spent.Calls)
	assert.Contains(t, midDetails, "**bootstrap_random_search** · running")
	assert.Contains(t, midDetails, "phase **search**")

	final := queryStatus(t, env)
	assert.Equal(t, "completed", final.State)
	assert.Equal(t, got.Trials, final.Progress.Trials)
	assert.Equal(t, got.Score, final.Progress.BestScore)
	assert.Equal(t, got.Spent, final.Spent)
	assert.Contains(t, currentDetails(t, env), "· completed")
}

func TestSearchAttributesNameTheRunAndTrackTheBestScore(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(3))
	env := newEnv(t, workerConfig(client))
	var mu sync.Mutex
	var statuses []string
	var optimizer, program string
	var best float64
	env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		mu.Lock()
		defer mu.Unlock()
		if v, ok := sa.GetKeyword(workflows.SearchAttrStatus); ok {
			statuses = append(statuses, v)
		}
		if v, ok := sa.GetKeyword(workflows.SearchAttrOptimizer); ok {
			optimizer = v
		}
		if v, ok := sa.GetKeyword(workflows.SearchAttrProgram); ok {
			program = v
		}
		if v, ok := sa.GetFloat64(workflows.SearchAttrBestScore); ok {
			best = v
		}
	})
	env.ExecuteWorkflow(workflows.OptimizeWorkflowName, searchCase.input())
	got := resultOf(t, env)

	assert.Equal(t, "bootstrap_random_search", optimizer)
	assert.Equal(t, "predict(question -> answer)", program)
	assert.Equal(t, []string{"running", "completed"}, statuses)
	assert.Equal(t, got.Score, best)
}

func TestUnknownMetricFailsTheWorkflowAsAConfigError(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(3))
	env := newEnv(t, workerConfig(client))
	in := searchCase.input()
	in.Metric = "accuracy"
	env.ExecuteWorkflow(workflows.OptimizeWorkflowName, in)
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.True(t, workflows.IsConfigError(err), "%v", err)
	assert.Contains(t, err.Error(), `unknown metric "accuracy"`)
}

func TestUnknownOptimizerFailsTheWorkflowAsAConfigError(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(3))
	env := newEnv(t, workerConfig(client))
	in := searchCase.input()
	in.Optimizer = "simulated_annealing"
	env.ExecuteWorkflow(workflows.OptimizeWorkflowName, in)
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.True(t, workflows.IsConfigError(err), "%v", err)
	assert.Contains(t, err.Error(), `unknown optimizer "simulated_annealing"`)
}
