package optimize

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEveryRegisteredOptimizerPlans(t *testing.T) {
	params := map[string]json.RawMessage{"gepa": json.RawMessage(`{"auto": "light"}`)}
	params["simba"] = json.RawMessage(`{"bsize": 8}`) // the default mini-batch is larger than the trainset
	for _, name := range Names() {
		o, err := New(name, params[name])
		require.NoError(t, err, name)
		planner, ok := o.(Planner)
		require.True(t, ok, "%s has no Plan", name)
		p, err := planner.Plan(PlanSizes{Predictors: 1, Trainset: 20, Valset: 10})
		require.NoError(t, err, name)
		assert.NotEmpty(t, p.Settings, name)
		assert.Positive(t, p.PromptCompletions, "%s: completions per prompt call", name)
	}
}

func TestPlanRejectsWhatCompileRejects(t *testing.T) {
	o, err := New("bootstrap_random_search", json.RawMessage(`{"max_bootstrapped_demos": 0}`))
	require.NoError(t, err)
	_, planErr := o.(Planner).Plan(PlanSizes{Predictors: 1, Trainset: 10})
	_, compileErr := o.Compile(context.Background(), &fakeEngine{}, qaTask(qaExamples(10), nil))
	require.Error(t, planErr)
	assert.EqualError(t, compileErr, planErr.Error())
}
