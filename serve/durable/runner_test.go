package durable_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/serve"
	"github.com/durable-dspy/durable-dspy/serve/durable"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

const taskQueue = "dspy-serve-test"

var qaSpec = &spec.Program{Module: "chain_of_thought", Signature: "question -> answer: int"}

// fixture is a Temporal server with a worker on the simulated LM, and a
// handler serving qaSpec durably on it.
type fixture struct {
	sim    *simlm.Server
	lm     *lm.Client
	client client.Client
	server *temporaltest.TestServer
	url    string
}

func newFixture(t *testing.T, withWorker bool) *fixture {
	t.Helper()
	sim, lmClient := testkit.SimLM(t, simlm.Config{Seed: 11}, lm.Options{Model: "sim", MaxRetries: 0})
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	f := &fixture{sim: sim, lm: lmClient, server: ts}
	if withWorker {
		f.startWorker(t)
	}
	c := ts.GetDefaultClient()
	src := durable.Source{
		Base:   serve.SpecSource{Spec: qaSpec},
		Runner: durable.Runner{Client: c, TaskQueue: taskQueue, Name: "qa"},
	}
	h, err := serve.New(serve.Options{Programs: []serve.Program{{Name: "qa", Source: src, Model: "sim",
		Limits: serve.Limits{RequestTimeout: 2 * time.Second}}}})
	require.NoError(t, err)
	require.NoError(t, h.Load(context.Background()))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	f.client, f.url = c, srv.URL
	return f
}

func (f *fixture) startWorker(t *testing.T) {
	f.server.NewWorker(taskQueue, func(r worker.Registry) {
		require.NoError(t, workflows.Register(r, workflows.Config{TaskLM: f.lm}))
	})
}

func (f *fixture) do(t *testing.T, method, path, body string, header ...string) (*http.Response, map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, f.url+path, bytes.NewBufferString(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out), string(b))
	return resp, out
}

// A durable program answers what the in-process program answers, and a
// retry under the same Idempotency-Key joins the first run: the same
// answer, no second LM call.
func TestDurableProgramAnswersOnceUnderAnIdempotencyKey(t *testing.T) {
	f := newFixture(t, true)
	m, err := qaSpec.Build(nil)
	require.NoError(t, err)
	want, err := m.Call(dspy.WithLM(context.Background(), f.lm), dspy.NewExample("question", "What is 17 + 25?").WithInputs("question"))
	require.NoError(t, err)
	before := f.sim.Stats().Requests

	body := `{"question": "What is 17 + 25?"}`
	resp, got := f.do(t, "POST", "/v1/programs/qa", body, "Idempotency-Key", "order-1")
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	answer, _ := want.Example.Get("answer")
	assert.EqualValues(t, answer, got["answer"])
	assert.Equal(t, "1", resp.Header.Get("X-LM-Calls"))
	afterFirst := f.sim.Stats().Requests

	resp, again := f.do(t, "POST", "/v1/programs/qa", body, "Idempotency-Key", "order-1")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, got, again)
	assert.Equal(t, afterFirst, f.sim.Stats().Requests, "the retry paid nothing")
	assert.Equal(t, before+1, afterFirst)

	resp, conflict := f.do(t, "POST", "/v1/programs/qa", `{"question": "What is 1 + 1?"}`, "Idempotency-Key", "order-1")
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Equal(t, serve.CodeIdempotencyKeyReused, conflict["error"].(map[string]any)["code"])

	resp, bad := f.do(t, "POST", "/v1/programs/qa", body, "Idempotency-Key", "not a key/")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, serve.CodeInvalidIdempotencyKey, bad["error"].(map[string]any)["code"])
	assert.Equal(t, afterFirst, f.sim.Stats().Requests)
}

// jsonValue re-decodes v as plain JSON values, as a validator wants them.
func jsonValue(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// "Prefer: respond-async" answers 202 with the run's URL at once; the run's
// status then carries the outputs.
func TestDurableProgramRespondsAsync(t *testing.T) {
	f := newFixture(t, true)
	resp, accepted := f.do(t, "POST", "/v1/programs/qa", `{"question": "What is 3 + 4?"}`, "Prefer", "respond-async", "Idempotency-Key", "async-1")
	require.Equal(t, http.StatusAccepted, resp.StatusCode, accepted)
	assert.Equal(t, "respond-async", resp.Header.Get("Preference-Applied"))
	id := accepted["run_id"].(string)
	assert.Equal(t, serve.RunID("qa", "async-1"), id)
	assert.Equal(t, "/v1/runs/"+id, resp.Header.Get("Location"))

	var status map[string]any
	require.Eventually(t, func() bool {
		resp, status = f.do(t, "GET", "/v1/runs/"+id, "")
		return resp.StatusCode == http.StatusOK && status["status"] == serve.RunCompleted
	}, 30*time.Second, 50*time.Millisecond)
	assert.Equal(t, "qa", status["program"])
	assert.Contains(t, status["outputs"], "answer")
	assert.EqualValues(t, 1, status["usage"].(map[string]any)["calls"])

	// The OpenAPI document describes the durable traffic: it validates, and
	// the real 202 and run bodies match their schemas.
	docResp, err := http.Get(f.url + "/openapi.json")
	require.NoError(t, err)
	raw, err := io.ReadAll(docResp.Body)
	docResp.Body.Close()
	require.NoError(t, err)
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()), "%s", raw)
	post := doc.Paths.Find("/v1/programs/qa").Post
	require.NotNil(t, post.Responses.Status(http.StatusAccepted))
	require.NotNil(t, post.Responses.Status(http.StatusConflict))
	require.NoError(t, doc.ValidateSchemaJSON(post.Responses.Status(http.StatusAccepted).Value.Content.Get("application/json").Schema.Value, jsonValue(t, accepted)))
	getRun := doc.Paths.Find("/v1/runs/{id}").Get
	require.NotNil(t, getRun)
	require.NoError(t, doc.ValidateSchemaJSON(getRun.Responses.Status(http.StatusOK).Value.Content.Get("application/json").Schema.Value, jsonValue(t, status)))

	resp, _ = f.do(t, "GET", "/v1/runs/run:qa:nobody", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = f.do(t, "GET", "/v1/runs/not-a-run", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// Without a worker the program is not ready, and a request that waits out
// its deadline is a 504 naming the run, which a later worker completes.
func TestDurableProgramWithoutAWorker(t *testing.T) {
	f := newFixture(t, false)
	resp, body := f.do(t, "GET", "/health/ready", "")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, body["reason"], "no worker polls task queue "+taskQueue)

	resp, body = f.do(t, "POST", "/v1/programs/qa", `{"question": "What is 5 + 6?"}`, "Idempotency-Key", "late")
	require.Equal(t, http.StatusGatewayTimeout, resp.StatusCode, body)
	id := body["error"].(map[string]any)["run_id"]
	assert.Equal(t, serve.RunID("qa", "late"), id)

	f.startWorker(t)
	require.Eventually(t, func() bool {
		resp, body = f.do(t, "GET", "/v1/runs/"+id.(string), "")
		return body["status"] == serve.RunCompleted
	}, 30*time.Second, 100*time.Millisecond)
	resp, _ = f.do(t, "GET", "/health/ready", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// A client that gives up on a run it cannot name again (no Idempotency-Key)
// cancels it, so nobody pays for an answer nobody can fetch.
func TestAnAbandonedRunIsCanceled(t *testing.T) {
	f := newFixture(t, false)
	resp, body := f.do(t, "POST", "/v1/programs/qa", `{"question": "What is 5 + 6?"}`, "X-Request-ID", "abandoned")
	require.Equal(t, http.StatusGatewayTimeout, resp.StatusCode, body)
	id := body["error"].(map[string]any)["run_id"].(string)
	before := f.sim.Stats().Requests
	f.startWorker(t)
	require.Eventually(t, func() bool {
		_, body = f.do(t, "GET", "/v1/runs/"+id, "")
		return body["status"] == serve.RunCanceled
	}, 30*time.Second, 100*time.Millisecond, "the run was never canceled")
	assert.Equal(t, before, f.sim.Stats().Requests, "the canceled run made no LM call")
}
