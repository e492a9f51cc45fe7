package dspy_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// tableEmbedder embeds each text as the vector the table gives it, and
// counts one call per Embed.
func tableEmbedder(table map[string][]float32) dspy.EmbedderFunc {
	return func(_ context.Context, texts []string) ([][]float32, dspy.Usage, error) {
		out := make([][]float32, len(texts))
		for i, t := range texts {
			v, ok := table[t]
			if !ok {
				return nil, dspy.Usage{}, errors.New("no vector for " + t)
			}
			out[i] = v
		}
		return out, dspy.Usage{Calls: 1, PromptTokens: len(texts)}, nil
	}
}

func TestEmbeddingsReturnTheKNearestByCosine(t *testing.T) {
	emb := tableEmbedder(map[string][]float32{
		"east": {1, 0}, "north": {0, 1}, "north-east": {1, 1}, "west": {-1, 0}, "far east": {10, 0.5},
		"q": {2, 0.2},
	})
	ctx, tracker := dspy.TrackUsage(context.Background())
	idx, err := dspy.NewEmbeddings(ctx, []string{"east", "north", "north-east", "west", "far east"}, emb, 3)
	require.NoError(t, err)

	got, err := idx.Search(ctx, "q")

	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, []int{4, 0, 2}, []int{got[0].Index, got[1].Index, got[2].Index})
	assert.Equal(t, "far east", got[0].Text)
	assert.InDelta(t, 0.9988, got[0].Score, 1e-3)
	assert.InDelta(t, 0.7736, got[2].Score, 1e-3)
	assert.Equal(t, dspy.Usage{Calls: 2, PromptTokens: 6}, tracker.Usage(), "the corpus and the query")
}

func TestEmbeddingsBreakTiesByCorpusPosition(t *testing.T) {
	emb := tableEmbedder(map[string][]float32{"b": {0, 1}, "a": {1, 0}, "a again": {2, 0}, "zero": {0, 0}, "q": {1, 0}})
	idx, err := dspy.NewEmbeddings(context.Background(), []string{"b", "zero", "a again", "a"}, emb, 10)
	require.NoError(t, err)

	for range 3 {
		got, err := idx.Search(context.Background(), "q")
		require.NoError(t, err)
		require.Len(t, got, 4, "k above the corpus size returns the whole corpus")
		assert.Equal(t, []int{2, 3, 0, 1}, []int{got[0].Index, got[1].Index, got[2].Index, got[3].Index})
		assert.Equal(t, got[0].Score, got[1].Score)
	}
}

func TestEmbeddingsSearchBatchMatchesSearch(t *testing.T) {
	emb := tableEmbedder(map[string][]float32{"x": {1, 0}, "y": {0, 1}, "qx": {1, 0.1}, "qy": {0.1, 1}})
	idx, err := dspy.NewEmbeddings(context.Background(), []string{"x", "y"}, emb, 0)
	require.NoError(t, err)
	assert.Equal(t, dspy.DefaultRetrieveK, idx.K())
	assert.Equal(t, 2, idx.Len())

	both, err := idx.SearchBatch(context.Background(), []string{"qx", "qy"})
	require.NoError(t, err)
	one, err := idx.Search(context.Background(), "qy")
	require.NoError(t, err)

	assert.Equal(t, one, both[1])
	assert.Equal(t, "x", both[0][0].Text)
	assert.Equal(t, "y", both[1][0].Text)
}

func TestEmbeddingsReportBadVectors(t *testing.T) {
	ctx := context.Background()
	_, err := dspy.NewEmbeddings(ctx, []string{"nan"}, tableEmbedder(map[string][]float32{"nan": {float32(math.NaN())}}), 1)
	assert.ErrorContains(t, err, "corpus text 0")

	_, err = dspy.NewEmbeddings(ctx, []string{"a", "b"}, tableEmbedder(map[string][]float32{"a": {1}, "b": {1, 2}}), 1)
	assert.ErrorContains(t, err, "vectors of 1 and 2 dimensions")

	_, err = dspy.NewEmbeddings(ctx, []string{"missing"}, tableEmbedder(nil), 1)
	assert.ErrorContains(t, err, "no vector for missing")

	idx, err := dspy.NewEmbeddings(ctx, []string{"a"}, tableEmbedder(map[string][]float32{"a": {1, 0}}), 1)
	require.NoError(t, err)
	_, err = idx.SearchVector([]float32{1, 0, 0})
	assert.ErrorContains(t, err, "3 dimensions, the corpus 2")

	_, err = dspy.NewEmbeddings(ctx, nil, nil, 1)
	assert.Error(t, err)
}

func TestEmbeddingsOfAnEmptyCorpusFindNothing(t *testing.T) {
	idx, err := dspy.NewEmbeddings(context.Background(), nil, tableEmbedder(map[string][]float32{"q": {1}}), 3)
	require.NoError(t, err)
	got, err := idx.Search(context.Background(), "q")
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestCosineSimilarity(t *testing.T) {
	assert.InDelta(t, 1, dspy.CosineSimilarity([]float32{1, 2}, []float32{2, 4}), 1e-12)
	assert.InDelta(t, -1, dspy.CosineSimilarity([]float32{1, 0}, []float32{-3, 0}), 1e-12)
	assert.Zero(t, dspy.CosineSimilarity([]float32{0, 0}, []float32{1, 0}))
	assert.Panics(t, func() { dspy.CosineSimilarity([]float32{1}, []float32{1, 2}) })
}
