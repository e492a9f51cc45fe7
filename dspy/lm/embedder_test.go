package lm

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// newSimEmbedder returns an embedder for a started simulated LM, with a
// recording sleeper; edit adjusts the options first.
func newSimEmbedder(t *testing.T, cfg simlm.Config, edit func(*EmbedderOptions)) (*Embedder, *simlm.Server, *sleepRecorder) {
	t.Helper()
	srv := simlm.New(cfg)
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Close() })
	opts := EmbedderOptions{Model: "text-embedding-3-small", BaseURL: srv.URL(), APIKey: testAPIKey}
	if edit != nil {
		edit(&opts)
	}
	e, err := NewEmbedder(opts)
	require.NoError(t, err)
	rec := &sleepRecorder{}
	e.c.sleep = rec.sleep
	e.c.jitter = func(time.Duration) time.Duration { return 0 }
	return e, srv, rec
}

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "question number " + strings.Repeat("x", i+1)
	}
	return out
}

func TestEmbedSplitsTextsIntoBatches(t *testing.T) {
	e, srv, _ := newSimEmbedder(t, simlm.Config{}, func(o *EmbedderOptions) { o.BatchSize = 2; o.Dimensions = 16 })

	vecs, u, err := e.Embed(context.Background(), texts(5))

	require.NoError(t, err)
	require.Len(t, vecs, 5)
	for _, v := range vecs {
		assert.Len(t, v, 16)
	}
	st := srv.Stats()
	assert.Equal(t, int64(3), st.Embeddings, "5 texts in batches of 2")
	assert.Equal(t, int64(5), st.EmbeddedInputs)
	assert.Equal(t, 3, u.Calls)
	assert.Zero(t, u.CacheHits)
}

func TestEmbedKeepsOrderAndSendsRepeatedTextsOnce(t *testing.T) {
	e, srv, _ := newSimEmbedder(t, simlm.Config{}, nil)

	vecs, _, err := e.Embed(context.Background(), []string{"alpha", "beta", "alpha"})
	require.NoError(t, err)
	single, _, err := e.Embed(context.Background(), []string{"beta"})
	require.NoError(t, err)

	assert.Equal(t, vecs[0], vecs[2])
	assert.NotEqual(t, vecs[0], vecs[1])
	assert.Equal(t, single[0], vecs[1], "a text's vector does not depend on its batch")
	assert.Equal(t, int64(3), srv.Stats().EmbeddedInputs, "alpha and beta, then beta again (no cache)")
}

func TestEmbedCacheHitsAvoidRequests(t *testing.T) {
	cache := NewMemoryCache(0)
	e, srv, _ := newSimEmbedder(t, simlm.Config{}, func(o *EmbedderOptions) { o.Cache = cache; o.BatchSize = 10 })
	ctx := context.Background()

	first, u1, err := e.Embed(ctx, []string{"one", "two"})
	require.NoError(t, err)
	again, u2, err := e.Embed(ctx, []string{"two", "three", "one"})
	require.NoError(t, err)

	assert.Equal(t, first[1], again[0])
	assert.Equal(t, first[0], again[2])
	st := srv.Stats()
	assert.Equal(t, int64(2), st.Embeddings)
	assert.Equal(t, int64(3), st.EmbeddedInputs, "only three was sent the second time")
	assert.Equal(t, 1, u1.Calls)
	assert.Zero(t, u1.CacheHits)
	assert.Positive(t, u1.Cost, "text-embedding-3-small has a list price")
	assert.Equal(t, 3, u2.Calls, "two cache hits and one request")
	assert.Equal(t, 2, u2.CacheHits)
	assert.Equal(t, 3, cache.Len())

	_, u3, err := e.Embed(ctx, []string{"one", "two"})
	require.NoError(t, err)
	assert.Equal(t, dspy.Usage{PromptTokens: u1.PromptTokens, Calls: 2, CacheHits: 2}, u3,
		"hits report the tokens the texts cost, and no money")
	assert.Equal(t, int64(2), srv.Stats().Embeddings)
}

func TestEmbedRetriesRateLimitsAfterTheAdvertisedDelay(t *testing.T) {
	e, srv, sleeps := newSimEmbedder(t, simlm.Config{Faults: simlm.Faults{
		RateLimit: 1, MaxConsecutive: 2, RetryAfter: 1500 * time.Millisecond,
	}}, func(o *EmbedderOptions) { o.MaxRetries = 3 })

	vecs, u, err := e.Embed(context.Background(), []string{"a question"})

	require.NoError(t, err)
	require.Len(t, vecs, 1)
	assert.Equal(t, []time.Duration{1500 * time.Millisecond, 1500 * time.Millisecond}, sleeps.recorded())
	st := srv.Stats()
	assert.Equal(t, int64(2), st.RateLimited)
	assert.Equal(t, int64(3), st.Embeddings)
	assert.Equal(t, 3, u.Calls, "the two 429s were answered by the server")
}

func TestEmbedFailsWhenRetriesRunOut(t *testing.T) {
	e, _, _ := newSimEmbedder(t, simlm.Config{Faults: simlm.Faults{RateLimit: 1, MaxConsecutive: 5}},
		func(o *EmbedderOptions) { o.MaxRetries = 1 })

	_, u, err := e.Embed(context.Background(), []string{"q"})

	lmErr := requireLMError(t, err, dspy.ErrKindRateLimit)
	assert.Equal(t, http.StatusTooManyRequests, lmErr.StatusCode)
	assert.Equal(t, dspy.Usage{Calls: 2}, u)
	assert.Equal(t, u, e.Usage())
}

func TestEmbedCountsTokensAndCost(t *testing.T) {
	e, _, _ := newSimEmbedder(t, simlm.Config{}, func(o *EmbedderOptions) {
		o.BatchSize = 1
		o.Prices = map[string]Price{"text-embedding-3-small": {PromptPerMillion: 1e6}}
	})
	ctx := context.Background()

	_, u, err := e.Embed(ctx, []string{"abcd", "abcdefgh"}) // 1 and 2 tokens at four bytes a token
	require.NoError(t, err)
	_, u2, err := e.Embed(ctx, []string{"abcd"})
	require.NoError(t, err)

	assert.Equal(t, dspy.Usage{PromptTokens: 3, Cost: 3, Calls: 2}, u)
	assert.Equal(t, dspy.Usage{PromptTokens: 1, Cost: 1, Calls: 1}, u2)
	assert.Equal(t, u.Add(u2), e.Usage())
}

func TestEmbedderUsageReachesTrackers(t *testing.T) {
	e, _, _ := newSimEmbedder(t, simlm.Config{}, nil)
	ctx, tracker := dspy.TrackUsage(context.Background())

	_, u, err := dspy.CallEmbedder(ctx, e, []string{"x", "y"})

	require.NoError(t, err)
	assert.Equal(t, u, tracker.Usage())
	assert.Equal(t, 1, u.Calls)
}

func TestEmbedOfNoTextsSendsNothing(t *testing.T) {
	e, srv, _ := newSimEmbedder(t, simlm.Config{}, nil)
	vecs, u, err := e.Embed(context.Background(), nil)
	require.NoError(t, err)
	assert.Empty(t, vecs)
	assert.Zero(t, u)
	assert.Zero(t, srv.Stats().Requests)
}

func TestEmbedRejectsRepliesThatDoNotMatchTheInputs(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"object":"list","model":"m","data":[{"object":"embedding","index":0,"embedding":[1,0]}],"usage":{"prompt_tokens":2,"total_tokens":2}}`))
	})
	e, err := NewEmbedder(EmbedderOptions{Model: "m", BaseURL: srv.baseURL(), APIKey: testAPIKey})
	require.NoError(t, err)

	_, u, err := e.Embed(context.Background(), []string{"a", "b"})

	lmErr := requireLMError(t, err, dspy.ErrKindServer)
	assert.Contains(t, lmErr.Error(), "1 embeddings for 2 inputs")
	assert.Equal(t, 1, u.Calls)
}

func TestNewEmbedderChecksOptions(t *testing.T) {
	for name, opts := range map[string]EmbedderOptions{
		"no model":            {BaseURL: "http://localhost/v1"},
		"negative dimensions": {Model: "m", BaseURL: "http://localhost/v1", Dimensions: -1},
		"negative batch":      {Model: "m", BaseURL: "http://localhost/v1", BatchSize: -1},
		"bad base URL":        {Model: "m", BaseURL: "localhost"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewEmbedder(opts)
			assert.Error(t, err)
		})
	}
}

func TestEmbedderNeverShowsTheKey(t *testing.T) {
	e, err := NewEmbedder(EmbedderOptions{Model: "m", BaseURL: "http://localhost/v1", APIKey: testAPIKey})
	require.NoError(t, err)
	for _, s := range []string{e.String(), e.GoString()} {
		assert.NotContains(t, s, testAPIKey)
	}
}

func TestShareTokensSumsToTheTotal(t *testing.T) {
	assert.Equal(t, []int{1, 2}, shareTokens(3, []string{"abcd", "abcdefgh"}))
	assert.Equal(t, []int{0, 1, 1}, shareTokens(2, []string{"", "", ""}))
	assert.Equal(t, []int{0}, shareTokens(0, []string{"x"}))
}

func TestSimilarQuestionsRankNearerThanUnrelatedOnes(t *testing.T) {
	e, _, _ := newSimEmbedder(t, simlm.Config{Seed: 11}, nil)
	corpus := []string{
		"How many legs does a spider have?",
		"What is the boiling point of water?",
		"Who wrote the play Hamlet?",
		"What is the capital city of France?",
		"How far is the Moon from the Earth?",
	}
	ctx := context.Background()
	idx, err := dspy.NewEmbeddings(ctx, corpus, e, 2)
	require.NoError(t, err)

	for q, want := range map[string]int{
		"What's the capital of France?":            3,
		"Spiders: how many legs do they have?":     0,
		"At what temperature does water boil?":     1,
		"Which author wrote Hamlet?":               2,
		"What is the distance from Earth to Moon?": 4,
	} {
		got, err := idx.Search(ctx, q)
		require.NoError(t, err)
		assert.Equal(t, want, got[0].Index, "%q found %q", q, got[0].Text)
		assert.Greater(t, got[0].Score, got[1].Score)
	}
}
