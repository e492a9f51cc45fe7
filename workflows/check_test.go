package workflows_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// The workflow checks its inputs as the starter does, once they are loaded
// and before any program runs: a client that skipped the starter's check
// gets the same refusal, as a configuration error.
func TestARunRefusesInputsTheStartersCheckRefusesBeforeRunningAnything(t *testing.T) {
	noGold := []dspy.Example{dspy.NewExample("question", "What is 1 + 1?", "gold", "2")}
	withGold := testkit.Arithmetic(1, 4)
	cases := []struct {
		name     string
		workflow string
		input    any
		want     string
	}{{
		name: "evaluate without the label", workflow: workflows.EvaluateWorkflowName,
		input: workflows.EvaluateInput{Program: activities.ProgramRef{Spec: arithmeticSpec.JSON()}, Dataset: activities.DatasetRef{Examples: noGold}, Metric: "exact_match"},
		want:  `dataset example 1: no gold "answer", which metric exact_match reads`,
	}, {
		name: "gepa with two budgets", workflow: workflows.OptimizeWorkflowName,
		input: workflows.OptimizeInput{
			Optimizer: "gepa", Params: json.RawMessage(`{"auto": "light", "max_metric_calls": 20}`),
			Program: activities.ProgramRef{Spec: arithmeticSpec.JSON()}, Trainset: activities.DatasetRef{Examples: withGold}, Metric: "exact_match",
		},
		want: "params: gepa: set exactly one of auto",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(0))
			env := newEnv(t, workerConfig(client))
			var ran []string
			env.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, _ error) {
				ran = append(ran, info.ActivityType.Name)
			})
			env.ExecuteWorkflow(tc.workflow, tc.input)
			require.True(t, env.IsWorkflowCompleted())
			err := env.GetWorkflowError()
			require.Error(t, err)
			assert.True(t, workflows.IsConfigError(err), "%v", err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, ran, activities.RunBatchName)
			assert.NotContains(t, ran, activities.PromptName)
		})
	}
}
