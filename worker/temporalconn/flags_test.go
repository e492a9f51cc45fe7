package temporalconn_test

import (
	"os"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
)

func TestBindFlagsBindsOnlyTheConnection(t *testing.T) {
	for _, v := range []string{temporalconn.EnvAddress, temporalconn.EnvNamespace, temporalconn.EnvTaskQueue, temporalconn.EnvDialTimeout, temporalconn.EnvTLSCert} {
		t.Setenv(v, "")
		require.NoError(t, os.Unsetenv(v))
	}
	var o temporalconn.Options
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	temporalconn.BindFlags(fs, &o)
	for _, name := range []string{temporalconn.FlagAddress, temporalconn.FlagNamespace, temporalconn.FlagTaskQueue, temporalconn.FlagTLSCert, temporalconn.FlagDialTimeout} {
		assert.NotNil(t, fs.Lookup(name), name)
	}
	for _, name := range []string{temporalconn.FlagDev, "lm-model", "sim"} {
		assert.Nil(t, fs.Lookup(name), name)
	}
	require.NoError(t, fs.Parse(nil))
	assert.Equal(t, temporalconn.DefaultOptions().Address, o.Address)
}
