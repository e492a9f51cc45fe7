package optimize

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

func TestInferRulesImprovesWithInducedRules(t *testing.T) {
	opt, err := New("infer_rules", json.RawMessage(`{"num_candidates": 2, "num_rules": 3, "max_bootstrapped_demos": 0, "max_labeled_demos": 0}`))
	require.NoError(t, err)
	lm := demosLM(false)
	var checkpoints []Checkpoint
	engine := simbaEngineWith(lm, 4, func(_ context.Context, cp Checkpoint) error {
		checkpoints = append(checkpoints, cp)
		return nil
	})
	task := qaTask(arithmetic(12, 1), nil)
	res, err := opt.Compile(context.Background(), engine, task)
	require.NoError(t, err)
	assert.True(t, res.BaselineMeasured)
	assert.Greater(t, res.Score, res.BaselineScore)
	ps, _ := res.Program.Get("self")
	assert.True(t, strings.HasSuffix(ps.Signature.Instructions, "\n\nPlease adhere to the following rules when making your prediction:\n1. Check the operation before answering."), ps.Signature.Instructions)
	require.Len(t, res.Trials, 3)
	require.Len(t, checkpoints, 3)

	// The rules prompt is DSPy's: CustomRulesInduction under ChainOfThought,
	// the first half of the trainset as examples, a fresh rollout at temperature 1.
	var prompts []dspy.LMRequest
	for _, req := range lm.Requests() {
		if strings.Contains(req.Messages[0].Content, "`natural_language_rules`") {
			prompts = append(prompts, req)
		}
	}
	require.Len(t, prompts, 2)
	assert.Contains(t, prompts[0].Messages[0].Content, "extract a list of 3 concise and non-redundant natural language rules")
	assert.Contains(t, prompts[0].Messages[1].Content, "Input Fields:\nquestion: What is 1+1?\n\n=========\nOutput Fields:\nanswer: 2\n\n")
	assert.NotContains(t, prompts[0].Messages[1].Content, "What is 7+13?", "the second half validates")
	assert.Equal(t, 1.0, *prompts[0].Temperature)
	assert.NotEqual(t, prompts[0].Rollout, prompts[1].Rollout)

	resumed := task
	resumed.Resume = checkpoints[1].State
	again, err := opt.Compile(context.Background(), simbaEngine(2, nil), resumed)
	require.NoError(t, err)
	assert.Equal(t, mustJSON(t, res), mustJSON(t, again))
}

func TestInferRulesPlansAndValidates(t *testing.T) {
	_, err := New("infer_rules", json.RawMessage(`{"num_candidates": -1}`))
	require.Error(t, err)
	_, err = (&InferRules{}).Compile(context.Background(), simbaEngine(1, nil), qaTask(arithmetic(1, 1), nil))
	require.ErrorContains(t, err, "need training and validation examples")
	opt, err := New("infer_rules", json.RawMessage(`{"num_candidates": 4}`))
	require.NoError(t, err)
	plan, err := opt.(Planner).Plan(PlanSizes{Predictors: 2, Trainset: 20})
	require.NoError(t, err)
	assert.Equal(t, 5*10+10, plan.TaskRuns)
	assert.Equal(t, 8, plan.PromptCalls)
}
