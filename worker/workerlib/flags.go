package workerlib

import (
	"github.com/spf13/pflag"

	"github.com/durable-dspy/durable-dspy/internal/envflag"
	"github.com/durable-dspy/durable-dspy/worker/lmconfig"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
)

// BindFlags registers every worker flag on fs: the Temporal connection's
// (temporalconn.BindFlags), the embedded dev server's
// (temporalconn.BindDevFlags), the LM's (lmconfig.BindFlags) and the
// worker's limits. The worker binary and the CLI's commands both use it, so
// their flags agree.
//
// Each bound field of o is first set to its default: the environment
// variable named in the flag's help when set, else DefaultOptions' value.
// An environment value that does not parse makes Validate and Start fail
// naming the variable, unless the flag is given on the command line. The
// two secrets, TEMPORAL_API_KEY and OPENAI_API_KEY, have no flags and are
// read by Start.
func BindFlags(fs *pflag.FlagSet, o *Options) {
	temporalconn.BindFlags(fs, &o.Temporal)
	temporalconn.BindDevFlags(fs, &o.Temporal)
	lmconfig.BindFlags(fs, &o.LM)

	d := DefaultOptions()
	fs.IntVar(&o.Concurrency, FlagConcurrency, 0, "examples one batch activity runs at once (0 = 16)")
	envflag.Bind(fs, &o.env, FlagConcurrency, EnvConcurrency)
	fs.IntVar(&o.MaxConcurrentActivities, FlagMaxConcurrentActivities, d.MaxConcurrentActivities, "activities this worker runs at once")
	envflag.Bind(fs, &o.env, FlagMaxConcurrentActivities, EnvMaxConcurrentActivities)
	fs.DurationVar(&o.StopTimeout, FlagStopTimeout, d.StopTimeout, "on shutdown, how long in-flight activities may finish before they are cancelled")
	envflag.Bind(fs, &o.env, FlagStopTimeout, EnvStopTimeout)
}
