package dspy_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

func noopTool(context.Context, map[string]any) (any, error) { return "ok", nil }

// The tool keeps the order of the text it was given: arguments as
// "properties" lists them, and each argument's keys as written, nested ones
// too; the schema still validates the arguments.
func TestNewToolWithJSONSchema_KeepsTheTextsOrder(t *testing.T) {
	tool, err := dspy.NewToolWithJSONSchema("find", "Finds.", []byte(`{
		"type": "object",
		"properties": {
			"zone": {"enum": ["a", "b"], "type": "string", "default": "a"},
			"query": {"type": "string", "description": "What to find."},
			"where": {"properties": {"y": {"type": "number"}, "x": {"type": "number"}}, "required": ["y", "x"], "type": "object"}
		},
		"required": ["query"]
	}`), noopTool)
	require.NoError(t, err)
	assert.Equal(t, []string{"zone", "query", "where"}, tool.ArgNames())
	assert.Equal(t, []string{"zone", "query", "where"}, tool.Schema().PropertyOrder)
	assert.Equal(t, "find, whose description is <desc>Finds.</desc>. It takes arguments "+
		"{'zone': {'enum': ['a', 'b'], 'type': 'string', 'default': 'a'}, "+
		"'query': {'type': 'string', 'description': 'What to find.'}, "+
		"'where': {'properties': {'y': {'type': 'number'}, 'x': {'type': 'number'}}, 'required': ['y', 'x'], 'type': 'object'}}.",
		tool.String())

	_, err = tool.Call(context.Background(), map[string]any{"query": "q", "zone": "c"})
	assert.ErrorContains(t, err, "Arg zone is invalid")
	_, err = tool.Call(context.Background(), map[string]any{"zone": "a"})
	assert.Error(t, err, "the required query is missing")
	_, err = tool.Call(context.Background(), map[string]any{"query": "q", "extra": 1})
	assert.NoError(t, err, "a tool made from a schema takes what its schema allows")
}

// A name written twice keeps its first place and its last schema, as
// Python's json.loads reads it; the key "properties" is matched as
// encoding/json matches it, without regard to case.
func TestNewToolWithJSONSchema_DuplicateAndCaseFoldedKeys(t *testing.T) {
	tool, err := dspy.NewToolWithJSONSchema("f", "", []byte(`{"properties": {"b": {"type": "string"}, "a": {"type": "integer"}, "b": {"type": "boolean"}}, "Properties": {"c": {}}}`), noopTool)
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "a", "c"}, tool.ArgNames())
	assert.Equal(t, "f. It takes arguments {'b': {'type': 'boolean'}, 'a': {'type': 'integer'}, 'c': {}}.", tool.String())
	_, err = tool.Call(context.Background(), map[string]any{"b": "text"})
	assert.ErrorContains(t, err, "Arg b is invalid", "the last schema of b is the one validated")
}

func TestNewToolWithJSONSchema_NoArguments(t *testing.T) {
	for _, text := range []string{"", " null ", `{"type": "object"}`, `{"type": "object", "properties": {}}`, "true"} {
		tool, err := dspy.NewToolWithJSONSchema("ping", "", []byte(text), noopTool)
		require.NoError(t, err, text)
		assert.Equal(t, "ping. It takes arguments {}.", tool.String(), text)
		assert.Empty(t, tool.ArgNames(), text)
	}
}

func TestNewToolWithJSONSchema_RejectsWhatIsNotAnObjectSchema(t *testing.T) {
	for text, want := range map[string]string{
		`{"type": "string"}`:          "must describe a JSON object",
		`{"properties": []}`:          "is not a JSON schema",
		`{"properties": {"a": 3}}`:    "is not a JSON schema",
		`{"properties": {"a": {}}`:    "is not a JSON schema",
		`["a"]`:                       "is not a JSON schema",
		`{"type": "object"} trailing`: "is not a JSON schema",
	} {
		_, err := dspy.NewToolWithJSONSchema("f", "", []byte(text), noopTool)
		assert.ErrorContains(t, err, want, text)
	}
	_, err := dspy.NewToolWithJSONSchema("has space", "", nil, noopTool)
	assert.Error(t, err)
	_, err = dspy.NewToolWithJSONSchema("f", "", nil, nil)
	assert.Error(t, err)
}
