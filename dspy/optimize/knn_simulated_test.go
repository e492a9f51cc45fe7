package optimize_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
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

// On the simulated LM's task, KNNFewShot raises the validation score over
// the zero-shot student, embedding the trainset once and each scored input
// once, and its saved program runs again from the JSON alone.
func TestKNNFewShotImprovesOnTheSimulatedTask(t *testing.T) {
	srv, client := testkit.SimLM(t, simlm.Config{Seed: 5}, lm.Options{MaxRetries: 3})
	simEmbedder, err := lm.NewEmbedder(lm.EmbedderOptions{Model: "simlm-embed", BaseURL: srv.URL(), APIKey: "test-key"})
	require.NoError(t, err)
	var calls atomic.Int64
	embedder := dspy.EmbedderFunc(func(ctx context.Context, texts []string) ([][]float32, dspy.Usage, error) {
		calls.Add(1)
		return simEmbedder.Embed(ctx, texts)
	})
	train, val := testkit.Arithmetic(1, 32), testkit.Arithmetic(2, 40)
	newProgram := func() (dspy.Module, error) { return dspy.NewPredict(dspy.MustSignature("question -> answer")), nil }
	engine, err := optimize.NewLocalEngine(optimize.LocalOptions{Program: newProgram, Metric: evaluate.ExactMatch("answer"), TaskLM: client, Embedder: embedder, Concurrency: 8})
	require.NoError(t, err)
	program, _ := newProgram()
	task := optimize.TaskFor(program, train, val)

	opt, err := optimize.New("knn_fewshot", json.RawMessage(`{"k": 3, "max_bootstrapped_demos": 2, "max_labeled_demos": 3}`))
	require.NoError(t, err)
	res, err := opt.Compile(context.Background(), engine, task)
	require.NoError(t, err)
	require.True(t, res.BaselineMeasured)
	assert.Greater(t, res.Score, res.BaselineScore)
	assert.Equal(t, 37.5, res.BaselineScore)
	assert.Equal(t, 62.5, res.Score)
	assert.Equal(t, 1+len(val), int(calls.Load()), "the trainset in one call, then one per scored input")

	// The saved program answers from its JSON, with only an embedder.
	b, err := res.Program.Encode()
	require.NoError(t, err)
	var loaded dspy.ProgramState
	require.NoError(t, json.Unmarshal(b, &loaded))
	outs, err := engine.Run(context.Background(), optimize.Batch{Candidate: loaded, Examples: val})
	require.NoError(t, err)
	assert.Equal(t, res.Score, optimize.Percent(outs))
}
