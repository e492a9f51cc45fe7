package lmconfig

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
)

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func noLMEnv(t *testing.T) {
	t.Setenv(lm.EnvAPIKey, "")
	t.Setenv(lm.EnvBaseURL, "")
}

func openLMs(t *testing.T, o Options) *Clients {
	t.Helper()
	set, err := Open(o, quietLogger())
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, set.Close()) })
	return set
}

func ask(t *testing.T, c *lm.Client) dspy.LMResponse {
	t.Helper()
	resp, err := c.Call(context.Background(), dspy.LMRequest{Messages: []dspy.Message{{Role: "user", Content: "Say hi."}}})
	require.NoError(t, err)
	return resp
}

func TestWithoutKeyOrBaseURLBothLMsAreTheSimulator(t *testing.T) {
	noLMEnv(t)
	set := openLMs(t, Options{Sim: "seed=7,err500=0.1"})
	require.NotNil(t, set.sim)
	assert.Equal(t, "simulated LM at "+set.sim.URL()+" (seed 7, err500=0.1)", set.description)
	assert.Equal(t, "simlm-1", set.Task.ModelName())
	assert.Equal(t, "simlm-1", set.Prompt.ModelName())
	ask(t, set.Task)
	assert.Equal(t, int64(1), set.sim.Stats().Requests)
}

func TestSimulatedBaseURLForcesTheSimulatorEvenWithAKey(t *testing.T) {
	t.Setenv(lm.EnvAPIKey, "sk-real-key")
	set := openLMs(t, Options{BaseURL: SimulatedBaseURL})
	require.NotNil(t, set.sim)
	assert.NotContains(t, set.description, "sk-real-key")
}

func TestTaskLMRetriesAndPromptLMLeavesRetriesToTemporal(t *testing.T) {
	noLMEnv(t)
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Model string `json:"model"`
		}
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		mu.Lock()
		hits[body.Model]++
		mu.Unlock()
		w.Header().Set("Retry-After", "0")
		http.Error(w, `{"error":{"message":"busy","type":"server_error"}}`, http.StatusServiceUnavailable)
	}))
	defer srv.Close()

	set := openLMs(t, Options{BaseURL: srv.URL + "/v1", Model: "task-model", PromptModel: "prompt-model", MaxRetries: 2})
	req := dspy.LMRequest{Messages: []dspy.Message{{Role: "user", Content: "Say hi."}}}
	_, err := set.Task.Call(context.Background(), req)
	require.Error(t, err)
	_, err = set.Prompt.Call(context.Background(), req)
	require.Error(t, err)

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 3, hits["task-model"], "one attempt and two retries")
	assert.Equal(t, 1, hits["prompt-model"], "a single attempt")
	assert.Equal(t, "task-model at "+srv.URL+"/v1; prompt model prompt-model", set.description)
}

func TestARealEndpointIsDescribedWithoutItsSecrets(t *testing.T) {
	t.Setenv(lm.EnvAPIKey, "sk-secret")
	t.Setenv(lm.EnvBaseURL, "")
	set := openLMs(t, Options{BaseURL: "https://user:hunter2@llm.example.com/v1"})
	assert.Nil(t, set.sim)
	assert.Equal(t, DefaultModel, set.Task.ModelName())
	assert.NotContains(t, set.description, "hunter2")
	assert.NotContains(t, set.description, "sk-secret")
	assert.True(t, strings.HasPrefix(set.description, DefaultModel+" at https://user:"), set.description)
}

func TestAKeyAloneMeansOpenAI(t *testing.T) {
	t.Setenv(lm.EnvAPIKey, "sk-secret")
	t.Setenv(lm.EnvBaseURL, "")
	set := openLMs(t, Options{})
	assert.Equal(t, DefaultModel+" at "+lm.DefaultBaseURL, set.description)
}

func TestBothLMsShareOneCache(t *testing.T) {
	noLMEnv(t)
	set := openLMs(t, Options{})
	ask(t, set.Task)
	resp := ask(t, set.Prompt)
	assert.True(t, resp.CacheHit, "the prompt LM reuses the task LM's answer to the same request")
}

func TestTheDiskCacheIsFlushedOnCloseAndKeptPerSimulatorSeed(t *testing.T) {
	noLMEnv(t)
	dir := t.TempDir()
	for _, sim := range []string{"seed=1", "seed=2"} {
		set, err := Open(Options{CacheDir: dir, Sim: sim}, quietLogger())
		require.NoError(t, err)
		ask(t, set.Task)
		require.NoError(t, set.Close())
	}
	files, err := filepath.Glob(filepath.Join(dir, "simlm-*.db"))
	require.NoError(t, err)
	assert.Len(t, files, 2, "replies of one seed are never served for another")

	set, err := Open(Options{CacheDir: dir, Sim: "seed=1"}, quietLogger())
	require.NoError(t, err)
	defer func() { assert.NoError(t, set.Close()) }()
	assert.True(t, ask(t, set.Task).CacheHit, "a rerun is answered from disk")
}

func TestCacheOffKeepsNothingOnDisk(t *testing.T) {
	noLMEnv(t)
	dir := t.TempDir()
	t.Chdir(dir)
	set := openLMs(t, Options{CacheDir: CacheOff})
	ask(t, set.Task)
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	assert.Empty(t, files)
}

func TestABadSimulatorConfigNamesTheSimFlag(t *testing.T) {
	noLMEnv(t)
	_, err := Open(Options{Sim: "seed=abc"}, quietLogger())
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "--sim: "), err.Error())
}
