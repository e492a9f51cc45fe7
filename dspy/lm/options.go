package lm

import (
	"net/http"
	"time"
)

// DefaultBaseURL is OpenAI's API, used when neither Options.BaseURL nor the
// OPENAI_BASE_URL environment variable names another endpoint.
const DefaultBaseURL = "https://api.openai.com/v1"

// The environment variables New reads when the matching option is empty.
const (
	EnvBaseURL = "OPENAI_BASE_URL"
	EnvAPIKey  = "OPENAI_API_KEY"
)

// Defaults applied by New to zero-valued options.
const (
	DefaultMaxRetries     = 3 // DSPy's num_retries; opt in with Options.MaxRetries
	DefaultTimeout        = 10 * time.Minute
	DefaultInitialBackoff = time.Second
	DefaultMaxBackoff     = 30 * time.Second
)

// Options configures a Client. Every field but Model may be left zero; New
// fills in the defaults documented on each field.
type Options struct {
	// Model is the default model name sent to the server, e.g. "gpt-4o-mini".
	// Requests may override it per call. Required.
	Model string

	// BaseURL is the OpenAI-compatible endpoint, including its version path
	// (e.g. "http://localhost:8000/v1" for vLLM). Empty means $OPENAI_BASE_URL,
	// and if that is unset too, DefaultBaseURL.
	BaseURL string

	// APIKey authenticates to the endpoint. Empty means $OPENAI_API_KEY; local
	// servers usually need none. The key is only ever sent to BaseURL: it is
	// not part of cache keys, errors, history or anything else the client exposes.
	APIKey string

	// Temperature is the default sampling temperature; nil leaves the server's.
	Temperature *float64

	// MaxTokens is the default completion cap; zero leaves the server's.
	MaxTokens int

	// Timeout bounds one attempt (not the whole call with its retries).
	// Zero means DefaultTimeout; a negative value disables the per-attempt bound,
	// leaving only the caller's context.
	Timeout time.Duration

	// MaxRetries is how many times a retryable failure (rate limit, timeout,
	// 5xx, 408/409, connection error) is retried after the first attempt.
	// Zero makes every call a single attempt: use it when another owner, such
	// as a Temporal retry policy, retries the call, so that a transient failure
	// is not retried twice over. DSPy retries DefaultMaxRetries times.
	MaxRetries int

	// InitialBackoff and MaxBackoff shape the exponential backoff between
	// attempts when the server does not say how long to wait. The n-th retry
	// waits about InitialBackoff·2ⁿ⁻¹, capped at MaxBackoff, with jitter so
	// that many callers failing together do not retry together.
	// Zero means DefaultInitialBackoff and DefaultMaxBackoff.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration

	// MaxConcurrency caps the requests in flight from this client at once;
	// zero means no cap. Calls over the cap wait (honouring their context),
	// and cache hits never wait. A freed slot goes to the waiting call of
	// highest dspy.Precedence (see dspy.WithPrecedence), in arrival order
	// among equals; a slot other calls give back is kept from Behind calls
	// for a few milliseconds, so the next call of a chain takes it.
	MaxConcurrency int

	// RequestsPerSecond limits the rate at which attempts are sent, retries
	// included; zero means no limit. Burst is how many may go at once after a
	// quiet spell; zero means max(1, ceil(RequestsPerSecond)).
	RequestsPerSecond float64
	Burst             int

	// Cache stores successful responses by request content; nil disables it,
	// and then no cache key is even computed.
	Cache Cache

	// Prices adds to, or overrides entries of, the built-in price table used
	// to compute Usage.Cost. Keys are model names; see DefaultPrices.
	Prices map[string]Price

	// HistorySize keeps the last HistorySize calls for History; zero keeps none
	// and costs nothing on the call path.
	HistorySize int

	// HTTPClient sends the requests; nil means a client that keeps up to
	// max(MaxConcurrency, 256) idle connections to the host, so parallel calls
	// reuse connections instead of dialing anew.
	HTTPClient *http.Client
}
