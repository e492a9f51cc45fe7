package dspy

import (
	"context"
	"fmt"
)

// Embedder turns texts into vectors, as DSPy's dspy.Embedder does. The
// package lm provides one for any OpenAI-compatible embeddings endpoint.
// Implementations must be safe for concurrent use.
type Embedder interface {
	// Embed returns one vector per text, in the order of texts, and what the
	// call cost. Every vector of one call has the same length. When it fails
	// after requests reached the server, the usage beside the error counts
	// them, as LM.Call does.
	Embed(ctx context.Context, texts []string) ([][]float32, Usage, error)
}

// EmbedderFunc adapts a function to an Embedder: a local model, a fixed
// table in a test, or a wrapper around another Embedder.
type EmbedderFunc func(ctx context.Context, texts []string) ([][]float32, Usage, error)

// Embed calls f.
func (f EmbedderFunc) Embed(ctx context.Context, texts []string) ([][]float32, Usage, error) {
	return f(ctx, texts)
}

// CallEmbedder calls e and counts the call's usage in the context's usage
// trackers (see TrackUsage), failed calls included, as CallLM does for LMs.
// It also checks what every caller would otherwise have to: one vector per
// text, all of one length. The call is traced as an embeddings span (see
// TracingOptions) under the context's span.
func CallEmbedder(ctx context.Context, e Embedder, texts []string) ([][]float32, Usage, error) {
	ctx, span := startEmbedSpan(ctx, e, texts)
	vecs, u, err := e.Embed(ctx, texts)
	if t, ok := ctx.Value(usageKey).(*UsageTracker); ok {
		t.Add(u)
	}
	if err == nil {
		err = checkVectors(vecs, len(texts))
	}
	span.endEmbed(vecs, u, err)
	if err != nil {
		return nil, u, err
	}
	return vecs, u, nil
}

// checkVectors reports an embedder's reply that is not one vector per text,
// all of one length.
func checkVectors(vecs [][]float32, texts int) error {
	if len(vecs) != texts {
		return fmt.Errorf("embedder returned %d vectors for %d texts", len(vecs), texts)
	}
	for i, v := range vecs {
		if len(v) != len(vecs[0]) {
			return fmt.Errorf("embedder returned vectors of %d and %d dimensions (texts 0 and %d)", len(vecs[0]), len(v), i)
		}
	}
	return nil
}
