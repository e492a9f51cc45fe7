package optimize

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

// demosLM answers correctly when the prompt carries demos or advice to
// "check the operation", and for even sums otherwise; with byRollout, for
// even sums plus the rollout, so fresh samples differ (the simulated LM
// ignores rollouts). It also answers SIMBA's reflection prompt with advice
// for the predictor "self", and InferRules' prompt with that advice as a rule.
func demosLM(byRollout bool) *dspytest.FuncLM {
	return &dspytest.FuncLM{Reply: func(_ context.Context, req dspy.LMRequest) (string, error) {
		system := req.Messages[0].Content
		if strings.Contains(system, "`module_advice`") {
			return dspytest.ChatReply("discussion", "The worse run added wrongly.", "module_advice", `{"self": "Check the operation before answering."}`), nil
		}
		if strings.Contains(system, "`natural_language_rules`") {
			return dspytest.ChatReply("reasoning", "The answers are sums.", "natural_language_rules", " 1. Check the operation before answering.\n"), nil
		}
		last := req.Messages[len(req.Messages)-1].Content
		m := questionRE.FindAllStringSubmatch(last, -1)
		if m == nil {
			return "", fmt.Errorf("no question in %q", last)
		}
		q := m[len(m)-1]
		a, _ := strconv.Atoi(q[2])
		b, _ := strconv.Atoi(q[3])
		sum := a + b
		luck := sum
		if byRollout {
			luck += req.Rollout
		}
		if !(len(req.Messages) > 2 || strings.Contains(system, "Check the operation") || luck%2 == 0) {
			sum++
		}
		return dspytest.ChatReply("answer", strconv.Itoa(sum)), nil
	}}
}

func simbaEngine(concurrency int, onCheckpoint func(context.Context, Checkpoint) error) *LocalEngine {
	return simbaEngineWith(demosLM(false), concurrency, onCheckpoint)
}

func simbaEngineWith(lm dspy.LM, concurrency int, onCheckpoint func(context.Context, Checkpoint) error) *LocalEngine {
	e, err := NewLocalEngine(LocalOptions{
		Program: qaProgram, Metric: evaluate.ExactMatch("answer"), TaskLM: lm,
		Concurrency: concurrency, OnCheckpoint: onCheckpoint,
	})
	if err != nil {
		panic(err)
	}
	return e
}

func TestSIMBAImprovesOverBaseline(t *testing.T) {
	opt := &SIMBA{Bsize: 6, NumCandidates: 3, MaxSteps: 3}
	res, err := opt.Compile(context.Background(), simbaEngine(4, nil), qaTask(arithmetic(12, 1), nil))
	require.NoError(t, err)
	require.True(t, res.BaselineMeasured)
	assert.Greater(t, res.Score, res.BaselineScore)
	assert.Equal(t, 100.0, res.Score)
	ps, _ := res.Program.Get("self")
	assert.NotEmpty(t, ps.Demos, "the winner learned from a demo")
	assert.Equal(t, true, ps.Demos[0].Map()["augmented"])
	assert.False(t, res.Stopped)
	require.NotEmpty(t, res.Trials)
	assert.True(t, res.Trials[len(res.Trials)-1].Full)
}

func TestSIMBAAppendsRulesWhenDemosAreOff(t *testing.T) {
	opt, err := New("simba", json.RawMessage(`{"bsize": 6, "num_candidates": 3, "max_steps": 2, "max_demos": 0}`))
	require.NoError(t, err)
	lm := demosLM(true)
	res, err := opt.Compile(context.Background(), simbaEngineWith(lm, 4, nil), qaTask(arithmetic(12, 1), nil))
	require.NoError(t, err)
	ps, _ := res.Program.Get("self")
	assert.Empty(t, ps.Demos)
	var reflections []string
	for _, req := range lm.Requests() {
		if strings.Contains(req.Messages[0].Content, "`module_advice`") {
			reflections = append(reflections, req.Messages[1].Content)
		}
	}
	require.NotEmpty(t, reflections)
	assert.Contains(t, reflections[0], "[[ ## module_names ## ]]\n[\n  \"self\"\n]")
	assert.Contains(t, reflections[0], "Module self\n\tInput Fields:\n\t\t1. `question` (str):")
	assert.Contains(t, ps.Signature.Instructions, "\n\nCheck the operation before answering.")
	assert.Greater(t, res.Score, res.BaselineScore)
}

func TestSIMBAIsDeterministicAndResumes(t *testing.T) {
	task := qaTask(arithmetic(10, 3), nil)
	opt := &SIMBA{Bsize: 4, NumCandidates: 3, MaxSteps: 3, Seed: 7}
	var checkpoints []Checkpoint
	first, err := opt.Compile(context.Background(), simbaEngine(1, func(_ context.Context, cp Checkpoint) error {
		checkpoints = append(checkpoints, cp)
		return nil
	}), task)
	require.NoError(t, err)
	require.Len(t, checkpoints, 3)
	again, err := opt.Compile(context.Background(), simbaEngine(16, nil), task)
	require.NoError(t, err)
	assert.Equal(t, mustJSON(t, first), mustJSON(t, again))

	resumed := task
	resumed.Resume = checkpoints[0].State
	fromStep1, err := opt.Compile(context.Background(), simbaEngine(8, nil), resumed)
	require.NoError(t, err)
	assert.Equal(t, mustJSON(t, first), mustJSON(t, fromStep1))
}

func TestSIMBAStopReturnsBestWinner(t *testing.T) {
	opt := &SIMBA{Bsize: 4, NumCandidates: 2, MaxSteps: 5}
	engine := simbaEngine(4, func(_ context.Context, cp Checkpoint) error {
		if cp.Progress.Step == 2 {
			return fmt.Errorf("enough: %w", ErrStop)
		}
		return nil
	})
	res, err := opt.Compile(context.Background(), engine, qaTask(arithmetic(8, 1), nil))
	require.NoError(t, err)
	assert.True(t, res.Stopped)
	assert.NotEmpty(t, res.Program.Predictors)
}

func TestSIMBAValidatesAndPlans(t *testing.T) {
	_, err := (&SIMBA{}).Compile(context.Background(), simbaEngine(1, nil), qaTask(arithmetic(5, 1), nil))
	require.ErrorContains(t, err, "trainset too small: 5 < bsize 32")
	_, err = New("simba", json.RawMessage(`{"bsize": 8, "temperature": 1}`))
	require.ErrorContains(t, err, "temperature_for_sampling")

	opt, err := New("simba", nil)
	require.NoError(t, err)
	plan, err := opt.(Planner).Plan(PlanSizes{Predictors: 1, Trainset: 40})
	require.NoError(t, err)
	// 8 steps × (32×6 trajectories + 7×32 candidate runs) + 7×40 final runs.
	assert.Equal(t, 8*(32*6+7*32)+7*40, plan.TaskRuns)
	assert.True(t, plan.TaskUpper)
	assert.Equal(t, 56, plan.PromptCalls)
	_, err = opt.(Planner).Plan(PlanSizes{Predictors: 1, Trainset: 10})
	require.ErrorContains(t, err, "trainset too small")
}

func TestSIMBASamplingMatchesPython(t *testing.T) {
	// CPython: r = random.Random(0); [r.choices([0,1,2], weights=[.2,.3,.5])[0] for _ in range(10)]
	r := pyrand.New(0)
	var got []int
	for range 10 {
		got = append(got, weightedChoice(r, []float64{0.2, 0.3, 0.5}))
	}
	assert.Equal(t, []int{2, 2, 1, 1, 2, 1, 2, 1, 1, 2}, got)
	r = pyrand.New(3)
	got = nil
	for range 10 {
		got = append(got, weightedChoice(r, []float64{0.1, 0, 0.6, 0.3}))
	}
	assert.Equal(t, []int{2, 2, 2, 2, 2, 0, 0, 3, 2, 2}, got)

	// numpy.percentile, linear interpolation.
	assert.InDelta(t, 1.3, percentile([]float64{1, 2, 3, 4}, 10), 1e-12)
	assert.InDelta(t, 3.7, percentile([]float64{4, 3, 2, 1}, 90), 1e-12)
	assert.Equal(t, 0.0, percentile([]float64{0, 1, 1, 0, 1}, 10))
	assert.InDelta(t, 0.62, percentile([]float64{0.3, 0.1, 0.7}, 90), 1e-12)

	assert.Equal(t, 0, poisson(pyrand.New(1), 0))
	total := 0
	pr := pyrand.New(1)
	for range 4000 {
		total += poisson(pr, 1.5)
	}
	assert.InDelta(t, 1.5, float64(total)/4000, 0.1)
}

func TestSIMBABucketsRankByVariability(t *testing.T) {
	// Two samples of three examples: example 11 varies, 10 is always right, 12 never.
	scores := []float64{1, 1, 0, 1, 0, 0}
	outs := make([]Outcome, len(scores))
	for i, s := range scores {
		outs[i] = Outcome{ID: 10 + i%3, Score: s}
	}
	buckets := rankBuckets(outs, []int{10, 11, 12}, 3)
	var order []int
	for _, b := range buckets {
		order = append(order, b.example)
	}
	assert.Equal(t, []int{11, 10, 12}, order)
	assert.Equal(t, 1.0, buckets[0].gap)
	assert.Equal(t, 0.5, buckets[0].avgGap)
}

func TestSIMBAStopsOnAnEngineStop(t *testing.T) {
	engine := &fakeEngine{succeed: func(id, _ int) bool { return id%2 == 0 }}
	calls := 0
	stopping := &stopAfterRuns{Engine: engine, after: 2, calls: &calls}
	res, err := (&SIMBA{Bsize: 4, NumCandidates: 2, MaxSteps: 2}).Compile(context.Background(), stopping, Task{Student: twoPredictorState(), Trainset: qaExamples(8)})
	require.NoError(t, err)
	assert.True(t, res.Stopped)
}

// stopAfterRuns refuses runs after a number of them, as a spent budget does.
type stopAfterRuns struct {
	Engine
	after int
	calls *int
}

func (s *stopAfterRuns) Run(ctx context.Context, b Batch) ([]Outcome, error) {
	*s.calls++
	if *s.calls > s.after {
		return nil, fmt.Errorf("budget: %w", ErrStop)
	}
	return s.Engine.Run(ctx, b)
}
