package dspy_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// tracedContext returns a context whose spans go to an in-memory exporter,
// without touching OpenTelemetry's global provider.
func tracedContext(t *testing.T, capture bool) (context.Context, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return dspy.WithTracing(context.Background(), dspy.TracingOptions{TracerProvider: tp, CaptureContent: capture}), exp
}

// simClient starts the simulated LM and returns a client for it.
func tracedSimClient(t *testing.T, apiKey string) *lm.Client {
	t.Helper()
	srv := simlm.New(simlm.Config{Seed: 1})
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Close() })
	c, err := lm.New(lm.Options{Model: simlm.DefaultModel, BaseURL: srv.URL(), APIKey: apiKey, MaxRetries: 0, HTTPClient: &http.Client{}})
	require.NoError(t, err)
	return c
}

func spanNamed(t *testing.T, spans tracetest.SpanStubs, prefix string) tracetest.SpanStub {
	t.Helper()
	for _, s := range spans {
		if strings.HasPrefix(s.Name, prefix) {
			return s
		}
	}
	require.Failf(t, "no span", "no span named %q… among %v", prefix, spanNames(spans))
	return tracetest.SpanStub{}
}

func spanNames(spans tracetest.SpanStubs) []string {
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
	}
	return names
}

func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestTracingChainOfThoughtSpanTree(t *testing.T) {
	ctx, exp := tracedContext(t, false)
	client := tracedSimClient(t, "sk-never-in-a-span")
	cot, err := dspy.NewChainOfThought(dspy.MustSignature("question -> answer"))
	require.NoError(t, err)
	ex := testkit.Arithmetic(1, 1)[0]
	inputs, err := ex.Inputs()
	require.NoError(t, err)

	_, err = cot.Call(dspy.WithLM(ctx, client), inputs)
	require.NoError(t, err)

	spans := exp.GetSpans()
	require.Len(t, spans, 3, "ChainOfThought, its Predict and one LM call: %v", spanNames(spans))
	cotSpan := spanNamed(t, spans, "ChainOfThought(")
	predSpan := spanNamed(t, spans, "Predict(")
	lmSpan := spanNamed(t, spans, "chat ")

	assert.Equal(t, "ChainOfThought(question -> reasoning, answer)", cotSpan.Name)
	assert.Equal(t, "Predict(question -> reasoning, answer)", predSpan.Name)
	assert.Equal(t, "chat "+simlm.DefaultModel, lmSpan.Name)
	traceID := cotSpan.SpanContext.TraceID()
	for _, s := range spans {
		assert.Equal(t, traceID, s.SpanContext.TraceID(), s.Name)
	}
	assert.False(t, cotSpan.Parent.IsValid(), "the module called first is the root")
	assert.Equal(t, cotSpan.SpanContext.SpanID(), predSpan.Parent.SpanID())
	assert.Equal(t, predSpan.SpanContext.SpanID(), lmSpan.Parent.SpanID())
	assert.Equal(t, trace.SpanKindClient, lmSpan.SpanKind)

	ca, pa := attrs(cotSpan), attrs(predSpan)
	assert.Equal(t, "ChainOfThought", ca[dspy.AttrModuleKind].AsString())
	assert.Equal(t, []string{"predict"}, ca[dspy.AttrModulePredictors].AsStringSlice())
	assert.Equal(t, "predict", pa[dspy.AttrPredictorName].AsString())
	assert.Equal(t, "question -> reasoning, answer", pa[dspy.AttrSignature].AsString())

	usage := client.Usage()
	require.Positive(t, usage.PromptTokens)
	la := attrs(lmSpan)
	assert.Equal(t, "chat", la["gen_ai.operation.name"].AsString())
	assert.Equal(t, "openai", la["gen_ai.provider.name"].AsString())
	assert.Equal(t, "openai", la["gen_ai.system"].AsString())
	assert.Equal(t, simlm.DefaultModel, la["gen_ai.request.model"].AsString())
	assert.Equal(t, simlm.DefaultModel, la["gen_ai.response.model"].AsString())
	assert.Equal(t, int64(usage.PromptTokens), la["gen_ai.usage.input_tokens"].AsInt64())
	assert.Equal(t, int64(usage.CompletionTokens), la["gen_ai.usage.output_tokens"].AsInt64())
	assert.Equal(t, []string{"stop"}, la["gen_ai.response.finish_reasons"].AsStringSlice())
	assert.Equal(t, "127.0.0.1", la["server.address"].AsString())
	assert.InDelta(t, usage.Cost, la[dspy.AttrLMCost].AsFloat64(), 1e-12)
	assert.False(t, la[dspy.AttrLMCacheHit].AsBool())
	assert.Equal(t, int64(1), la[dspy.AttrLMCalls].AsInt64())
	assert.NotContains(t, la, attribute.Key("gen_ai.input.messages"), "content is opt-in")
	assert.NotContains(t, la, attribute.Key("gen_ai.output.messages"), "content is opt-in")
	for _, s := range spans {
		for _, kv := range s.Attributes {
			assert.NotContains(t, kv.Value.Emit(), "sk-never-in-a-span", "%s %s", s.Name, kv.Key)
		}
	}
}

func TestTracingCapturesContentOnlyWhenAsked(t *testing.T) {
	ctx, exp := tracedContext(t, true)
	model := dspytest.ScriptedLM(dspytest.ChatReply("answer", "Paris"))
	_, err := dspy.NewPredict(dspy.MustSignature("question -> answer")).Call(dspy.WithLM(ctx, model), dspy.NewExample("question", "Capital of France?"))
	require.NoError(t, err)

	la := attrs(spanNamed(t, exp.GetSpans(), "chat "))
	assert.Contains(t, la["gen_ai.input.messages"].AsString(), `"role":"user"`)
	assert.Contains(t, la["gen_ai.input.messages"].AsString(), "Capital of France?")
	assert.JSONEq(t, `[{"role":"assistant","parts":[{"type":"text","content":"[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"}],"finish_reason":"stop"}]`,
		la["gen_ai.output.messages"].AsString())
}

// rag is a user module: its span is named after its type and its
// predictor's span by its path in the program.
type rag struct {
	GenerateAnswer *dspy.ChainOfThought
}

func (r *rag) Call(ctx context.Context, inputs dspy.Example) (dspy.Prediction, error) {
	return r.GenerateAnswer.Call(ctx, inputs)
}

func (r *rag) Predictors() []dspy.NamedPredictor {
	return dspy.PrefixPredictors("generate_answer", r.GenerateAnswer.Predictors())
}

func TestTracingCallProgramNamesPredictorsByPath(t *testing.T) {
	ctx, exp := tracedContext(t, false)
	cot, err := dspy.NewChainOfThought(dspy.MustSignature("question -> answer"))
	require.NoError(t, err)
	model := dspytest.ScriptedLM(dspytest.ChatReply("reasoning", "It is.", "answer", "Paris"))

	_, err = dspy.CallProgram(dspy.WithLM(ctx, model), &rag{GenerateAnswer: cot}, dspy.NewExample("question", "Capital of France?"))
	require.NoError(t, err)

	spans := exp.GetSpans()
	require.Len(t, spans, 4, spanNames(spans))
	root := spanNamed(t, spans, "rag")
	assert.False(t, root.Parent.IsValid())
	assert.Equal(t, []string{"generate_answer.predict"}, attrs(root)[dspy.AttrModulePredictors].AsStringSlice())
	assert.Equal(t, []string{"generate_answer.predict"}, attrs(spanNamed(t, spans, "ChainOfThought("))[dspy.AttrModulePredictors].AsStringSlice())
	assert.Equal(t, "generate_answer.predict", attrs(spanNamed(t, spans, "Predict("))[dspy.AttrPredictorName].AsString())
	assert.Equal(t, "test-model", attrs(spanNamed(t, spans, "chat "))["gen_ai.request.model"].AsString())
}

func TestTracingRecordsLMErrorKind(t *testing.T) {
	ctx, exp := tracedContext(t, false)
	failing := &dspytest.FuncLM{Reply: func(context.Context, dspy.LMRequest) (string, error) {
		return "", &dspy.LMError{Kind: dspy.ErrKindRateLimit, StatusCode: 429, Model: "test-model", Err: errors.New("slow down")}
	}}
	_, err := dspy.NewPredict(dspy.MustSignature("question -> answer")).Call(dspy.WithLM(ctx, failing), dspy.NewExample("question", "Q?"))
	require.Error(t, err)

	spans := exp.GetSpans()
	for _, prefix := range []string{"chat ", "Predict("} {
		s := spanNamed(t, spans, prefix)
		assert.Equal(t, codes.Error, s.Status.Code, s.Name)
		assert.Equal(t, "rate_limit", attrs(s)["error.type"].AsString(), s.Name)
		require.NotEmpty(t, s.Events, "the error is recorded as an event")
		assert.Equal(t, "exception", s.Events[0].Name)
	}
	assert.Equal(t, int64(429), attrs(spanNamed(t, spans, "chat "))["http.response.status_code"].AsInt64())
}

func TestTracingNoopProviderRecordsNothing(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.NeverSample()))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx := dspy.WithTracing(context.Background(), dspy.TracingOptions{TracerProvider: tp})
	model := dspytest.ScriptedLM(dspytest.ChatReply("answer", "Paris"))
	_, err := dspy.NewPredict(dspy.MustSignature("question -> answer")).Call(dspy.WithLM(ctx, model), dspy.NewExample("question", "Q?"))
	require.NoError(t, err)
	assert.Empty(t, exp.GetSpans())
}
