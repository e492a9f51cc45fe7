package workerlib

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/internal/envflag"
	"github.com/durable-dspy/durable-dspy/worker/lmconfig"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
)

// Flag names of the worker's own limits; the connection's are
// temporalconn's and the LM's are lmconfig's.
const (
	FlagConcurrency             = "concurrency"
	FlagMaxConcurrentActivities = "max-concurrent-activities"
	FlagStopTimeout             = "stop-timeout"
)

// Environment variables read as the defaults of the worker's own flags.
const (
	EnvConcurrency             = "DSPY_CONCURRENCY"
	EnvMaxConcurrentActivities = "DSPY_MAX_CONCURRENT_ACTIVITIES"
	EnvStopTimeout             = "DSPY_STOP_TIMEOUT"
)

// Defaults of the worker's own limits.
const (
	// DefaultMaxConcurrentActivities bounds the activities one worker runs at
	// once: enough to keep an optimizer's in-flight window busy, few enough
	// that a worker's LM clients are not flooded. Start applies it for zero.
	DefaultMaxConcurrentActivities = 200
	// DefaultStopTimeout is the command line's grace period for in-flight
	// activities on shutdown; Start takes zero literally.
	DefaultStopTimeout = 30 * time.Second
)

// Options configures a worker: where Temporal is (or whether to run it
// in-process), which LM to call, what workflows may name and how much to
// run at once.
//
// Fields are taken literally where zero has a meaning: Temporal.DevDB ""
// keeps the database in memory, Temporal.DevPort 0 picks a free port,
// LM.CacheDir "" turns the disk cache off, LM.MaxRetries 0 makes each
// task-LM call a single attempt. DefaultOptions and BindFlags fill in the
// command-line defaults instead, which persist state under .durable-dspy/
// in the working directory.
type Options struct {
	// Temporal says where Temporal is, or that it runs in this process.
	Temporal temporalconn.Options
	// LM chooses and tunes the language models.
	LM lmconfig.Options

	// Concurrency bounds the examples one batch activity runs at once
	// (0 takes the activities' default, 16).
	Concurrency int
	// MaxConcurrentActivities bounds the activities this worker runs at once
	// (default DefaultMaxConcurrentActivities).
	MaxConcurrentActivities int
	// StopTimeout is how long Stop lets in-flight activities finish before
	// cancelling them; 0 cancels them at once.
	StopTimeout time.Duration

	// Programs, Metrics and Tools are what workflows may name beyond inline
	// specs and the built-in metrics; see workflows.Config.
	Programs map[string]activities.ProgramFactory
	Metrics  map[string]evaluate.Metric
	Tools    []*dspy.Tool

	// Logger receives the Temporal client's, worker's and dev server's logs;
	// nil means slog.Default().
	Logger *slog.Logger

	// env holds environment values BindFlags could not parse.
	env envflag.Errors
}

// DefaultOptions returns the options a command line starts from before the
// environment and flags apply: connect to a local Temporal, persist the dev
// database and the LM cache under .durable-dspy/, retry task-LM calls.
func DefaultOptions() Options {
	return Options{
		Temporal:                temporalconn.DefaultOptions(),
		LM:                      lmconfig.DefaultOptions(),
		MaxConcurrentActivities: DefaultMaxConcurrentActivities,
		StopTimeout:             DefaultStopTimeout,
	}
}

// withDefaults fills in the options whose zero value means nothing.
func (o Options) withDefaults() Options {
	o.Temporal = o.Temporal.WithDefaults()
	if o.MaxConcurrentActivities <= 0 {
		o.MaxConcurrentActivities = DefaultMaxConcurrentActivities
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Validate reports every problem with o at once, each naming the flag (or
// environment variable) to change, so a user fixes a command line in one go.
func (o Options) Validate() error {
	errs := []error{o.Temporal.Validate(), o.LM.Validate(), o.env.Err()}
	for _, n := range []struct {
		flag  string
		value int64
	}{
		{FlagConcurrency, int64(o.Concurrency)},
		{FlagMaxConcurrentActivities, int64(o.MaxConcurrentActivities)},
		{FlagStopTimeout, int64(o.StopTimeout)},
	} {
		if n.value < 0 {
			errs = append(errs, fmt.Errorf("--%s must not be negative", n.flag))
		}
	}
	return errors.Join(errs...)
}
