package activities_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
)

func TestACatalogListsItsProgramsAndAddsMetricsToTheBuiltIns(t *testing.T) {
	build := func() (dspy.Module, error) { return arithmeticSpec.Build(nil) }
	c, err := activities.NewCatalog(map[string]activities.ProgramFactory{"qa": build, "math": build},
		map[string]evaluate.Metric{"answer_f1": evaluate.F1("answer")}, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"math", "qa"}, c.ProgramNames())
	for _, name := range []string{"answer_f1", "exact_match"} {
		_, err := c.Metric(name)
		assert.NoError(t, err, name)
	}
}

func TestACatalogRefusesAMetricNamedLikeABuiltIn(t *testing.T) {
	_, err := activities.NewCatalog(nil, map[string]evaluate.Metric{"exact_match": evaluate.F1("answer")}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"exact_match"`)
}

func TestACatalogRefusesAProgramWithoutAFactory(t *testing.T) {
	_, err := activities.NewCatalog(map[string]activities.ProgramFactory{"qa": nil}, nil, nil)
	assert.ErrorContains(t, err, "a name and a factory are required")
}
