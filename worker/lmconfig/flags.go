package lmconfig

import (
	"github.com/spf13/pflag"

	"github.com/durable-dspy/durable-dspy/internal/envflag"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// BindFlags registers the LM flags on fs. Each bound field of o is first
// set to its default: the environment variable named in the flag's help
// when set, else DefaultOptions' value. An environment value that does not
// parse fails Validate, naming the variable, unless the flag is given on
// the command line. The API key has no flag: Open reads $OPENAI_API_KEY.
func BindFlags(fs *pflag.FlagSet, o *Options) {
	d := DefaultOptions()
	fs.StringVar(&o.BaseURL, FlagBaseURL, "", `OpenAI-compatible endpoint with its version path; "`+SimulatedBaseURL+`" forces the simulated LM (default: OpenAI with $`+EnvAPIKey+`, else simulated)`)
	envflag.Bind(fs, &o.env, FlagBaseURL, EnvBaseURL)
	fs.StringVar(&o.Model, FlagModel, "", "task model (default "+DefaultModel+", or the simulator's)")
	envflag.Bind(fs, &o.env, FlagModel, EnvModel)
	fs.StringVar(&o.PromptModel, FlagPromptModel, "", "prompt model for optimizers' meta-prompts (default: the task model)")
	envflag.Bind(fs, &o.env, FlagPromptModel, EnvPromptModel)
	fs.StringVar(&o.EmbedModel, FlagEmbedModel, "", "embedding model on the same endpoint, for knn_fewshot (default: none, or the simulator's)")
	envflag.Bind(fs, &o.env, FlagEmbedModel, EnvEmbedModel)
	fs.DurationVar(&o.Timeout, FlagTimeout, d.Timeout, "bound on one LM call attempt")
	envflag.Bind(fs, &o.env, FlagTimeout, EnvTimeout)
	fs.IntVar(&o.MaxRetries, FlagMaxRetries, d.MaxRetries, "retries of a failed task-LM call inside a batch activity")
	envflag.Bind(fs, &o.env, FlagMaxRetries, EnvMaxRetries)
	fs.IntVar(&o.MaxConcurrency, FlagMaxConcurrency, 0, "LM requests in flight per client (0 = no cap)")
	envflag.Bind(fs, &o.env, FlagMaxConcurrency, EnvMaxConcurrency)
	fs.Float64Var(&o.RequestsPerSecond, FlagRPS, 0, "LM requests per second per client (0 = no limit)")
	envflag.Bind(fs, &o.env, FlagRPS, EnvRPS)
	fs.StringVar(&o.CacheDir, FlagCacheDir, d.CacheDir, `directory of the LM disk cache ("" or `+CacheOff+` keeps it in memory)`)
	envflag.Bind(fs, &o.env, FlagCacheDir, EnvCacheDir)
	fs.StringVar(&o.Sim, FlagSim, "", `simulated LM settings, e.g. "seed=3,latency=lognormal:80ms:0.5,err429=0.05"`)
	if !envflag.Bind(fs, &o.env, FlagSim, EnvSim) {
		envflag.Bind(fs, &o.env, FlagSim, simlm.EnvVar)
	}
}
