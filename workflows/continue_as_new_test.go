package workflows_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// maxChain bounds a continue-as-new chain in these tests: a run that
// continued as new without making progress would otherwise loop forever.
const maxChain = 300

// runChain runs an optimization in the SDK's test environment, one
// environment per run, following continue-as-new until a run completes. The
// reported history length is past in.Execution.ContinueAsNewEvents, so every
// run continues as new at its first checkpoint. It returns the result and
// the inputs of the runs after the first.
func runChain(t *testing.T, cfg workflows.Config, in workflows.OptimizeInput) (workflows.OptimizeResult, []workflows.OptimizeInput) {
	t.Helper()
	var carried []workflows.OptimizeInput
	for range maxChain {
		env := newEnv(t, cfg)
		env.SetCurrentHistoryLength(in.Execution.ContinueAsNewEvents + 1)
		env.ExecuteWorkflow(workflows.OptimizeWorkflowName, in)
		require.True(t, env.IsWorkflowCompleted())
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if !errors.As(err, &can) {
			return resultOf(t, env), carried
		}
		require.Equal(t, workflows.OptimizeWorkflowName, can.WorkflowType.Name)
		var next workflows.OptimizeInput
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
		require.NotNil(t, next.Carry)
		if n := len(carried); n > 0 {
			require.NotEqual(t, string(carried[n-1].Carry.Resume), string(next.Carry.Resume), "run %d continued as new without progress", n+1)
		}
		carried = append(carried, next)
		in = next
	}
	t.Fatalf("no run completed in a chain of %d", maxChain)
	return workflows.OptimizeResult{}, nil
}

// Every optimizer resumes from the compact state it carries through
// continue-as-new and compiles the program an uninterrupted run compiles,
// even when it continues as new at every one of its checkpoints.
func TestContinueAsNewAtEveryCheckpointCompilesTheSameProgram(t *testing.T) {
	for _, c := range optimizerCases {
		t.Run(c.name, func(t *testing.T) {
			requireRegistered(t, c.name)
			want := c.localResult(t, 17)
			_, client := testkit.SimLM(t, simlm.Config{Seed: 17}, fastLM(3))
			in := c.input()
			in.Execution.ContinueAsNewEvents = 2
			got, carried := runChain(t, workerConfig(client), in)

			assert.Equal(t, encoded(t, want.Program), encoded(t, got.Program))
			assert.Equal(t, want.Score, got.Score)
			assert.Equal(t, want.Trials, got.Trials)
			assert.Equal(t, len(carried)+1, got.Runs)
			if c.name == "labeled_fewshot" { // it has no checkpoints
				assert.Empty(t, carried)
				return
			}
			require.NotEmpty(t, carried)
			for i, next := range carried {
				assert.Equal(t, i+1, next.Carry.Runs)
				assert.NotEmpty(t, next.Carry.TrainSHA256)
				assert.NotEmpty(t, next.Carry.ValSHA256)
			}
			// What each run spent is carried on and adds up.
			last := carried[len(carried)-1].Carry.Spent
			assert.GreaterOrEqual(t, got.Spent.Calls, last.Calls)
			t.Logf("%d runs, %d LM calls", got.Runs, got.Spent.Calls)
		})
	}
}

// The budget counts what every run of a continue-as-new chain spent.
func TestBudgetCountsTheSpendingOfEarlierRuns(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(3))
	in := searchCase.input()
	in.Execution.ContinueAsNewEvents = 2
	in.Budget = workflows.Budget{MaxLMCalls: 30}
	got, carried := runChain(t, workerConfig(client), in)

	require.True(t, strings.HasPrefix(got.Stopped, "budget: "), "stopped: %q", got.Stopped)
	require.NotEmpty(t, carried)
	last := carried[len(carried)-1].Carry.Spent
	assert.Less(t, last.Calls, 30, "the last run started under the cap")
	assert.GreaterOrEqual(t, got.Spent.Calls, 30)
	for _, next := range carried {
		assert.Less(t, next.Carry.Spent.Calls, 30)
	}
}

// A run that continues as new refuses to go on over a different trainset.
func TestContinuedRunRejectsAChangedTrainset(t *testing.T) {
	cfg, next := firstContinuation(t)
	next.Trainset.Examples = testkit.Arithmetic(99, len(next.Trainset.Examples))
	env := newEnv(t, cfg)
	env.ExecuteWorkflow(workflows.OptimizeWorkflowName, next)
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.True(t, workflows.IsConfigError(err), "%v", err)
	assert.Contains(t, err.Error(), "the trainset changed since this optimization started")
}

// firstContinuation runs a random search until its first continue-as-new and
// returns the worker configuration and the input the next run would get.
func firstContinuation(t *testing.T) (workflows.Config, workflows.OptimizeInput) {
	t.Helper()
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(3))
	cfg := workerConfig(client)
	in := searchCase.input()
	in.Execution.ContinueAsNewEvents = 2
	env := newEnv(t, cfg)
	env.SetCurrentHistoryLength(3)
	env.ExecuteWorkflow(workflows.OptimizeWorkflowName, in)
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &can)
	var next workflows.OptimizeInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	return cfg, next
}
