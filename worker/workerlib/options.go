package workerlib

import (
	"log/slog"
	"time"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/worker/devserver"
)

// Defaults for the options. Start applies those whose zero value means
// nothing (addresses and names); the others are what BindFlags and
// DefaultOptions set, because for them zero is a meaningful choice (an
// in-memory database, no disk cache, a free port, no retries).
const (
	// DefaultAddress is Temporal's conventional local frontend.
	DefaultAddress = "127.0.0.1:7233"
	// DefaultNamespace is the namespace every Temporal server starts with.
	DefaultNamespace = "default"
	// DefaultTaskQueue is the queue durable-dspy's worker and CLI agree on.
	DefaultTaskQueue = "durable-dspy"

	// DefaultDevDB is where the command line persists the dev server.
	DefaultDevDB = ".durable-dspy/temporal.db"
	// DefaultDevPort and DefaultDevUIPort are Temporal's conventional dev ports,
	// so a CLI in another shell finds the server without flags.
	DefaultDevPort   = 7233
	DefaultDevUIPort = 8233

	// DefaultCacheDir is where the command line keeps the LM disk cache.
	DefaultCacheDir = ".durable-dspy/cache"
	// DefaultModel is the task model used against a real endpoint when none is named.
	DefaultModel = "gpt-4o-mini"
	// DefaultLMRetries is how often the command line's task LM retries a call.
	DefaultLMRetries = 3
	// DefaultLMTimeout bounds one LM call attempt on the command line.
	DefaultLMTimeout = 2 * time.Minute
	// DefaultDialTimeout bounds connecting to Temporal.
	DefaultDialTimeout = 10 * time.Second

	// DefaultMaxConcurrentActivities bounds the activities one worker runs at
	// once: enough to keep an optimizer's in-flight window busy, few enough
	// that a worker's LM clients are not flooded.
	DefaultMaxConcurrentActivities = 200
	// DefaultStopTimeout is the command line's grace period for in-flight
	// activities on shutdown.
	DefaultStopTimeout = 30 * time.Second
)

// Special values of some options.
const (
	// InMemoryDB as Options.DevDB keeps the dev server's database in memory,
	// as the empty string does; it reads better on a command line.
	InMemoryDB = ":memory:"
	// CacheOff as LMOptions.CacheDir disables the disk cache, as the empty
	// string does.
	CacheOff = "off"
	// SimulatedBaseURL as LMOptions.BaseURL uses the simulated LM even when
	// OPENAI_API_KEY is set, so a demo never spends money by accident.
	SimulatedBaseURL = "sim"
)

// Options configures a worker: where Temporal is (or whether to run it
// in-process), which LM to call and how much to run at once.
//
// Fields are taken literally where zero has a meaning: DevDB "" keeps the
// database in memory, DevPort 0 picks a free port, LM.CacheDir "" turns the
// disk cache off, LM.MaxRetries 0 makes each task-LM call a single attempt.
// DefaultOptions and BindFlags fill in the command-line defaults instead,
// which persist state under .durable-dspy/ in the working directory.
type Options struct {
	// Address is the Temporal frontend's host:port (default DefaultAddress).
	// Ignored with Dev, where the client dials the embedded server.
	Address string
	// Namespace is the Temporal namespace (default DefaultNamespace). With
	// Dev it is created if missing.
	Namespace string
	// TaskQueue is the queue the worker polls and clients start workflows on
	// (default DefaultTaskQueue).
	TaskQueue string

	// TLSCertFile and TLSKeyFile are a PEM client certificate and key for
	// mutual TLS; TLSCAFile is a PEM bundle to verify the server with instead
	// of the system roots; TLSServerName overrides the name the server's
	// certificate is checked against. Any of them turns TLS on.
	TLSCertFile, TLSKeyFile, TLSCAFile, TLSServerName string
	// TemporalAPIKey authenticates to Temporal Cloud and turns TLS on. Empty
	// means $TEMPORAL_API_KEY. It has no flag, so it never shows in a process
	// listing or shell history.
	TemporalAPIKey string
	// DialTimeout bounds connecting to Temporal, so a wrong address fails in
	// seconds rather than hanging (default DefaultDialTimeout).
	DialTimeout time.Duration

	// Dev runs an embedded Temporal dev server, with its Web UI, in this process.
	Dev bool
	// DevDB is the dev server's SQLite file, created with its directory if
	// missing. "" or InMemoryDB keeps everything in memory.
	DevDB string
	// DevIP is the address the dev server's frontend and UI listen on
	// (default 127.0.0.1; 0.0.0.0 serves other machines or containers).
	DevIP string
	// DevPort is the dev server's gRPC port; 0 picks a free one.
	DevPort int
	// DevUIPort is the Web UI's port; 0 picks a free one and -1 disables the UI.
	DevUIPort int

	// LM chooses and tunes the language models.
	LM LMOptions

	// Concurrency bounds the examples one batch activity runs at once
	// (0 takes the activities' default, 16).
	Concurrency int
	// MaxConcurrentActivities bounds the activities this worker runs at once
	// (default DefaultMaxConcurrentActivities).
	MaxConcurrentActivities int
	// StopTimeout is how long Stop lets in-flight activities finish before
	// cancelling them; 0 cancels them at once.
	StopTimeout time.Duration

	// Registry holds the user's Go programs, metrics and tools; nil means
	// activities.NewRegistry() with the built-in metrics only.
	Registry *activities.Registry
	// Logger receives the Temporal client's, worker's and dev server's logs;
	// nil means slog.Default().
	Logger *slog.Logger

	// envErrs holds environment values BindFlags could not parse, keyed by
	// flag; a flag given on the command line clears its entry. Shared between
	// copies of Options on purpose, as the flags write through pointers too.
	envErrs map[string]error
}

// LMOptions chooses the language models. The task LM runs programs; the
// prompt LM answers optimizers' meta-prompts (instruction proposals,
// reflections, summaries).
//
// With no API key ($OPENAI_API_KEY) and no base URL, both are the simulated
// LM, served in-process: the offline default.
type LMOptions struct {
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
}

// DefaultOptions returns the options a command line starts from before the
// environment and flags apply: connect to a local Temporal, persist the dev
// database and the LM cache under .durable-dspy/, retry task-LM calls.
func DefaultOptions() Options {
	return Options{
		Address:                 DefaultAddress,
		Namespace:               DefaultNamespace,
		TaskQueue:               DefaultTaskQueue,
		DialTimeout:             DefaultDialTimeout,
		DevDB:                   DefaultDevDB,
		DevIP:                   devserver.DefaultIP,
		DevPort:                 DefaultDevPort,
		DevUIPort:               DefaultDevUIPort,
		MaxConcurrentActivities: DefaultMaxConcurrentActivities,
		StopTimeout:             DefaultStopTimeout,
		LM: LMOptions{
			Timeout:    DefaultLMTimeout,
			MaxRetries: DefaultLMRetries,
			CacheDir:   DefaultCacheDir,
		},
	}
}

// withDefaults fills in the options whose zero value means nothing.
func (o Options) withDefaults() Options {
	if o.Address == "" {
		o.Address = DefaultAddress
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.TaskQueue == "" {
		o.TaskQueue = DefaultTaskQueue
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.MaxConcurrentActivities <= 0 {
		o.MaxConcurrentActivities = DefaultMaxConcurrentActivities
	}
	if o.Registry == nil {
		o.Registry = activities.NewRegistry()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
