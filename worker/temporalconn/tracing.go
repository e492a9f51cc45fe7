package temporalconn

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// tracingInterceptors returns Temporal's OpenTelemetry interceptor when the
// process has installed a tracer provider (package worker/tracing does when
// the OTEL_* variables ask), and nothing otherwise, so an untraced client
// is exactly what it was. On a client, the interceptor starts a span for
// each workflow it starts, signals or queries and carries it in the
// request's headers; workers made from the client inherit it, so the
// workflow's and its activities' spans join the starter's trace, and the
// activity's context carries its span down to dspy's LM spans.
func tracingInterceptors() ([]interceptor.ClientInterceptor, error) {
	if dspy.Tracer(context.Background()) == nil {
		return nil, nil
	}
	i, err := opentelemetry.NewTracingInterceptor(opentelemetry.TracerOptions{})
	if err != nil {
		return nil, fmt.Errorf("temporal tracing interceptor: %w", err)
	}
	return []interceptor.ClientInterceptor{i}, nil
}
