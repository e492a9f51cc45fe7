package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/internal/exitcode"
)

// SIMBA, Ensemble and InferRules say what a run costs without running.
func TestDryRunPlansSIMBAEnsembleAndInferRules(t *testing.T) {
	spec, train, val := fixture(t)
	for _, c := range []struct {
		optimizer string
		params    []string
		settings  string
	}{
		{"simba", []string{"bsize=2", "num_candidates=2", "max_steps=3"}, "3 steps of 2 examples × 2 candidates"},
		{"ensemble", []string{"num_programs=3"}, "3 members, 3 per call, majority vote"},
		{"infer_rules", []string{"num_candidates=2"}, "2 candidates of 10 rules each"},
	} {
		t.Run(c.optimizer, func(t *testing.T) {
			args := []string{"optimize", "--spec", spec, "--trainset", train, "--valset", val, "--dry-run", "--optimizer", c.optimizer}
			for _, p := range c.params {
				args = append(args, "--param", p)
			}
			r := runCLI(t, args...)
			require.Equal(t, exitcode.OK, r.code, r.stderr)
			assert.Contains(t, r.stdout, c.settings)
		})
	}
	// Compile's check, in the plan: the mini-batch must fit the trainset.
	r := runCLI(t, "optimize", "--spec", spec, "--trainset", train, "--dry-run", "--optimizer", "simba")
	assert.NotEqual(t, exitcode.OK, r.code)
	assert.Contains(t, r.stderr, "trainset too small: 3 < bsize 32")
}
