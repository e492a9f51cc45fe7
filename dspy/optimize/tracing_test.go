package optimize

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
)

func TestLocalEngineRecordsASpanPerTrial(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx, root := tp.Tracer("test").Start(context.Background(), "optimize")
	ctx = dspy.WithTracing(ctx, dspy.TracingOptions{TracerProvider: tp})

	task := qaTask(arithmetic(12, 1), arithmetic(9, 40))
	res, err := (&BootstrapFewShotWithRandomSearch{MaxBootstrappedDemos: 2, MaxLabeledDemos: 2, NumCandidatePrograms: 2}).Compile(ctx, newTestEngine(4, arithmeticLM()), task)
	require.NoError(t, err)
	root.End()

	var trials []tracetest.SpanStub
	programSpans := 0
	for _, s := range exp.GetSpans() {
		switch {
		case s.Name == TrialSpanName:
			trials = append(trials, s)
		case s.Name == "Predict(question -> answer)":
			programSpans++
		}
	}
	require.Len(t, trials, len(res.Trials), "one span per trial")
	assert.Positive(t, programSpans, "the candidates' program runs are traced too")
	for i, s := range trials {
		a := map[attribute.Key]attribute.Value{}
		for _, kv := range s.Attributes {
			a[kv.Key] = kv.Value
		}
		assert.Equal(t, root.SpanContext().SpanID(), s.Parent.SpanID(), "trials hang under the caller's span")
		assert.Equal(t, int64(res.Trials[i].Number), a[AttrTrialNumber].AsInt64())
		assert.Equal(t, res.Trials[i].Label, a[AttrTrialLabel].AsString())
		assert.InDelta(t, res.Trials[i].Score, a[AttrTrialScore].AsFloat64(), 1e-9)
		assert.False(t, s.EndTime.Before(s.StartTime))
	}
}

func TestTrialSpansSkipTrialsAlreadySeen(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ts := NewTrialSpans(1, start)
	p := Progress{Phase: "search", Trials: []Trial{{Number: 1, Score: 10}, {Number: 2, Score: 20}}}

	ts.Observe(context.Background(), nil, Progress{Trials: p.Trials[:1]}, start.Add(time.Second))
	ts.Observe(context.Background(), tp.Tracer("test"), p, start.Add(3*time.Second))
	ts.Observe(context.Background(), tp.Tracer("test"), p, start.Add(4*time.Second))

	spans := exp.GetSpans()
	require.Len(t, spans, 1, "the resumed run's first trial was recorded before; the last checkpoint brought none")
	assert.Equal(t, start.Add(time.Second), spans[0].StartTime, "a trial spans from the previous checkpoint")
	assert.Equal(t, start.Add(3*time.Second), spans[0].EndTime)
}

// A compiled KNNFewShot program run as a whole has its embedding of the
// inputs traced under its own span, beside the span of the program it runs.
func TestKNNProgramEmbedsUnderItsSpan(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	train := arithmetic(2, 1)
	spec := knnSpec{K: 1, MaxLabeled: 1}
	for i, ex := range train {
		spec.Entries = append(spec.Entries, knnEntry{Example: ex, Vector: unit([]float32{float32(i), 1, 0})})
	}
	st := knnState(qaTask(nil, nil).Student, spec)
	program, err := BuildProgram(qaProgram, st)
	require.NoError(t, err)
	require.NoError(t, dspy.LoadState(program, st))
	calls := 0
	ctx := dspy.WithTracing(context.Background(), dspy.TracingOptions{TracerProvider: tp})
	ctx = dspy.WithEmbedder(dspy.WithLM(ctx, dspytest.ScriptedLM(dspytest.ChatReply("answer", "2"))), tableEmbedder(nil, &calls))

	_, err = dspy.CallProgram(ctx, program, dspy.NewExample("question", "What is 1+1?"))
	require.NoError(t, err)

	byName := map[string]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		byName[s.Name] = s
	}
	root, ok := byName["KNNProgram"]
	require.True(t, ok, "spans: %v", byName)
	embed, ok := byName["embeddings"]
	require.True(t, ok, "spans: %v", byName)
	assert.Equal(t, root.SpanContext.SpanID(), embed.Parent.SpanID())
	assert.Equal(t, root.SpanContext.SpanID(), byName["Predict(question -> answer)"].Parent.SpanID())
	a := map[attribute.Key]attribute.Value{}
	for _, kv := range embed.Attributes {
		a[kv.Key] = kv.Value
	}
	assert.Equal(t, int64(1), a[dspy.AttrEmbedInputs].AsInt64())
	assert.Equal(t, int64(3), a["gen_ai.embeddings.dimension.count"].AsInt64())
}
