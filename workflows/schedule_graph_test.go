package workflows_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// graphInput is a MIPROv2 case whose graph has it all: a dataset summary of
// three observations, two proposals, and unguided trials before each of two
// full evaluations.
func graphInput(t *testing.T) workflows.OptimizeInput {
	t.Helper()
	in := caseNamed(t, "miprov2").input()
	in.Params = json.RawMessage(`{"auto": "none", "num_candidates": 3, "num_trials": 6, "minibatch_size": 4, "minibatch_full_eval_steps": 3, "max_bootstrapped_demos": 2, "max_labeled_demos": 2, "view_data_batch_size": 3}`)
	return in
}

// runSequential compiles in's optimization in process with the sequential
// schedule and returns the result and every checkpoint's state.
func runSequential(t *testing.T, client dspy.LM, in workflows.OptimizeInput) (optimize.Result, []string) {
	t.Helper()
	opt, err := optimize.New(in.Optimizer, in.Params)
	require.NoError(t, err)
	var states []string
	eng, err := optimize.NewLocalEngine(optimize.LocalOptions{
		Program: func() (dspy.Module, error) { return arithmeticSpec.Build(nil) },
		Metric:  evaluate.ExactMatch("answer"), TaskLM: client, Concurrency: 8,
		OnCheckpoint: func(_ context.Context, cp optimize.Checkpoint) error {
			states = append(states, string(cp.State))
			return nil
		},
	})
	require.NoError(t, err)
	program, err := arithmeticSpec.Build(nil)
	require.NoError(t, err)
	res, err := opt.Compile(context.Background(), optimize.Sequential(eng), optimize.TaskFor(program, in.Trainset.Examples, in.Valset.Examples))
	require.NoError(t, err)
	return res, states
}

// A durable MIPROv2 run on today's schedule, which forks its pre-search work
// and first unguided trials as one graph, sends the LM the requests of the
// sequential schedule, as often, and compiles its program with its scores
// and trials.
func TestMIPROv2GraphScheduleDurablyEqualsSequential(t *testing.T) {
	in := graphInput(t)
	_, seqClient := testkit.SimLM(t, simlm.Config{Seed: 13}, fastLM(3))
	seqLM := newRecordingLM(seqClient)
	want, _ := runSequential(t, seqLM, in)
	_, durableClient := testkit.SimLM(t, simlm.Config{Seed: 13}, fastLM(3))
	durableLM := newRecordingLM(durableClient)
	got := runDurable(t, durableLM, in)

	require.Equal(t, seqLM.requests, durableLM.requests)
	assert.Equal(t, encoded(t, want.Program), encoded(t, got.Program))
	assert.Equal(t, want.Score, got.Score)
	assert.Equal(t, want.BaselineScore, got.BaselineScore)
	assert.Equal(t, want.Trials, got.Trials)
}

// A durable run that continues as new at every checkpoint resumes from each
// of them (amid the demo sets, amid the proposals, amid the unguided trials
// and after), building the graph of what is left each time; the states it
// carries are the sequential schedule's checkpoints, one by one, and it
// compiles the same program.
func TestMIPROv2GraphScheduleResumedAtEveryCheckpointEqualsSequential(t *testing.T) {
	in := graphInput(t)
	_, seqClient := testkit.SimLM(t, simlm.Config{Seed: 13}, fastLM(3))
	want, states := runSequential(t, seqClient, in)
	_, client := testkit.SimLM(t, simlm.Config{Seed: 13}, fastLM(3))
	in.Execution.ContinueAsNewEvents = 2
	got, carried := runChain(t, workerConfig(client), in)

	carriedStates := make([]string, len(carried))
	for i, next := range carried {
		carriedStates[i] = string(next.Carry.Resume)
	}
	require.Equal(t, states, carriedStates)
	phases := map[string]int{}
	for _, s := range states {
		var st struct{ Phase string }
		require.NoError(t, json.Unmarshal([]byte(s), &st))
		phases[st.Phase]++
	}
	// Three proposals (the first keeps the original instructions) and the
	// summary, then the baseline and the trials: runs resumed amid each.
	assert.Equal(t, 4, phases["propose"])
	assert.Greater(t, phases["search"], 6)
	assert.Equal(t, encoded(t, want.Program), encoded(t, got.Program))
	assert.Equal(t, want.Score, got.Score)
	assert.Equal(t, want.Trials, got.Trials)
}
