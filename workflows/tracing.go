package workflows

import (
	"context"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// Tracing in workflows is left to Temporal's OpenTelemetry interceptor,
// which knows when a workflow replays. Workflow code makes no spans of its
// own but the trials' (see traceTrials), and those only when not replaying.

// withoutSpans turns dspy's spans off for a program running in workflow
// code: they would repeat on every replay. Its LM and tool calls are
// activities, traced by the interceptor, and the LM call inside each one
// is traced by dspy under the activity's span.
func withoutSpans(ctx context.Context) context.Context {
	return dspy.WithTracing(ctx, dspy.TracingOptions{TracerProvider: noop.NewTracerProvider()})
}

// newTrialSpans starts the run's trial spans; the trials a continued run
// carries were recorded by the run before it.
func newTrialSpans(ctx workflow.Context, carried int) *optimize.TrialSpans {
	return optimize.NewTrialSpans(carried, workflow.Now(ctx))
}

// traceTrials records a span per new trial of a checkpoint under the
// workflow's span (set by Temporal's OpenTelemetry interceptor, when the
// worker has it). Replayed checkpoints only count their trials, so each
// trial is recorded once, by the worker that first ran it.
func (e *temporalEngine) traceTrials(p optimize.Progress) {
	if e.trials == nil {
		return // an evaluation has no trials
	}
	ctx := context.Background()
	var tracer trace.Tracer
	if !workflow.IsReplaying(e.ctx) {
		span, _ := opentelemetry.SpanFromWorkflowContext(e.ctx)
		ctx = trace.ContextWithSpan(ctx, span)
		tracer = dspy.Tracer(ctx)
	}
	e.trials.Observe(ctx, tracer, p, workflow.Now(e.ctx))
}
