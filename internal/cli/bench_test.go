package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/internal/bench"
	"github.com/durable-dspy/durable-dspy/internal/exitcode"
)

func TestParseSections(t *testing.T) {
	got, err := parseSections("memory, latency,memory")
	require.NoError(t, err)
	require.Equal(t, []string{"latency", "memory"}, got, "run order, duplicates dropped")

	for _, bad := range []string{"latency,speed", "", " , "} {
		_, err := parseSections(bad)
		var u *exitcode.UsageError
		require.True(t, errors.As(err, &u), "%q: want a usage error, got %v", bad, err)
		require.Contains(t, err.Error(), "--sections")
	}
}

func TestParseConcurrency(t *testing.T) {
	got, err := parseConcurrency("16, 64,256")
	require.NoError(t, err)
	require.Equal(t, []int{16, 64, 256}, got)
	for _, bad := range []string{"16,x", "0", "-4", ""} {
		_, err := parseConcurrency(bad)
		require.ErrorContains(t, err, "--concurrency", bad)
	}
}

// runBenchCmd runs the bench command alone (without the root's global flags).
func runBenchCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newBenchCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestBenchJSONReport(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	out, err := runBenchCmd(t, "--sections", "latency,throughput,modules", "--calls", "5", "--warmup", "1",
		"--concurrency", "2,4", "--rounds", "1", "--sequential-calls", "2", "--sim-latency", "1ms", "--json")
	require.NoError(t, err)

	var rep bench.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, bench.PercentileMethod, rep.Environment.PercentileMethod)
	require.Equal(t, 1.0, rep.Environment.SimLatencyMS)

	require.NotNil(t, rep.Latency)
	require.Equal(t, 5, rep.Latency.Calls)
	require.Equal(t, 1, rep.Latency.Warmup)
	require.Equal(t, 5, rep.Latency.Total.N)
	require.Equal(t, 1.0, rep.Latency.LMCallsPerCall)
	require.LessOrEqual(t, rep.Latency.Total.MinMS, rep.Latency.Total.P50MS)
	require.LessOrEqual(t, rep.Latency.Total.P50MS, rep.Latency.Total.MaxMS)

	require.NotNil(t, rep.Throughput)
	require.Equal(t, 2, rep.Throughput.Sequential.Examples)
	require.Len(t, rep.Throughput.Levels, 2)
	require.Equal(t, 4, rep.Throughput.Levels[1].Concurrency)
	require.Equal(t, int64(4), rep.Throughput.Levels[1].LMCalls)
	require.Equal(t, 4000.0, rep.Throughput.Levels[1].IdealCallsPerSec, "4 slots over 1 ms")
	require.Zero(t, rep.Throughput.Levels[1].SteadyCallsPerSec, "one round has no middle rounds")

	require.NotNil(t, rep.Modules)
	require.Equal(t, "Predict", rep.Modules.Modules[0].Module)
	require.Equal(t, "ChainOfThought", rep.Modules.Modules[1].Module)
	require.Nil(t, rep.Memory)
	require.Nil(t, rep.Durable)
	require.Contains(t, rep.Warnings[0], "p99 over 5 samples")
}

func TestBenchSteadyThroughput(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	out, err := runBenchCmd(t, "--sections", "throughput", "--concurrency", "2", "--rounds", "4",
		"--sequential-calls", "2", "--sim-latency", "1ms", "--json")
	require.NoError(t, err)
	var rep bench.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	l := rep.Throughput.Levels[0]
	require.Equal(t, 8, l.Examples)
	require.Positive(t, l.SteadyCallsPerSec, "four rounds leave two in the middle")
	require.InDelta(t, l.SteadyCallsPerSec/l.IdealCallsPerSec, l.SteadyShareOfIdeal, 1e-3)
}

func TestBenchTable(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	out, err := runBenchCmd(t, "--sections", "latency", "--calls", "3", "--warmup", "0", "--sim-latency", "1ms")
	require.NoError(t, err)
	require.Contains(t, out, "Single-call latency (ms), 3 calls after 0 warm-up")
	require.Contains(t, out, "LM round trip")
	require.Contains(t, out, "Warnings")
}

func TestBenchBadUsage(t *testing.T) {
	_, err := runBenchCmd(t, "--sections", "latency", "--metric", "no_such_metric")
	require.Equal(t, exitcode.Usage, exitCode(err))
	require.ErrorContains(t, err, "--metric")

	_, err = runBenchCmd(t, "--spec", "does-not-exist.yaml")
	require.Equal(t, exitcode.Usage, exitCode(err))
}
