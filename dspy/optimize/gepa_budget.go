package optimize

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// gepaAutoCandidates is DSPy's AUTO_RUN_SETTINGS for GEPA: the number of
// candidates each auto level budgets for.
var gepaAutoCandidates = map[string]int{"light": 6, "medium": 12, "heavy": 18}

// GEPAAutoBudget is DSPy's GEPA.auto_budget: the metric calls an auto run may
// spend, for numPreds components, numCandidates candidates and a validation
// set of valsetSize examples. It budgets one baseline evaluation, five
// bootstrap trials per candidate, N minibatches of minibatchSize and a full
// evaluation every fullEvalSteps trials, where N = int(max(4·P·log2(n), 1.5·n)).
// DSPy calls it with minibatchSize 35 and fullEvalSteps 5.
func GEPAAutoBudget(numPreds, numCandidates, valsetSize, minibatchSize, fullEvalSteps int) (int, error) {
	trials := int(math.Max(2*float64(numPreds*2)*math.Log2(float64(numCandidates)), 1.5*float64(numCandidates)))
	if trials < 0 || valsetSize < 0 || minibatchSize < 0 {
		return 0, errors.New("gepa: num_trials, valset_size and minibatch_size must be >= 0")
	}
	if fullEvalSteps < 1 {
		return 0, errors.New("gepa: full_eval_steps must be >= 1")
	}
	total := valsetSize + numCandidates*5 + trials*minibatchSize
	if trials == 0 {
		return total, nil
	}
	periodic := (trials+1)/fullEvalSteps + 1
	extra := 0
	if fullEvalSteps > trials {
		extra = 1
	}
	return total + (periodic+extra)*valsetSize, nil
}

// budget resolves the metric-call budget from exactly one of auto,
// max_full_evals and max_metric_calls, as DSPy's GEPA.compile does. valset
// is the size of the validation set given (0 when none was, in which case
// max_full_evals counts the trainset alone, as in DSPy).
func (g *GEPA) budget(components, trainset, valset int) (int, error) {
	set := 0
	for _, b := range []bool{g.Auto != "", g.MaxFullEvals != nil, g.MaxMetricCalls != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		return 0, fmt.Errorf("gepa: set exactly one of auto, max_full_evals and max_metric_calls (got %d)", set)
	}
	switch {
	case g.Auto != "":
		n, ok := gepaAutoCandidates[g.Auto]
		if !ok {
			return 0, fmt.Errorf("gepa: auto must be light, medium or heavy, not %q", g.Auto)
		}
		val := valset
		if val == 0 {
			val = trainset
		}
		return GEPAAutoBudget(max(components, 1), n, val, 35, 5)
	case g.MaxFullEvals != nil:
		if *g.MaxFullEvals < 0 {
			return 0, errors.New("gepa: max_full_evals must not be negative")
		}
		return *g.MaxFullEvals * (trainset + valset), nil
	}
	if *g.MaxMetricCalls < 0 {
		return 0, errors.New("gepa: max_metric_calls must not be negative")
	}
	return *g.MaxMetricCalls, nil
}

// GEPAPlan is what a GEPA run will spend, computed without running anything
// (for a dry run).
type GEPAPlan struct {
	// Auto is the budget setting used ("" when explicit).
	Auto string `json:"auto,omitempty"`
	// MaxMetricCalls is the budget in program runs (each scored once). The
	// run stops at the first iteration boundary at or past it, so the last
	// iteration may overrun it by up to two minibatches and one validation run.
	MaxMetricCalls int `json:"max_metric_calls"`
	// Valset is the size of the validation set (the trainset when none is given).
	Valset int `json:"valset"`
	// MinibatchSize is reflection_minibatch_size.
	MinibatchSize int `json:"minibatch_size"`
	// MaxIterations is the most reflective iterations the budget allows: each
	// runs the parent and the child on a minibatch after the baseline.
	MaxIterations int `json:"max_iterations"`
	// ReflectionCalls is the most reflection prompts: one per component
	// updated per reflective iteration. Accepted candidates, perfect
	// minibatches and merges use budget without a reflection, so real runs
	// make fewer.
	ReflectionCalls int `json:"reflection_calls"`
}

// PlanGEPA builds GEPA from its JSON parameters and plans a run on data of
// the given sizes in detail.
func PlanGEPA(params json.RawMessage, sizes PlanSizes) (GEPAPlan, error) {
	o, err := New("gepa", params)
	if err != nil {
		return GEPAPlan{}, err
	}
	return o.(*GEPA).PlanDetails(sizes)
}

// Plan summarises PlanDetails in program runs and prompt calls.
func (g *GEPA) Plan(sizes PlanSizes) (Plan, error) {
	gp, err := g.PlanDetails(sizes)
	if err != nil {
		return Plan{}, err
	}
	return Plan{
		Settings: fmt.Sprintf("budget %d metric calls, valset %d, minibatches of %d, at most %d reflective iterations",
			gp.MaxMetricCalls, gp.Valset, gp.MinibatchSize, gp.MaxIterations),
		// The last iteration may overrun the budget by two minibatches and a
		// validation run before the loop sees it.
		TaskRuns:          gp.MaxMetricCalls + 2*gp.MinibatchSize + gp.Valset,
		TaskUpper:         true,
		PromptCalls:       gp.ReflectionCalls,
		PromptUpper:       true,
		PromptCompletions: 1,
		Notes:             []string{"GEPA stops at the first iteration boundary past its budget; accepted candidates, perfect minibatches and merges use budget without a reflection"},
	}, nil
}

// PlanDetails computes what a run on data of the given sizes will at most
// spend, with the same settings and validation Compile applies. Valset 0
// means the trainset doubles as the validation set, as in Compile.
func (g *GEPA) PlanDetails(sizes PlanSizes) (GEPAPlan, error) {
	if sizes.Predictors < 1 {
		return GEPAPlan{}, errors.New("gepa: the program has no predictors")
	}
	if sizes.Trainset < 1 {
		return GEPAPlan{}, errors.New("gepa: empty trainset")
	}
	cfg, err := g.resolve()
	if err != nil {
		return GEPAPlan{}, err
	}
	budget, err := g.budget(sizes.Predictors, sizes.Trainset, sizes.Valset)
	if err != nil {
		return GEPAPlan{}, err
	}
	val := sizes.valOrTrain()
	p := GEPAPlan{Auto: g.Auto, MaxMetricCalls: budget, Valset: val, MinibatchSize: cfg.minibatch}
	if rest := budget - val; rest > 0 {
		p.MaxIterations = (rest + 2*cfg.minibatch - 1) / (2 * cfg.minibatch)
	}
	perIteration := 1
	if cfg.allComponents {
		perIteration = sizes.Predictors
	}
	p.ReflectionCalls = p.MaxIterations * perIteration
	return p, nil
}
