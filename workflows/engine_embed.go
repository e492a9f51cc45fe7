package workflows

import (
	"context"

	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

var _ optimize.EmbeddingEngine = (*temporalEngine)(nil)

// Embed runs one embedder call as an activity on the worker's embedder, so
// the vectors are recorded in history and a replay never embeds again. The
// embedder retries its own requests; Temporal retries the activity as it
// does a prompt call.
func (e *temporalEngine) Embed(_ context.Context, call optimize.EmbedCall) ([][]float32, error) {
	if reason := e.refuseWork(); reason != "" {
		return nil, e.budgetStop(reason)
	}
	opts := workflow.ActivityOptions{
		StartToCloseTimeout: e.exec.ActivityTimeout,
		HeartbeatTimeout:    e.exec.HeartbeatTimeout,
		Summary:             labelOr(call.Label, "embed"),
	}
	var out activities.EmbedOutput
	if err := e.singleCall(opts, activities.EmbedName, activities.EmbedInput{Call: call}, &out); err != nil {
		e.ctl.spend(activities.UsageOfError(err))
		return nil, err
	}
	e.ctl.spend(out.Usage)
	return out.Vectors, nil
}
