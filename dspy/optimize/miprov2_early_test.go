package optimize

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
)

// withoutGraphs is a tapped local engine that forks but not graphs, as a
// durable run recorded before graphs existed: MIPROv2 runs its phases one
// after another, each forking its own work.
type withoutGraphs struct{ tap *forkTap }

func (w withoutGraphs) Run(ctx context.Context, b Batch) ([]Outcome, error) { return w.tap.Run(ctx, b) }

func (w withoutGraphs) Prompt(ctx context.Context, c PromptCall) ([]dspy.Example, error) {
	return w.tap.Prompt(ctx, c)
}

func (w withoutGraphs) Checkpoint(ctx context.Context, cp Checkpoint) error {
	return w.tap.Checkpoint(ctx, cp)
}

func (w withoutGraphs) Parallel() bool { return w.tap.Parallel() }

func (w withoutGraphs) Legacy() bool { return w.tap.Legacy() }

func (w withoutGraphs) Fork(ctx context.Context, n int, fn func(context.Context, Engine, int) error, after func(int) error) error {
	return w.tap.Fork(ctx, n, fn, after)
}

func (w withoutGraphs) tapped() *forkTap { return w.tap }

// Both parallel schedules, with and without the graph, compile the program
// of the sequential one with its scores, trials, checkpoints and LM
// requests, across the settings that take other branches of the graph.
func TestMIPROv2GraphAndPhasedSchedulesEqualSequential(t *testing.T) {
	for name, opt := range map[string]*MIPROv2{
		"default":          smallMIPRO(),
		"no labeled demos": {Auto: "none", NumCandidates: 4, NumTrials: 6, MinibatchSize: 10, MaxLabeledDemos: -1, ViewDataBatchSize: 8},
		"zero-shot":        {Auto: "none", NumCandidates: 4, NumTrials: 6, MinibatchSize: 10, MaxLabeledDemos: -1, MaxBootstrappedDemos: -1},
		"no summary":       {Auto: "none", NumCandidates: 3, NumTrials: 5, MinibatchSize: 10, DataAwareProposer: new(bool)},
		"no minibatches":   {Auto: "none", NumCandidates: 4, NumTrials: 12, Minibatch: new(bool), ViewDataBatchSize: 8},
		"not program-aware": {Auto: "none", NumCandidates: 4, NumTrials: 6, MinibatchSize: 10, ProgramAwareProposer: new(bool),
			TipAwareProposer: new(bool)},
	} {
		t.Run(name, func(t *testing.T) {
			model := simLM(t, 8)
			sequential := compileWith(t, model, opt, simTask(), sequentialLocal)
			graph := compileWith(t, model, opt, simTask(), func(e *LocalEngine) Engine { return &forkTap{LocalEngine: e} })
			phased := compileWith(t, model, opt, simTask(), func(e *LocalEngine) Engine { return withoutGraphs{&forkTap{LocalEngine: e}} })
			assertSameRuns(t, graph, sequential)
			assertSameRuns(t, phased, sequential)
			assert.Equal(t, 1, graph.graphs)
			assert.Zero(t, phased.graphs)
			assert.Zero(t, sequential.graphs)
		})
	}
}

// The graph scores the unguided trials with the demo sets, the summary, the
// proposals and the baseline, in one fork: the first run of trials that no
// score guides forks with the rest of the work before the search.
func TestMIPROv2GraphScoresUnguidedTrialsWithThePreSearchWork(t *testing.T) {
	model := simLM(t, 7)
	tap := &forkTap{}
	graph := compileWith(t, model, smallMIPRO(), simTask(), func(e *LocalEngine) Engine { tap.LocalEngine = e; return tap })
	require.Equal(t, 1, graph.graphs)
	first := tap.forks[0]
	assert.Contains(t, first, baselineLabel)
	assert.True(t, anyHasPrefix(first, "bootstrap "), "no demo set bootstrapped in the graph: %v", first)
	// Trials 2-6 (rows 2-6) are the unguided ones up to the first full evaluation.
	assert.Equal(t, []int{5, 3}, graph.trialForks)
}

func anyHasPrefix(labels []string, prefix string) bool {
	for _, l := range labels {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// A run resumed from a checkpoint amid the demo sets, right after the
// summary, amid the proposals or amid the unguided trials builds the graph
// of what is left and ends exactly as the sequential schedule resumed from
// there: program, scores, trials, checkpoints and LM requests.
func TestMIPROv2GraphResumedEqualsSequentialResumed(t *testing.T) {
	model := simLM(t, 9)
	var saved []Checkpoint
	eng := simEngine(t, model, 4, func(_ context.Context, cp Checkpoint) error {
		saved = append(saved, cp)
		return nil
	})
	_, err := smallMIPRO().Compile(context.Background(), Sequential(eng), simTask())
	require.NoError(t, err)
	at := func(phase string, step int) Checkpoint {
		for _, cp := range saved {
			if cp.Progress.Phase == phase && cp.Progress.Step == step {
				return cp
			}
		}
		t.Fatalf("no checkpoint at %s step %d", phase, step)
		return Checkpoint{}
	}
	for name, cp := range map[string]Checkpoint{
		"amid the demo sets":       at(miproBootstrap, 2),
		"after the summary":        at(miproPropose, 0),
		"amid the proposals":       at(miproPropose, 3),
		"amid the unguided trials": at(miproSearch, 3),
	} {
		t.Run(name, func(t *testing.T) {
			task := simTask()
			task.Resume = cp.State
			sequential := compileWith(t, model, smallMIPRO(), task, sequentialLocal)
			graph := compileWith(t, model, smallMIPRO(), task, func(e *LocalEngine) Engine { return &forkTap{LocalEngine: e} })
			assertSameRuns(t, graph, sequential)
			assert.NotEmpty(t, graph.requests)
			if cp.Progress.Phase == miproSearch {
				assert.Zero(t, graph.graphs, "the search resumes its own trials")
			} else {
				assert.Equal(t, 1, graph.graphs)
			}
		})
	}
}

// Work made ahead is taken only with the draws the in-order step makes: a
// generator reseeded between the graph's plan and that step makes the run
// fail instead of adding a demo set, an instruction or a trial made from
// other draws. Without the checks, the run would go on with results the
// sequential schedule never makes. (Reseeded rather than moved on by a
// draw: a minibatch's rejection sampling can skip a few words and land on
// the same sample.)
func TestMIPROv2GraphRefusesEarlyWorkMadeWithOtherDraws(t *testing.T) {
	for _, tc := range []struct {
		phase string
		step  int
		want  string
	}{
		{miproBootstrap, 1, "was built from other draws than the run makes"},
		{miproPropose, 0, "was proposed with other draws than the run makes"},
		{miproSearch, 1, "drew other parameters or examples than it was scored with"},
	} {
		t.Run(tc.phase, func(t *testing.T) {
			var r *miproRun
			eng, err := NewLocalEngine(LocalOptions{Program: qaProgram, Metric: evaluate.ExactMatch("answer"), TaskLM: simLM(t, 4), Concurrency: 4,
				OnCheckpoint: func(_ context.Context, cp Checkpoint) error {
					if cp.Progress.Phase == tc.phase && cp.Progress.Step == tc.step {
						r.rng.Seed(1)
					}
					return nil
				}})
			require.NoError(t, err)
			r, err = smallMIPRO().newRun(eng, simTask())
			require.NoError(t, err)
			err = r.runGraph(context.Background(), eng)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func sequentialLocal(e *LocalEngine) Engine { return Sequential(e) }

// A budgeted run forks no graph, nor anything else: it stops where the
// budget runs out as the sequential run would, having started no work past
// it.
func TestMIPROv2BudgetedRunForksNoGraph(t *testing.T) {
	eng, err := NewLocalEngine(LocalOptions{Program: qaProgram, Metric: evaluate.ExactMatch("answer"), TaskLM: simLM(t, 5), Concurrency: 4,
		Budget: Budget{MaxLMCalls: 100_000}})
	require.NoError(t, err)
	tap := &forkTap{LocalEngine: eng}
	_, err = smallMIPRO().Compile(context.Background(), tap, simTask())
	require.NoError(t, err)
	assert.Zero(t, tap.graphs)
	assert.Empty(t, tap.forks)
}
