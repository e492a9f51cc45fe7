package serve

import (
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// programRoute is the route of program calls, as request spans name it.
const programRoute = "/v1/programs/{name}"

// Attributes of request spans beyond OpenTelemetry's HTTP conventions.
const (
	attrProgram   = attribute.Key("dspy.program")
	attrRequestID = attribute.Key("dspy.request_id")
	attrRunID     = attribute.Key("dspy.run_id")
)

// requestSpan is a program request's server span; the zero value, when
// tracing is off, does nothing.
type requestSpan struct{ s trace.Span }

// startRequestSpan starts the server span of a program request, continuing
// the trace the caller sent (W3C traceparent), and returns the request
// carrying it: the program's module and LM spans, and a durable run's
// workflow, join that trace. With no tracer provider installed it returns
// r as it is.
func startRequestSpan(r *http.Request) (*http.Request, requestSpan) {
	ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	tracer := dspy.Tracer(ctx)
	if tracer == nil {
		return r, requestSpan{}
	}
	ctx, s := tracer.Start(ctx, r.Method+" "+programRoute, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("http.route", programRoute),
			attribute.String("url.path", r.URL.Path),
			attrProgram.String(r.PathValue("name")),
		))
	return r.WithContext(ctx), requestSpan{s}
}

// end records how the request ended, as its log line does: status, error
// code, LM usage, and ends the span. Only server errors (5xx) mark the span
// failed, as the HTTP conventions ask.
func (rs requestSpan) end(c *call, status int) {
	s := rs.s
	if s == nil {
		return
	}
	attrs := []attribute.KeyValue{
		attribute.Int("http.response.status_code", status),
		attrRequestID.String(c.requestID),
		dspy.AttrLMCalls.Int(c.usage.Calls),
		attribute.Int("gen_ai.usage.input_tokens", c.usage.PromptTokens),
		attribute.Int("gen_ai.usage.output_tokens", c.usage.CompletionTokens),
		dspy.AttrLMCost.Float64(c.usage.Cost),
	}
	if c.line.RunID != "" {
		attrs = append(attrs, attrRunID.String(c.line.RunID))
	}
	if c.err != nil {
		attrs = append(attrs, attribute.String("error.type", c.err.code))
	}
	s.SetAttributes(attrs...)
	if status >= 500 {
		msg := strconv.Itoa(status)
		if c.err != nil {
			msg = c.err.message
		}
		s.SetStatus(codes.Error, msg)
	}
	s.End()
}
