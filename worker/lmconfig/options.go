package lmconfig

import (
	"errors"
	"fmt"
	"time"

	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/internal/envflag"
)

// Flag names, shared by the worker binary and the CLI so that one spelling
// works everywhere and error messages can point at the flag to change.
const (
	FlagBaseURL        = "lm-base-url"
	FlagModel          = "lm-model"
	FlagPromptModel    = "lm-prompt-model"
	FlagTimeout        = "lm-timeout"
	FlagMaxRetries     = "lm-max-retries"
	FlagMaxConcurrency = "lm-max-concurrency"
	FlagRPS            = "lm-rps"
	FlagCacheDir       = "lm-cache-dir"
	FlagSim            = "sim"
	FlagEmbedModel     = "embed-model"
)

// Environment variables read as flag defaults (by BindFlags) or, for the
// API key, only ever from the environment (by Open).
const (
	EnvBaseURL        = lm.EnvBaseURL
	EnvAPIKey         = lm.EnvAPIKey
	EnvModel          = "OPENAI_MODEL"
	EnvPromptModel    = "DSPY_PROMPT_MODEL"
	EnvTimeout        = "DSPY_LM_TIMEOUT"
	EnvMaxRetries     = "DSPY_LM_MAX_RETRIES"
	EnvMaxConcurrency = "DSPY_LM_MAX_CONCURRENCY"
	EnvRPS            = "DSPY_LM_RPS"
	EnvCacheDir       = "DSPY_CACHE_DIR"
	// EnvSim configures the simulated LM; simlm's own SIMLM is read when it is unset.
	EnvSim = "DSPY_SIM"
	// EnvEmbedModel names the embedding model.
	EnvEmbedModel = "DSPY_EMBED_MODEL"
)

// Defaults that BindFlags and DefaultOptions set. Open takes Options
// literally, because for these zero is a meaningful choice (no disk cache,
// no retries).
const (
	// DefaultCacheDir is where the command line keeps the LM disk cache.
	DefaultCacheDir = ".durable-dspy/cache"
	// DefaultModel is the task model used against a real endpoint when none is named.
	DefaultModel = "gpt-4o-mini"
	// DefaultRetries is how often the command line's task LM retries a call.
	DefaultRetries = 3
	// DefaultSimEmbedModel is the embedding model asked of the simulated LM
	// when none is named.
	DefaultSimEmbedModel = "simlm-embed"
	// DefaultTimeout bounds one LM call attempt on the command line.
	DefaultTimeout = 2 * time.Minute
)

// Special values of some options.
const (
	// CacheOff as Options.CacheDir disables the disk cache, as the empty
	// string does.
	CacheOff = "off"
	// SimulatedBaseURL as Options.BaseURL uses the simulated LM even when
	// OPENAI_API_KEY is set, so a demo never spends money by accident.
	SimulatedBaseURL = "sim"
)

// Options choose the language models. The task LM runs programs; the
// prompt LM answers optimizers' meta-prompts (instruction proposals,
// reflections, summaries).
//
// With no API key ($OPENAI_API_KEY) and no base URL, both are the simulated
// LM, served in-process: the offline default.
type Options struct {
	// BaseURL is the OpenAI-compatible endpoint including its version path.
	// Empty means $OPENAI_BASE_URL, then OpenAI's API when a key is set, and
	// the simulated LM when none is; SimulatedBaseURL forces the simulator.
	BaseURL string
	// APIKey authenticates to BaseURL. Empty means $OPENAI_API_KEY. It has
	// no flag, so it never shows in a process listing or shell history.
	APIKey string
	// Model is the task model (default DefaultModel, or the simulator's own
	// name when simulated).
	Model string
	// PromptModel is the prompt model (default Model).
	PromptModel string
	// EmbedModel is the embedding model, served by the same endpoint, for
	// optimizers and programs that embed (knn_fewshot). Empty means none
	// against a real endpoint and DefaultSimEmbedModel against the
	// simulated LM, which embeds for any model name.
	EmbedModel string
	// Timeout bounds one attempt of one call (0 takes the LM client's default).
	Timeout time.Duration
	// MaxRetries is how often the task LM retries a failed call itself, so
	// that one 429 does not fail a whole batch. The prompt LM never retries:
	// each of its calls is an activity, and Temporal's retry policy owns it.
	MaxRetries int
	// MaxConcurrency caps each client's requests in flight; 0 is no cap.
	MaxConcurrency int
	// RequestsPerSecond caps each client's request rate; 0 is no limit.
	RequestsPerSecond float64
	// CacheDir holds the disk cache shared by both clients, so a retried
	// activity or a rerun pays nothing twice. "" or CacheOff keeps the cache
	// in memory only. One process at a time may use a directory.
	CacheDir string
	// Sim configures the simulated LM in simlm.ParseConfig's syntax, e.g.
	// "seed=3,latency=lognormal:80ms:0.5,err429=0.05".
	Sim string

	// env holds environment values BindFlags could not parse.
	env envflag.Errors
}

// DefaultOptions returns the options a command line starts from before the
// environment and flags apply: persist the cache under .durable-dspy/ and
// retry task-LM calls.
func DefaultOptions() Options {
	return Options{Timeout: DefaultTimeout, MaxRetries: DefaultRetries, CacheDir: DefaultCacheDir}
}

// Validate reports every problem with o at once, each naming the flag (or
// environment variable) to change.
func (o Options) Validate() error {
	errs := []error{o.env.Err()}
	for _, n := range []struct {
		flag  string
		value float64
	}{
		{FlagTimeout, float64(o.Timeout)},
		{FlagMaxRetries, float64(o.MaxRetries)},
		{FlagMaxConcurrency, float64(o.MaxConcurrency)},
		{FlagRPS, o.RequestsPerSecond},
	} {
		// The comparison is written so that NaN fails it too.
		if !(n.value >= 0) {
			errs = append(errs, fmt.Errorf("--%s must not be negative", n.flag))
		}
	}
	return errors.Join(errs...)
}
