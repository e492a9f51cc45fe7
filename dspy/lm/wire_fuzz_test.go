package lm

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzUnmarshalCompletion feeds arbitrary bytes to the chat-completion
// reader, as a server (or a proxy in front of it) may send anything: it must
// return an error or a completion whose every choice has its text, and never
// panic.
func FuzzUnmarshalCompletion(f *testing.F) {
	for _, seed := range []string{
		`{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"[[ ## answer ## ]]\n7\n\n[[ ## completed ## ]]","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":12,"total_tokens":132}}`,
		`{"model":"m","choices":[{"index":0,"message":{"content":"a"},"finish_reason":"length"},{"index":1,"message":{"content":"b \u00e9"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4}}`,
		`{"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[]},"finish_reason":"stop"}],"usage":null}`,
		`{"model":"m","choices":[{"message":{"content":[{"type":"text","text":"[[ ## answer ## ]]\n"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"7"}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":12.0,"completion_tokens":3}}`,
		`{"choices":[{"message":{"content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"add","arguments":"{\"a\": 2, \"b\": 3}"}}]},"finish_reason":"tool_calls"}]}`,
		`{"choices":[{"message":{"tool_calls":[{"id":"a","function":{"name":"f","arguments":{"x":1}}}]}}]}`,
		`{"choices":[{"message":{"content":42}}]}`,
		`{"choices":[{"message":{"content":[{"type":"text","text":5}]}}]}`,
		`{"choices":[`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var cc chatCompletion
		if err := unmarshalCompletion(data, &cc); err != nil {
			return
		}
		resp := mapResponse(&cc, "requested")
		require.Len(t, resp.Outputs, len(cc.Choices))
		require.Len(t, resp.FinishReasons, len(cc.Choices))
		require.NotEmpty(t, resp.Model)
	})
}
