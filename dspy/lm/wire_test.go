package lm

import (
	"encoding/json"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/shared"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// openaiParams is the request as openai-go's own parameter types would
// carry it: the oracle encodeRequest's bytes are checked against.
func openaiParams(req dspy.LMRequest) openai.ChatCompletionNewParams {
	p := openai.ChatCompletionNewParams{Model: shared.ChatModel(req.Model)}
	for _, m := range req.Messages {
		switch m.Role {
		case "system":
			p.Messages = append(p.Messages, openai.SystemMessage(m.Content))
		case "user":
			p.Messages = append(p.Messages, openai.UserMessage(m.Content))
		case "assistant":
			p.Messages = append(p.Messages, openai.AssistantMessage(m.Content))
		case "developer":
			p.Messages = append(p.Messages, openai.DeveloperMessage(m.Content))
		}
	}
	if req.Temperature != nil {
		p.Temperature = param.NewOpt(*req.Temperature)
	}
	if req.MaxTokens > 0 {
		if usesMaxCompletionTokens(req.Model) {
			p.MaxCompletionTokens = param.NewOpt(int64(req.MaxTokens))
		} else {
			p.MaxTokens = param.NewOpt(int64(req.MaxTokens))
		}
	}
	if req.N > 1 {
		p.N = param.NewOpt(int64(req.N))
	}
	if len(req.Stop) > 0 {
		p.Stop = openai.ChatCompletionNewParamsStopUnion{OfStringArray: req.Stop}
	}
	if rf := req.ResponseFormat; rf != nil {
		switch rf.Type {
		case "json_object":
			p.ResponseFormat.OfJSONObject = &shared.ResponseFormatJSONObjectParam{}
		case "text":
			p.ResponseFormat.OfText = &shared.ResponseFormatTextParam{}
		case "json_schema":
			name := rf.Name
			if name == "" {
				name = "response"
			}
			schema := shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: name, Schema: rf.Schema}
			if rf.Strict {
				schema.Strict = param.NewOpt(true)
			}
			p.ResponseFormat.OfJSONSchema = &shared.ResponseFormatJSONSchemaParam{JSONSchema: schema}
		}
	}
	return p
}

func TestEncodeRequestWritesTheBytesOpenAIGoWould(t *testing.T) {
	temp, zero := 0.7, 0.0
	msgs := []dspy.Message{
		{Role: "system", Content: "a <b> & \"c\" \u2028 é\n\ttab"},
		{Role: "user", Content: "[[ ## question ## ]]\nWhat is 3 + 4?"},
		{Role: "assistant", Content: "y"},
		{Role: "developer", Content: ""},
	}
	cases := map[string]dspy.LMRequest{
		"plain":             {Model: "gpt-4o-mini", Messages: msgs},
		"zero temperature":  {Model: "gpt-4o-mini", Messages: msgs, Temperature: &zero},
		"every field":       {Model: "gpt-4o-mini", Messages: msgs, Temperature: &temp, MaxTokens: 100, N: 3, Stop: []string{"\n\n", "###"}},
		"reasoning model":   {Model: "openai/o3-mini", Messages: msgs, MaxTokens: 4000},
		"json object":       {Model: "m", Messages: msgs, ResponseFormat: &dspy.ResponseFormat{Type: "json_object"}},
		"text":              {Model: "m", Messages: msgs, ResponseFormat: &dspy.ResponseFormat{Type: "text"}},
		"strict schema":     {Model: "m", Messages: msgs, ResponseFormat: &dspy.ResponseFormat{Type: "json_schema", Name: "answer", Strict: true, Schema: map[string]any{"type": "object", "properties": map[string]any{"b": map[string]any{"type": "integer"}, "a": map[string]any{"type": "string"}}}}},
		"unnamed schema":    {Model: "m", Messages: msgs, ResponseFormat: &dspy.ResponseFormat{Type: "json_schema", Schema: map[string]any{"type": "object"}}},
		"empty format":      {Model: "m", Messages: msgs, ResponseFormat: &dspy.ResponseFormat{}},
		"n of one not sent": {Model: "m", Messages: msgs, N: 1},
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := encodeRequest(req)
			require.NoError(t, err)
			want, err := json.Marshal(openaiParams(req))
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		})
	}
}

func TestEncodeRequestRejectsWhatNoServerAccepts(t *testing.T) {
	_, err := encodeRequest(dspy.LMRequest{Model: "m"})
	assert.ErrorContains(t, err, "no messages")
	_, err = encodeRequest(dspy.LMRequest{Model: "m", Messages: []dspy.Message{{Role: "tool", Content: "x"}}})
	assert.ErrorContains(t, err, `message 0 has role "tool"`)
	_, err = encodeRequest(dspy.LMRequest{Model: "m", Messages: []dspy.Message{{Role: "user", Content: "x"}}, ResponseFormat: &dspy.ResponseFormat{Type: "yaml"}})
	assert.ErrorContains(t, err, `response format type "yaml"`)
}

func TestChatCompletionReadsWhatOpenAIGoReads(t *testing.T) {
	replies := []string{
		`{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"[[ ## answer ## ]]\n7\n\n[[ ## completed ## ]]","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":12,"total_tokens":132,"prompt_tokens_details":{"cached_tokens":0}},"system_fingerprint":"fp_1"}`,
		`{"model":"m","choices":[{"index":0,"message":{"content":"a"},"finish_reason":"length"},{"index":1,"message":{"content":"b \u00e9"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4}}`,
		`{"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[]},"finish_reason":"stop"}],"usage":null}`,
		`{"choices":[{"message":{"content":"no model, no usage"}}]}`,
	}
	for _, reply := range replies {
		var ours chatCompletion
		require.NoError(t, unmarshalCompletion([]byte(reply), &ours), reply)
		var theirs openai.ChatCompletion
		require.NoError(t, json.Unmarshal([]byte(reply), &theirs), reply)
		got := mapResponse(&ours, "requested")
		require.Len(t, got.Outputs, len(theirs.Choices))
		for i, ch := range theirs.Choices {
			assert.Equal(t, ch.Message.Content, got.Outputs[i])
			assert.Equal(t, ch.FinishReason, got.FinishReasons[i])
		}
		assert.Equal(t, int(theirs.Usage.PromptTokens), got.Usage.PromptTokens)
		assert.Equal(t, int(theirs.Usage.CompletionTokens), got.Usage.CompletionTokens)
		if theirs.Model != "" {
			assert.Equal(t, theirs.Model, got.Model)
		} else {
			assert.Equal(t, "requested", got.Model)
		}
	}
}

func TestChatCompletionReadsContentPartsAndFloatCounts(t *testing.T) {
	reply := `{"model":"m","choices":[{"message":{"content":[{"type":"text","text":"[[ ## answer ## ]]\n"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"7"}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":12.0,"completion_tokens":3}}`
	var cc chatCompletion
	require.NoError(t, unmarshalCompletion([]byte(reply), &cc))
	got := mapResponse(&cc, "m")
	assert.Equal(t, []string{"[[ ## answer ## ]]\n7"}, got.Outputs)
	assert.Equal(t, 12, got.Usage.PromptTokens)
	assert.Equal(t, 3, got.Usage.CompletionTokens)

	for _, bad := range []string{
		`{"choices":[{"message":{"content":42}}]}`,
		`{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":"many"}}`,
		`{"choices":[{"message":{"content":[1]}}]}`,
		`{"choices":[{"message":{"content":[{"type":"text","text":5}]}}]}`,
	} {
		assert.Error(t, unmarshalCompletion([]byte(bad), &cc), bad)
	}
}
