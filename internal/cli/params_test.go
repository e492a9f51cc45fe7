package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/internal/exitcode"
)

func decode(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

func TestParamValuesAreJSONWhenTheyParseAndStringsOtherwise(t *testing.T) {
	raw, err := buildParams("miprov2", "", []string{"auto=none", "num_candidates=4", "num_trials=7", "minibatch=false", "init_temperature=0.5"}, nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"auto": "none", "num_candidates": 4.0, "num_trials": 7.0, "minibatch": false, "init_temperature": 0.5}, decode(t, raw))
}

func TestParamOverridesTheSameKeyInParams(t *testing.T) {
	raw, err := buildParams("bootstrap_random_search", `{"num_candidate_programs": 8, "max_rounds": 2}`, []string{"num_candidate_programs=3"}, nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"num_candidate_programs": 3.0, "max_rounds": 2.0}, decode(t, raw))
}

func TestAQuotedParamValueStaysAString(t *testing.T) {
	assert.Equal(t, "12", paramValue(`"12"`))
	assert.Equal(t, "light", paramValue("light"))
	assert.Equal(t, "1 2", paramValue("1 2"))
}

func TestNoParamsGiveNoParams(t *testing.T) {
	raw, err := buildParams("bootstrap_fewshot", "", nil, nil)
	require.NoError(t, err)
	assert.Nil(t, raw)
}

func TestAParamWithoutEqualsIsBadUsage(t *testing.T) {
	_, err := buildParams("copro", "", []string{"breadth"}, nil)
	require.Error(t, err)
	assert.Equal(t, exitcode.Usage, exitCode(err))
	assert.Contains(t, err.Error(), `--param "breadth"`)
}

func TestParamsThatAreNotAJSONObjectAreBadUsage(t *testing.T) {
	_, err := buildParams("copro", "[1, 2]", nil, nil)
	require.Error(t, err)
	assert.Equal(t, exitcode.Usage, exitCode(err))
	assert.Contains(t, err.Error(), "--params")
}

func TestAMistypedParamIsBadUsage(t *testing.T) {
	_, err := buildParams("copro", "", []string{"breadth=wide"}, nil)
	require.Error(t, err)
	assert.Equal(t, exitcode.Usage, exitCode(err))
}

func TestTheSeedGoesIntoTheParamsOfOptimizersThatTakeOne(t *testing.T) {
	seed := int64(42)
	raw, err := buildParams("miprov2", "", nil, &seed)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"seed": 42.0}, decode(t, raw))
}

func TestASeedForAnOptimizerWithoutOneIsBadUsageNamingTheFlag(t *testing.T) {
	seed := int64(42)
	_, err := buildParams("labeled_fewshot", "", nil, &seed)
	require.Error(t, err)
	assert.Equal(t, exitcode.Usage, exitCode(err))
	assert.Contains(t, err.Error(), "--seed")
}

func TestInputsMergeJSONAndKeyValuePairs(t *testing.T) {
	ex, err := parseInputs([]string{"question=What is 2+2?", "hint=a=b"}, `{"context": ["x", "y"], "question": "old"}`)
	require.NoError(t, err)
	assert.Equal(t, "What is 2+2?", ex.GetString("question"))
	assert.Equal(t, "a=b", ex.GetString("hint"))
	v, _ := ex.Get("context")
	assert.Equal(t, []any{"x", "y"}, v)
}

func TestNoInputIsBadUsage(t *testing.T) {
	_, err := parseInputs(nil, "")
	require.Error(t, err)
	assert.Equal(t, exitcode.Usage, exitCode(err))
}
