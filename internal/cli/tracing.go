package cli

import (
	"context"

	"github.com/durable-dspy/durable-dspy/worker/tracing"
)

// startTracing sets up OpenTelemetry from the OTEL_* variables for the
// command about to run (see package worker/tracing): off unless they ask.
// Spans printed by the console exporter go to stderr, so results on stdout
// stay parseable. The returned function flushes what is left; a bad
// setting is bad usage.
func (a *app) startTracing(ctx context.Context) (func(), error) {
	t, err := tracing.Setup(ctx, tracing.Options{ServiceName: "durable-dspy-starter", Console: a.stderr})
	if err != nil {
		return nil, asUsage(err)
	}
	return func() { t.Close(a.opts.Logger) }, nil
}
