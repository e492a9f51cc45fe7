package tests

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/simlm"
)

const agentSpec = "module: react\nsignature: \"question -> answer\"\ntools: [lookup]\nmax_iters: 4\n"

// startToolWorker starts a worker whose lookup tool takes delay.
func startToolWorker(t *testing.T, address, queue, lmURL string, delay time.Duration) *process {
	t.Helper()
	p := startProcess(t, "toolworker on "+queue, binaries.toolworker,
		"--address", address, "--task-queue", queue, "--lm-base-url", lmURL, "--lm-cache-dir", "off",
		"--tool-delay", delay.String())
	require.NoError(t, p.waitReady())
	return p
}

// askAgent posts the question to the durable agent under an Idempotency-Key
// and returns the status and body.
func askAgent(t *testing.T, url, key string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/v1/programs/agent", bytes.NewBufferString(`{"question": "Look it up: 6 + 7"}`))
	require.NoError(t, err)
	req.Header.Set("Idempotency-Key", key)
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var body map[string]any
	require.NoError(t, json.Unmarshal(b, &body), string(b))
	return resp.StatusCode, body
}

// A durable ReAct request whose worker is SIGKILLed while a tool runs still
// completes, on a new worker, with the answer an uninterrupted run gives;
// no LM call is paid twice (counted at the simulated LM), and a retry of the
// request under its Idempotency-Key returns the same answer for free.
func TestDurableAgentSurvivesAWorkerKilledMidRequest(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	dir := serveDir(t, map[string]string{"agent.yaml": agentSpec})
	sim := simlm.Config{Seed: 5, Latency: simlm.FixedLatency(100 * time.Millisecond)}

	// The uninterrupted run, on a worker and LM of its own.
	refLM := startSimLM(t, sim)
	const refQueue = "e2e-durable-agent-reference"
	startToolWorker(t, srv.address(), refQueue, refLM.URL(), 0)
	refServe := startServe(t, "--address", srv.address(), "--task-queue", refQueue, "--durable",
		"--spec", dir+"/agent.yaml", "--name", "agent", "--request-timeout", "2m")
	code, want := askAgent(t, refServe.url, "reference")
	require.Equal(t, http.StatusOK, code, want)
	wantCalls := refLM.Stats().Requests
	require.GreaterOrEqual(t, wantCalls, int64(3), "the agent should think, call the tool and finish")

	lm := startSimLM(t, sim)
	const queue = "e2e-durable-agent"
	w := startToolWorker(t, srv.address(), queue, lm.URL(), 3*time.Second)
	s := startServe(t, "--address", srv.address(), "--task-queue", queue, "--durable",
		"--spec", dir+"/agent.yaml", "--name", "agent", "--request-timeout", "2m")
	type answer struct {
		code int
		body map[string]any
	}
	done := make(chan answer, 1)
	go func() {
		code, body := askAgent(t, s.url, "killed")
		done <- answer{code, body}
	}()
	require.Eventually(t, func() bool { return strings.Contains(w.stderr.String(), "lookup started") },
		time.Minute, 20*time.Millisecond, "the agent never called its tool")
	callsAtKill := lm.Stats().Requests
	require.NoError(t, w.kill())
	startToolWorker(t, srv.address(), queue, lm.URL(), 3*time.Second)

	var got answer
	select {
	case got = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the request never completed after the worker was replaced")
	}
	require.Equal(t, http.StatusOK, got.code, got.body)
	assert.Equal(t, want["answer"], got.body["answer"])
	assert.Equal(t, want["reasoning"], got.body["reasoning"])
	assert.Equal(t, wantCalls, lm.Stats().Requests, "no LM call was paid twice (%d had been made at the kill)", callsAtKill)

	code, again := askAgent(t, s.url, "killed")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, got.body, again)
	assert.Equal(t, wantCalls, lm.Stats().Requests, "the retry joined the finished run")
	assert.Equal(t, 0, s.terminate(t))
}
