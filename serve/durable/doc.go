// Package durable runs served programs as Temporal workflows: each request
// is a RunProgram workflow on a durable-dspy worker, each LM call and each
// tool call in it an activity, so an agent that runs for minutes survives a
// worker's crash without paying again for the calls that finished.
//
// A Source wraps any serve.Source and gives the handler a Runner in place of
// the in-process module; the handler then honours Idempotency-Key, "Prefer:
// respond-async" and GET /v1/runs/{id} for the program:
//
//	src := durable.Source{Base: serve.SpecSource{SpecFile: "agent.yaml"}, Client: c, TaskQueue: "dspy"}
//	h, err := serve.New(serve.Options{Programs: []serve.Program{{Name: "agent", Source: src}}})
//
// Workflow history holds the program's spec, its compiled state and the
// request's inputs, never an API key: the worker's LM client makes the calls.
package durable
