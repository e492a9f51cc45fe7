package dspy_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// retriever is a user module that embeds a corpus and a query, as a program
// looking up its context by similarity does.
type retriever struct {
	embedder dspy.Embedder
	corpus   []string
}

func (r *retriever) Call(ctx context.Context, inputs dspy.Example) (dspy.Prediction, error) {
	idx, err := dspy.NewEmbeddings(ctx, r.corpus, r.embedder, 1)
	if err != nil {
		return dspy.Prediction{}, err
	}
	hits, err := idx.Search(ctx, inputs.GetString("question"))
	if err != nil {
		return dspy.Prediction{}, err
	}
	return dspy.Prediction{Example: dspy.NewExample("passage", hits[0].Text)}, nil
}

func (r *retriever) Predictors() []dspy.NamedPredictor { return nil }

func TestTracingEmbeddingsSpans(t *testing.T) {
	ctx, exp := tracedContext(t, true)
	srv := simlm.New(simlm.Config{Seed: 1})
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Close() })
	embedder, err := lm.NewEmbedder(lm.EmbedderOptions{Model: "simlm-embed", BaseURL: srv.URL(), APIKey: "sk-never-in-a-span", HTTPClient: &http.Client{}})
	require.NoError(t, err)
	corpus := []string{"What is 2 + 3?", "Capital of France?"}

	_, err = dspy.CallProgram(ctx, &retriever{embedder: embedder, corpus: corpus}, dspy.NewExample("question", "What is 2 + 4?"))
	require.NoError(t, err)

	spans := exp.GetSpans()
	require.Len(t, spans, 3, "the module and its two embedder calls: %v", spanNames(spans))
	root := spanNamed(t, spans, "retriever")
	var embeds []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == "embeddings simlm-embed" {
			embeds = append(embeds, s)
		}
	}
	require.Len(t, embeds, 2, spanNames(spans))
	var tokens int64
	for i, s := range embeds {
		assert.Equal(t, root.SpanContext.SpanID(), s.Parent.SpanID(), "embeddings spans sit under the module's")
		assert.Equal(t, trace.SpanKindClient, s.SpanKind)
		assert.Equal(t, codes.Unset, s.Status.Code)
		a := attrs(s)
		assert.Equal(t, "embeddings", a["gen_ai.operation.name"].AsString())
		assert.Equal(t, "simlm-embed", a["gen_ai.request.model"].AsString())
		assert.Equal(t, "openai", a["gen_ai.provider.name"].AsString())
		assert.Equal(t, "127.0.0.1", a["server.address"].AsString())
		assert.Positive(t, a["gen_ai.embeddings.dimension.count"].AsInt64())
		assert.Equal(t, int64([]int{2, 1}[i]), a[dspy.AttrEmbedInputs].AsInt64(), "the corpus, then the query")
		assert.Equal(t, int64(1), a[dspy.AttrLMCalls].AsInt64())
		tokens += a["gen_ai.usage.input_tokens"].AsInt64()
		for _, kv := range s.Attributes {
			for _, text := range append(corpus, "What is 2 + 4?", "sk-never-in-a-span") {
				assert.NotContains(t, kv.Value.Emit(), text, "%s: texts and keys stay out of spans, capture or not", kv.Key)
			}
		}
	}
	require.Positive(t, tokens)
	assert.Equal(t, int64(embedder.Usage().PromptTokens), tokens)
}

func TestTracingEmbeddingsRecordsFailures(t *testing.T) {
	ctx, exp := tracedContext(t, false)
	limited := dspy.EmbedderFunc(func(context.Context, []string) ([][]float32, dspy.Usage, error) {
		return nil, dspy.Usage{Calls: 1}, &dspy.LMError{Kind: dspy.ErrKindRateLimit, StatusCode: 429, Model: "e", Err: errors.New("slow down")}
	})
	_, _, err := dspy.CallEmbedder(ctx, limited, []string{"a"})
	require.Error(t, err)
	short := dspy.EmbedderFunc(func(context.Context, []string) ([][]float32, dspy.Usage, error) {
		return [][]float32{{1}}, dspy.Usage{Calls: 1, PromptTokens: 2}, nil
	})
	_, _, err = dspy.CallEmbedder(ctx, short, []string{"a", "b"})
	require.ErrorContains(t, err, "1 vectors for 2 texts")

	spans := exp.GetSpans()
	require.Len(t, spans, 2)
	for i, want := range []string{"rate_limit", "_OTHER"} {
		s := spans[i]
		assert.Equal(t, "embeddings", s.Name, "an embedder that names no model")
		assert.Equal(t, codes.Error, s.Status.Code)
		assert.Equal(t, want, attrs(s)["error.type"].AsString())
		require.NotEmpty(t, s.Events)
		assert.Equal(t, "exception", s.Events[0].Name)
		assert.NotContains(t, attrs(s), attribute.Key("gen_ai.embeddings.dimension.count"))
	}
	assert.Equal(t, int64(429), attrs(spans[0])["http.response.status_code"].AsInt64())
	assert.Equal(t, int64(2), attrs(spans[1])["gen_ai.usage.input_tokens"].AsInt64(), "a reply that fails the checks still reports its usage")
}

func TestTracingEmbeddingsOffWithoutASampledProvider(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.NeverSample()))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx := dspy.WithTracing(context.Background(), dspy.TracingOptions{TracerProvider: tp})
	_, _, err := dspy.CallEmbedder(ctx, tableEmbedder(map[string][]float32{"a": {1}}), []string{"a"})
	require.NoError(t, err)
	_, _, err = dspy.CallEmbedder(context.Background(), tableEmbedder(map[string][]float32{"a": {1}}), []string{"a"})
	require.NoError(t, err, "without any provider the call runs untraced")
	assert.Empty(t, exp.GetSpans())
}
