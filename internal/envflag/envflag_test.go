package envflag_test

import (
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/internal/envflag"
)

func TestAnEnvironmentValueBecomesTheFlagsShownDefault(t *testing.T) {
	t.Setenv("ENVFLAG_TEST_N", "7")
	var n int
	var errs envflag.Errors
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.IntVar(&n, "n", 1, "a number")
	assert.True(t, envflag.Bind(fs, &errs, "n", "ENVFLAG_TEST_N"))
	assert.Equal(t, 7, n)
	assert.Equal(t, "7", fs.Lookup("n").DefValue)
	assert.Equal(t, "a number [$ENVFLAG_TEST_N]", fs.Lookup("n").Usage)
	assert.Nil(t, errs, "no map is made while every value parses")
}

func TestBadEnvironmentValuesAreReportedByFlagUntilTheFlagIsGiven(t *testing.T) {
	t.Setenv("ENVFLAG_TEST_A", "x")
	t.Setenv("ENVFLAG_TEST_B", "y")
	var a, b int
	var errs envflag.Errors
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.IntVar(&b, "b", 2, "")
	fs.IntVar(&a, "a", 1, "")
	envflag.Bind(fs, &errs, "b", "ENVFLAG_TEST_B")
	envflag.Bind(fs, &errs, "a", "ENVFLAG_TEST_A")
	assert.Equal(t, 1, a, "the default stays in force")
	require.Error(t, errs.Err())
	assert.Regexp(t, `(?s)^\$ENVFLAG_TEST_A="x": .*--a\)\n\$ENVFLAG_TEST_B="y": .*--b\)$`, errs.Err().Error(), "sorted by flag")

	require.NoError(t, fs.Parse([]string{"--a", "3", "--b", "4"}))
	assert.NoError(t, errs.Err())
	assert.Equal(t, 3, a)
}
