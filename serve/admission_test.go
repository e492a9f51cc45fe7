package serve

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// gatedLM blocks every call until the gate opens and counts calls running.
func gatedLM(gate <-chan struct{}, running *atomic.Int64) dspy.LM {
	return replyLM(func(ctx context.Context, _ dspy.LMRequest) error {
		running.Add(1)
		defer running.Add(-1)
		select {
		case <-gate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

func TestAdmissionQueuesThenRejectsWithRetryAfter(t *testing.T) {
	gate := make(chan struct{})
	var running atomic.Int64
	logs := &syncBuffer{}
	h, srv := startHandler(t, Options{LogWriter: logs, Programs: []Program{{
		Name: "qa", LM: gatedLM(gate, &running), Source: SpecSource{Spec: qaSpec()},
		Limits: Limits{MaxConcurrent: 1, MaxQueue: 1, QueueTimeout: 300 * time.Millisecond},
	}}})
	adm := h.slots["qa"].adm
	url := srv.URL + "/v1/programs/qa"

	first := make(chan response, 1)
	go func() { first <- post(t, url, `{"question": "first"}`) }()
	eventually(t, "the first request to run", func() bool { return running.Load() == 1 })

	queued := make(chan response, 1)
	go func() { queued <- post(t, url, `{"question": "queued"}`) }()
	eventually(t, "the second request to queue", func() bool { return adm.waiting.Load() == 1 })

	// The queue holds one: a third request is refused at once.
	full := post(t, url, `{"question": "third"}`)
	require.Equal(t, http.StatusTooManyRequests, full.status, "%s", full.body)
	assert.Equal(t, CodeQueueFull, full.errorBody(t).Error.Code)
	ra, err := strconv.Atoi(full.header.Get("Retry-After"))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, ra, 1)

	// The queued one waits out its queue timeout, then gets a 429 too.
	timedOut := <-queued
	require.Equal(t, http.StatusTooManyRequests, timedOut.status)
	assert.Equal(t, CodeQueueTimeout, timedOut.errorBody(t).Error.Code)
	assert.NotEmpty(t, timedOut.header.Get("Retry-After"))

	close(gate)
	assert.Equal(t, http.StatusOK, (<-first).status)
	assert.Equal(t, http.StatusOK, post(t, url, `{"question": "after"}`).status, "healthy afterwards")

	require.NoError(t, h.Close())
	var statuses []int
	var waited float64
	for _, l := range logLines(t, logs) {
		statuses = append(statuses, l.Status)
		if l.ErrorCode == CodeQueueTimeout {
			waited = l.QueueWaitMS
		}
	}
	assert.ElementsMatch(t, []int{200, 429, 429, 200}, statuses, "one line per request, 429s included")
	assert.Greater(t, waited, 0.0, "the queue wait is logged")
}

// The handler-wide cap holds across programs: with one global slot, a
// request to a second program waits for the first program's request.
func TestGlobalCapSpansPrograms(t *testing.T) {
	gate := make(chan struct{})
	var running atomic.Int64
	lm := gatedLM(gate, &running)
	h, srv := startHandler(t, Options{MaxConcurrent: 1, Programs: []Program{
		{Name: "a", LM: lm, Source: SpecSource{Spec: qaSpec()}},
		{Name: "b", LM: lm, Source: SpecSource{Spec: qaSpec()}, Limits: Limits{QueueTimeout: 100 * time.Millisecond}},
	}})
	first := make(chan response, 1)
	go func() { first <- post(t, srv.URL+"/v1/programs/a", `{"question": "x"}`) }()
	eventually(t, "a to run", func() bool { return running.Load() == 1 })

	r := post(t, srv.URL+"/v1/programs/b", `{"question": "y"}`)
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.EqualValues(t, 1, running.Load(), "b never ran alongside a")
	close(gate)
	assert.Equal(t, http.StatusOK, (<-first).status)
	assert.EqualValues(t, 0, h.slots["b"].adm.waiting.Load())
}
