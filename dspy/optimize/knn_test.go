package optimize

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
)

// tableEmbedder embeds the texts of a fixed table, counting its calls.
func tableEmbedder(table map[string][]float32, calls *int) dspy.Embedder {
	return dspy.EmbedderFunc(func(_ context.Context, texts []string) ([][]float32, dspy.Usage, error) {
		*calls++
		out := make([][]float32, len(texts))
		for i, t := range texts {
			v, ok := table[t]
			if !ok {
				v = []float32{0, 0, 1}
			}
			out[i] = v
		}
		return out, dspy.Usage{PromptTokens: len(texts)}, nil
	})
}

func TestNearestRanksByCosineNotByLength(t *testing.T) {
	entries := []knnEntry{
		{Vector: unit([]float32{1, 0})},     // angle 0
		{Vector: unit([]float32{10, 10})},   // 45 degrees, long
		{Vector: unit([]float32{0.9, 0.1})}, // about 6 degrees
		{Vector: unit([]float32{-1, 0})},    // opposite
		{Vector: unit([]float32{1, 0})},     // tie with entry 0
	}
	got, err := nearest(entries, []float32{3, 0.05}, 3)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 4, 2}, got, "cosine order, ties by index")
	got, err = nearest(entries, []float32{-2, 0}, 10)
	require.NoError(t, err)
	assert.Equal(t, []int{3, 1, 2, 0, 4}, got)
	_, err = nearest(entries, []float32{1, 0, 0}, 1)
	require.ErrorContains(t, err, "3 dimensions")
}

func TestKNNProgramGivesEachInputItsNeighboursDemos(t *testing.T) {
	train := arithmetic(4, 1) // 1+1, 2+3, 3+5, 4+7
	table := map[string][]float32{}
	for i, ex := range train {
		text, err := trainText(ex)
		require.NoError(t, err)
		table[text] = []float32{float32(i), 1, 0}
	}
	table["question: near the end"] = []float32{3.2, 1, 0}
	spec := knnSpec{K: 2, MaxBootstrapped: 1, MaxLabeled: 2}
	for i, ex := range train {
		e := knnEntry{Example: ex, Vector: unit(table[mustText(t, ex)])}
		if i != 3 {
			e.Demos = []namedDemos{{Name: "self", Demos: []dspy.Example{ex.Unmarked().Set("augmented", true)}}}
		}
		spec.Entries = append(spec.Entries, e)
	}
	st := knnState(qaTask(nil, nil).Student, spec)

	// Saved and loaded as JSON, the state still builds the program.
	b, err := st.Encode()
	require.NoError(t, err)
	var loaded dspy.ProgramState
	require.NoError(t, json.Unmarshal(b, &loaded))
	program, err := BuildProgram(qaProgram, loaded)
	require.NoError(t, err)
	require.NoError(t, dspy.LoadState(program, loaded))

	var seen []dspy.LMRequest
	lm := &dspytest.FuncLM{Reply: func(_ context.Context, req dspy.LMRequest) (string, error) {
		seen = append(seen, req)
		return dspytest.ChatReply("answer", "1"), nil
	}}
	calls := 0
	ctx := dspy.WithEmbedder(dspy.WithLM(context.Background(), lm), tableEmbedder(table, &calls))
	pred, err := program.Call(ctx, dspy.NewExample("question", "near the end"))
	require.NoError(t, err)
	assert.Equal(t, 1, calls)
	assert.GreaterOrEqual(t, pred.Usage.PromptTokens, 1, "the embedding's usage counts")
	// The neighbours are examples 3 (no demo: labeled) and 2 (bootstrapped),
	// nearest first; 2 passed, so it is the bootstrapped demo, 3 labeled.
	require.Len(t, seen, 1)
	assert.True(t, containsDemoOf(seen[0], "What is 3+5?"))
	assert.True(t, containsDemoOf(seen[0], "What is 4+7?"))
	assert.False(t, containsDemoOf(seen[0], "What is 1+1?"))
	assert.False(t, containsDemoOf(seen[0], "What is 2+3?"))

	_, err = program.Call(dspy.WithLM(context.Background(), lm), dspy.NewExample("question", "x"))
	require.ErrorContains(t, err, "no embedder")
}

func mustText(t *testing.T, ex dspy.Example) string {
	t.Helper()
	s, err := trainText(ex)
	require.NoError(t, err)
	return s
}
