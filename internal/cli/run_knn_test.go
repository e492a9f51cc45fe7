package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/internal/exitcode"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/worker/lmconfig"
)

// knnState compiles knn_fewshot for the qa spec on the simulated LM and
// writes the compiled program.
func knnState(t *testing.T) string {
	t.Helper()
	srv, client := testkit.SimLM(t, simlm.Config{}, lm.Options{})
	embedder, err := lm.NewEmbedder(lm.EmbedderOptions{Model: "simlm-embed", BaseURL: srv.URL(), APIKey: "x"})
	require.NoError(t, err)
	sp, err := spec.Parse([]byte(qaSpec))
	require.NoError(t, err)
	newProgram := func() (dspy.Module, error) { return sp.Build(nil) }
	engine, err := optimize.NewLocalEngine(optimize.LocalOptions{Program: newProgram, Metric: evaluate.ExactMatch("answer"), TaskLM: client, Embedder: embedder})
	require.NoError(t, err)
	opt, err := optimize.New("knn_fewshot", json.RawMessage(`{"k": 2}`))
	require.NoError(t, err)
	program, err := newProgram()
	require.NoError(t, err)
	res, err := opt.Compile(context.Background(), engine, optimize.TaskFor(program, testkit.Arithmetic(1, 6), testkit.Arithmetic(2, 2)))
	require.NoError(t, err)
	b, err := res.Program.Encode()
	require.NoError(t, err)
	return writeFile(t, t.TempDir(), "knn.json", string(b))
}

// A compiled knn_fewshot program runs from the command line with the
// simulated LM's embeddings, and says what it lacks against an endpoint
// with no embedding model.
func TestRunAnswersWithACompiledKNNProgram(t *testing.T) {
	specPath, _, _ := fixture(t)
	state := knnState(t)
	r := runCLI(t, "run", "--spec", specPath, "--state", state, "--input", "question=What is 2 + 3?")
	require.Equal(t, exitcode.OK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"answer"`)

	r = runCLI(t, "run", "--spec", specPath, "--state", state, "--input", "question=What is 2 + 3?", "--lm-base-url", "http://127.0.0.1:1/v1")
	assert.NotEqual(t, exitcode.OK, r.code)
	assert.Contains(t, r.stderr, "no embedder")
}

// starter serve answers with a compiled knn_fewshot program: the served
// program embeds each request's inputs with the simulated LM's embeddings.
// Against an endpoint with no embedding model it fails at start.
func TestServeAnswersWithACompiledKNNProgram(t *testing.T) {
	specPath, _, _ := fixture(t)
	s := startServe(t, nil, "--spec", specPath, "--state", knnState(t), "--name", "qa")
	code, _, body := call(t, http.MethodPost, s.url+"/v1/programs/qa", "", `{"question": "What is 2 + 3?"}`)
	assert.Equal(t, http.StatusOK, code, string(body))
	assert.Contains(t, string(body), `"answer"`)
	assert.Equal(t, 0, s.stop(), s.stderr.String())

	r := runCLI(t, "serve", "--spec", specPath, "--state", knnState(t), "--addr", "127.0.0.1:0", "--lm-base-url", "http://127.0.0.1:1/v1")
	assert.Equal(t, exitcode.Usage, r.code, "an endpoint with no embedding model fails at start: %s", r.stderr)
	assert.Contains(t, r.stderr, `program "qa"`)
	assert.Contains(t, r.stderr, "--embed-model")
}

// starter serve --config answers with a compiled knn_fewshot program on a
// simulated model alias, which embeds as --sim does; against a real
// endpoint with no embed_model it fails at start, naming the program and the
// config key that fixes it.
func TestServeConfigAnswersWithACompiledKNNProgram(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "qa.yaml", qaSpec)
	state := knnState(t)
	config := writeFile(t, dir, "serve.yaml", "models: {m: {model: x, base_url: sim}}\nprograms: [{name: knn, spec: qa.yaml, state: "+state+", model: m}]\n")
	s := startServe(t, nil, "--config", config)
	code, _, body := call(t, http.MethodPost, s.url+"/v1/programs/knn", "", `{"question": "What is 2 + 3?"}`)
	assert.Equal(t, http.StatusOK, code, string(body))
	assert.Contains(t, string(body), `"answer"`)
	assert.Equal(t, 0, s.stop(), s.stderr.String())
	assert.Contains(t, s.stderr.String(), "embeddings "+lmconfig.DefaultSimEmbedModel, "the banner names the embedding model")

	unembedded := writeFile(t, dir, "real.yaml", "models: {m: {model: x, base_url: 'http://127.0.0.1:1/v1'}}\nprograms: [{name: knn, spec: qa.yaml, state: "+state+", model: m}]\n")
	r := runCLI(t, "serve", "--config", unembedded, "--addr", "127.0.0.1:0")
	assert.Equal(t, exitcode.Usage, r.code, r.stderr)
	assert.Contains(t, r.stderr, `program "knn"`)
	assert.Contains(t, r.stderr, "embed_model")

	r = runCLI(t, "serve", "--config", unembedded, "--embed-model", "e")
	assert.Equal(t, exitcode.Usage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--embed-model does not apply with --config: set embed_model")
}
