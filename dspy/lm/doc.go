// Package lm is the default [dspy.LM]: a client for the chat-completions API
// of any OpenAI-compatible server — OpenAI itself, vLLM, Ollama, llama.cpp, a
// LiteLLM proxy or the project's simulated LM — built on openai-go.
//
// openai-go sends every request: base URL, authentication, headers and the
// decoding of API errors are its own. The request body and the reply are
// encoded with plain encoding/json types that write the same bytes as
// openai-go's parameter types, at a fraction of their CPU cost, which counts
// when thousands of calls are in flight.
//
// A client is made once per endpoint and shared:
//
//	client, err := lm.New(lm.Options{
//		Model:          "gpt-4o-mini",         // BaseURL and APIKey default to $OPENAI_BASE_URL, $OPENAI_API_KEY
//		MaxRetries:     lm.DefaultMaxRetries,  // 0 leaves retrying to an outer owner
//		MaxConcurrency: 32,
//		Cache:          lm.NewMemoryCache(0),
//	})
//
// # What a call does
//
// [Client.Call] fills the request's unset model, temperature and max_tokens
// from the client's defaults, then:
//
//  1. Looks the request up in the cache, if there is one. The key is the
//     SHA-256 of a canonical JSON of what is sent (model, messages,
//     temperature, max_tokens, n, response_format, stop) plus the request's
//     Rollout — never the API key or base URL, as in DSPy. A hit returns at
//     once, flagged CacheHit, reporting its tokens but zero Cost. A different
//     Rollout is a different key, which is how DSPy's rollout_id asks for a
//     fresh sample of an otherwise identical prompt.
//  2. Waits for a concurrency slot (Options.MaxConcurrency), by the
//     precedence its context carries ([dspy.WithPrecedence]), and a
//     rate-limit token (Options.RequestsPerSecond), then sends one attempt
//     bounded by Options.Timeout.
//  3. On a retryable failure — 429, 408, 409, 5xx, a timeout or a connection
//     error — waits and tries again, up to Options.MaxRetries times. The wait
//     is what the server asked for in retry-after-ms or Retry-After when it
//     said, else exponential backoff with jitter. 400, 401, 403, 404, 422 and
//     context-length errors are never retried: sending them again cannot help.
//  4. Prices the answer from its token counts (see [DefaultPrices]), caches
//     it, adds it to the totals of [Client.Usage] and, if Options.HistorySize
//     is set, to [Client.History].
//
// # Who retries
//
// openai-go's own retries are always off; this client owns them. When
// something else retries the call as a whole — a Temporal activity that is a
// single LM call, under a retry policy — set MaxRetries to zero so that a
// failure is not retried twice over. Every failure is a [*dspy.LMError] whose
// Kind says what went wrong and whose Retryable method says whether sending
// the call again may help; its text names the model and endpoint (never the
// key) and, where there is one, the fix.
//
// # Embeddings
//
// [Embedder] is the [dspy.Embedder] for the same servers' embeddings
// endpoint, with the same retries, limits and pricing: [NewEmbedder] takes
// [EmbedderOptions], sends at most BatchSize texts a request and caches each
// text's vector in any [Cache], so a text is embedded once. [dspy.NewEmbeddings]
// builds a nearest-neighbour index over its vectors.
//
// # Caches
//
// [NewMemoryCache] is a sharded LRU for one process. [NewDiskCache] keeps
// responses in a bbolt file so reruns, retried activities and resumed
// optimizations replay calls for free; it batches writes in the background,
// so Close it to flush. [NewTieredCache] puts a memory cache in front of a
// disk cache, as DSPy does. Any type with Get and Put can serve as a [Cache].
package lm
