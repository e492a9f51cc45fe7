package serve

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var logFields = []string{"time", "request_id", "program", "model", "status", "duration_ms", "queue_wait_ms", "inputs", "outputs",
	"error", "error_code", "lm_calls", "prompt_tokens", "completion_tokens", "cost_usd", "cache_hits", "raw_reply"}

func TestRequestLogWritesOneCompleteLinePerRequestToRotatedFile(t *testing.T) {
	dir := t.TempDir()
	echo := newEchoModelServer(t)
	h, srv := startHandler(t, Options{
		LogDir:       dir,
		MaxBodyBytes: 64,
		RedactInputs: true,
		Programs:     []Program{{Name: "qa", LM: newClient(t, echo.URL, "model-a"), Source: SpecSource{Spec: qaSpec()}}},
	})
	url := srv.URL + "/v1/programs/qa"
	statuses := []int{
		post(t, url, `{"question": "secret question"}`).status,
		post(t, url, `{"question": 1}`).status,
		post(t, url, `{"question": "`+strings.Repeat("x", 100)+`"}`).status,
		post(t, url, `{`).status,
		post(t, srv.URL+"/v1/programs/none", `{}`).status,
	}
	assert.Equal(t, []int{200, 422, 413, 400, 404}, statuses)
	require.NoError(t, h.Close(), "close flushes the log")

	data, err := os.ReadFile(filepath.Join(dir, RequestLogFile))
	require.NoError(t, err)
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	require.Len(t, lines, len(statuses))
	for i, l := range lines {
		var m map[string]any
		require.NoError(t, json.Unmarshal(l, &m))
		for _, f := range logFields {
			assert.Contains(t, m, f, "line %d", i)
		}
		assert.EqualValues(t, statuses[i], m["status"])
	}
	var first LogLine
	require.NoError(t, json.Unmarshal(lines[0], &first))
	assert.JSONEq(t, `"[redacted]"`, string(first.Inputs), "inputs are redacted")
	assert.Equal(t, "model-a", first.Model)
	assert.Equal(t, 1, first.LMCalls)
	assert.Equal(t, 11, first.PromptTokens)
	assert.JSONEq(t, `{"answer": "model=model-a question=secret question"}`, string(first.Outputs))
}

// A full buffer drops lines (and counts them) instead of making a request
// wait for the disk.
func TestRequestLogDropsWhenFullWithoutBlocking(t *testing.T) {
	block := make(chan struct{})
	writing := make(chan struct{}, 1)
	w := writerFunc(func(p []byte) (int, error) {
		select {
		case writing <- struct{}{}:
		default:
		}
		<-block
		return len(p), nil
	})
	l := newRequestLog(w, nil, 2)
	// The first line reaches the writer, which then hangs on the disk: from
	// there on the buffer holds 2 lines and the other 8 are dropped.
	l.write(&LogLine{RequestID: "first"})
	<-writing
	for range 10 {
		l.write(&LogLine{RequestID: "x"})
	}
	assert.Equal(t, 8.0, l.droppedLines())
	close(block)
	require.NoError(t, l.close())
	l.write(&LogLine{})
	assert.Equal(t, 9.0, l.droppedLines(), "lines after close are dropped, not a panic")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestMetricsCountRequestsTokensAndRejections(t *testing.T) {
	echo := newEchoModelServer(t)
	h, srv := startHandler(t, Options{Programs: []Program{{Name: "qa", LM: newClient(t, echo.URL, "model-a"), Source: SpecSource{Spec: qaSpec()}}}})
	for range 3 {
		require.Equal(t, http.StatusOK, post(t, srv.URL+"/v1/programs/qa", `{"question": "q"}`).status)
	}
	require.Equal(t, http.StatusUnprocessableEntity, post(t, srv.URL+"/v1/programs/qa", `{}`).status)

	m := h.metrics
	assert.Equal(t, 3.0, testutil.ToFloat64(m.requests.WithLabelValues("qa", "200")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.requests.WithLabelValues("qa", "422")))
	assert.Equal(t, 3.0, testutil.ToFloat64(m.lmCalls.WithLabelValues("qa", "model-a")))
	assert.Equal(t, 33.0, testutil.ToFloat64(m.tokens.WithLabelValues("qa", "model-a", "prompt")))
	assert.Equal(t, 15.0, testutil.ToFloat64(m.tokens.WithLabelValues("qa", "model-a", "completion")))

	r := get(t, srv.URL+"/metrics")
	require.Equal(t, http.StatusOK, r.status)
	for _, name := range []string{"dspy_serve_requests_total", "dspy_serve_request_duration_seconds", "dspy_serve_queue_wait_seconds",
		"dspy_serve_in_flight_requests", "dspy_serve_lm_calls_total", "dspy_serve_lm_tokens_total", "dspy_serve_lm_cost_usd_total",
		"dspy_serve_request_log_dropped_total", "go_goroutines"} {
		assert.Contains(t, string(r.body), name)
	}
}
