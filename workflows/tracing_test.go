package workflows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// tracedServer starts a server whose clients, and so its worker, carry
// Temporal's OpenTelemetry interceptor over a provider exporting to memory.
// OpenTelemetry's global provider is left alone: dspy's spans inside the
// activities follow the provider of the activity's span.
func tracedServer(t *testing.T) (client.Client, *sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	icpt, err := opentelemetry.NewTracingInterceptor(opentelemetry.TracerOptions{Tracer: tp.Tracer("temporal")})
	require.NoError(t, err)
	_, lmClient := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(3))
	ts, c := newServer(t, temporaltest.WithBaseClientOptions(client.Options{Interceptors: []interceptor.ClientInterceptor{icpt}}))
	ts.NewWorkerWithOptions(taskQueue, func(r worker.Registry) { require.NoError(t, workflows.Register(r, workerConfig(lmClient))) }, worker.Options{})
	return c, tp, exp
}

// ancestry lists a span's name, then its parent's, up to the root.
func ancestry(spans tracetest.SpanStubs, s tracetest.SpanStub) []string {
	byID := map[string]tracetest.SpanStub{}
	for _, x := range spans {
		byID[x.SpanContext.SpanID().String()] = x
	}
	names := []string{s.Name}
	for s.Parent.IsValid() {
		p, ok := byID[s.Parent.SpanID().String()]
		if !ok {
			names = append(names, "(missing parent)")
			break
		}
		names = append(names, p.Name)
		s = p
	}
	return names
}

// hasPrefixes reports whether each name starts with the prefix at its index.
func hasPrefixes(names, prefixes []string) bool {
	if len(names) != len(prefixes) {
		return false
	}
	for i := range names {
		if !strings.HasPrefix(names[i], prefixes[i]) {
			return false
		}
	}
	return true
}

// One trace runs from the starter's span through StartWorkflow, the
// workflow and its batch activities down to the module and LM spans made
// inside them, with a span per trial under the workflow's.
func TestTracingOneTraceFromStarterToLMCall(t *testing.T) {
	c, tp, exp := tracedServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctx, root := tp.Tracer("test").Start(ctx, "starter optimize")
	tc := caseNamed(t, "bootstrap_random_search")
	requireRegistered(t, tc.name)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "traced-optimize", TaskQueue: taskQueue}, workflows.OptimizeWorkflowName, tc.input())
	require.NoError(t, err)
	var out workflows.OptimizeResult
	require.NoError(t, run.Get(ctx, &out))
	root.End()

	spans := exp.GetSpans()
	traceID := root.SpanContext().TraceID()
	var lmChains, trials int
	for _, s := range spans {
		switch {
		case strings.HasPrefix(s.Name, "chat "):
			require.Equal(t, traceID, s.SpanContext.TraceID(), "LM span in the starter's trace")
			chain := ancestry(spans, s)
			if hasPrefixes(chain, []string{"chat ", "Predict(question -> answer)", "RunActivity:", "StartActivity:", "RunWorkflow:" + workflows.OptimizeWorkflowName, "StartWorkflow:" + workflows.OptimizeWorkflowName, "starter optimize"}) {
				lmChains++
			}
			assert.NotZero(t, spanAttrs(s)["gen_ai.usage.input_tokens"].AsInt64(), "tokens from the simulated LM's usage")
		case s.Name == optimize.TrialSpanName:
			require.Equal(t, traceID, s.SpanContext.TraceID())
			assert.Equal(t, []string{optimize.TrialSpanName, "RunWorkflow:" + workflows.OptimizeWorkflowName, "StartWorkflow:" + workflows.OptimizeWorkflowName, "starter optimize"}, ancestry(spans, s))
			trials++
		}
	}
	assert.Positive(t, lmChains, "an LM span under its predictor, activity, workflow and starter: %v", spanNamesOf(spans))
	assert.Equal(t, len(out.Trials), trials, "one span per trial")
}

// A durable program run traces its LM calls inside the CallLM activities;
// the module itself runs in workflow code, which makes no spans.
func TestTracingDurableProgramRun(t *testing.T) {
	c, tp, exp := tracedServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ctx, root := tp.Tracer("test").Start(ctx, "serve request")
	q, _ := testkit.Arithmetic(3, 1)[0].Get("question")
	in := runProgramInput(arithmeticSpec.JSON(), q.(string))
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "traced-run", TaskQueue: taskQueue}, workflows.RunProgramWorkflowName, in)
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))
	root.End()

	spans := exp.GetSpans()
	for _, s := range spans {
		assert.NotContains(t, s.Name, "Predict(", "no module spans from workflow code")
	}
	var found bool
	for _, s := range spans {
		if strings.HasPrefix(s.Name, "chat ") {
			found = true
			assert.True(t, hasPrefixes(ancestry(spans, s), []string{"chat ", "RunActivity:", "StartActivity:", "RunWorkflow:" + workflows.RunProgramWorkflowName, "StartWorkflow:", "serve request"}), "%v", ancestry(spans, s))
		}
	}
	assert.True(t, found, "an LM span: %v", spanNamesOf(spans))
}

func spanAttrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

func spanNamesOf(spans tracetest.SpanStubs) []string {
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
	}
	return names
}

// The recorded histories replay on a worker with the tracing interceptor,
// and a replay records no trial spans: each trial was recorded once, when
// it first ran.
func TestRecordedHistoriesReplayWithTracing(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	icpt, err := opentelemetry.NewTracingInterceptor(opentelemetry.TracerOptions{Tracer: tp.Tracer("temporal")})
	require.NoError(t, err)
	replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{Interceptors: []interceptor.WorkerInterceptor{icpt}})
	require.NoError(t, err)
	workflows.RegisterWorkflows(replayer)
	for _, file := range recordedHistories(t) {
		require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(quietLogger, file), file)
	}
	for _, s := range exp.GetSpans() {
		assert.NotEqual(t, optimize.TrialSpanName, s.Name, "no trial span from a replay")
	}
}
