package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The committed benchmark output reads into one load per sub-benchmark,
// and the chart draws a serve and a floor bar for each in both panels.
func TestPlotsTheCommittedServingBenchmark(t *testing.T) {
	var b strings.Builder
	require.NoError(t, run("../../docs/serve-bench.txt", &b))
	svg := b.String()
	assert.True(t, strings.HasPrefix(svg, "<svg"))
	assert.Equal(t, 2, strings.Count(svg, ">100 clients × 500ms<"))
	assert.Equal(t, 2, strings.Count(svg, ">256 clients × 100ms<"))
	assert.Equal(t, 1+2+2*2*2, strings.Count(svg, "<rect"), "background, two legend keys, two bars per load per panel")
}

// Output that holds no serving benchmark is an error, not an empty chart.
func TestRefusesOutputWithoutServingResults(t *testing.T) {
	_, err := read(strings.NewReader("BenchmarkOther-2 1 100 ns/op\n"), "other.txt")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no BenchmarkServe results")
}
