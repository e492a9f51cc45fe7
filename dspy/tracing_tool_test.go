package dspy_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// toolSpans are the execute_tool spans among spans, in the order they ended.
func toolSpans(spans tracetest.SpanStubs) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if attrs(s)["gen_ai.operation.name"].AsString() == "execute_tool" {
			out = append(out, s)
		}
	}
	return out
}

func TestTracingReActToolSpans(t *testing.T) {
	for _, capture := range []bool{false, true} {
		t.Run(map[bool]string{false: "content off", true: "content captured"}[capture], func(t *testing.T) {
			ctx, exp := tracedContext(t, capture)
			lm := agentLM([]string{
				reactStep("Look it up.", "get_weather", map[string]any{"city": "Paris"}),
				reactStep("Try again.", "get_weather", map[string]any{"city": "Atlantis"}),
				reactStep("Done.", "finish", map[string]any{}),
			}, modJSON("reasoning", "r", "answer", "sunny"))
			_, err := newWeatherAgent(t).Call(dspy.WithAdapter(dspy.WithLM(ctx, lm), modJSONAdapter{}), dspy.NewExample("question", "Weather in Paris?"))
			require.NoError(t, err)

			spans := exp.GetSpans()
			agent := spanNamed(t, spans, "ReAct(")
			tools := toolSpans(spans)
			require.Len(t, tools, 3, spanNames(spans))
			assert.Equal(t, []string{"execute_tool get_weather", "execute_tool get_weather", "execute_tool finish"},
				[]string{tools[0].Name, tools[1].Name, tools[2].Name})
			for _, s := range tools {
				assert.Equal(t, agent.SpanContext.SpanID(), s.Parent.SpanID(), "%s sits under the agent's span", s.Name)
				assert.Equal(t, trace.SpanKindInternal, s.SpanKind)
				a := attrs(s)
				assert.Equal(t, "function", a["gen_ai.tool.type"].AsString())
				assert.NotContains(t, a, attribute.Key("gen_ai.tool.call.id"), "a call read from text has no ID")
			}
			ok, failed := attrs(tools[0]), attrs(tools[1])
			assert.Equal(t, "get_weather", ok["gen_ai.tool.name"].AsString())
			assert.Equal(t, "Looks up the weather.", ok["gen_ai.tool.description"].AsString())
			assert.Equal(t, codes.Unset, tools[0].Status.Code)
			assert.Equal(t, codes.Error, tools[1].Status.Code)
			assert.Equal(t, "no such city", tools[1].Status.Description)
			assert.Equal(t, "_OTHER", failed["error.type"].AsString())
			require.NotEmpty(t, tools[1].Events)
			assert.Equal(t, "exception", tools[1].Events[0].Name)
			if capture {
				assert.JSONEq(t, `{"city": "Paris"}`, ok["gen_ai.tool.call.arguments"].AsString())
				assert.Equal(t, "Paris is sunny", ok["gen_ai.tool.call.result"].AsString())
				assert.JSONEq(t, `{"city": "Atlantis"}`, failed["gen_ai.tool.call.arguments"].AsString())
				assert.NotContains(t, failed, attribute.Key("gen_ai.tool.call.result"), "a failed call has no result")
			} else {
				for _, s := range tools {
					assert.NotContains(t, attrs(s), attribute.Key("gen_ai.tool.call.arguments"), "content is opt-in")
					assert.NotContains(t, attrs(s), attribute.Key("gen_ai.tool.call.result"), "content is opt-in")
				}
			}
		})
	}
}

func TestTracingNativeReActToolSpans(t *testing.T) {
	ctx, exp := tracedContext(t, true)
	lm := &nativeAgentLM{
		turns: [][]dspy.LMToolCall{
			{
				{ID: "c1", Name: "get_weather", Arguments: `{"city": "Paris"}`},
				{ID: "c2", Name: "get_time", Arguments: `{}`},
				{ID: "c3", Name: "get_weather", Arguments: `{"city": 7}`},
			},
			{{ID: "c4", Name: "finish", Arguments: `{}`}},
		},
		extract: "[[ ## reasoning ## ]]\nr\n\n[[ ## answer ## ]]\nsunny\n\n[[ ## completed ## ]]",
	}
	_, err := newNativeWeatherAgent(t).Call(dspy.WithLM(ctx, lm), dspy.NewExample("question", "Weather in Paris?"))
	require.NoError(t, err)

	spans := exp.GetSpans()
	agent := spanNamed(t, spans, "ReAct(")
	byID := map[string]tracetest.SpanStub{}
	for _, s := range toolSpans(spans) {
		assert.Equal(t, agent.SpanContext.SpanID(), s.Parent.SpanID(), "%s sits under the agent's span", s.Name)
		byID[attrs(s)["gen_ai.tool.call.id"].AsString()] = s
	}
	require.Len(t, byID, 4, "one span per call, each with its call ID: %v", spanNames(spans))

	paris := byID["c1"]
	assert.Equal(t, "execute_tool get_weather", paris.Name)
	assert.Equal(t, codes.Unset, paris.Status.Code)
	assert.Equal(t, "Paris is sunny", attrs(paris)["gen_ai.tool.call.result"].AsString())
	assert.JSONEq(t, `{"city": "Paris"}`, attrs(paris)["gen_ai.tool.call.arguments"].AsString())

	unknown := byID["c2"]
	assert.Equal(t, "execute_tool get_time", unknown.Name)
	assert.Equal(t, codes.Error, unknown.Status.Code)
	assert.Equal(t, "unknown_tool", attrs(unknown)["error.type"].AsString())
	assert.NotContains(t, attrs(unknown), attribute.Key("gen_ai.tool.description"))

	badArgs := byID["c3"]
	assert.Equal(t, codes.Error, badArgs.Status.Code)
	assert.Contains(t, badArgs.Status.Description, "Arg city is invalid")

	assert.Equal(t, "execute_tool finish", byID["c4"].Name)
	assert.Equal(t, "Completed.", attrs(byID["c4"])["gen_ai.tool.call.result"].AsString())
}

func TestTracingToolSpansOffWithoutASampledProvider(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.NeverSample()))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	for _, ctx := range []context.Context{dspy.WithTracing(context.Background(), dspy.TracingOptions{TracerProvider: tp}), context.Background()} {
		lm := agentLM([]string{
			reactStep("Look it up.", "get_weather", map[string]any{"city": "Paris"}),
			reactStep("Done.", "finish", map[string]any{}),
		}, modJSON("reasoning", "r", "answer", "sunny"))
		pred, err := newWeatherAgent(t).Call(dspy.WithAdapter(dspy.WithLM(ctx, lm), modJSONAdapter{}), dspy.NewExample("question", "q"))
		require.NoError(t, err)
		v, _ := pred.Get("trajectory")
		assert.Equal(t, "Paris is sunny", v.(dspy.Example).GetString("observation_0"))
	}
	assert.Empty(t, exp.GetSpans())
}
