package workerlib_test

import (
	"os"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/worker/lmconfig"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
	"github.com/durable-dspy/durable-dspy/worker/workerlib"
)

// clearEnv unsets every variable BindFlags reads, so the host's environment
// cannot leak into a test.
func clearEnv(t *testing.T) {
	for _, v := range []string{
		temporalconn.EnvAddress, temporalconn.EnvNamespace, temporalconn.EnvTaskQueue, temporalconn.EnvDialTimeout,
		temporalconn.EnvTLSCert, temporalconn.EnvTLSKey, temporalconn.EnvTLSCA, temporalconn.EnvTLSServerName,
		temporalconn.EnvDev, temporalconn.EnvDevDB, temporalconn.EnvDevIP, temporalconn.EnvDevPort, temporalconn.EnvDevUIPort,
		lmconfig.EnvBaseURL, lmconfig.EnvModel, lmconfig.EnvPromptModel, lmconfig.EnvTimeout,
		lmconfig.EnvMaxRetries, lmconfig.EnvMaxConcurrency, lmconfig.EnvRPS, lmconfig.EnvCacheDir,
		lmconfig.EnvSim, "SIMLM", workerlib.EnvConcurrency, workerlib.EnvMaxConcurrentActivities, workerlib.EnvStopTimeout,
	} {
		t.Setenv(v, "")
		// t.Setenv restores the variable afterwards; unset it for the test itself.
		require.NoError(t, os.Unsetenv(v))
	}
}

func bind(t *testing.T, args ...string) (workerlib.Options, *pflag.FlagSet) {
	t.Helper()
	var o workerlib.Options
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	workerlib.BindFlags(fs, &o)
	require.NoError(t, fs.Parse(args))
	return o, fs
}

func TestBindFlagsDefaultsAreTheDefaultOptions(t *testing.T) {
	clearEnv(t)
	o, _ := bind(t)
	assert.Equal(t, workerlib.DefaultOptions(), o)
}

func TestBindFlagsTakesDefaultsFromTheEnvironment(t *testing.T) {
	clearEnv(t)
	t.Setenv(temporalconn.EnvAddress, "temporal:7233")
	t.Setenv(temporalconn.EnvNamespace, "prod")
	t.Setenv(lmconfig.EnvModel, "gpt-4.1-mini")
	t.Setenv(lmconfig.EnvTimeout, "45s")
	t.Setenv(temporalconn.EnvDev, "true")
	t.Setenv("SIMLM", "seed=4")

	o, fs := bind(t)
	assert.Equal(t, "temporal:7233", o.Temporal.Address)
	assert.Equal(t, "prod", o.Temporal.Namespace)
	assert.Equal(t, "gpt-4.1-mini", o.LM.Model)
	assert.Equal(t, 45*time.Second, o.LM.Timeout)
	assert.True(t, o.Temporal.Dev)
	assert.Equal(t, "seed=4", o.LM.Sim, "simlm's own variable is read when DSPY_SIM is unset")
	assert.Equal(t, "temporal:7233", fs.Lookup(temporalconn.FlagAddress).DefValue, "help shows the default in force")
	assert.Contains(t, fs.Lookup(temporalconn.FlagAddress).Usage, "$"+temporalconn.EnvAddress)
}

func TestFlagsOverrideTheEnvironment(t *testing.T) {
	clearEnv(t)
	t.Setenv(temporalconn.EnvAddress, "temporal:7233")
	o, _ := bind(t, "--address", "other:7233", "--lm-max-retries", "0", "--lm-cache-dir", lmconfig.CacheOff)
	assert.Equal(t, "other:7233", o.Temporal.Address)
	assert.Zero(t, o.LM.MaxRetries)
	assert.Equal(t, lmconfig.CacheOff, o.LM.CacheDir)
}

func TestAMalformedEnvironmentValueFailsValidationNamingTheVariable(t *testing.T) {
	clearEnv(t)
	t.Setenv(lmconfig.EnvMaxRetries, "lots")
	o, _ := bind(t)
	err := o.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "$"+lmconfig.EnvMaxRetries+`="lots"`)
	assert.Contains(t, err.Error(), "--"+lmconfig.FlagMaxRetries)
	assert.Equal(t, lmconfig.DefaultRetries, o.LM.MaxRetries, "the default stays in force")
}

func TestAMalformedEnvironmentValueIsForgivenWhenItsFlagIsGiven(t *testing.T) {
	clearEnv(t)
	t.Setenv(lmconfig.EnvMaxRetries, "lots")
	o, _ := bind(t, "--lm-max-retries", "5")
	assert.NoError(t, o.Validate())
	assert.Equal(t, 5, o.LM.MaxRetries)
}

func TestNoFlagTakesASecret(t *testing.T) {
	clearEnv(t)
	_, fs := bind(t)
	fs.VisitAll(func(f *pflag.Flag) {
		assert.NotContains(t, f.Name, "api-key", "secrets come from the environment only")
		assert.NotContains(t, f.Name, "token")
		assert.NotContains(t, f.Name, "password")
	})
}
