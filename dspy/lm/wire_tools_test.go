package lm

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/shared"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

var weatherTool = dspy.ToolDefinition{Type: "function", Function: dspy.FunctionDefinition{
	Name: "get_weather", Description: "Get the weather.",
	Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []any{"city"}},
}}

// withOpenAITools adds what encodeTools sends to openai-go's own parameters.
func withOpenAITools(p openai.ChatCompletionNewParams, req dspy.LMRequest) openai.ChatCompletionNewParams {
	for _, t := range req.Tools {
		def := shared.FunctionDefinitionParam{Name: t.Function.Name, Parameters: t.Function.Parameters}
		if t.Function.Description != "" {
			def.Description = param.NewOpt(t.Function.Description)
		}
		p.Tools = append(p.Tools, openai.ChatCompletionFunctionTool(def))
	}
	switch req.ToolChoice {
	case "":
	case "auto", "none", "required":
		p.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: param.NewOpt(req.ToolChoice)}
	default:
		p.ToolChoice = openai.ToolChoiceOptionFunctionToolChoice(openai.ChatCompletionNamedToolChoiceFunctionParam{Name: req.ToolChoice})
	}
	if req.ParallelToolCalls != nil {
		p.ParallelToolCalls = param.NewOpt(*req.ParallelToolCalls)
	}
	return p
}

func TestEncodeRequestWritesToolsAsOpenAIGoWould(t *testing.T) {
	msgs := []dspy.Message{{Role: "user", Content: "Weather in Paris?"}}
	noDesc := weatherTool
	noDesc.Function.Description = ""
	cases := map[string]dspy.LMRequest{
		"tools":           {Model: "m", Messages: msgs, Tools: []dspy.ToolDefinition{weatherTool, noDesc}},
		"auto":            {Model: "m", Messages: msgs, Tools: []dspy.ToolDefinition{weatherTool}, ToolChoice: "auto"},
		"required":        {Model: "m", Messages: msgs, Tools: []dspy.ToolDefinition{weatherTool}, ToolChoice: "required"},
		"named":           {Model: "m", Messages: msgs, Tools: []dspy.ToolDefinition{weatherTool}, ToolChoice: "get_weather"},
		"parallel off":    {Model: "m", Messages: msgs, Tools: []dspy.ToolDefinition{weatherTool}, ParallelToolCalls: ptr(false), Temperature: ptr(0.5), Stop: []string{"x"}},
		"with a schema":   {Model: "m", Messages: msgs, Tools: []dspy.ToolDefinition{weatherTool}, ResponseFormat: &dspy.ResponseFormat{Type: "json_object"}},
		"text-only stays": {Model: "m", Messages: msgs},
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := encodeRequest(req)
			require.NoError(t, err)
			want, err := json.Marshal(withOpenAITools(openaiParams(req), req))
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		})
	}
	_, err := encodeRequest(dspy.LMRequest{Model: "m", Messages: msgs, Tools: []dspy.ToolDefinition{{Type: "function"}}})
	assert.ErrorContains(t, err, "no function name")
	_, err = encodeRequest(dspy.LMRequest{Model: "m", Messages: msgs, Tools: []dspy.ToolDefinition{{Type: "web_search", Function: dspy.FunctionDefinition{Name: "x"}}}})
	assert.ErrorContains(t, err, `type "web_search"`)
}

func TestChatCompletionReadsToolCallsAsOpenAIGoDoes(t *testing.T) {
	reply := `{"model":"m","choices":[` +
		`{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}},{"id":"call_2","type":"function","function":{"name":"search","arguments":"{\"query\": \"x\"}"}}]},"finish_reason":"tool_calls"},` +
		`{"index":1,"message":{"role":"assistant","content":"plain"},"finish_reason":"stop"}]}`
	var ours chatCompletion
	require.NoError(t, unmarshalCompletion([]byte(reply), &ours))
	var theirs openai.ChatCompletion
	require.NoError(t, json.Unmarshal([]byte(reply), &theirs))
	got := mapResponse(&ours, "m")
	require.Len(t, got.ToolCalls, 2)
	for i, ch := range theirs.Choices {
		require.Len(t, got.ToolCalls[i], len(ch.Message.ToolCalls))
		for j, call := range ch.Message.ToolCalls {
			assert.Equal(t, dspy.LMToolCall{ID: call.ID, Name: call.Function.Name, Arguments: call.Function.Arguments}, got.ToolCalls[i][j])
		}
	}
	assert.Equal(t, []string{"", "plain"}, got.Outputs)

	// Some compatible servers send the arguments object itself.
	var objArgs chatCompletion
	require.NoError(t, unmarshalCompletion([]byte(`{"choices":[{"message":{"tool_calls":[{"id":"a","function":{"name":"f","arguments":{"x":1}}}]}}]}`), &objArgs))
	assert.Equal(t, `{"x":1}`, mapResponse(&objArgs, "m").ToolCalls[0][0].Arguments)

	var none chatCompletion
	require.NoError(t, unmarshalCompletion([]byte(`{"choices":[{"message":{"content":"x","tool_calls":[]}}]}`), &none))
	assert.Nil(t, mapResponse(&none, "m").ToolCalls, "no tool call leaves the field out of recorded responses")
}

// Tools are part of the cache key, a request without them keeps its old key,
// and a cached reply keeps its tool calls.
func TestCacheCoversTools(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"model":"m","choices":[{"message":{"content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":5,"completion_tokens":3}}`))
	})
	c, _ := newTestClient(t, srv, func(o *Options) { o.Cache = NewMemoryCache(10) })
	plain := userRequest("q")
	withTools := userRequest("q")
	withTools.Tools = []dspy.ToolDefinition{weatherTool}
	assert.Equal(t, string(appendCanonicalRequest(nil, c.resolve(plain))), string(appendCanonicalRequest(nil, c.resolve(dspy.LMRequest{Messages: plain.Messages, Tools: []dspy.ToolDefinition{}}))))
	assert.NotEqual(t, c.CacheKey(plain), c.CacheKey(withTools))
	named := withTools
	named.ToolChoice = "get_weather"
	assert.NotEqual(t, c.CacheKey(withTools), c.CacheKey(named))
	parallel := withTools
	parallel.ParallelToolCalls = ptr(true)
	assert.NotEqual(t, c.CacheKey(withTools), c.CacheKey(parallel))

	first, err := c.Call(context.Background(), withTools)
	require.NoError(t, err)
	second, err := c.Call(context.Background(), withTools)
	require.NoError(t, err)
	assert.True(t, second.CacheHit)
	assert.Equal(t, first.ToolCalls, second.ToolCalls)
	assert.Equal(t, [][]dspy.LMToolCall{{{ID: "c", Name: "get_weather", Arguments: `{"city":"Oslo"}`}}}, second.ToolCalls)
	assert.EqualValues(t, 1, srv.calls.Load())
	body := srv.body(t, 0)
	assert.Equal(t, "get_weather", body["tools"].([]any)[0].(map[string]any)["function"].(map[string]any)["name"])
}

func TestDiskCacheKeepsToolCalls(t *testing.T) {
	dc, err := NewDiskCache(t.TempDir() + "/cache.db")
	require.NoError(t, err)
	defer dc.Close()
	resp := dspy.LMResponse{Outputs: []string{""}, Model: "m", ToolCalls: [][]dspy.LMToolCall{{{ID: "1", Name: "f", Arguments: "{}"}}}}
	dc.Put("k", resp)
	got, ok := dc.Get("k")
	require.True(t, ok)
	assert.Equal(t, resp.ToolCalls, got.ToolCalls)
}

// A History turn's tool calls and results travel as OpenAI's assistant
// tool_calls and tool messages, and tell cache entries apart.
func TestEncodeToolMessages(t *testing.T) {
	req := dspy.LMRequest{Model: "m", N: 1, Messages: []dspy.Message{
		{Role: "user", Content: "Weather?"},
		{Role: "assistant", ToolCalls: []dspy.LMToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"city": "Paris"}`}}},
		{Role: "tool", ToolCallID: "c1", Name: "get_weather", Content: "sunny"},
	}}
	body, err := encodeRequest(req)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, []any{
		map[string]any{"role": "user", "content": "Weather?"},
		map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{
			map[string]any{"id": "c1", "type": "function", "function": map[string]any{"name": "get_weather", "arguments": `{"city": "Paris"}`}},
		}},
		map[string]any{"role": "tool", "content": "sunny", "tool_call_id": "c1", "name": "get_weather"},
	}, got["messages"])

	plain := dspy.LMRequest{Model: "m", N: 1, Messages: []dspy.Message{{Role: "user", Content: "Weather?"}}}
	assert.Equal(t, `{"messages":[{"content":"Weather?","role":"user"}],"model":"m","n":1}`, string(appendCanonicalRequest(nil, plain)),
		"a message without tool fields keeps its key")
	other := req
	other.Messages = append([]dspy.Message(nil), req.Messages...)
	other.Messages[2].ToolCallID = "c2"
	assert.NotEqual(t, cacheKey(req), cacheKey(other))

	_, err = encodeRequest(dspy.LMRequest{Model: "m", Messages: []dspy.Message{{Role: "user", Content: "x", ToolCalls: req.Messages[1].ToolCalls}}})
	assert.ErrorContains(t, err, "only an assistant message makes calls")
}
