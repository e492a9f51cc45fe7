package optimize

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

func TestAutoSettingsMatchDSPysTable(t *testing.T) {
	for _, tc := range []struct {
		auto                    string
		predictors              int
		zeroshot                bool
		trials, instr, demoSets int
	}{
		{"light", 1, false, 10, 3, 6},
		{"medium", 1, false, 18, 6, 12},
		{"heavy", 1, false, 27, 9, 18},
		{"light", 2, false, 20, 3, 6},
		{"medium", 2, false, 28, 6, 12},
		{"heavy", 2, false, 33, 9, 18},
		{"light", 1, true, 9, 6, 6},
		{"heavy", 2, true, 27, 18, 18},
	} {
		t.Run(fmt.Sprintf("%s %d predictors zeroshot %v", tc.auto, tc.predictors, tc.zeroshot), func(t *testing.T) {
			m := &MIPROv2{Auto: tc.auto}
			if tc.zeroshot {
				m.MaxBootstrappedDemos, m.MaxLabeledDemos = -1, -1
			}
			c, err := m.resolve(tc.predictors)
			require.NoError(t, err)
			assert.Equal(t, tc.trials, c.numTrials)
			assert.Equal(t, tc.instr, c.numInstruct)
			assert.Equal(t, tc.demoSets, c.numFewshot)
		})
	}
}

func TestBudgetValidationFollowsDSPy(t *testing.T) {
	for name, tc := range map[string]struct {
		m    MIPROv2
		want string
	}{
		"auto with candidates":     {MIPROv2{Auto: "light", NumCandidates: 4}, "set auto to \"none\""},
		"none without trials":      {MIPROv2{Auto: "none", NumCandidates: 7}, "about 11 is recommended"},
		"none without candidates":  {MIPROv2{Auto: "none", NumTrials: 7}, "num_candidates must be set"},
		"unknown auto":             {MIPROv2{Auto: "extreme"}, "not one of"},
		"demos wanted, none drawn": {MIPROv2{Auto: "light", MaxBootstrappedDemos: -1}, "max_bootstrapped_demos"},
	} {
		_, err := tc.m.resolve(1)
		assert.ErrorContains(t, err, tc.want, name)
	}
	c, err := (&MIPROv2{NumCandidates: 4, NumTrials: 6}).resolve(1)
	require.NoError(t, err, "an explicit budget without auto means auto none")
	assert.Equal(t, "", c.auto)
}

func TestSeedZeroIsASeedAndTheDefaultIsNine(t *testing.T) {
	c, err := (&MIPROv2{Seed: ptrTo[int64](0)}).resolve(1)
	require.NoError(t, err)
	assert.Equal(t, int64(0), c.seed)
	c, err = (&MIPROv2{}).resolve(1)
	require.NoError(t, err)
	assert.Equal(t, int64(9), c.seed)
}

func TestRegistryBuildsMIPROv2WithJSONZeroMeaningNone(t *testing.T) {
	o, err := New("miprov2", json.RawMessage(`{"auto": "medium", "max_labeled_demos": 0, "seed": 0, "minibatch": false}`))
	require.NoError(t, err)
	m := o.(*MIPROv2)
	assert.Equal(t, -1, m.MaxLabeledDemos)
	assert.Equal(t, int64(0), *m.Seed)
	assert.False(t, *m.Minibatch)
	_, err = New("miprov2", json.RawMessage(`{"num_candidate": 3}`))
	assert.ErrorContains(t, err, "num_candidates")
}

func TestFullEvaluationScheduleFollowsDSPy(t *testing.T) {
	for _, tc := range []struct {
		trials, steps, adjusted int
		fullAfter               []int // trial_num of the minibatch trials followed by a full evaluation
	}{
		{10, 5, 13, []int{6, 12}},
		{12, 5, 16, []int{6, 12, 15}},
		{18, 5, 23, []int{6, 12, 18, 22}},
		{3, 5, 5, []int{4}},
		{4, 2, 7, []int{3, 6}},
	} {
		c := miproConfig{numTrials: tc.trials, fullEvalSteps: tc.steps, minibatch: true}
		assert.Equal(t, tc.adjusted, c.adjustedTrials(), "%+v", tc)
		var got []int
		number := 1
		for range tc.trials {
			trialNum := number + 1
			number++
			if c.fullEvalDue(trialNum) {
				got = append(got, trialNum)
				number++
			}
		}
		assert.Equal(t, tc.fullAfter, got, "%+v", tc)
		assert.Equal(t, len(tc.fullAfter), c.countFullEvals())
		assert.Equal(t, tc.adjusted, 1+tc.trials+len(got), "every row is counted")
	}
}

func TestAutoSubsamplesTheValsetWithTheSeededGenerator(t *testing.T) {
	for _, seed := range []*int64{nil, ptrTo[int64](0)} {
		eng := &fakeEngine{succeed: func(id, _ int) bool { return id%2 == 0 }}
		echoPrompts(eng)
		task := qaTask(qaExamples(10), qaExamples(30))
		// Stop at the first search checkpoint: the baseline has run.
		eng.onCheckpoint = func(_ int, cp Checkpoint) error {
			if cp.Progress.Phase == miproSearch {
				return ErrStop
			}
			return nil
		}
		_, err := (&MIPROv2{Seed: seed}).Compile(context.Background(), eng, task)
		require.NoError(t, err)

		want := int64(9)
		if seed != nil {
			want = *seed
		}
		// DSPy's create_minibatch samples all 30 (light allows 100), reordering them.
		ids := pyrand.New(want).Sample(30, 30)
		baseline := eng.batches[len(eng.batches)-1]
		assert.Equal(t, ids, baseline.IDs, "seed %d", want)
	}
}

func TestPlanCountsCallsLikeTheRun(t *testing.T) {
	plan, err := PlanMIPROv2(nil, PlanSizes{Predictors: 1, Trainset: 200})
	require.NoError(t, err)
	assert.Equal(t, MIPROv2Plan{
		Auto: "light", NumTrials: 10, NumInstructCandidates: 3, NumFewshotCandidates: 6,
		Trainset: 40, Valset: 100, Minibatch: true, MinibatchSize: 35,
		FullEvals: 2, TotalTrials: 13,
		PromptCalls:     5 + 2*3, // summary of 4 batches, 2 proposals of 3 calls
		BootstrapRuns:   4 * 40,  // seed -1 and three shuffled sets
		EvalRuns:        100 + 35*10 + 2*100,
		DSPyPromptCalls: 10 + 3 + 2, DSPyTaskCalls: 35*10 + 100*3,
	}, plan)

	_, err = PlanMIPROv2(json.RawMessage(`{"auto": "none", "num_candidates": 4, "num_trials": 8, "minibatch_size": 50}`), PlanSizes{Predictors: 1, Trainset: 30, Valset: 20})
	assert.ErrorContains(t, err, "minibatch_size 50 exceeds")
}

func TestPlanMatchesTheCallsOfARun(t *testing.T) {
	eng := &fakeEngine{succeed: func(id, _ int) bool { return id%3 != 0 }}
	echoPrompts(eng)
	opt := smallMIPRO()
	task := twoPredictorTask(qaExamples(24), qaExamples(20))
	_, err := opt.Compile(context.Background(), eng, task)
	require.NoError(t, err)
	plan, err := opt.PlanDetails(PlanSizes{Predictors: 2, Trainset: 24, Valset: 20})
	require.NoError(t, err)

	assert.Equal(t, plan.PromptCalls, len(eng.prompts))
	evalRuns, bootRuns := 0, 0
	for _, b := range eng.batches {
		if b.Trace {
			bootRuns += len(b.Examples)
		} else {
			evalRuns += len(b.Examples)
		}
	}
	assert.Equal(t, plan.EvalRuns, evalRuns)
	assert.LessOrEqual(t, bootRuns, plan.BootstrapRuns)
}
