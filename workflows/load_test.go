package workflows_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// batchInputKeys records the input marking of every example the batch
// activities receive, as decoded from their payloads.
func batchInputKeys(t *testing.T, env *testsuite.TestWorkflowEnvironment) *[][]string {
	var seen [][]string
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, args converter.EncodedValues) {
		if info.ActivityType.Name != activities.RunBatchName {
			return
		}
		var in activities.RunBatchInput
		require.NoError(t, args.Get(&in))
		for _, ex := range in.Batch.Examples {
			seen = append(seen, ex.InputKeys())
		}
	})
	return &seen
}

func evaluateInput(data []dspy.Example) workflows.EvaluateInput {
	return workflows.EvaluateInput{
		Program: activities.ProgramRef{Spec: arithmeticSpec.JSON()},
		Dataset: activities.DatasetRef{Examples: data}, Metric: "exact_match",
		Execution: workflows.Execution{BatchSize: 2},
	}
}

// Loaded examples reach the batch activities with their inputs marked, by
// the marking LoadDataset gave them.
func TestLoadedExamplesReachTheBatchesMarked(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 3}, fastLM(3))
	env := newEnv(t, workerConfig(client))
	seen := batchInputKeys(t, env)

	env.ExecuteWorkflow(workflows.EvaluateWorkflowName, evaluateInput(testkit.Arithmetic(1, 5)))
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, *seen, 5)
	for _, keys := range *seen {
		assert.Equal(t, []string{"question"}, keys)
	}
}

// A LoadDataset result recorded before examples carried their marking holds
// unmarked examples; a run replaying or resuming on it marks them with the
// result's input keys, as runs always have.
func TestAnOldLoadDatasetResultIsMarkedAsBefore(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 3}, fastLM(3))
	env := newEnv(t, workerConfig(client))
	seen := batchInputKeys(t, env)
	data := testkit.Arithmetic(1, 5)
	unmarked := make([]dspy.Example, len(data))
	for i, ex := range data {
		unmarked[i] = ex.Unmarked()
	}
	env.OnActivity(activities.LoadDatasetName, mock.Anything, mock.Anything).Return(
		activities.LoadDatasetOutput{Examples: unmarked, InputKeys: []string{"question"}, SHA256: "recorded"}, nil)

	env.ExecuteWorkflow(workflows.EvaluateWorkflowName, evaluateInput(data))
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res workflows.EvaluateResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Zero(t, res.Errors)
	require.Len(t, *seen, 5)
	for _, keys := range *seen {
		assert.Equal(t, []string{"question"}, keys)
	}
}

// A continued optimization checks the valset it reloads against the hash its
// first run carried, as it checks the trainset, and names what changed.
func TestContinuedRunRejectsAChangedValset(t *testing.T) {
	cfg, next := firstContinuation(t)
	require.NotNil(t, next.Valset)
	next.Valset.Examples = testkit.Arithmetic(99, len(next.Valset.Examples))
	env := newEnv(t, cfg)
	env.ExecuteWorkflow(workflows.OptimizeWorkflowName, next)
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.True(t, workflows.IsConfigError(err), "%v", err)
	assert.Contains(t, err.Error(), "the valset changed since this optimization started (its inline examples: sha256 ")
}
