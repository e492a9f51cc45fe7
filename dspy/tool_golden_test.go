package dspy_test

import (
	"encoding/json"
	"os"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// A tool given the argument schema DSPy derived from a Python function, as
// JSON text, is described in text byte for byte as DSPy describes it:
// arguments in the function's order, each schema's keys in pydantic's order
// with DSPy's default and description after them.
func TestToolStringMatchesDSPyGolden(t *testing.T) {
	g := loadToolCallsGolden(t)
	names := make([]string, 0, len(g.ToolStrings))
	for n := range g.ToolStrings {
		names = append(names, n)
	}
	sort.Strings(names)
	require.GreaterOrEqual(t, len(names), 5)
	for i, tool := range goldenTools(t, g, names) {
		assert.Equal(t, g.ToolStrings[names[i]], tool.String(), names[i])
		raw, err := json.Marshal(tool)
		require.NoError(t, err)
		want, err := json.Marshal(g.ToolStrings[names[i]])
		require.NoError(t, err)
		assert.Equal(t, string(want), string(raw), "%s as a JSON value", names[i])
	}
}

// ReAct lists its tools in the react step's instructions as DSPy does, and
// the step's messages are DSPy's, with the Chat and the JSON adapter.
func TestReActToolListMatchesDSPyGolden(t *testing.T) {
	raw, err := os.ReadFile(goldenToolCalls)
	require.NoError(t, err)
	var g struct {
		React []struct {
			Adapter      string         `json:"adapter"`
			Tools        []string       `json:"tools"`
			Instructions string         `json:"instructions"`
			Messages     []dspy.Message `json:"messages"`
		} `json:"react"`
	}
	require.NoError(t, json.Unmarshal(raw, &g))
	require.Len(t, g.React, 2)
	golden := loadToolCallsGolden(t)
	for _, tc := range g.React {
		t.Run(tc.Adapter, func(t *testing.T) {
			agent, err := dspy.NewReAct(dspy.MustSignature("question -> answer", "Plan with the tools."), goldenTools(t, golden, tc.Tools)...)
			require.NoError(t, err)
			assert.Equal(t, tc.Instructions, agent.React.Signature.Instructions())
			got, err := toolCallsAdapter(tc.Adapter, false).Format(agent.React.Signature, nil, dspy.NewExample("question", "Where to?", "trajectory", ""))
			require.NoError(t, err)
			require.Len(t, got, len(tc.Messages))
			for i, want := range tc.Messages {
				assert.Equal(t, want.Role, got[i].Role, "message %d role", i)
				assert.Equal(t, want.Content, got[i].Content, "message %d content", i)
			}
		})
	}
}
