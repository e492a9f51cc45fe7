package optimize

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
)

// requestLog is an LM that records every request before passing it on,
// cache hits included, so two runs can be compared by what they asked.
type requestLog struct {
	dspy.LM
	mu       sync.Mutex
	requests []string
}

func (l *requestLog) Call(ctx context.Context, req dspy.LMRequest) (dspy.LMResponse, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return dspy.LMResponse{}, err
	}
	l.mu.Lock()
	l.requests = append(l.requests, string(b))
	l.mu.Unlock()
	return l.LM.Call(ctx, req)
}

// sorted returns the requests as a multiset: sorted, duplicates kept.
func (l *requestLog) sorted() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]string(nil), l.requests...)
	sort.Strings(out)
	return out
}

// scheduleRun is what a compile produced and asked for.
type scheduleRun struct {
	program  string
	trials   string
	score    float64
	baseline float64
	requests []string
	prompts  int
	// checkpoints are the states saved, in order.
	checkpoints []string
	// trialForks counts, per Fork that ran search trials, the trials it ran.
	trialForks []int
	// graphs counts the graphs forked.
	graphs int
}

// compileBoth compiles opt on the same task with a parallel and a sequential
// engine, each over its own log of the same simulated LM.
func compileBoth(t *testing.T, seed int64, opt Optimizer, task Task) (parallel, sequential scheduleRun) {
	t.Helper()
	model := simLM(t, seed)
	parallel = compileWith(t, model, opt, task, func(e *LocalEngine) Engine { return &forkTap{LocalEngine: e} })
	sequential = compileWith(t, model, opt, task, func(e *LocalEngine) Engine { return Sequential(e) })
	return parallel, sequential
}

// compileWith compiles opt on task with the engine wrap makes of a local
// engine over its own log of model.
func compileWith(t *testing.T, model dspy.LM, opt Optimizer, task Task, wrap func(*LocalEngine) Engine) scheduleRun {
	t.Helper()
	log := &requestLog{LM: model}
	var checkpoints []string
	eng, err := NewLocalEngine(LocalOptions{Program: qaProgram, Metric: evaluate.ExactMatch("answer"), TaskLM: log, Concurrency: 4,
		OnCheckpoint: func(_ context.Context, cp Checkpoint) error {
			checkpoints = append(checkpoints, string(cp.State))
			return nil
		}})
	require.NoError(t, err)
	wrapped := wrap(eng)
	res, err := opt.Compile(context.Background(), wrapped, task)
	require.NoError(t, err)
	run := scheduleRun{
		program: mustJSON(t, res.Program), trials: mustJSON(t, res.Trials),
		score: res.ScoreExact, baseline: res.BaselineExact, requests: log.sorted(),
		checkpoints: checkpoints,
	}
	if tap, ok := wrapped.(interface{ tapped() *forkTap }); ok {
		run.trialForks = tap.tapped().trialForks()
		run.graphs = tap.tapped().graphs
	}
	return run
}

// forkTap is a local engine that notes the labels of the batches each Fork
// runs, to tell which work a schedule ran at once.
type forkTap struct {
	*LocalEngine
	mu     sync.Mutex
	forks  [][]string
	graphs int
}

func (f *forkTap) tapped() *forkTap { return f }

type forkID struct{}

func (f *forkTap) Fork(ctx context.Context, n int, fn func(context.Context, Engine, int) error, after func(int) error) error {
	id := f.newFork()
	return f.LocalEngine.Fork(ctx, n, func(ctx context.Context, _ Engine, i int) error {
		return fn(context.WithValue(ctx, forkID{}, id), f, i)
	}, after)
}

func (f *forkTap) ForkGraph(ctx context.Context, n int, deps [][]int, fn func(context.Context, Engine, int) error, after func(int) error) error {
	id := f.newFork()
	f.mu.Lock()
	f.graphs++
	f.mu.Unlock()
	return f.LocalEngine.ForkGraph(ctx, n, deps, func(ctx context.Context, _ Engine, i int) error {
		return fn(context.WithValue(ctx, forkID{}, id), f, i)
	}, after)
}

// newFork starts the label list of a fork and returns its number.
func (f *forkTap) newFork() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forks = append(f.forks, nil)
	return len(f.forks) - 1
}

func (f *forkTap) Run(ctx context.Context, b Batch) ([]Outcome, error) {
	if id, ok := ctx.Value(forkID{}).(int); ok {
		f.mu.Lock()
		f.forks[id] = append(f.forks[id], b.Label)
		f.mu.Unlock()
	}
	return f.LocalEngine.Run(ctx, b)
}

// searchTrialLabel matches a MIPROv2 search trial's batch, not the
// baseline's or a full evaluation's.
var searchTrialLabel = regexp.MustCompile(`^miprov2 trial \d+: instruction \d+.* on the (minibatch|validation set)$`)

// trialForks counts the search trials of each Fork that ran some.
func (f *forkTap) trialForks() []int {
	var out []int
	for _, labels := range f.forks {
		n := 0
		for _, l := range labels {
			if searchTrialLabel.MatchString(l) {
				n++
			}
		}
		if n > 0 {
			out = append(out, n)
		}
	}
	return out
}

func assertSameRuns(t *testing.T, parallel, sequential scheduleRun) {
	t.Helper()
	assert.Equal(t, sequential.program, parallel.program, "compiled program")
	assert.Equal(t, sequential.trials, parallel.trials, "trial table")
	assert.Equal(t, sequential.score, parallel.score)
	assert.Equal(t, sequential.baseline, parallel.baseline)
	require.Equal(t, len(sequential.requests), len(parallel.requests), "number of LM requests")
	assert.Equal(t, sequential.requests, parallel.requests, "LM requests, as multisets")
	assert.Equal(t, sequential.checkpoints, parallel.checkpoints, "checkpoints")
}

// MIPROv2's parallel schedule (demo sets, summary, baseline and proposals at
// once) compiles the same program, with the same scores, from the same LM
// requests as the sequential one.
func TestMIPROv2ParallelScheduleEqualsSequential(t *testing.T) {
	parallel, sequential := compileBoth(t, 7, smallMIPRO(), simTask())
	assertSameRuns(t, parallel, sequential)
	assert.NotEmpty(t, parallel.requests)
	// Trials 1-5 run at once up to the full evaluation after them, then
	// 7-9, the rest of the sampler's startup; the TPE trials one at a time.
	assert.Equal(t, []int{5, 3}, parallel.trialForks)
	assert.Empty(t, sequential.trialForks)
}

// The same with labeled demos off, a zero-shot run and no dataset summary, which
// take other branches of the demo-set and proposal schedule.
func TestMIPROv2ParallelScheduleEqualsSequentialAcrossSettings(t *testing.T) {
	for name, opt := range map[string]*MIPROv2{
		"no labeled demos": {Auto: "none", NumCandidates: 4, NumTrials: 6, MinibatchSize: 10, MaxLabeledDemos: -1, ViewDataBatchSize: 8},
		"zero-shot":        {Auto: "none", NumCandidates: 4, NumTrials: 6, MinibatchSize: 10, MaxLabeledDemos: -1, MaxBootstrappedDemos: -1},
		"no summary":       {Auto: "none", NumCandidates: 3, NumTrials: 5, MinibatchSize: 10, DataAwareProposer: new(bool)},
		"no minibatches":   {Auto: "none", NumCandidates: 4, NumTrials: 12, Minibatch: new(bool), ViewDataBatchSize: 8},
	} {
		t.Run(name, func(t *testing.T) {
			parallel, sequential := compileBoth(t, 8, opt, simTask())
			assertSameRuns(t, parallel, sequential)
			assert.NotEmpty(t, parallel.trialForks, "no search trials ran at once")
		})
	}
}

// A run stopped in the middle of search trials that ran at once, and
// resumed from its checkpoint, on either schedule, ends where the
// sequential schedule does: each trial's checkpoint holds the sampler and
// generator as the sequential search left them.
func TestMIPROv2ResumedAmidTrialsRunAtOnceEqualsSequential(t *testing.T) {
	model := simLM(t, 9)
	want, err := smallMIPRO().Compile(context.Background(), Sequential(simEngine(t, model, 4, nil)), simTask())
	require.NoError(t, err)
	// Rows 2-6 are the first trials run at once, 8-10 the second.
	for _, stopAt := range []int{3, 5, 9} {
		var saved Checkpoint
		eng := simEngine(t, model, 4, func(_ context.Context, cp Checkpoint) error {
			if cp.Progress.Phase == miproSearch && cp.Progress.Step == stopAt {
				saved = cp
				return ErrStop
			}
			return nil
		})
		stopped, err := smallMIPRO().Compile(context.Background(), eng, simTask())
		require.NoError(t, err)
		require.True(t, stopped.Stopped)
		require.Len(t, stopped.Trials, stopAt)
		for name, wrap := range map[string]func(Engine) Engine{"parallel": func(e Engine) Engine { return e }, "sequential": Sequential} {
			task := simTask()
			task.Resume = saved.State
			resumed, err := smallMIPRO().Compile(context.Background(), wrap(simEngine(t, model, 4, nil)), task)
			require.NoError(t, err)
			assert.Equal(t, mustJSON(t, want.Program), mustJSON(t, resumed.Program), "stopped at row %d, resumed %s", stopAt, name)
			assert.Equal(t, mustJSON(t, want.Trials), mustJSON(t, resumed.Trials), "stopped at row %d, resumed %s", stopAt, name)
			assert.Equal(t, want.ScoreExact, resumed.ScoreExact, "stopped at row %d, resumed %s", stopAt, name)
		}
	}
}

// A parallel run stopped at a checkpoint and resumed from it ends where an
// uninterrupted run does: the checkpoints hold the sequential schedule's state.
func TestMIPROv2ParallelResumeEqualsUninterrupted(t *testing.T) {
	model := simLM(t, 9)
	whole, err := smallMIPRO().Compile(context.Background(), simEngine(t, model, 4, nil), simTask())
	require.NoError(t, err)
	for _, stopAt := range []int{2, 8} {
		var saved []Checkpoint
		eng := simEngine(t, model, 4, func(_ context.Context, cp Checkpoint) error {
			saved = append(saved, cp)
			if len(saved) == stopAt {
				return ErrStop
			}
			return nil
		})
		_, err := smallMIPRO().Compile(context.Background(), eng, simTask())
		require.NoError(t, err)
		task := simTask()
		task.Resume = saved[len(saved)-1].State
		resumed, err := smallMIPRO().Compile(context.Background(), simEngine(t, model, 4, nil), task)
		require.NoError(t, err)
		assert.Equal(t, mustJSON(t, whole.Program), mustJSON(t, resumed.Program), "stopped at checkpoint %d", stopAt)
		assert.Equal(t, mustJSON(t, whole.Trials), mustJSON(t, resumed.Trials), "stopped at checkpoint %d", stopAt)
	}
}

// COPRO scores one predictor's candidates of a depth at once, with the
// sequential schedule's program, scores and LM requests.
func TestCOPROParallelScheduleEqualsSequential(t *testing.T) {
	task := qaTask(simArithmetic(3, 12), nil)
	parallel, sequential := compileBoth(t, 10, &COPRO{Breadth: 4, Depth: 3}, task)
	assertSameRuns(t, parallel, sequential)
	assert.NotEmpty(t, parallel.requests)
}

// forkingEngine runs forked work on goroutines over an engine that cannot,
// and logs every call it passes on, to compare schedules.
type forkingEngine struct {
	Engine
	mu    sync.Mutex
	calls []string
}

func (f *forkingEngine) log(v any) {
	b, _ := json.Marshal(v)
	f.mu.Lock()
	f.calls = append(f.calls, string(b))
	f.mu.Unlock()
}

func (f *forkingEngine) Run(ctx context.Context, b Batch) ([]Outcome, error) {
	f.log(b)
	return f.Engine.Run(ctx, b)
}

func (f *forkingEngine) Prompt(ctx context.Context, c PromptCall) ([]dspy.Example, error) {
	f.log(c)
	return f.Engine.Prompt(ctx, c)
}

func (f *forkingEngine) Parallel() bool { return true }

func (f *forkingEngine) Legacy() bool { return false }

func (f *forkingEngine) Fork(ctx context.Context, n int, fn func(context.Context, Engine, int) error, after func(int) error) error {
	return forkAll(ctx, f, n, fn, after)
}

func (f *forkingEngine) sorted() []string {
	out := append([]string(nil), f.calls...)
	sort.Strings(out)
	return out
}

// GEPA reflecting on every component asks for the reflections at once, with
// the sequential schedule's program, trials and calls.
func TestGEPAParallelReflectionsEqualSequential(t *testing.T) {
	calls := 200
	task := Task{Student: twoPredictorState(), Trainset: qaExamples(6), Signatures: []NamedSignature{
		{Name: "first", Signature: dspy.MustSignature("question -> draft")},
		{Name: "second", Signature: dspy.MustSignature("question, draft -> answer")},
	}}
	compile := func(wrap func(Engine) Engine) (Result, *forkingEngine) {
		eng := &forkingEngine{Engine: gepaScriptedEngine{}}
		g := &GEPA{MaxMetricCalls: &calls, Seed: 1, ReflectionMinibatchSize: 2, ComponentSelector: "all"}
		res, err := g.Compile(context.Background(), wrap(eng), task)
		require.NoError(t, err)
		return res, eng
	}
	par, parCalls := compile(func(e Engine) Engine { return e })
	seq, seqCalls := compile(Sequential)
	assert.Equal(t, mustJSON(t, seq.Program), mustJSON(t, par.Program))
	assert.Equal(t, mustJSON(t, seq.Trials), mustJSON(t, par.Trials))
	assert.Equal(t, seqCalls.sorted(), parCalls.sorted())
	assert.Greater(t, len(par.Trials), 1)
}
