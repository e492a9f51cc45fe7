package serve

import (
	"errors"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// ErrNoEmbedder is why a program that embeds each request's inputs (a
// compiled knn_fewshot program) fails to load when its Program has no
// Embedder: caught at load, it fails the server's start or a reload, where
// every request would otherwise fail.
var ErrNoEmbedder = errors.New("it is a compiled knn_fewshot program, which embeds each request's inputs, and no embedding model is configured for it: " +
	"give it one (embed_model under the program or its model alias in serve.yaml; --embed-model with starter serve --spec; Program.Embedder in Go)")

// needsEmbedder reports whether m embeds its inputs with the context's
// embedder, having none of its own.
func needsEmbedder(m dspy.Module) bool {
	switch m := m.(type) {
	case *optimize.KNNProgram:
		return m.Embedder == nil
	case *optimize.EnsembleProgram:
		for _, member := range m.Programs {
			if needsEmbedder(member) {
				return true
			}
		}
	}
	return false
}
