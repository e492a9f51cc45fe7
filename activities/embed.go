package activities

import (
	"context"
	"errors"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// EmbedName is the embedding activity's name.
const EmbedName = "dspy.Embed"

// EmbedInput is one embedder call an optimizer asks for.
type EmbedInput struct {
	Call optimize.EmbedCall `json:"call"`
}

// EmbedOutput is the call's vectors, one per text in order, and its cost.
type EmbedOutput struct {
	Vectors [][]float32 `json:"vectors"`
	Usage   dspy.Usage  `json:"usage"`
}

// Embed embeds texts with the worker's embedder (Config.Embedder). The
// vectors land in workflow history, so an optimizer replays them instead of
// embedding again.
func (a *Activities) Embed(ctx context.Context, in EmbedInput) (EmbedOutput, error) {
	if a.cfg.Embedder == nil {
		return EmbedOutput{}, configError(errors.New("this worker has no embedder: start it with an embedding model (--embed-model)"))
	}
	stop := keepAlive(ctx)
	defer stop()
	vecs, u, err := dspy.CallEmbedder(ctx, a.cfg.Embedder, in.Call.Texts)
	if err != nil {
		return EmbedOutput{}, lmActivityError(err, u)
	}
	return EmbedOutput{Vectors: vecs, Usage: u}, nil
}
