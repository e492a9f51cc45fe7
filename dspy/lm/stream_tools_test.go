package lm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// toolCallEvents are the data lines of a streamed reply: two completions,
// the first with text and two calls whose deltas interleave, the second with
// one call whose id and name come again in every delta.
var toolCallEvents = []string{
	`{"choices":[{"index":0,"delta":{"role":"assistant","content":"Let me look."}}]}`,
	`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"lookup","arguments":""}}]}}]}`,
	`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"topic\": "}}]}}]}`,
	`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"finish","arguments":"{"}}]}}]}`,
	`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Lyon\"}"}}]}}]}`,
	`{"choices":[{"index":1,"delta":{"tool_calls":[{"index":0,"id":"call_c","type":"function","function":{"name":"lookup","arguments":"{\"topic\""}}]}}]}`,
	`{"choices":[{"index":1,"delta":{"tool_calls":[{"index":0,"id":"call_c","type":"function","function":{"name":"lookup","arguments":": \"Nice\"}"}}]}}]}`,
	`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"}"}}]}}]}`,
	`{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"},{"index":1,"delta":{},"finish_reason":"tool_calls"}]}`,
}

func writeEvents(w http.ResponseWriter, events []string) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	for _, e := range events {
		fmt.Fprintf(w, "data: %s\n\n", e)
		w.(http.Flusher).Flush()
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// The tool calls of a streamed reply are the ones Call reads from the same
// reply unstreamed, and are cached as Call would cache them.
func TestStreamAssemblesToolCalls(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeEvents(w, toolCallEvents)
	})
	c, _ := newTestClient(t, srv, func(o *Options) { o.Cache = NewMemoryCache(0) })
	var chunks []dspy.LMChunk
	resp, err := c.Stream(context.Background(), userRequest("q"), collect(&chunks))
	require.NoError(t, err)
	assert.Equal(t, []string{"Let me look.", ""}, resp.Outputs)
	assert.Equal(t, []string{"tool_calls", "tool_calls"}, resp.FinishReasons)
	assert.Equal(t, [][]dspy.LMToolCall{
		{{ID: "call_a", Name: "lookup", Arguments: `{"topic": "Lyon"}`}, {ID: "call_b", Name: "finish", Arguments: "{}"}},
		{{ID: "call_c", Name: "lookup", Arguments: `{"topic": "Nice"}`}},
	}, resp.ToolCalls)
	assert.Equal(t, []dspy.LMChunk{{Content: "Let me look."}}, chunks, "onChunk sees text only")

	// The unstreamed reply's message holds the same calls.
	unstreamed := map[string]any{"choices": []any{
		map[string]any{"message": map[string]any{"content": "Let me look.", "tool_calls": []any{
			map[string]any{"id": "call_a", "type": "function", "function": map[string]any{"name": "lookup", "arguments": `{"topic": "Lyon"}`}},
			map[string]any{"id": "call_b", "type": "function", "function": map[string]any{"name": "finish", "arguments": "{}"}},
		}}, "finish_reason": "tool_calls"},
		map[string]any{"message": map[string]any{"content": nil, "tool_calls": []any{
			map[string]any{"id": "call_c", "type": "function", "function": map[string]any{"name": "lookup", "arguments": `{"topic": "Nice"}`}},
		}}, "finish_reason": "tool_calls"},
	}}
	plainSrv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(unstreamed)
	})
	plain, _ := newTestClient(t, plainSrv, nil)
	want, err := plain.Call(context.Background(), userRequest("q"))
	require.NoError(t, err)
	assert.Equal(t, want.ToolCalls, resp.ToolCalls)
	assert.Equal(t, want.Outputs, resp.Outputs)

	cached, err := c.Call(context.Background(), userRequest("q"))
	require.NoError(t, err)
	assert.True(t, cached.CacheHit)
	assert.Equal(t, resp.ToolCalls, cached.ToolCalls)
	chunks = nil
	replayed, err := c.Stream(context.Background(), userRequest("q"), collect(&chunks))
	require.NoError(t, err)
	assert.True(t, replayed.CacheHit)
	assert.Equal(t, resp.ToolCalls, replayed.ToolCalls)
	assert.EqualValues(t, 1, srv.calls.Load())
}

// A reply without tool calls keeps ToolCalls nil, as Call does.
func TestStreamWithoutToolCallsLeavesThemNil(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeSSE(w, []string{"Paris"}, true, false, true)
	})
	c, _ := newTestClient(t, srv, nil)
	resp, err := c.Stream(context.Background(), userRequest("q"), func(dspy.LMChunk) {})
	require.NoError(t, err)
	assert.Nil(t, resp.ToolCalls)
}

// Tool-call deltas no unstreamed reply could hold are a server failure.
func TestStreamRejectsBrokenToolCallDeltas(t *testing.T) {
	for name, events := range map[string][]string{
		"skipped index": {
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"x","function":{"name":"f","arguments":"{}"}}]}}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
		},
		"index out of range": {
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":99999,"id":"x","function":{"name":"f","arguments":"{}"}}]}}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeEvents(w, events) })
			c, _ := newTestClient(t, srv, nil)
			_, err := c.Stream(context.Background(), userRequest("q"), func(dspy.LMChunk) {})
			var lmErr *dspy.LMError
			require.ErrorAs(t, err, &lmErr)
			assert.Equal(t, dspy.ErrKindServer, lmErr.Kind)
			assert.Contains(t, lmErr.Error(), "tool call")
		})
	}
}
