package lm

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// writeSSE answers with the given content pieces as chat.completion.chunk
// events; finish ends the completion, and done writes the [DONE] sentinel.
func writeSSE(w http.ResponseWriter, pieces []string, finish, usage, done bool) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	event := func(data string) {
		fmt.Fprintf(w, "data: %s\n\n", data)
		w.(http.Flusher).Flush()
	}
	for _, p := range pieces {
		event(fmt.Sprintf(`{"id":"c1","object":"chat.completion.chunk","model":"served-model","choices":[{"index":0,"delta":{"content":%q}}]}`, p))
	}
	if finish {
		event(`{"id":"c1","object":"chat.completion.chunk","model":"served-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`)
	}
	if usage {
		event(`{"id":"c1","object":"chat.completion.chunk","model":"served-model","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}`)
	}
	if done {
		event("[DONE]")
	}
}

func collect(chunks *[]dspy.LMChunk) func(dspy.LMChunk) {
	return func(c dspy.LMChunk) { *chunks = append(*chunks, c) }
}

func TestStreamAssemblesTheReplyAndUsage(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeSSE(w, []string{"[[ ## answer", " ## ]]\n", "Paris"}, true, true, true)
	})
	c, _ := newTestClient(t, srv, func(o *Options) { o.Cache = NewMemoryCache(0) })
	var chunks []dspy.LMChunk
	resp, err := c.Stream(context.Background(), userRequest("q"), collect(&chunks))
	require.NoError(t, err)
	assert.Equal(t, []string{"[[ ## answer ## ]]\nParis"}, resp.Outputs)
	assert.Equal(t, []string{"stop"}, resp.FinishReasons)
	assert.Equal(t, "served-model", resp.Model)
	assert.Equal(t, dspy.Usage{PromptTokens: 11, CompletionTokens: 7, Calls: 1}, resp.Usage)
	require.Len(t, chunks, 3)
	assert.Equal(t, "Paris", chunks[2].Content)

	body := srv.body(t, 0)
	assert.Equal(t, true, body["stream"])
	assert.Equal(t, map[string]any{"include_usage": true}, body["stream_options"])

	// The assembled reply is cached: a second stream replays it as one
	// chunk, and a plain call hits the same entry.
	chunks = nil
	again, err := c.Stream(context.Background(), userRequest("q"), collect(&chunks))
	require.NoError(t, err)
	assert.True(t, again.CacheHit)
	assert.Equal(t, []dspy.LMChunk{{Content: "[[ ## answer ## ]]\nParis", CacheHit: true}}, chunks)
	plain, err := c.Call(context.Background(), userRequest("q"))
	require.NoError(t, err)
	assert.True(t, plain.CacheHit)
	assert.Equal(t, resp.Outputs, plain.Outputs)
	assert.EqualValues(t, 1, srv.calls.Load())
	assert.Equal(t, dspy.Usage{PromptTokens: 33, CompletionTokens: 21, Calls: 3, CacheHits: 2}, c.Usage())
}

func TestStreamRetriesOnlyBeforeTheFirstChunk(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			writeError(w, http.StatusServiceUnavailable, "overloaded", "try again")
			return
		}
		writeSSE(w, []string{"ok"}, true, false, true)
	})
	c, _ := newTestClient(t, srv, func(o *Options) { o.MaxRetries = 3 })
	resp, err := c.Stream(context.Background(), userRequest("q"), func(dspy.LMChunk) {})
	require.NoError(t, err)
	assert.Equal(t, []string{"ok"}, resp.Outputs)
	assert.Equal(t, 2, resp.Usage.Calls, "the refused attempt counts")

	cut := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeSSE(w, []string{"[[ ## answer ## ]]\n", "Par"}, false, false, false)
	})
	c, _ = newTestClient(t, cut, func(o *Options) { o.MaxRetries = 3 })
	var chunks []dspy.LMChunk
	resp, err = c.Stream(context.Background(), userRequest("q"), collect(&chunks))
	lmErr := requireLMError(t, err, dspy.ErrKindServer)
	assert.Contains(t, lmErr.Error(), "cut off")
	assert.EqualValues(t, 1, cut.calls.Load(), "text already handed over is never asked for again")
	assert.Len(t, chunks, 2)
	assert.Equal(t, 1, resp.Usage.Calls)
}

func TestStreamReportsRefusalsAsCallDoes(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeError(w, http.StatusBadRequest, "invalid_request", "bad things")
	})
	c, _ := newTestClient(t, srv, nil)
	called := false
	_, err := c.Stream(context.Background(), userRequest("q"), func(dspy.LMChunk) { called = true })
	lmErr := requireLMError(t, err, dspy.ErrKindBadRequest)
	assert.Equal(t, http.StatusBadRequest, lmErr.StatusCode)
	assert.False(t, called)

	errEvent := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"error\":{\"message\":\"model crashed\"}}\n\n")
	})
	c, _ = newTestClient(t, errEvent, nil)
	_, err = c.Stream(context.Background(), userRequest("q"), func(dspy.LMChunk) {})
	lmErr = requireLMError(t, err, dspy.ErrKindServer)
	assert.True(t, strings.Contains(lmErr.Error(), "model crashed"), lmErr.Error())
}
