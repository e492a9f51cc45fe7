package lm

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

func TestEveryAnsweredAttemptIsCountedAsACall(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			writeError(w, http.StatusInternalServerError, "", "boom")
			return
		}
		writeOK(w)
	})
	c, _ := newTestClient(t, srv, func(o *Options) { o.MaxRetries = 2; o.HistorySize = 1 })

	resp, err := c.Call(context.Background(), userRequest("q"))

	require.NoError(t, err)
	require.Equal(t, int32(2), srv.calls.Load())
	want := dspy.Usage{Calls: 2, PromptTokens: 10, CompletionTokens: 2}
	assert.Equal(t, want, resp.Usage, "two requests, the tokens of the one reply")
	assert.Equal(t, want, c.Usage())
	assert.Equal(t, want, c.History()[0].Usage)

	// A call answered at once is one request.
	resp, err = c.Call(context.Background(), userRequest("q"))
	require.NoError(t, err)
	assert.Equal(t, 1, resp.Usage.Calls)
	assert.Equal(t, 3, c.Usage().Calls)
}

func TestAFailedCallReportsTheAttemptsTheServerAnswered(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		writeError(w, http.StatusServiceUnavailable, "", "overloaded")
	})
	c, _ := newTestClient(t, srv, func(o *Options) { o.MaxRetries = 2 })

	resp, err := c.Call(context.Background(), userRequest("q"))

	requireLMError(t, err, dspy.ErrKindServer)
	require.Equal(t, int32(3), srv.calls.Load())
	assert.Equal(t, dspy.Usage{Calls: 3}, resp.Usage, "requests, but no tokens: error replies carry none")
	assert.Equal(t, dspy.Usage{Calls: 3}, c.Usage())

	// Through dspy.CallLM, a tracker sees the failed call's requests too.
	ctx, tracker := dspy.TrackUsage(context.Background())
	_, err = dspy.CallLM(ctx, c, userRequest("q"))
	require.Error(t, err)
	assert.Equal(t, 3, tracker.Usage().Calls)
}

func TestARequestTheServerNeverAnsweredIsNotCounted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	c, err := New(Options{Model: "m", BaseURL: "http://" + addr + "/v1", MaxRetries: 1})
	require.NoError(t, err)
	c.sleep = (&sleepRecorder{}).sleep

	resp, err := c.Call(context.Background(), userRequest("q"))

	requireLMError(t, err, dspy.ErrKindConnection)
	assert.Zero(t, resp.Usage)
	assert.Zero(t, c.Usage())
}
