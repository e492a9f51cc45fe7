package simlm

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var simTools = []map[string]any{
	{"type": "function", "function": map[string]any{"name": "lookup", "description": "Looks a topic up.",
		"parameters": map[string]any{"type": "object", "properties": map[string]any{"topic": map[string]any{"type": "string"}, "limit": map[string]any{"type": "integer"}}, "required": []any{"topic"}}}},
	{"type": "function", "function": map[string]any{"name": "finish", "parameters": map[string]any{"type": "object", "properties": map[string]any{}}}},
}

func toolReply(t *testing.T, msgs []tMsg, extra map[string]any) chatChoice {
	t.Helper()
	rec := serve(context.Background(), New(Config{Seed: 3}), request(msgs, extra))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var resp chatResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
	return resp.Choices[0]
}

// reactFirstTurn is the first turn of a ReAct agent asked a sum.
func reactFirstTurn() []tMsg {
	system := "Your input fields are:\n1. `question` (str):\n2. `trajectory` (str):\nYour output fields are:\n1. `next_thought` (str):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## trajectory ## ]]\n{trajectory}\n\n[[ ## next_thought ## ]]\n{next_thought}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Act."
	return []tMsg{{Role: "system", Content: system}, {Role: "user", Content: "[[ ## question ## ]]\nWhat is 7 + 8?\n\n[[ ## trajectory ## ]]\n\n\nRespond with the corresponding output fields, starting with the field `[[ ## next_thought ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`."}}
}

// A request offering tools is answered with calls whose arguments fit the
// schema; once a result is in the trajectory the agent calls finish; the
// same request always gets the same calls.
func TestToolCallsFollowTheTask(t *testing.T) {
	first := reactFirstTurn()
	c := toolReply(t, first, map[string]any{"tools": simTools})
	require.NotEmpty(t, c.Message.ToolCalls)
	assert.Equal(t, "tool_calls", c.FinishReason)
	assert.Contains(t, c.Message.Content, "[[ ## next_thought ## ]]")
	for _, call := range c.Message.ToolCalls {
		assert.Equal(t, "lookup", call.Function.Name)
		var args map[string]any
		require.NoError(t, json.Unmarshal([]byte(call.Function.Arguments), &args))
		assert.IsType(t, "", args["topic"])
		assert.Regexp(t, `^call_[0-9a-f]{16}$`, call.ID)
	}
	assert.Equal(t, c, toolReply(t, first, map[string]any{"tools": simTools}), "deterministic")

	later := []tMsg{first[0], {Role: "user", Content: "[[ ## question ## ]]\nWhat is 7 + 8?\n\n[[ ## trajectory ## ]]\n[[ ## thought_0 ## ]]\nx\n\n[[ ## observations_0 ## ]]\n15\n\nRespond with the corresponding output fields, starting with the field `[[ ## next_thought ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`."}}
	c = toolReply(t, later, map[string]any{"tools": simTools})
	require.Len(t, c.Message.ToolCalls, 1)
	assert.Equal(t, "finish", c.Message.ToolCalls[0].Function.Name)
	assert.Equal(t, "{}", c.Message.ToolCalls[0].Function.Arguments)

	assert.Empty(t, toolReply(t, first, map[string]any{"tools": simTools, "tool_choice": "none"}).Message.ToolCalls)
	assert.Empty(t, toolReply(t, first, nil).Message.ToolCalls, "no tools, no calls")
	forced := toolReply(t, later, map[string]any{"tools": simTools, "tool_choice": map[string]any{"type": "function", "function": map[string]any{"name": "lookup"}}})
	require.Len(t, forced.Message.ToolCalls, 1)
	assert.Equal(t, "lookup", forced.Message.ToolCalls[0].Function.Name)
}
