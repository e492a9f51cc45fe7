package tracing_test

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
	"github.com/durable-dspy/durable-dspy/worker/tracing"
)

// keptSpans is an in-memory exporter that keeps its spans past Shutdown,
// so they can be printed after the flush.
type keptSpans struct{ *tracetest.InMemoryExporter }

func (keptSpans) Shutdown(context.Context) error { return nil }

// A binary calls Setup first and Shutdown last. Here an in-memory exporter
// stands in for the collector that OTEL_EXPORTER_OTLP_ENDPOINT would name;
// a ChainOfThought call then gives a module span, its predictor's span and
// the LM call's span, with the GenAI attributes of the call.
func Example() {
	ctx := context.Background()
	exp := keptSpans{tracetest.NewInMemoryExporter()}
	t, err := tracing.Setup(ctx, tracing.Options{ServiceName: "example", Exporter: exp})
	if err != nil {
		panic(err)
	}

	cot, _ := dspy.NewChainOfThought(dspy.MustSignature("question -> answer: int"))
	model := dspytest.ScriptedLM(dspytest.ChatReply("reasoning", "2 + 3 is 5.", "answer", "5"))
	pred, err := cot.Call(dspy.WithLM(ctx, model), dspy.NewExample("question", "What is 2 + 3?"))
	if err != nil {
		panic(err)
	}
	answer, _ := pred.Get("answer")
	fmt.Println("answer:", answer)

	if err := t.Shutdown(ctx); err != nil { // flushes the batch
		panic(err)
	}
	names := map[string]string{}
	for _, s := range exp.GetSpans() {
		names[s.SpanContext.SpanID().String()] = s.Name
	}
	for _, s := range exp.GetSpans() {
		parent := names[s.Parent.SpanID().String()]
		if parent == "" {
			parent = "(root)"
		}
		fmt.Printf("%s  <-  %s\n", s.Name, parent)
		for _, kv := range s.Attributes {
			if kv.Key == "gen_ai.usage.input_tokens" || kv.Key == "gen_ai.usage.output_tokens" || kv.Key == "dspy.predictor.name" {
				fmt.Printf("    %s = %s\n", kv.Key, kv.Value.Emit())
			}
		}
	}
	// Output:
	// answer: 5
	// chat test-model  <-  Predict(question -> reasoning, answer: int)
	//     gen_ai.usage.input_tokens = 10
	//     gen_ai.usage.output_tokens = 19
	// Predict(question -> reasoning, answer: int)  <-  ChainOfThought(question -> reasoning, answer: int)
	//     dspy.predictor.name = predict
	// ChainOfThought(question -> reasoning, answer: int)  <-  (root)
}
