package dspy_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// historyToolsCase is one golden case of a History whose turns hold tool
// calls, with the messages DSPy sent for it.
type historyToolsCase struct {
	Name     string            `json:"name"`
	Adapter  string            `json:"adapter"`
	Native   bool              `json:"native"`
	Turns    []json.RawMessage `json:"turns"`
	Messages []struct {
		Role       string  `json:"role"`
		Content    *string `json:"content"`
		ToolCallID string  `json:"tool_call_id"`
		Name       string  `json:"name"`
		ToolCalls  []struct {
			ID       string `json:"id"`
			Type     string `json:"type"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	} `json:"messages"`
}

// History turns holding tool calls are sent as DSPy sends them: tool
// messages under native function calling when results answer the calls,
// text (and a user message of the results) otherwise.
func TestHistoryToolCallsMatchDSPyGolden(t *testing.T) {
	raw, err := os.ReadFile(goldenToolCalls)
	require.NoError(t, err)
	var g struct {
		History []historyToolsCase `json:"history"`
	}
	require.NoError(t, json.Unmarshal(raw, &g))
	require.NotEmpty(t, g.History)
	golden := loadToolCallsGolden(t)
	sig := dspy.MustSignature("question, history: History, tools: list[Tool] -> answer, calls: ToolCalls", "Use the tools.")
	toolMessages := 0
	for _, tc := range g.History {
		t.Run(tc.Adapter+"/"+tc.Name, func(t *testing.T) {
			turns := make([]dspy.Example, len(tc.Turns))
			for i, turn := range tc.Turns {
				turns[i] = toolCallsExample(t, sig, turn)
			}
			tools := goldenTools(t, golden, []string{"get_weather", "search"})
			inputs := dspy.NewExample("question", "And now?", "history", dspy.NewHistory(turns...), "tools", tools)
			lm := &toolCallsLM{text: "[[ ## completed ## ]]"}
			_, _ = toolCallsAdapter(tc.Adapter, tc.Native).Call(context.Background(), lm, dspy.LMRequest{}, sig, nil, inputs)
			require.NotEmpty(t, lm.requests)
			got := lm.requests[0].Messages
			require.Len(t, got, len(tc.Messages))
			for i, want := range tc.Messages {
				m := got[i]
				content := m.Content
				assert.Equal(t, want.Role, m.Role, "message %d role", i)
				if want.Content == nil {
					assert.Empty(t, content, "message %d content is null", i)
				} else {
					assert.Equal(t, *want.Content, content, "message %d content", i)
				}
				assert.Equal(t, want.ToolCallID, m.ToolCallID, "message %d tool_call_id", i)
				assert.Equal(t, want.Name, m.Name, "message %d name", i)
				require.Len(t, m.ToolCalls, len(want.ToolCalls), "message %d tool_calls", i)
				for j, w := range want.ToolCalls {
					assert.Equal(t, dspy.LMToolCall{ID: w.ID, Name: w.Function.Name, Arguments: w.Function.Arguments}, m.ToolCalls[j])
				}
				if m.Role == "tool" {
					toolMessages++
				}
			}
		})
	}
	assert.Positive(t, toolMessages, "some cases send tool messages")
}

// ToolCalls with results round-trip through JSON in pydantic's shape.
func TestToolCallsResultsRoundTrip(t *testing.T) {
	var tc dspy.ToolCalls
	require.NoError(t, json.Unmarshal([]byte(`{"tool_calls": [{"id": "c1", "name": "get_weather", "args": {"city": "Paris"}}]}`), &tc))
	withResults, err := tc.WithResults([]any{"sunny"})
	require.NoError(t, err)
	b, err := json.Marshal(withResults)
	require.NoError(t, err)
	assert.JSONEq(t, `{"tool_calls": [{"id": "c1", "name": "get_weather", "args": {"city": "Paris"}}],
		"tool_call_results": {"tool_call_results": [{"call_id": "c1", "name": "get_weather", "value": "sunny", "is_error": false}]}}`, string(b))
	var back dspy.ToolCalls
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, withResults.Results, back.Results)

	for _, results := range []string{`[{"call_id": "c1", "name": "get_weather", "value": "sunny"}]`, `{"name": "get_weather", "value": "sunny", "call_id": "c1"}`} {
		require.NoError(t, json.Unmarshal([]byte(`{"tool_calls": [{"id": "c1", "name": "get_weather", "args": {}}], "tool_call_results": `+results+`}`), &back))
		assert.Equal(t, []dspy.ToolCallResult{{CallID: "c1", Name: "get_weather", Value: "sunny"}}, back.Results)
	}
	assert.Error(t, json.Unmarshal([]byte(`{"tool_calls": [], "tool_call_results": 3}`), &back))
	_, err = tc.WithResults([]any{"a", "b"})
	assert.Error(t, err)
}
