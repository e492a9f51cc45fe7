package workflows

import (
	"context"

	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

var _ dspy.Embedder = (*runBridge)(nil)

// Embed makes an embedding an activity on the worker's embedder, for
// programs that embed their inputs (a compiled KNNFewShot program).
func (b *runBridge) Embed(_ context.Context, texts []string) ([][]float32, dspy.Usage, error) {
	var out activities.EmbedOutput
	call := optimize.EmbedCall{Texts: texts, Label: "embed the inputs"}
	err := workflow.ExecuteActivity(b.options(call.Label), activities.EmbedName, activities.EmbedInput{Call: call}).Get(b.ctx, &out)
	if err != nil {
		return nil, activities.UsageOfError(err), err
	}
	return out.Vectors, out.Usage, nil
}
