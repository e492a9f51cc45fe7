package optimize_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// On the simulated LM's task, with the settings docs/optimizers-vs-dspy.md
// compares against DSPy, each optimizer raises the validation score over
// the zero-shot student, by what the comparison recorded.
func TestSIMBAEnsembleAndInferRulesImproveOnTheSimulatedTask(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three optimizations on the simulated LM")
	}
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, lm.Options{MaxRetries: 3})
	train, val := testkit.Arithmetic(1, 32), testkit.Arithmetic(2, 40)
	newProgram := func() (dspy.Module, error) { return dspy.NewPredict(dspy.MustSignature("question -> answer")), nil }
	engine, err := optimize.NewLocalEngine(optimize.LocalOptions{Program: newProgram, Metric: evaluate.ExactMatch("answer"), TaskLM: client, Concurrency: 8})
	require.NoError(t, err)
	score := func(st dspy.ProgramState) float64 {
		outs, err := engine.Run(context.Background(), optimize.Batch{Candidate: st, Examples: val})
		require.NoError(t, err)
		return optimize.Percent(outs)
	}
	program, _ := newProgram()
	task := optimize.TaskFor(program, train, val)
	baseline := score(task.Student)
	assert.Equal(t, 37.5, baseline)
	for _, c := range []struct {
		name, params string
		want         float64
	}{
		{"simba", `{"bsize": 8, "num_candidates": 4, "max_steps": 4, "max_demos": 4, "seed": 0}`, 62.5},
		{"ensemble", `{"num_programs": 3, "max_bootstrapped_demos": 4, "max_labeled_demos": 4}`, 72.5},
		{"infer_rules", `{"num_candidates": 3, "num_rules": 5, "max_bootstrapped_demos": 4, "max_labeled_demos": 4}`, 50},
	} {
		t.Run(c.name, func(t *testing.T) {
			opt, err := optimize.New(c.name, json.RawMessage(c.params))
			require.NoError(t, err)
			res, err := opt.Compile(context.Background(), engine, task)
			require.NoError(t, err)
			got := score(res.Program)
			assert.Greater(t, got, baseline)
			assert.Equal(t, c.want, got)
		})
	}
}
