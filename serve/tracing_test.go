package serve

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// A program request is a server span continuing the caller's trace, with
// the program's module and LM spans under it. The test installs a global
// provider, as a binary does, and a no-op one when it ends.
func TestTracingSpanPerRequest(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	prevProp := otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		otel.SetTextMapPropagator(prevProp)
		_ = tp.Shutdown(context.Background())
	})

	_, srv := startHandler(t, Options{Programs: []Program{{Name: "qa", LM: replyLM(nil), Source: SpecSource{Spec: qaSpec()}}}})
	caller, callerSpan := tp.Tracer("test").Start(context.Background(), "client")
	header := http.Header{}
	otel.GetTextMapPropagator().Inject(caller, propagation.HeaderCarrier(header))
	res := post(t, srv.URL+"/v1/programs/qa", `{"question": "2+2?"}`, "traceparent", header.Get("traceparent"))
	require.Equal(t, http.StatusOK, res.status)
	callerSpan.End()

	var request, predict, chat *tracetest.SpanStub
	spans := exp.GetSpans()
	for i := range spans {
		s := &spans[i]
		if s.SpanContext.TraceID() != callerSpan.SpanContext().TraceID() {
			continue
		}
		switch {
		case s.Name == "POST /v1/programs/{name}":
			request = s
		case strings.HasPrefix(s.Name, "Predict("):
			predict = s
		case strings.HasPrefix(s.Name, "chat "):
			chat = s
		}
	}
	require.NotNil(t, request, "a request span in the caller's trace")
	require.NotNil(t, predict)
	require.NotNil(t, chat)
	assert.Equal(t, callerSpan.SpanContext().SpanID(), request.Parent.SpanID())
	assert.Equal(t, trace.SpanKindServer, request.SpanKind)
	assert.Equal(t, request.SpanContext.SpanID(), predict.Parent.SpanID())
	assert.Equal(t, predict.SpanContext.SpanID(), chat.Parent.SpanID())
	got := map[string]string{}
	for _, kv := range request.Attributes {
		got[string(kv.Key)] = kv.Value.Emit()
	}
	assert.Equal(t, "200", got["http.response.status_code"])
	assert.Equal(t, "qa", got["dspy.program"])
	assert.Equal(t, res.header.Get("X-Request-ID"), got["dspy.request_id"])
	assert.Equal(t, "1", got["dspy.lm.calls"])
}
