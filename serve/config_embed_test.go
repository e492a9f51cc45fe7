package serve

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// knnStateFile compiles knn_fewshot for qaSpec's program on the simulated
// LM at sim and writes the compiled program into dir.
func knnStateFile(t *testing.T, sim *simlm.Server, dir string) string {
	t.Helper()
	client := newClient(t, sim.URL(), simlm.DefaultModel)
	embedder, err := lm.NewEmbedder(lm.EmbedderOptions{Model: "simlm-embed", BaseURL: sim.URL(), APIKey: "test-key"})
	require.NoError(t, err)
	newProgram := func() (dspy.Module, error) { return qaSpec().Build(nil) }
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
	path := filepath.Join(dir, "knn.json")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}

// knnConfigDir writes qa.yaml and a compiled knn program beside a serve.yaml
// whose models point at sim.
func knnConfigDir(t *testing.T, sim *simlm.Server, config string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "qa.yaml"), []byte("module: predict\nsignature: question -> answer\n"), 0o644))
	knnStateFile(t, sim, dir)
	config = strings.ReplaceAll(config, "SIM_URL", sim.URL())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "serve.yaml"), []byte(config), 0o644))
	return dir
}

// A compiled knn_fewshot program served from serve.yaml embeds each
// request's inputs with the embedding model its alias, or the program
// itself, names at the alias's endpoint.
func TestConfigServesAKNNProgramWithItsEmbedModel(t *testing.T) {
	sim := simlm.New(simlm.Config{Seed: 1})
	require.NoError(t, sim.Start())
	t.Cleanup(func() { _ = sim.Close() })
	dir := knnConfigDir(t, sim, `
models:
  sim: {model: simlm-1, base_url: SIM_URL, api_key_env: SIM_KEY, cache: memory, embed_model: simlm-embed}
  plain: {model: simlm-1, base_url: SIM_URL, api_key_env: SIM_KEY}
programs:
  - {name: by-alias, spec: qa.yaml, state: knn.json, model: sim}
  - {name: also-by-alias, spec: qa.yaml, state: knn.json, model: sim}
  - {name: by-program, spec: qa.yaml, state: knn.json, model: plain, embed_model: simlm-embed-2}
  - {name: plain, spec: qa.yaml, model: plain}
`)
	c, err := LoadConfig(filepath.Join(dir, "serve.yaml"))
	require.NoError(t, err)
	setup, err := c.Build(BuildEnv{Getenv: func(k string) string { return map[string]string{"SIM_KEY": "k"}[k] }})
	require.NoError(t, err)
	defer setup.Close()

	progs := setup.Options.Programs
	require.Len(t, progs, 4)
	assert.Same(t, progs[0].Embedder, progs[1].Embedder, "programs on one alias share its embedder")
	assert.Equal(t, "simlm-embed", progs[0].Embedder.(*lm.Embedder).ModelName())
	assert.Equal(t, "simlm-embed-2", progs[2].Embedder.(*lm.Embedder).ModelName(), "a program's own embed_model wins")
	assert.Nil(t, progs[3].Embedder, "no embed_model, no embedder")

	h, err := New(setup.Options)
	require.NoError(t, err)
	require.NoError(t, h.Load(context.Background()))
	srv := newTestServer(t, h)
	for _, name := range []string{"by-alias", "by-program", "plain"} {
		r := post(t, srv.URL+"/v1/programs/"+name, `{"question": "What is 2 + 3?"}`)
		require.Equal(t, http.StatusOK, r.status, "%s: %s", name, r.body)
		assert.Contains(t, r.json(t), "answer", name)
	}
	assert.Equal(t, 1, progs[0].Embedder.(*lm.Embedder).Usage().Calls, "the request's inputs were embedded once")
	assert.Equal(t, 1, progs[2].Embedder.(*lm.Embedder).Usage().Calls)
}

// A compiled knn_fewshot program with no embedding model fails the
// server's start, naming the program and the fix, rather than every request.
func TestConfigKNNProgramWithoutAnEmbedModelFailsAtLoad(t *testing.T) {
	sim := simlm.New(simlm.Config{Seed: 1})
	require.NoError(t, sim.Start())
	t.Cleanup(func() { _ = sim.Close() })
	dir := knnConfigDir(t, sim, `
models:
  sim: {model: simlm-1, base_url: SIM_URL, api_key_env: SIM_KEY}
programs:
  - {name: plain, spec: qa.yaml, model: sim}
  - {name: knn, spec: qa.yaml, state: knn.json, model: sim}
`)
	c, err := LoadConfig(filepath.Join(dir, "serve.yaml"))
	require.NoError(t, err)
	setup, err := c.Build(BuildEnv{Getenv: func(string) string { return "k" }})
	require.NoError(t, err)
	defer setup.Close()
	h, err := New(setup.Options)
	require.NoError(t, err)

	err = h.Load(context.Background())
	require.ErrorIs(t, err, ErrNoEmbedder)
	assert.Contains(t, err.Error(), `program "knn"`)
	assert.Contains(t, err.Error(), "embed_model")
	assert.NotContains(t, err.Error(), `program "plain"`)
}

// Needing an embedder is caught for an ensemble's knn members too, and not
// asked of a knn program that brings its own.
func TestNeedsEmbedder(t *testing.T) {
	plain := dspy.NewPredict(dspy.MustSignature("question -> answer"))
	knn := &optimize.KNNProgram{}
	own := &optimize.KNNProgram{Embedder: dspy.EmbedderFunc(func(context.Context, []string) ([][]float32, dspy.Usage, error) {
		return nil, dspy.Usage{}, errors.New("unused")
	})}
	assert.False(t, needsEmbedder(plain))
	assert.True(t, needsEmbedder(knn))
	assert.False(t, needsEmbedder(own))
	assert.True(t, needsEmbedder(&optimize.EnsembleProgram{Programs: []dspy.Module{plain, knn}}))
	assert.False(t, needsEmbedder(&optimize.EnsembleProgram{Programs: []dspy.Module{plain, own}}))
}

func TestParseConfigEmbedModel(t *testing.T) {
	c, err := ParseConfig([]byte("models: {m: {model: x, embed_model: e1}}\nprograms: [{name: a, spec: a.yaml, model: m}, {name: b, spec: b.yaml, model: m, embed_model: e2}]"))
	require.NoError(t, err)
	assert.Equal(t, "e1", c.Models["m"].EmbedModel)
	assert.Equal(t, "", c.Programs[0].EmbedModel)
	assert.Equal(t, "e2", c.Programs[1].EmbedModel)

	prog := "\nprograms: [{name: a, spec: a.yaml, model: m}]\n"
	for name, tc := range map[string]struct{ text, want string }{
		"misspelt under models":   {"models: {m: {model: x, embed_modle: e}}" + prog, "embed_modle"},
		"misspelt under programs": {"models: {m: {model: x}}\nprograms: [{name: a, spec: a.yaml, model: m, embeder: e}]", "embeder"},
		"blank":                   {"models: {m: {model: x, embed_model: '  '}}" + prog, `models.m: embed_model "  "`},
		"spaces":                  {"models: {m: {model: x}}\nprograms: [{name: a, spec: a.yaml, model: m, embed_model: text embedding}]", `programs[0] (a): embed_model "text embedding"`},
		"a list":                  {"models: {m: {model: x, embed_model: [a, b]}}" + prog, "line 1: cannot unmarshal !!seq into string"},
		"durable":                 {"models: {m: {model: x}}\nprograms: [{name: a, spec: a.yaml, durable: true, embed_model: e}]", "worker embeds"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.text))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
