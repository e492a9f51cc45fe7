package durable_test

import (
	"context"
	"log"
	"net/http"

	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/serve"
	"github.com/durable-dspy/durable-dspy/serve/durable"
)

// A served ReAct agent whose requests run on the workers of task queue
// "dspy": each LM and tool call is an activity, the tools are the
// worker's, and clients may send Idempotency-Key and "Prefer:
// respond-async". (Compiled, not run: it needs a Temporal server.)
func ExampleSource() {
	c, err := client.Dial(client.Options{HostPort: "127.0.0.1:7233"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	h, err := serve.New(serve.Options{Programs: []serve.Program{{
		Name: "agent",
		Source: durable.Source{
			// The tools run on the worker; here they are only named.
			Base:   serve.SpecSource{SpecFile: "agent.yaml", StateFile: "agent.optimized.json", ToolsElsewhere: true},
			Runner: durable.Runner{Client: c, TaskQueue: "dspy", Name: "agent"},
		},
		Model: "worker default",
	}}})
	if err != nil {
		log.Fatal(err)
	}
	if err := h.Load(context.Background()); err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", h))
}
