// Package serve answers HTTP requests with compiled DSPy programs. It is an
// http.Handler, not a framework: build it from programs, mount it on any mux
// or server, and shut it down with the server.
//
//	h, err := serve.New(serve.Options{
//		Programs: []serve.Program{{
//			Name:   "qa",
//			Source: serve.SpecSource{SpecFile: "qa.yaml", StateFile: "qa.optimized.json"},
//			LM:     client, // an lm.Client (or any dspy.LM) for this program's model
//		}},
//		LogDir: "logs",
//	})
//	if err != nil { … }
//	if err := h.Load(ctx); err != nil { … }      // builds the programs; ready after this
//	srv := serve.NewServer(":8080", h, serve.Timeouts{})
//	go srv.ListenAndServe()
//	…
//	_ = h.Drain(ctx)     // ready → 503, running requests finish
//	_ = srv.Shutdown(ctx)
//	_ = h.Close()        // flushes the request log
//
// A program comes from a declarative spec and an optional state file saved
// by an optimizer (SpecSource), from a Go constructor (FactorySource), or
// from any Source; Handler.Reload rebuilds one and swaps it in atomically,
// and requests already running finish on the version they started with.
// Each program runs with its own LM, set on each request's context, so
// programs on different models never share one.
//
// # Endpoints
//
//   - POST /v1/programs/{name}: the signature's inputs as a JSON object; the
//     answer is a JSON object with the output fields at its top level (and any
//     other field the module adds, such as chain_of_thought's reasoning).
//   - GET /v1/programs: each program's input and output JSON schemas, model
//     and state origin (state file hash or run ID).
//   - GET /openapi.json: an OpenAPI 3.1 document built from the signatures.
//   - GET /health/live, GET /health/ready (503 while loading or draining, or
//     while a runner's dependency is down).
//   - GET /metrics: Prometheus metrics, namespace dspy_serve.
//   - GET /v1/runs/{id}: a durable program's run (see Durable runs).
//   - /mcp, with Options.MCP: the programs as MCP tools over Streamable HTTP
//     (see MCP below).
//
// Every response to a program call carries X-Request-ID (the client's own,
// when it sends a well-formed one) and what the call cost: X-LM-Calls,
// X-LM-Prompt-Tokens, X-LM-Completion-Tokens, X-LM-Cost-USD and
// X-LM-Cache-Hits. The request ID is also in error bodies and the log.
//
// # Errors
//
// Every error is a JSON ErrorBody with a stable code: 400 malformed JSON,
// 401 missing or wrong bearer token, 404 unknown program, 408 the body did
// not arrive within the server's read timeout, 413 body too large,
// 422 missing, unknown or mistyped inputs (each field's problem listed), 429
// queue full or queue timeout (with Retry-After), 502 the model's reply did
// not parse or the model call failed, 503 the model is rate limited (with
// Retry-After) or the server is loading or draining, 504 the model or the
// request deadline timed out. LM failures are classified by their typed
// errors (dspy.LMError, dspy.ParseError). Bodies never hold a stack trace, a
// key or the model's raw reply; the request log keeps an unparseable reply.
//
// # Admission
//
// Each program runs at most Limits.MaxConcurrent requests at once and lets at
// most Limits.MaxQueue wait, first come first served, for at most
// Limits.QueueTimeout (30 s by default); past either bound the answer is 429
// with Retry-After. Options.MaxConcurrent caps running requests over all
// programs. Waiting requests wait in their own goroutine inside a semaphore:
// there is no extra goroutine, queue or buffer that can grow. A client that
// disconnects cancels its request's context and with it the LM calls.
//
// # Request log
//
// With Options.LogDir, every program request, whatever its outcome (401,
// 404, 413, 429 and 5xx included), writes exactly one JSON line (LogLine) to
// requests.jsonl, rotated by size. Lines go through a bounded buffer to one
// writer goroutine; a request never waits for the disk, and lines that do not
// fit are dropped and counted in dspy_serve_request_log_dropped_total. Close
// flushes the buffer.
//
// # MCP
//
// Handler.MCPHandler (mounted at MCPPath by Options.MCP) serves each program
// as an MCP tool through the official Go MCP SDK's stateless Streamable HTTP
// transport. A tool is named after its program; its input and output schemas
// are the ones GET /v1/programs lists and its description is the signature's
// instructions; the list follows reloads. A tool call runs exactly as a POST
// does (drain gate, input checks, admission, deadline, one request log line,
// the same metrics), so an MCP client and an HTTP client share one set of
// limits. The result holds the outputs as structured content and as JSON
// text, with "request_id" and "lm_usage" in its _meta; a failure is a tool
// error (isError) whose text is the ErrorBody the HTTP endpoint would send,
// field problems included. Bearer tokens, when configured, guard /mcp too.
//
// # Durable runs
//
// A program whose Loaded.Runner is a DurableRunner (package serve/durable
// runs programs as Temporal workflows) gets three more abilities: an
// Idempotency-Key header names the run ("run:<program>:<key>"), so a retry
// joins the run it started instead of paying again (other inputs under the
// key are a 409); "Prefer: respond-async" answers 202 with the run's URL at
// once; and GET /v1/runs/{id} reports the run, with its outputs once done. A
// request whose deadline passes answers 504 with the run_id to ask for later.
//
// # Streaming
//
// A program request sent with "Accept: text/event-stream" (or ?stream=true)
// is answered with Server-Sent Events once the program runs: "chunk" events
// carrying output fields as the LM writes them, "status" events (tool
// calls), then a "prediction" event whose data is the JSON answer, or an
// "error" event whose data is the error body. A request refused before its
// program runs gets its usual status and JSON body; usage headers come as
// trailers. A durable program answers a stream request with the final event
// only. ReadEvents reads such a stream.
//
// # Config
//
// LoadConfig reads a serve.yaml (programs, model aliases, server settings;
// unknown keys are errors) and Config.Build turns it into Options. A program
// that embeds its inputs (a compiled knn_fewshot program) gets its embedder
// from embed_model, set on the program or on its model alias; one left
// without fails to load (ErrNoEmbedder) rather than failing every request.
package serve
