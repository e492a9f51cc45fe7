package lm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// DefaultEmbedBatchSize is how many texts one embeddings request carries at
// most when EmbedderOptions.BatchSize is zero; DSPy's Embedder sends as many.
const DefaultEmbedBatchSize = 200

// EmbedderOptions configures an Embedder. Every field but Model may be left
// zero; the shared fields mean and default to what they do in Options.
type EmbedderOptions struct {
	// Model is the embedding model, e.g. "text-embedding-3-small". Required.
	Model string

	// BaseURL and APIKey default to $OPENAI_BASE_URL and $OPENAI_API_KEY,
	// as in Options.
	BaseURL string
	APIKey  string

	// Dimensions asks models that can shorten their vectors (OpenAI's
	// text-embedding-3 family) for this many; zero leaves the model's own.
	Dimensions int

	// BatchSize caps the texts sent in one request; zero means
	// DefaultEmbedBatchSize. Providers cap it too (OpenAI at 2048 inputs).
	BatchSize int

	// Timeout, MaxRetries, InitialBackoff, MaxBackoff, MaxConcurrency,
	// RequestsPerSecond and Burst bound and retry each request as for a
	// Client; see Options.
	Timeout           time.Duration
	MaxRetries        int
	InitialBackoff    time.Duration
	MaxBackoff        time.Duration
	MaxConcurrency    int
	RequestsPerSecond float64
	Burst             int

	// Cache stores each text's vector, so that a text embedded once is never
	// sent again; nil disables it. Any Cache serves: a vector is stored as a
	// dspy.LMResponse (see Embedder.CacheKey).
	Cache Cache

	// Prices adds to, or overrides entries of, the built-in price table.
	Prices map[string]Price

	// HTTPClient sends the requests; nil means a pooled client, as in Options.
	HTTPClient *http.Client
}

// Embedder is a dspy.Embedder for the embeddings API of any OpenAI-compatible
// server, sent through openai-go. It splits many texts into requests of at
// most BatchSize, sends only the texts its cache lacks (each distinct text
// once), retries as Client does, honouring Retry-After, and counts tokens
// and cost. It is safe for concurrent use; share one per endpoint.
type Embedder struct {
	c     *Client // sends, retries, limits and classifies failures
	dims  int
	batch int

	mu    sync.Mutex
	usage dspy.Usage
}

var _ dspy.Embedder = (*Embedder)(nil)

// NewEmbedder returns an embedder for opts, with the defaults and checks of
// New. It does not contact the server.
func NewEmbedder(opts EmbedderOptions) (*Embedder, error) {
	switch {
	case opts.Model == "":
		return nil, errors.New("lm: EmbedderOptions.Model is required")
	case opts.Dimensions < 0:
		return nil, fmt.Errorf("lm: EmbedderOptions.Dimensions is %d; want 0 (the model's) or more", opts.Dimensions)
	case opts.BatchSize < 0:
		return nil, fmt.Errorf("lm: EmbedderOptions.BatchSize is %d; want 0 (the default) or more", opts.BatchSize)
	}
	c, err := New(Options{
		Model:             opts.Model,
		BaseURL:           opts.BaseURL,
		APIKey:            opts.APIKey,
		Timeout:           opts.Timeout,
		MaxRetries:        opts.MaxRetries,
		InitialBackoff:    opts.InitialBackoff,
		MaxBackoff:        opts.MaxBackoff,
		MaxConcurrency:    opts.MaxConcurrency,
		RequestsPerSecond: opts.RequestsPerSecond,
		Burst:             opts.Burst,
		Cache:             opts.Cache,
		Prices:            opts.Prices,
		HTTPClient:        opts.HTTPClient,
	})
	if err != nil {
		return nil, err
	}
	batch := opts.BatchSize
	if batch == 0 {
		batch = DefaultEmbedBatchSize
	}
	return &Embedder{c: c, dims: opts.Dimensions, batch: batch}, nil
}

// ModelName is the embedding model.
func (e *Embedder) ModelName() string { return e.c.model }

// Usage returns the totals over every Embed call so far, failed ones
// included, counted as Embed's usage is.
func (e *Embedder) Usage() dspy.Usage {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.usage
}

// Embed returns one vector per text, in order.
//
// Texts found in the cache are not sent; the rest, each distinct text once,
// go in requests of at most BatchSize texts, one after another. The usage
// counts, as dspy.Usage describes, every request the server answered
// (retried attempts included) with its prompt tokens and cost, plus one call
// and one cache hit per text served from the cache, with the tokens it cost
// when it was embedded and no cost. A server reports tokens per request, so
// a cached text is credited with its request's tokens shared out in
// proportion to the texts' lengths.
//
// On failure the vectors of requests that succeeded are already cached, so
// calling again sends only what is left. Failures are *dspy.LMError, except
// that a canceled ctx yields an error wrapping context.Canceled.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, dspy.Usage, error) {
	vecs := make([][]float32, len(texts))
	var u dspy.Usage
	var keys []string
	if e.c.cache != nil {
		keys = make([]string, len(texts))
	}
	// Each distinct missing text is sent once, and its vector given to every
	// position it holds.
	var pending []string
	where := make(map[string][]int)
	for i, t := range texts {
		if keys != nil {
			keys[i] = e.CacheKey(t)
			if v, tokens, ok := e.cached(keys[i]); ok {
				vecs[i] = v
				u = u.Add(dspy.Usage{PromptTokens: tokens, Calls: 1, CacheHits: 1})
				continue
			}
		}
		if _, seen := where[t]; !seen {
			pending = append(pending, t)
		}
		where[t] = append(where[t], i)
	}

	for start := 0; start < len(pending); start += e.batch {
		batch := pending[start:min(start+e.batch, len(pending))]
		got, bu, err := e.send(ctx, batch)
		u = u.Add(bu)
		if err != nil {
			e.addUsage(u)
			return nil, u, err
		}
		shares := shareTokens(bu.PromptTokens, batch)
		for j, t := range batch {
			for _, i := range where[t] {
				vecs[i] = got[j]
			}
			if keys != nil {
				e.c.cache.Put(keys[where[t][0]], dspy.LMResponse{
					Outputs: []string{encodeVector(got[j])},
					Model:   e.c.model,
					Usage:   dspy.Usage{PromptTokens: shares[j]},
				})
			}
		}
	}
	e.addUsage(u)
	return vecs, u, nil
}

// send embeds one batch, retrying as the client does. The usage counts the
// attempts the server answered and, on success, the reply's tokens and cost.
func (e *Embedder) send(ctx context.Context, batch []string) ([][]float32, dspy.Usage, error) {
	model := e.c.model
	params := openai.EmbeddingNewParams{
		Model:          model,
		Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: batch},
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatFloat,
	}
	if e.dims > 0 {
		params.Dimensions = openai.Int(int64(e.dims))
	}
	var resp *openai.CreateEmbeddingResponse
	var vecs [][]float32
	n, err := e.c.retry(ctx, model, func() *dspy.LMError {
		var lmErr *dspy.LMError
		resp, vecs, lmErr = e.attempt(ctx, params, len(batch))
		return lmErr
	})
	u := dspy.Usage{Calls: n.answered}
	if err != nil {
		return nil, u, err
	}
	u.PromptTokens = int(resp.Usage.PromptTokens)
	if p, ok := e.c.price(resp.Model, model); ok {
		u.Cost = p.Cost(u.PromptTokens, 0)
	}
	return vecs, u, nil
}

// attempt sends one embeddings request and checks that the reply holds one
// vector per input, all of one length.
func (e *Embedder) attempt(ctx context.Context, params openai.EmbeddingNewParams, n int) (*openai.CreateEmbeddingResponse, [][]float32, *dspy.LMError) {
	c := e.c
	attemptCtx, done, lmErr := c.startAttempt(ctx, params.Model)
	if lmErr != nil {
		return nil, nil, lmErr
	}
	defer done()
	resp, err := c.oa.Embeddings.New(attemptCtx, params)
	if err != nil {
		return nil, nil, c.classify(err, params.Model, ctx, attemptCtx)
	}
	vecs, err := orderVectors(resp.Data, n)
	if err != nil {
		// The server did answer (and may bill it), so the error keeps the status.
		lmErr := c.lmError(dspy.ErrKindServer, params.Model, err)
		lmErr.StatusCode = http.StatusOK
		return nil, nil, lmErr
	}
	return resp, vecs, nil
}

// orderVectors places each returned vector at its input's index: the API
// gives each an index, and nothing promises they arrive in order.
func orderVectors(data []openai.Embedding, n int) ([][]float32, error) {
	if len(data) != n {
		return nil, fmt.Errorf("the server returned %d embeddings for %d inputs", len(data), n)
	}
	vecs := make([][]float32, n)
	for _, d := range data {
		i := int(d.Index)
		if i < 0 || i >= n || vecs[i] != nil {
			return nil, fmt.Errorf("the server returned an embedding with index %d, out of range or repeated, for %d inputs", d.Index, n)
		}
		if len(d.Embedding) == 0 {
			return nil, fmt.Errorf("the server returned an empty embedding for input %d", i)
		}
		v := make([]float32, len(d.Embedding))
		for j, x := range d.Embedding {
			v[j] = float32(x)
		}
		vecs[i] = v
	}
	for i, v := range vecs {
		if len(v) != len(vecs[0]) {
			return nil, fmt.Errorf("the server returned embeddings of %d and %d dimensions (inputs 0 and %d)", len(vecs[0]), len(v), i)
		}
	}
	return vecs, nil
}

// cached returns the vector and tokens stored under key, treating an entry
// that does not decode as a miss.
func (e *Embedder) cached(key string) ([]float32, int, bool) {
	resp, ok := e.c.cache.Get(key)
	if !ok || len(resp.Outputs) != 1 {
		return nil, 0, false
	}
	v, err := decodeVector(resp.Outputs[0])
	if err != nil || len(v) == 0 || (e.dims > 0 && len(v) != e.dims) {
		return nil, 0, false
	}
	return v, resp.Usage.PromptTokens, true
}

func (e *Embedder) addUsage(u dspy.Usage) {
	e.mu.Lock()
	e.usage = e.usage.Add(u)
	e.mu.Unlock()
}

// shareTokens splits a request's token count over its texts in proportion
// to their lengths (one byte at least each), the shares summing to total.
func shareTokens(total int, texts []string) []int {
	shares := make([]int, len(texts))
	weight := 0
	for _, t := range texts {
		weight += max(1, len(t))
	}
	given, acc := 0, 0
	for i, t := range texts {
		acc += max(1, len(t))
		// Cumulative rounding keeps the sum exact without a remainder pass.
		upTo := total * acc / weight
		shares[i] = upTo - given
		given = upTo
	}
	return shares
}

// String names the embedder by model and endpoint, never showing the key.
func (e *Embedder) String() string {
	return "lm.Embedder{model: " + e.c.model + ", base: " + e.c.baseURL + "}"
}

// GoString is String, for the %#v verb.
func (e *Embedder) GoString() string { return e.String() }
