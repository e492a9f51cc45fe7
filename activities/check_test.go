package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
)

func arithmeticDescription(t *testing.T) *activities.ProgramDescription {
	t.Helper()
	p, err := arithmeticSpec.Build(nil)
	require.NoError(t, err)
	d := activities.Describe(p)
	return &d
}

func invalid(t *testing.T, err error) *activities.InvalidError {
	t.Helper()
	var inv *activities.InvalidError
	require.True(t, errors.As(err, &inv), "%T: %v", err, err)
	return inv
}

func TestCheckRunRefusesParamsTheOptimizerWouldRefuseAtCompile(t *testing.T) {
	train := activities.CheckData{Name: "trainset", Examples: testkit.Arithmetic(1, 8)}
	for _, params := range []string{`{"auto": "lite"}`, `{"auto": "light", "max_metric_calls": 20}`} {
		err := activities.CheckRun(activities.RunCheck{
			Optimizer: "gepa", Params: json.RawMessage(params), Program: arithmeticDescription(t),
			Datasets: []activities.CheckData{train}, Metric: "exact_match",
		})
		assert.Equal(t, "params", invalid(t, err).Field, params)
	}
	assert.NoError(t, activities.CheckRun(activities.RunCheck{
		Optimizer: "gepa", Params: json.RawMessage(`{"auto": "light"}`), Program: arithmeticDescription(t),
		Datasets: []activities.CheckData{train}, Metric: "exact_match",
	}))
}

func TestCheckRunNamesTheExampleWithoutAnInputOrTheLabel(t *testing.T) {
	examples := []dspy.Example{
		dspy.NewExample("question", "What is 1 + 1?", "answer", "2"),
		dspy.NewExample("question", "What is 2 + 2?", "gold", "4"),
	}
	err := activities.CheckRun(activities.RunCheck{
		Program: arithmeticDescription(t), Metric: "exact_match",
		Datasets: []activities.CheckData{{Name: "dataset", Path: "dev.jsonl", Examples: examples}},
	})
	inv := invalid(t, err)
	assert.Equal(t, activities.InvalidError{Field: "dataset", Path: "dev.jsonl", Example: 2, Label: true}, activities.InvalidError{Field: inv.Field, Path: inv.Path, Example: inv.Example, Label: inv.Label})
	assert.Contains(t, err.Error(), `dataset dev.jsonl example 2: no gold "answer", which metric exact_match reads`)

	err = activities.CheckRun(activities.RunCheck{
		Program: arithmeticDescription(t), Metric: "exact_match",
		Datasets: []activities.CheckData{{Name: "dataset", Examples: []dspy.Example{dspy.NewExample("q", "What is 1 + 1?", "answer", "2")}}},
	})
	assert.Contains(t, err.Error(), `none of the program's input fields "question"`)
}

func TestCheckRunTakesAUserMetricsLabelOnlyWhenNamed(t *testing.T) {
	c := activities.RunCheck{
		Metric: "my_metric", BuiltinMetricsOnly: true,
		Datasets: []activities.CheckData{{Name: "trainset", Examples: testkit.Arithmetic(1, 2)}},
	}
	inv := invalid(t, activities.CheckRun(c))
	assert.Equal(t, "metric", inv.Field)
	assert.True(t, inv.Label)
	c.Label = "answer"
	assert.NoError(t, activities.CheckRun(c))
	c.Label, c.BuiltinMetricsOnly = "", false
	assert.NoError(t, activities.CheckRun(c), "a worker looks the metric up itself")
}

func TestABuiltInMetricReadsTheNamedLabel(t *testing.T) {
	c, err := activities.NewCatalog(nil, nil, nil)
	require.NoError(t, err)
	m, err := c.MetricFor("exact_match", "gold")
	require.NoError(t, err)
	s, err := m(context.Background(), dspy.NewExample("question", "q", "gold", "4"), dspy.NewPrediction(dspy.NewExample("gold", "4")), nil)
	require.NoError(t, err)
	assert.Equal(t, 1.0, s.Value)
}
