package lm

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/durable-dspy/durable-dspy/dspy"
)

var _ dspy.LMServer = (*Client)(nil)

// Provider is "openai": the client speaks OpenAI's API, whichever server
// answers it. LM spans carry the server's address beside it, which tells
// a vLLM or Ollama endpoint from OpenAI's own, as OpenTelemetry's GenAI
// conventions advise for OpenAI-compatible servers.
func (c *Client) Provider() string { return "openai" }

// ServerURL is the base URL calls go to, without any user:password.
func (c *Client) ServerURL() string { return c.baseURL }

// traceRetry notes a failed attempt that is about to be retried as an event
// on the call's span (see dspy.CallLM), so a trace shows why a call took
// long: which attempts failed, how, and how long the client waited.
func traceRetry(ctx context.Context, attempt int, failure *dspy.LMError, wait time.Duration) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	attrs := []attribute.KeyValue{
		attribute.Int("dspy.lm.attempt", attempt),
		attribute.String("error.type", string(failure.Kind)),
		attribute.Float64("dspy.lm.retry_wait_s", wait.Seconds()),
	}
	if failure.StatusCode != 0 {
		attrs = append(attrs, attribute.Int("http.response.status_code", failure.StatusCode))
	}
	span.AddEvent("retry", trace.WithAttributes(attrs...))
}

var _ dspy.LMServer = (*Embedder)(nil)

// Provider is "openai", as for Client: embeddings spans carry it with the
// server's address.
func (e *Embedder) Provider() string { return e.c.Provider() }

// ServerURL is the base URL requests go to, without any user:password.
func (e *Embedder) ServerURL() string { return e.c.ServerURL() }
