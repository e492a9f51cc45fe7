package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/internal/exitcode"
)

func TestRandomSearchPlansEveryCandidateOnTheValsetAndBoundsBootstrapping(t *testing.T) {
	p, err := planCalls("bootstrap_random_search", json.RawMessage(`{"num_candidate_programs": 4}`),
		planSizes{Predictors: 1, CallsPerRun: 1, Trainset: 40, Valset: 60})
	require.NoError(t, err)
	// (4 + 3 baselines) × 60 validation runs + (4 + 1 bootstrapping seeds) × 40.
	assert.Equal(t, 7*60+5*40, p.TaskRuns)
	assert.True(t, p.TaskUpper)
	assert.Zero(t, p.PromptCalls)
}

func TestRandomSearchWithoutAValsetScoresOnTheTrainset(t *testing.T) {
	p, err := planCalls("bootstrap_random_search", json.RawMessage(`{"num_candidate_programs": 2, "max_rounds": 2}`),
		planSizes{Predictors: 1, CallsPerRun: 1, Trainset: 10})
	require.NoError(t, err)
	assert.Equal(t, 5*10+3*10*2, p.TaskRuns)
}

func TestBootstrapFewShotIsBoundedByTrainsetTimesRounds(t *testing.T) {
	p, err := planCalls("bootstrap_fewshot", json.RawMessage(`{"max_rounds": 3}`), planSizes{Predictors: 1, CallsPerRun: 1, Trainset: 25})
	require.NoError(t, err)
	assert.Equal(t, 75, p.TaskRuns)
	assert.True(t, p.TaskUpper)
}

func TestLabeledFewShotCallsNoLM(t *testing.T) {
	p, err := planCalls("labeled_fewshot", nil, planSizes{Predictors: 1, CallsPerRun: 1, Trainset: 25})
	require.NoError(t, err)
	assert.Zero(t, p.TaskRuns)
	assert.Zero(t, p.PromptCalls)
}

func TestCOPROScoresBreadthCandidatesPerRoundOnTheTrainset(t *testing.T) {
	one, err := planCalls("copro", json.RawMessage(`{"breadth": 3, "depth": 2}`), planSizes{Predictors: 1, CallsPerRun: 1, Trainset: 10})
	require.NoError(t, err)
	assert.Equal(t, 2, one.PromptCalls)
	assert.Equal(t, 3, one.PromptCompletions)
	assert.Equal(t, 2*3*10, one.TaskRuns)

	two, err := planCalls("copro", json.RawMessage(`{"breadth": 3, "depth": 2}`), planSizes{Predictors: 2, CallsPerRun: 2, Trainset: 10})
	require.NoError(t, err)
	assert.Equal(t, 4, two.PromptCalls)
	// Each round rescores every candidate so far: 3, then 6, per predictor.
	assert.Equal(t, 2*(3+6)*10, two.TaskRuns)
	assert.Equal(t, 2*two.TaskRuns, two.taskCalls(planSizes{CallsPerRun: 2}))
}

func TestMIPROv2FollowsItsOwnPlanner(t *testing.T) {
	params := json.RawMessage(`{"auto": "light"}`)
	want, err := optimize.PlanMIPROv2(params, optimize.PlanSizes{Predictors: 1, Trainset: 40, Valset: 60})
	require.NoError(t, err)
	p, err := planCalls("miprov2", params, planSizes{Predictors: 1, CallsPerRun: 1, Trainset: 40, Valset: 60})
	require.NoError(t, err)
	assert.Equal(t, want.BootstrapRuns+want.EvalRuns, p.TaskRuns)
	assert.Equal(t, want.PromptCalls, p.PromptCalls)
	assert.True(t, p.PromptUpper)
}

func TestGEPAAddsTheLastIterationsOverrunToItsBudget(t *testing.T) {
	params := json.RawMessage(`{"max_metric_calls": 300}`)
	want, err := optimize.PlanGEPA(params, optimize.PlanSizes{Predictors: 1, Trainset: 40, Valset: 60})
	require.NoError(t, err)
	p, err := planCalls("gepa", params, planSizes{Predictors: 1, CallsPerRun: 1, Trainset: 40, Valset: 60})
	require.NoError(t, err)
	assert.Equal(t, 300+2*want.MinibatchSize+60, p.TaskRuns)
	assert.Equal(t, want.ReflectionCalls, p.PromptCalls)
}

func TestDryRunPricesTheCallsWithTheGivenPrices(t *testing.T) {
	spec, train, val := fixture(t)
	r := runCLI(t, "optimize", "--spec", spec, "--trainset", train, "--valset", val, "--dry-run",
		"--param", "num_candidate_programs=2", "--lm-model", "my-model", "--price-in", "1", "--price-out", "2")
	require.Equal(t, exitcode.OK, r.code, r.stderr)
	// (2 + 3) × 3 validation runs + (2 + 1) × 3 bootstrap runs.
	assert.Contains(t, r.stdout, "my-model")
	assert.Contains(t, r.stdout, "≤ 24")
	assert.Contains(t, r.stdout, "≤ $")
	assert.Contains(t, r.stdout, "upper bounds")
}

func TestDryRunSaysWhenAPriceIsUnknown(t *testing.T) {
	spec, train, _ := fixture(t)
	r := runCLI(t, "optimize", "--spec", spec, "--trainset", train, "--dry-run", "--lm-model", "unheard-of-model")
	require.Equal(t, exitcode.OK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "unknown (give --price-in/--price-out)")
}

func TestDryRunUsesTheKnownPriceTable(t *testing.T) {
	spec, train, _ := fixture(t)
	r := runCLI(t, "optimize", "--spec", spec, "--trainset", train, "--dry-run", "--lm-model", "gpt-4o-mini-2024-07-18")
	require.Equal(t, exitcode.OK, r.code, r.stderr)
	assert.NotContains(t, r.stdout, "unknown")
}

func TestDryRunOnTheSimulatedLMCostsNothing(t *testing.T) {
	spec, train, _ := fixture(t)
	r := runCLI(t, "optimize", "--spec", spec, "--trainset", train, "--dry-run")
	require.Equal(t, exitcode.OK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "simlm-1")
	assert.Contains(t, r.stdout, "$0 (simulated LM)")
}

func TestMoneyShowsCentsOrFourDigitsBelowACent(t *testing.T) {
	assert.Equal(t, "1.23", money(1.234))
	assert.Equal(t, "0.0012", money(0.00123))
	assert.Equal(t, "0.00", money(0))
}
