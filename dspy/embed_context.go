package dspy

import "context"

// embedderKey is the context key of WithEmbedder; its own type keeps it
// apart from the settings in context.go.
type embedderKey struct{}

// WithEmbedder returns a context whose programs that embed their inputs (a
// compiled KNNFewShot program, say) use e unless they have their own, as
// WithLM does for predictors.
func WithEmbedder(ctx context.Context, e Embedder) context.Context {
	return context.WithValue(ctx, embedderKey{}, e)
}

// EmbedderFromContext returns the embedder set with WithEmbedder, or nil.
func EmbedderFromContext(ctx context.Context) Embedder {
	e, _ := ctx.Value(embedderKey{}).(Embedder)
	return e
}
