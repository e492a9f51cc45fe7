package workerlib

import (
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// Flag names, shared by the worker binary and the CLI so that one spelling
// works everywhere and error messages can point at the flag to change.
const (
	FlagAddress       = "address"
	FlagNamespace     = "namespace"
	FlagTaskQueue     = "task-queue"
	FlagTLSCert       = "tls-cert-file"
	FlagTLSKey        = "tls-key-file"
	FlagTLSCA         = "tls-ca-file"
	FlagTLSServerName = "tls-server-name"
	FlagDialTimeout   = "dial-timeout"

	FlagDev       = "dev"
	FlagDevDB     = "dev-db"
	FlagDevIP     = "ip"
	FlagDevPort   = "port"    // devserver.PortFlag, so its port-in-use advice is right
	FlagDevUIPort = "ui-port" // devserver.UIPortFlag

	FlagLMBaseURL        = "lm-base-url"
	FlagLMModel          = "lm-model"
	FlagLMPromptModel    = "lm-prompt-model"
	FlagLMTimeout        = "lm-timeout"
	FlagLMMaxRetries     = "lm-max-retries"
	FlagLMMaxConcurrency = "lm-max-concurrency"
	FlagLMRPS            = "lm-rps"
	FlagLMCacheDir       = "lm-cache-dir"
	FlagSim              = "sim"

	FlagConcurrency             = "concurrency"
	FlagMaxConcurrentActivities = "max-concurrent-activities"
	FlagStopTimeout             = "stop-timeout"
)

// Environment variables read as flag defaults (by BindFlags) or, for the two
// secrets, only ever from the environment (by Start and Dial).
const (
	EnvAddress       = "TEMPORAL_ADDRESS"
	EnvNamespace     = "TEMPORAL_NAMESPACE"
	EnvAPIKey        = "TEMPORAL_API_KEY"
	EnvTLSCert       = "TEMPORAL_TLS_CERT"
	EnvTLSKey        = "TEMPORAL_TLS_KEY"
	EnvTLSCA         = "TEMPORAL_TLS_CA"
	EnvTLSServerName = "TEMPORAL_TLS_SERVER_NAME"
	EnvTaskQueue     = "DSPY_TASK_QUEUE"
	EnvDialTimeout   = "DSPY_DIAL_TIMEOUT"

	EnvDev       = "DSPY_DEV"
	EnvDevDB     = "DSPY_DEV_DB"
	EnvDevIP     = "DSPY_DEV_IP"
	EnvDevPort   = "DSPY_DEV_PORT"
	EnvDevUIPort = "DSPY_DEV_UI_PORT"

	EnvLMBaseURL        = lm.EnvBaseURL
	EnvLMAPIKey         = lm.EnvAPIKey
	EnvLMModel          = "OPENAI_MODEL"
	EnvLMPromptModel    = "DSPY_PROMPT_MODEL"
	EnvLMTimeout        = "DSPY_LM_TIMEOUT"
	EnvLMMaxRetries     = "DSPY_LM_MAX_RETRIES"
	EnvLMMaxConcurrency = "DSPY_LM_MAX_CONCURRENCY"
	EnvLMRPS            = "DSPY_LM_RPS"
	EnvLMCacheDir       = "DSPY_CACHE_DIR"
	// EnvSim configures the simulated LM; simlm's own SIMLM is read when it is unset.
	EnvSim = "DSPY_SIM"

	EnvConcurrency             = "DSPY_CONCURRENCY"
	EnvMaxConcurrentActivities = "DSPY_MAX_CONCURRENT_ACTIVITIES"
	EnvStopTimeout             = "DSPY_STOP_TIMEOUT"
)

// BindClientFlags registers the flags that say how to reach Temporal:
// address, namespace, task queue, TLS and the dial timeout. Commands that
// only talk to a server bind these; a worker binds them all with BindFlags.
//
// Each bound field of o is first set to its default: the environment
// variable named in the flag's help when set, else DefaultOptions' value.
func BindClientFlags(fs *pflag.FlagSet, o *Options) {
	d := DefaultOptions()
	b := binder{fs: fs, o: o}
	fs.StringVar(&o.Address, FlagAddress, d.Address, "Temporal frontend host:port")
	b.env(FlagAddress, EnvAddress)
	fs.StringVar(&o.Namespace, FlagNamespace, d.Namespace, "Temporal namespace")
	b.env(FlagNamespace, EnvNamespace)
	fs.StringVar(&o.TaskQueue, FlagTaskQueue, d.TaskQueue, "task queue the worker polls and workflows start on")
	b.env(FlagTaskQueue, EnvTaskQueue)
	fs.StringVar(&o.TLSCertFile, FlagTLSCert, "", "PEM client certificate for mutual TLS")
	b.env(FlagTLSCert, EnvTLSCert)
	fs.StringVar(&o.TLSKeyFile, FlagTLSKey, "", "PEM client private key for mutual TLS")
	b.env(FlagTLSKey, EnvTLSKey)
	fs.StringVar(&o.TLSCAFile, FlagTLSCA, "", "PEM CA bundle to verify the server with, instead of the system roots")
	b.env(FlagTLSCA, EnvTLSCA)
	fs.StringVar(&o.TLSServerName, FlagTLSServerName, "", "server name to verify the server's certificate against")
	b.env(FlagTLSServerName, EnvTLSServerName)
	fs.DurationVar(&o.DialTimeout, FlagDialTimeout, d.DialTimeout, "how long to try reaching Temporal before giving up")
	b.env(FlagDialTimeout, EnvDialTimeout)
}

// BindFlags registers every worker flag on fs: BindClientFlags' flags, the
// embedded dev server's, the LM's and the worker's limits. The worker binary
// and the CLI's demo command both use it, so their flags agree.
//
// Each bound field of o is first set to its default: the environment
// variable named in the flag's help when set, else DefaultOptions' value.
// An environment value that does not parse makes Start fail naming the
// variable, unless the flag is given on the command line. The two secrets,
// TEMPORAL_API_KEY and OPENAI_API_KEY, have no flags and are read by Start.
func BindFlags(fs *pflag.FlagSet, o *Options) {
	BindClientFlags(fs, o)
	d := DefaultOptions()
	b := binder{fs: fs, o: o}

	fs.BoolVar(&o.Dev, FlagDev, false, "run an embedded Temporal dev server with its Web UI in this process")
	b.env(FlagDev, EnvDev)
	fs.StringVar(&o.DevDB, FlagDevDB, d.DevDB, `dev server's SQLite file ("" or `+InMemoryDB+` keeps it in memory)`)
	b.env(FlagDevDB, EnvDevDB)
	fs.StringVar(&o.DevIP, FlagDevIP, d.DevIP, "address the dev server and its UI listen on")
	b.env(FlagDevIP, EnvDevIP)
	fs.IntVar(&o.DevPort, FlagDevPort, d.DevPort, "dev server's gRPC port (0 picks a free one)")
	b.env(FlagDevPort, EnvDevPort)
	fs.IntVar(&o.DevUIPort, FlagDevUIPort, d.DevUIPort, "dev server's Web UI port (0 picks a free one, -1 disables the UI)")
	b.env(FlagDevUIPort, EnvDevUIPort)

	fs.StringVar(&o.LM.BaseURL, FlagLMBaseURL, "", `OpenAI-compatible endpoint with its version path; "`+SimulatedBaseURL+`" forces the simulated LM (default: OpenAI with $`+EnvLMAPIKey+`, else simulated)`)
	b.env(FlagLMBaseURL, EnvLMBaseURL)
	fs.StringVar(&o.LM.Model, FlagLMModel, "", "task model (default "+DefaultModel+", or the simulator's)")
	b.env(FlagLMModel, EnvLMModel)
	fs.StringVar(&o.LM.PromptModel, FlagLMPromptModel, "", "prompt model for optimizers' meta-prompts (default: the task model)")
	b.env(FlagLMPromptModel, EnvLMPromptModel)
	fs.DurationVar(&o.LM.Timeout, FlagLMTimeout, d.LM.Timeout, "bound on one LM call attempt")
	b.env(FlagLMTimeout, EnvLMTimeout)
	fs.IntVar(&o.LM.MaxRetries, FlagLMMaxRetries, d.LM.MaxRetries, "retries of a failed task-LM call inside a batch activity")
	b.env(FlagLMMaxRetries, EnvLMMaxRetries)
	fs.IntVar(&o.LM.MaxConcurrency, FlagLMMaxConcurrency, 0, "LM requests in flight per client (0 = no cap)")
	b.env(FlagLMMaxConcurrency, EnvLMMaxConcurrency)
	fs.Float64Var(&o.LM.RequestsPerSecond, FlagLMRPS, 0, "LM requests per second per client (0 = no limit)")
	b.env(FlagLMRPS, EnvLMRPS)
	fs.StringVar(&o.LM.CacheDir, FlagLMCacheDir, d.LM.CacheDir, `directory of the LM disk cache ("" or `+CacheOff+` keeps it in memory)`)
	b.env(FlagLMCacheDir, EnvLMCacheDir)
	fs.StringVar(&o.LM.Sim, FlagSim, "", `simulated LM settings, e.g. "seed=3,latency=lognormal:80ms:0.5,err429=0.05"`)
	if !b.env(FlagSim, EnvSim) {
		b.env(FlagSim, simlm.EnvVar)
	}

	fs.IntVar(&o.Concurrency, FlagConcurrency, 0, "examples one batch activity runs at once (0 = 16)")
	b.env(FlagConcurrency, EnvConcurrency)
	fs.IntVar(&o.MaxConcurrentActivities, FlagMaxConcurrentActivities, d.MaxConcurrentActivities, "activities this worker runs at once")
	b.env(FlagMaxConcurrentActivities, EnvMaxConcurrentActivities)
	fs.DurationVar(&o.StopTimeout, FlagStopTimeout, d.StopTimeout, "on shutdown, how long in-flight activities may finish before they are cancelled")
	b.env(FlagStopTimeout, EnvStopTimeout)
}

// binder applies environment defaults to flags already defined.
type binder struct {
	fs *pflag.FlagSet
	o  *Options
}

// env sets flag name from the environment variable when it is set, so the
// help shows the value in force, notes the variable in the help, and
// reports whether the variable was set. A value that does not parse is
// kept aside for Start to report, unless the flag is later set explicitly.
func (b binder) env(name, variable string) bool {
	f := b.fs.Lookup(name)
	f.Usage += " [$" + variable + "]"
	val, ok := os.LookupEnv(variable)
	if !ok {
		return false
	}
	if err := f.Value.Set(val); err != nil {
		// pflag's numeric values store the zero value on a parse error.
		_ = f.Value.Set(f.DefValue)
		if b.o.envErrs == nil {
			b.o.envErrs = map[string]error{}
		}
		b.o.envErrs[name] = fmt.Errorf("$%s=%s: %w (fix or unset it, or pass --%s)", variable, strconv.Quote(val), err, name)
		f.Value = &clearOnSet{Value: f.Value, clear: func() { delete(b.o.envErrs, name) }}
		return true
	}
	f.DefValue = f.Value.String()
	return true
}

// clearOnSet forgets a bad environment default once the flag is given.
type clearOnSet struct {
	pflag.Value
	clear func()
}

// Set sets the flag and clears the pending environment error.
func (c *clearOnSet) Set(s string) error {
	if err := c.Value.Set(s); err != nil {
		return err
	}
	c.clear()
	return nil
}
