package optimize

import (
	"context"
	"errors"
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// EmbedCall is one call of the embedder: texts to turn into vectors.
type EmbedCall struct {
	Texts []string `json:"texts"`
	// Label says what the call is for, for progress reports.
	Label string `json:"label,omitempty"`
}

// EmbeddingEngine is an Engine that can also embed texts, for optimizers
// that index their data by meaning (KNNFewShot). It is a capability beside
// Engine rather than part of it, so engines without an embedder stay valid
// and an optimizer that needs one says so clearly. Embed returns one vector
// per text, in order, and counts the call's usage in the engine's spending.
type EmbeddingEngine interface {
	Engine
	Embed(ctx context.Context, call EmbedCall) ([][]float32, error)
}

// errNoEmbedder is the error of an embedding asked of an engine without an
// embedder.
var errNoEmbedder = errors.New("no embedder configured: give the engine an embedding model")

// Embed embeds the call's texts with LocalOptions.Embedder.
func (e *LocalEngine) Embed(ctx context.Context, call EmbedCall) ([][]float32, error) {
	if e.opts.Embedder == nil {
		return nil, fmt.Errorf("embed %s: %w", call.Label, errNoEmbedder)
	}
	if cap := e.overBudget(); cap != "" {
		return nil, fmt.Errorf("embed %s: %w", call.Label, BudgetStop(cap))
	}
	vecs, u, err := dspy.CallEmbedder(ctx, e.opts.Embedder, call.Texts)
	e.spend(u)
	if err != nil {
		return nil, fmt.Errorf("embed %s: %w", call.Label, err)
	}
	return vecs, nil
}
