package dspy_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// nativeAgentLM scripts a native ReAct run: each react request gets the next
// turn's thought and tool calls; the extract request gets extract.
type nativeAgentLM struct {
	mu       sync.Mutex
	turns    [][]dspy.LMToolCall
	extract  string
	requests []dspy.LMRequest
}

func (l *nativeAgentLM) Call(_ context.Context, req dspy.LMRequest) (dspy.LMResponse, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests = append(l.requests, req)
	if !strings.Contains(req.Messages[0].Content, "You are an Agent") {
		return dspy.LMResponse{Outputs: []string{l.extract}, Usage: dspy.Usage{Calls: 1}}, nil
	}
	calls := l.turns[0]
	l.turns = l.turns[1:]
	text := "[[ ## next_thought ## ]]\nI should look things up.\n\n[[ ## completed ## ]]"
	if req.ResponseFormat != nil {
		text = `{"next_thought": "I should look things up."}`
	}
	return dspy.LMResponse{
		Outputs:   []string{text},
		ToolCalls: [][]dspy.LMToolCall{calls},
		Usage:     dspy.Usage{Calls: 1},
	}, nil
}

func (l *nativeAgentLM) ModelName() string { return "m" }

func newNativeWeatherAgent(t *testing.T) *dspy.ReAct {
	t.Helper()
	tool, err := dspy.NewTool("get_weather", "Looks up the weather.", weather)
	require.NoError(t, err)
	agent, err := dspy.NewNativeReAct(dspy.MustSignature("question -> answer"), tool)
	require.NoError(t, err)
	return agent
}

// A turn's calls all run and are recorded in call order; bad calls become
// the observations DSPy shows; the tools travel in the request, not the
// prompt; "finish" ends the loop.
func TestNativeReActRunsEveryCallOfATurn(t *testing.T) {
	agent := newNativeWeatherAgent(t)
	assert.True(t, agent.Native())
	assert.Equal(t, []string{"question", "trajectory", "tools"}, agent.React.Signature.InputNames())
	assert.Equal(t, []string{"next_thought", "next_tool_calls"}, agent.React.Signature.OutputNames())

	lm := &nativeAgentLM{
		turns: [][]dspy.LMToolCall{
			{
				{ID: "c1", Name: "get_weather", Arguments: `{"city": "Paris"}`},
				{ID: "c2", Name: "get_weather", Arguments: `{"city": "Oslo", "days": 2}`},
				{ID: "c3", Name: "get_weather", Arguments: `{"city": 7}`},
				{ID: "c4", Name: "get_time", Arguments: `{}`},
				{ID: "c5", Name: "get_weather", Arguments: `{"city": "Atlantis"}`},
			},
			{{ID: "c6", Name: "finish", Arguments: `{}`}},
		},
		extract: "[[ ## reasoning ## ]]\nBoth are sunny.\n\n[[ ## answer ## ]]\nsunny\n\n[[ ## completed ## ]]",
	}
	pred, err := agent.Call(dspy.WithLM(context.Background(), lm), dspy.NewExample("question", "Weather in Paris and Oslo?"))
	require.NoError(t, err)
	assert.Equal(t, "sunny", pred.GetString("answer"))
	require.Len(t, lm.requests, 3)

	react := lm.requests[0]
	names := make([]string, len(react.Tools))
	for i, d := range react.Tools {
		names[i] = d.Function.Name
	}
	assert.Equal(t, []string{"get_weather", "finish"}, names)
	assert.NotContains(t, react.Messages[0].Content, "next_tool_calls", "the ToolCalls output leaves the prompt")
	assert.NotContains(t, react.Messages[len(react.Messages)-1].Content, "[[ ## tools ## ]]", "the tools input leaves the prompt")
	assert.Empty(t, lm.requests[2].Tools, "the extract step offers no tools")

	v, ok := pred.Get("trajectory")
	require.True(t, ok)
	trajectory := v.(dspy.Example)
	assert.Equal(t, []string{"thought_0", "tool_calls_0", "observations_0", "thought_1", "tool_calls_1", "observations_1"}, trajectory.Keys())
	obs, _ := trajectory.Get("observations_0")
	require.Len(t, obs, 5)
	o := obs.([]any)
	assert.Equal(t, "Paris is sunny", o[0])
	assert.Equal(t, "Oslo is sunny", o[1])
	assert.Contains(t, o[2], "Execution error in get_weather: invalid arguments: Arg city is invalid: ")
	assert.Equal(t, "Execution error in get_time: Tool function 'get_time' not found. Please pass the tool functions to the `execute` method.", o[3])
	assert.Equal(t, "Execution error in get_weather: no such city", o[4])
	finish, _ := trajectory.Get("observations_1")
	assert.Equal(t, []any{"Completed."}, finish)

	// The second turn shows the first in the trajectory, calls as JSON.
	second := lm.requests[1].Messages[len(lm.requests[1].Messages)-1].Content
	assert.Contains(t, second, `[[ ## tool_calls_0 ## ]]`+"\n"+`{"tool_calls": [{"name": "get_weather", "args": {"city": "Paris"}}, {"name": "get_weather", "args": {"city": "Oslo", "days": 2}}`)
	assert.Contains(t, second, "[1] «Paris is sunny»\n[2] «Oslo is sunny»")

	raw, err := json.Marshal(pred.Example)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"tool_calls_0":{"tool_calls":[{"id":"c1","name":"get_weather","args":{"city":"Paris"}}`)
}

// A turn without tool calls ends the loop; the JSON adapter calls natively
// by default, while a plain chat adapter has the calls written as text.
func TestNativeReActAdapters(t *testing.T) {
	agent := newNativeWeatherAgent(t)
	lm := &nativeAgentLM{turns: [][]dspy.LMToolCall{nil}, extract: `{"reasoning": "r", "answer": "a"}`}
	ctx := dspy.WithAdapter(dspy.WithLM(context.Background(), lm), &dspy.JSONAdapter{})
	pred, err := agent.Call(ctx, dspy.NewExample("question", "q"))
	require.NoError(t, err)
	assert.Equal(t, "a", pred.GetString("answer"))
	assert.NotEmpty(t, lm.requests[0].Tools)
	v, _ := pred.Get("trajectory")
	assert.Equal(t, []string{"thought_0", "tool_calls_0", "observations_0"}, v.(dspy.Example).Keys())

	text := &nativeAgentLM{extract: "[[ ## reasoning ## ]]\nr\n\n[[ ## answer ## ]]\na\n\n[[ ## completed ## ]]"}
	textLM := &textAgentLM{inner: text, step: "[[ ## next_thought ## ]]\nDone.\n\n[[ ## next_tool_calls ## ]]\n" + `{"tool_calls": [{"name": "finish", "args": {}}]}` + "\n\n[[ ## completed ## ]]"}
	ctx = dspy.WithAdapter(dspy.WithLM(context.Background(), textLM), &dspy.ChatAdapter{})
	pred, err = agent.Call(ctx, dspy.NewExample("question", "q"))
	require.NoError(t, err)
	assert.Empty(t, text.requests[0].Tools)
	assert.Contains(t, text.requests[0].Messages[len(text.requests[0].Messages)-1].Content, "[[ ## tools ## ]]\n[\"get_weather, whose description is <desc>Looks up the weather.</desc>.")
	v, _ = pred.Get("trajectory")
	obs, _ := v.(dspy.Example).Get("observations_0")
	assert.Equal(t, []any{"Completed."}, obs)
}

// textAgentLM answers react steps with text only.
type textAgentLM struct {
	inner *nativeAgentLM
	step  string
}

func (l *textAgentLM) Call(ctx context.Context, req dspy.LMRequest) (dspy.LMResponse, error) {
	l.inner.mu.Lock()
	l.inner.requests = append(l.inner.requests, req)
	l.inner.mu.Unlock()
	if strings.Contains(req.Messages[0].Content, "You are an Agent") {
		return dspy.LMResponse{Outputs: []string{l.step}, Usage: dspy.Usage{Calls: 1}}, nil
	}
	return dspy.LMResponse{Outputs: []string{l.inner.extract}, Usage: dspy.Usage{Calls: 1}}, nil
}

func (l *textAgentLM) ModelName() string { return "m" }

func TestToolCallsValidateAndExecute(t *testing.T) {
	tool, err := dspy.NewTool("get_weather", "Looks up the weather.", weather)
	require.NoError(t, err)
	good := dspy.ToolCalls{Calls: []dspy.ToolCall{dspy.NewToolCall("get_weather", map[string]any{"city": "Rome"})}}
	require.NoError(t, good.Validate(tool))
	out, err := good.Calls[0].Execute(context.Background(), tool)
	require.NoError(t, err)
	assert.Equal(t, "Rome is sunny", out)

	unknown := dspy.ToolCalls{Calls: []dspy.ToolCall{dspy.NewToolCall("get_time", nil)}}
	var unknownErr *dspy.UnknownToolError
	require.ErrorAs(t, unknown.Validate(tool), &unknownErr)
	assert.Equal(t, "get_time", unknownErr.Name)

	badArgs := dspy.ToolCalls{Calls: []dspy.ToolCall{dspy.NewToolCall("get_weather", map[string]any{"city": "Rome", "zip": 1})}}
	assert.EqualError(t, badArgs.Validate(tool), "tool call 0 (get_weather): Arg zip is not in the tool's args.")
	wrongType := dspy.ToolCalls{Calls: []dspy.ToolCall{dspy.NewToolCall("get_weather", map[string]any{"city": true})}}
	assert.ErrorContains(t, wrongType.Validate(tool), "tool call 0 (get_weather): invalid arguments")
}

// A native agent's state saves in DSPy's form, its react step with the tools
// input and the tool-calls output, and loads back into a fresh agent.
func TestNativeReActStateRoundTrips(t *testing.T) {
	agent := newNativeWeatherAgent(t)
	raw, err := json.Marshal(dspy.StateOf(agent))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `{"prefix":"Tools:","description":"${tools}"}`)
	assert.Contains(t, string(raw), `{"prefix":"Next Tool Calls:","description":"${next_tool_calls}"}`)
	var st dspy.ProgramState
	require.NoError(t, json.Unmarshal(raw, &st))
	fresh := newNativeWeatherAgent(t)
	require.NoError(t, dspy.LoadState(fresh, st))
	assert.True(t, fresh.React.Signature.Equal(agent.React.Signature))
}
