// Package simlm is a simulated language model: an OpenAI-compatible
// chat-completions server on loopback that tests, examples, benchmarks and the
// offline demo use in place of a real model.
//
// # Why a simulator
//
// Optimizing LM programs needs a model whose behaviour responds to what the
// optimizer changes, and tests need that behaviour to be reproducible. simlm
// is a pure function of its Config, its seed and the request: the same request
// always gets the same bytes back, so an LM cache in front of it stays
// consistent and a seeded optimization run replays exactly.
//
// # Using it
//
//	srv := simlm.New(simlm.Config{Seed: 7})
//	if err := srv.Start(); err != nil { … }
//	defer srv.Close()
//	client := openai.NewClient(option.WithBaseURL(srv.URL()), option.WithAPIKey("x"))
//
// Server is also an http.Handler and can be mounted in-process. It serves
// POST /v1/chat/completions (messages, model, temperature, max_tokens, n,
// response_format json_object/json_schema, seed, stop), POST /v1/embeddings
// (input as a string or strings, dimensions, encoding_format float/base64)
// and GET /v1/models. Stats counts requests and injected faults.
//
// # Embeddings
//
// A text's vector is a hashed bag of its words and their character
// trigrams, normalized to unit length and seeded: texts that share words
// ("What is the capital of France?", "Name France's capital city") have a
// high cosine similarity, unrelated ones about zero, and the same text gets
// the same vector on every run.
//
// # The task model
//
// The server reads the prompts of DSPy's ChatAdapter (a system message listing
// typed input and output fields, [[ ## field ## ]] blocks, instructions after
// "In adhering to this structure, your objective is: ", demos as user/assistant
// pairs, the current inputs last) and JSONAdapter (the same with a JSON reply,
// asked for through response_format or the system message). It replies in the
// same format with every output field typed so that it parses: int, float,
// bool as True/False, Literal and Enum choices, JSON per schema.
//
// One task is built in: arithmetic word problems (see ArithmeticDataset). The
// simulator solves the question itself and answers correctly with a
// probability set by AccuracyModel, which rewards what optimizers change:
// correct demos of the question's category, key ideas in the instructions
// (working step by step, answering with only the integer, verifying the
// operation and units) and a reasoning field before the answer. With the
// defaults, zero-shot accuracy is about 40% and the best prompt reaches about
// 88%, so demo selection and instruction search show a real, repeatable gain.
// Every other signature gets deterministic, well-typed values that echo the
// inputs.
//
// The meta-prompts of optimizers are answered too: output fields that ask for
// an instruction (proposed_instruction, new_instruction, …) or an output
// prefix, dataset and program summaries (observations, summary,
// program_description, module_description) and GEPA's plain-text reflection
// prompt, whose reply comes inside ``` fences. Proposed instructions contain
// the key ideas only some of the time, keep the ideas of the instructions they
// are shown, and add ideas more often when the reflection prompt carries
// feedback, so instruction search has signal to find.
//
// # Latency and faults
//
// Config.Latency delays replies (fixed, uniform or lognormal), honouring the
// request context. Config.Faults injects 429s with Retry-After, 500s, hangs and
// unparseable 200 replies. Faults are decided by the seed, the request body
// and how many times that body has been seen, and no body faults more than
// Faults.MaxConsecutive times in a row, so retrying clients always converge.
//
// ParseConfig and ConfigFromEnv read a Config from a short string such as
// "seed=3,latency=lognormal:80ms:0.5,err429=0.05", for command-line flags.
package simlm
