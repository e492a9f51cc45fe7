// Package dspy is DSPy's programming model in Go: declare what an LM call
// takes and returns as a Signature, compose calls into modules, evaluate a
// program against a metric, and let an optimizer pick its demos and
// instructions. It has no Temporal dependency and is usable on its own; the
// workflows package runs its optimizers durably.
//
// # Signatures
//
// A signature names input and output fields, with optional types, and the
// task's instructions. Parse DSPy's string form, or derive one from a struct:
//
//	sig := dspy.MustSignature("question -> answer: int", "Solve the word problem.")
//
//	type QA struct {
//		Question string `dspy:"input"`
//		Answer   int    `dspy:"output" desc:"the integer result"`
//	}
//	sig, err := dspy.SignatureOf(QA{})
//
// Signatures are immutable values: WithInstructions, Append and Prepend return
// new ones.
//
// Field types follow DSPy's annotations: str, int, float, bool, list[T],
// Literal['a', 'b'], Enum (EnumOf, or a Go type with an EnumMembers method),
// pydantic-style objects (ObjectOf, or a Go struct), dict[str, Any], Any, and
// History. A Literal asks for one exact choice; an Enum lists its members'
// values and accepts a reply naming a member by value or by name, and its
// parsed value is the member's value. A History input carries the earlier
// turns of a conversation, which the adapters show as user/assistant messages
// before the current input:
//
//	chat := dspy.NewPredict(dspy.MustSignature("question, history: History -> answer"))
//	history := dspy.NewHistory(dspy.NewExample("question", "Capital of France?", "answer", "Paris"))
//	pred, err := chat.Call(ctx, dspy.NewExample("question", "And of Germany?", "history", history))
//
// An Image input (NewImage for a URL or data URI, ImageFromFile,
// ImageFromBytes) reaches the LM as an OpenAI image content part between the
// text of the other fields, as DSPy sends it; demos with images save and load
// in DSPy's form.
//
// A field may carry constraints, as pydantic Field arguments do in DSPy
// (Field.WithConstraints, or a `constraints:"ge=0, le=5"` struct tag): the
// prompt states them, and an output that breaks one fails to parse.
//
// # Modules
//
// Predict makes one LM call through an Adapter (ChatAdapter by default,
// byte-compatible with DSPy's "[[ ## field ## ]]" prompts, falling back to
// JSONAdapter when a reply does not parse); XMLAdapter is DSPy's XML format,
// with nested tags for list, dict and object outputs; TwoStepAdapter lets the
// main LM answer freely and has a second LM fill the fields. ChainOfThought adds a reasoning
// field; ReAct calls Go functions as tools; MultiChainComparison, BestOfN,
// Refine and Parallel compose other modules. A user module is any type with
// Call and Predictors methods; Predictors lists its predictors under DSPy's
// parameter paths, which is what optimizers tune and what Save writes.
//
// Native tool calling works as DSPy's use_native_function_calling: a
// signature with a tools input (list[Tool]) and a ToolCalls output sends the
// tools in the request's "tools" field and reads the model's tool_calls back
// into ToolCalls (JSONAdapter by default, ChatAdapter with NativeToolCalls);
// NewNativeReAct is a ReAct agent that works that way, several calls a turn.
//
// The LM comes from the predictor or from the context:
//
//	client, _ := lm.New(lm.Options{Model: "gpt-4o-mini"}) // OPENAI_API_KEY, OPENAI_BASE_URL
//	ctx = dspy.WithLM(ctx, client)
//	pred, err := dspy.NewPredict(sig).Call(ctx, dspy.NewExample("question", "What is 2 + 3?"))
//	fmt.Println(pred.Get("answer"))
//
// # Streaming
//
// Streamify wraps a program so that its Stream method yields each output
// field while the LM writes it, as DSPy's streamify and StreamListener do:
// StreamResponse chunks naming the predictor and field (the last one marked),
// StatusMessage events around tool calls (a StatusMessageProvider writes
// them), then the final Prediction, the same one an unstreamed call returns.
// Fields stream from the Chat, JSON and XML adapters when the LM implements
// StreamingLM, as lm.Client does through openai-go.
//
// # Data, evaluation and optimization
//
// LoadDataset reads JSONL or CSV into ordered Examples, with errors that name
// the file, line and field. Package evaluate runs a program over a dataset in
// parallel and scores it (failures are kept and scored, never dropped); package
// optimize holds the optimizers (LabeledFewShot, BootstrapFewShot, random
// search, COPRO, MIPROv2, GEPA), written against an Engine so the same code
// runs in-process or as a Temporal workflow.
//
// # Saving
//
// Save and Load write and read DSPy's JSON state format ({"<predictor path>":
// {"demos", "signature", "lm"}, "metadata"}), so a program optimized here
// loads in Python DSPy and one saved there loads here.
//
// # Tracing
//
// In place of DSPy's callbacks, every module call and every LM call made
// through CallLM is an OpenTelemetry span: "ChainOfThought(question ->
// reasoning, answer)" over "Predict(...)" over "chat gpt-4o-mini", the LM
// span carrying the GenAI semantic conventions (gen_ai.request.model,
// gen_ai.usage.input_tokens, ...) and the call's cost and cache hit.
// Embedder calls made through CallEmbedder are "embeddings MODEL" spans
// (input tokens, vector size), and each tool call a ReAct agent makes is an
// "execute_tool NAME" span under the agent's (gen_ai.tool.name,
// gen_ai.tool.call.id), failures classified in error.type. CallProgram gives a user module a span of its own and names predictor
// spans by their paths. Spans go to OpenTelemetry's global provider, so
// tracing is off, and costs nothing measurable, until a program installs
// one (the binaries do when the standard OTEL_* variables ask; see package
// worker/tracing); WithTracing picks a provider per context. Prompts and
// replies, and tool arguments and results, are recorded only on request
// (TracingOptions.CaptureContent or EnvCaptureContent); texts to embed and
// API keys never are.
package dspy
