package optimize

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// miproAuto is one of DSPy's AUTO_RUN_SETTINGS: n candidates (demo sets; half
// as many instructions when demos are used) and a validation subsample size.
type miproAuto struct {
	n, valSize int
}

var miproAutoSettings = map[string]miproAuto{
	"light":  {n: 6, valSize: 100},
	"medium": {n: 12, valSize: 300},
	"heavy":  {n: 18, valSize: 1000},
}

// miproMinMinibatchValset is DSPy's MIN_MINIBATCH_SIZE: auto settings score
// trials on minibatches only when the validation set is larger than this.
const miproMinMinibatchValset = 50

// miproConfig is MIPROv2 with its defaults and budget resolved.
type miproConfig struct {
	auto        string // "" when the budget was given explicitly
	valSize     int    // the auto validation subsample size
	seed        int64
	numInstruct int
	numFewshot  int
	numTrials   int
	maxBoot     int
	maxLabeled  int
	// zeroshot is DSPy's zeroshot_opt: no demos wanted, so demo sets only
	// ground the proposals and the search tunes instructions alone.
	zeroshot      bool
	temperature   float64
	minibatch     bool
	minibatchSize int
	fullEvalSteps int
	programAware  bool
	dataAware     bool
	tipAware      bool
	fewshotAware  bool
	viewBatch     int
	threshold     *float64
	maxErrors     int
}

// resolve applies defaults and DSPy's validation of auto against explicit
// budgets. The auto settings that depend on the validation set are applied
// later by withValset.
func (m *MIPROv2) resolve(predictors int) (miproConfig, error) {
	c := miproConfig{
		seed:          9,
		maxBoot:       demoCount(m.MaxBootstrappedDemos, 4),
		maxLabeled:    demoCount(m.MaxLabeledDemos, 4),
		temperature:   1.0,
		minibatch:     boolOr(m.Minibatch, true),
		minibatchSize: defaultInt(m.MinibatchSize, 35),
		fullEvalSteps: defaultInt(m.MinibatchFullEvalSteps, 5),
		programAware:  boolOr(m.ProgramAwareProposer, true),
		dataAware:     boolOr(m.DataAwareProposer, true),
		tipAware:      boolOr(m.TipAwareProposer, true),
		fewshotAware:  boolOr(m.FewshotAwareProposer, true),
		viewBatch:     defaultInt(m.ViewDataBatchSize, 10),
		threshold:     m.MetricThreshold,
		maxErrors:     defaultInt(m.MaxErrors, 10),
	}
	if m.Seed != nil {
		// DSPy's `seed or self.seed` turns seed 0 into the default; here 0 is kept.
		c.seed = *m.Seed
	}
	if m.InitTemperature != nil {
		c.temperature = *m.InitTemperature
	}
	c.zeroshot = c.maxBoot == 0 && c.maxLabeled == 0

	explicit := m.NumCandidates != 0 || m.NumTrials != 0
	auto := m.Auto
	if auto == "" {
		auto = "light"
		if explicit {
			auto = "none"
		}
	}
	switch settings, ok := miproAutoSettings[auto]; {
	case ok:
		if explicit {
			return c, fmt.Errorf("miprov2: auto %q sets num_candidates and num_trials itself; set auto to \"none\" to give them", auto)
		}
		c.auto, c.valSize = auto, settings.valSize
		c.numFewshot = settings.n
		c.numInstruct = settings.n / 2
		if c.zeroshot {
			c.numInstruct = settings.n
		}
		c.numTrials = miproTrialsFor(predictors, c.zeroshot, settings.n)
	case auto == "none":
		if m.NumCandidates <= 0 {
			return c, errors.New("miprov2: with auto \"none\", num_candidates must be set (at least 1)")
		}
		if m.NumTrials <= 0 {
			return c, fmt.Errorf("miprov2: with auto \"none\", num_trials must be set; for num_candidates %d about %d is recommended",
				m.NumCandidates, miproTrialsFor(predictors, c.zeroshot, m.NumCandidates))
		}
		c.numInstruct, c.numFewshot, c.numTrials = m.NumCandidates, m.NumCandidates, m.NumTrials
	default:
		return c, fmt.Errorf("miprov2: auto %q is not one of light, medium, heavy, none", m.Auto)
	}
	if c.temperature < 0 {
		return c, fmt.Errorf("miprov2: init_temperature %v is negative", c.temperature)
	}
	if !c.zeroshot && c.maxBoot < 1 && c.needsRandomSize() {
		// DSPy fails here on randint(1, 0) and quietly drops all demos; say why instead.
		return c, errors.New("miprov2: max_bootstrapped_demos must be at least 1 when demos are wanted, to draw the sizes of shuffled demo sets")
	}
	return c, nil
}

// needsRandomSize reports whether some demo set is a shuffled bootstrap,
// whose size is drawn from 1..maxBoot.
func (c miproConfig) needsRandomSize() bool {
	for seed := -3; seed < c.numFewshot-3; seed++ {
		if demoSetKind(seed, c.maxLabeled) == demoSetShuffled {
			return true
		}
	}
	return false
}

// miproTrialsFor is DSPy's _set_num_trials_from_num_candidates:
// max(2·V·log2(n), 1.5·n) truncated, with V variables (one instruction per
// predictor, and one demo set unless zero-shot).
func miproTrialsFor(predictors int, zeroshot bool, n int) int {
	vars := predictors
	if !zeroshot {
		vars *= 2
	}
	return int(math.Max(2*float64(vars)*math.Log2(float64(n)), 1.5*float64(n)))
}

// withValset applies what depends on the validation set's size: auto runs
// use minibatches only for sets larger than 50, and a minibatch may not be
// larger than the set.
func (c miproConfig) withValset(n int) (miproConfig, error) {
	if c.auto != "" {
		c.minibatch = n > miproMinMinibatchValset
	}
	if c.minibatch && c.minibatchSize > n {
		return c, fmt.Errorf("miprov2: minibatch_size %d exceeds the validation set (%d examples); lower it or set minibatch to false", c.minibatchSize, n)
	}
	return c, nil
}

// adjustedTrials is DSPy's adjusted_num_trials: the trials plus the full
// evaluations a minibatch run inserts, plus the baseline.
func (c miproConfig) adjustedTrials() int {
	if !c.minibatch {
		return c.numTrials
	}
	extra := 0
	if c.numTrials%c.fullEvalSteps != 0 {
		extra = 1
	}
	return c.numTrials + c.numTrials/c.fullEvalSteps + 1 + extra
}

// fullEvalDue is DSPy's test after the minibatch trial numbered trialNum
// (the baseline is 1): every fullEvalSteps+1 trials, and after the last.
func (c miproConfig) fullEvalDue(trialNum int) bool {
	return trialNum%(c.fullEvalSteps+1) == 0 || trialNum == c.adjustedTrials()-1
}

// countFullEvals walks the trial numbering to count the full evaluations a
// minibatch run makes after its baseline.
func (c miproConfig) countFullEvals() int {
	if !c.minibatch {
		return 0
	}
	n, number := 0, 1 // the baseline is trial 0
	for range c.numTrials {
		trialNum := number + 1
		number++
		if c.fullEvalDue(trialNum) {
			n++
			number++ // the full evaluation is added as a trial of its own
		}
	}
	return n
}

// split derives the trainset and the validation source as DSPy does: without
// a validation set, the last 80% of the trainset (at most 1000) becomes one.
func (r *miproRun) split() error {
	train := r.task.Trainset
	if len(train) == 0 {
		return errors.New("miprov2: empty trainset")
	}
	cutoff := len(train)
	if len(r.task.Valset) == 0 {
		if len(train) < 2 {
			return errors.New("miprov2: the trainset needs at least 2 examples when no valset is given")
		}
		cutoff = len(train) - miproDerivedValSize(len(train))
	}
	r.train, r.trainIDs = train[:cutoff], indexIDs(cutoff)
	return nil
}

// miproDerivedValSize is min(1000, max(1, int(0.8·n))).
func miproDerivedValSize(n int) int {
	return min(1000, max(1, int(float64(n)*0.80)))
}

// valSource is the dataset validation IDs index into.
func (r *miproRun) valSource() []dspy.Example {
	if len(r.task.Valset) == 0 {
		return r.task.Trainset
	}
	return r.task.Valset
}

// subsampleVal picks the validation examples: all of them, or with auto
// settings a random sample of up to the auto size, drawn as DSPy's
// create_minibatch draws it (so even a full-size sample is reordered).
func (r *miproRun) subsampleVal(cfg miproConfig) []int {
	src := r.valSource()
	first := 0
	if len(r.task.Valset) == 0 {
		first = len(r.train)
	}
	n := len(src) - first
	if cfg.auto == "" {
		ids := make([]int, n)
		for i := range ids {
			ids[i] = first + i
		}
		return ids
	}
	picked := r.rng.Sample(n, min(cfg.valSize, n))
	for i := range picked {
		picked[i] += first
	}
	return picked
}

func (r *miproRun) valExamples(ids []int) ([]dspy.Example, []int) {
	src := r.valSource()
	out := make([]dspy.Example, len(ids))
	for i, id := range ids {
		out[i] = src[id]
	}
	return out, append([]int(nil), ids...)
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// MIPROv2Plan is what a MIPROv2 run will do and cost, computed without
// running anything (for a dry run).
type MIPROv2Plan struct {
	// Auto is the budget setting used ("" when explicit).
	Auto string `json:"auto,omitempty"`
	// The resolved budget.
	NumTrials             int `json:"num_trials"`
	NumInstructCandidates int `json:"num_instruct_candidates"`
	NumFewshotCandidates  int `json:"num_fewshot_candidates"`
	// Trainset and Valset are the sizes after splitting and subsampling.
	Trainset      int  `json:"trainset"`
	Valset        int  `json:"valset"`
	Minibatch     bool `json:"minibatch"`
	MinibatchSize int  `json:"minibatch_size,omitempty"`
	// FullEvals is the number of full validation runs after the baseline.
	FullEvals int `json:"full_evals"`
	// TotalTrials counts every trial row: the baseline, the search trials and
	// the full evaluations (DSPy's adjusted_num_trials).
	TotalTrials int `json:"total_trials"`
	// PromptCalls is the most prompt-model calls: dataset summary, program
	// and module descriptions, and instruction proposals.
	PromptCalls int `json:"prompt_calls"`
	// BootstrapRuns is the most program runs while bootstrapping demo sets
	// (each set may try every training example once); usually far fewer.
	BootstrapRuns int `json:"bootstrap_runs"`
	// EvalRuns is the program runs of the search: the baseline, the trials
	// and the full evaluations. Each run calls the task model once per
	// predictor call.
	EvalRuns int `json:"eval_runs"`
	// DSPyPromptCalls and DSPyTaskCalls are the estimates DSPy prints before
	// it runs, 10 + N·P + (P+1) and mb·T + |val|·(T/steps+1), for comparison.
	DSPyPromptCalls int `json:"dspy_prompt_calls"`
	DSPyTaskCalls   int `json:"dspy_task_calls"`
}

// PlanMIPROv2 builds MIPROv2 from its JSON parameters and plans a run on
// data of the given sizes in detail.
func PlanMIPROv2(params json.RawMessage, sizes PlanSizes) (MIPROv2Plan, error) {
	o, err := New("miprov2", params)
	if err != nil {
		return MIPROv2Plan{}, err
	}
	return o.(*MIPROv2).PlanDetails(sizes)
}

// Plan summarises PlanDetails in program runs and prompt calls.
func (m *MIPROv2) Plan(sizes PlanSizes) (Plan, error) {
	mp, err := m.PlanDetails(sizes)
	if err != nil {
		return Plan{}, err
	}
	auto := mp.Auto
	if auto == "" {
		auto = "none"
	}
	p := Plan{
		Settings: fmt.Sprintf("auto %s: %d trials over %d instruction and %d demo-set candidates; valset %d, trainset %d",
			auto, mp.NumTrials, mp.NumInstructCandidates, mp.NumFewshotCandidates, mp.Valset, mp.Trainset),
		TaskRuns:          mp.BootstrapRuns + mp.EvalRuns,
		TaskUpper:         mp.BootstrapRuns > 0,
		PromptCalls:       mp.PromptCalls,
		PromptUpper:       true,
		PromptCompletions: 1,
	}
	if mp.Minibatch {
		p.Settings += fmt.Sprintf("; minibatches of %d, %d full evaluations", mp.MinibatchSize, mp.FullEvals)
	}
	p.Notes = []string{
		fmt.Sprintf("of the %d task runs, %d bootstrap demo sets (an upper bound: bootstrapping stops once enough demos are found) and %d evaluate candidates", p.TaskRuns, mp.BootstrapRuns, mp.EvalRuns),
		fmt.Sprintf("DSPy's own estimate for these settings: %d task calls and %d prompt calls", mp.DSPyTaskCalls, mp.DSPyPromptCalls),
	}
	return p, nil
}

// PlanDetails computes what a run on data of the given sizes will do and at
// most cost, with the same settings and validation Compile applies. Valset
// 0 means the validation set is split off the trainset, as Compile does.
func (m *MIPROv2) PlanDetails(sizes PlanSizes) (MIPROv2Plan, error) {
	if sizes.Predictors < 1 {
		return MIPROv2Plan{}, errors.New("miprov2: the program has no predictors")
	}
	c, err := m.resolve(sizes.Predictors)
	if err != nil {
		return MIPROv2Plan{}, err
	}
	train, val := sizes.Trainset, sizes.Valset
	if train == 0 {
		return MIPROv2Plan{}, errors.New("miprov2: empty trainset")
	}
	if val == 0 {
		if train < 2 {
			return MIPROv2Plan{}, errors.New("miprov2: the trainset needs at least 2 examples when no valset is given")
		}
		val = miproDerivedValSize(train)
		train -= val
	}
	if c.auto != "" {
		val = min(val, c.valSize)
	}
	if c, err = c.withValset(val); err != nil {
		return MIPROv2Plan{}, err
	}
	p := MIPROv2Plan{
		Auto: c.auto, NumTrials: c.numTrials, NumInstructCandidates: c.numInstruct, NumFewshotCandidates: c.numFewshot,
		Trainset: train, Valset: val, Minibatch: c.minibatch, FullEvals: c.countFullEvals(), TotalTrials: c.numTrials + 1,
	}
	perTrial := val
	if c.minibatch {
		p.MinibatchSize = c.minibatchSize
		perTrial = min(c.minibatchSize, val)
		p.TotalTrials = c.adjustedTrials()
	}
	p.EvalRuns = val + perTrial*c.numTrials + val*p.FullEvals

	if c.dataAware {
		p.PromptCalls += summaryCalls(train, c.viewBatch)
	}
	perProposal := 1
	if c.programAware {
		perProposal = 3
	}
	// Candidate 0 is the original instructions, so its proposal is skipped.
	p.PromptCalls += sizes.Predictors * max(0, c.proposals()-1) * perProposal

	for seed := -3; seed < c.numFewshot-3; seed++ {
		if k := demoSetKind(seed, c.bootLabeled()); k == demoSetBootstrapped || k == demoSetShuffled {
			p.BootstrapRuns += train
		}
	}

	p.DSPyPromptCalls = 10 + c.numInstruct*sizes.Predictors
	if c.programAware {
		p.DSPyPromptCalls += sizes.Predictors + 1
	}
	if c.minibatch {
		p.DSPyTaskCalls = c.minibatchSize*c.numTrials + val*(c.numTrials/c.fullEvalSteps+1)
	} else {
		p.DSPyTaskCalls = val * c.numTrials
	}
	return p, nil
}

// proposals is the number of instruction candidates per predictor: one per
// demo set, up to numInstruct.
func (c miproConfig) proposals() int {
	return min(c.numInstruct, max(c.numFewshot, 1))
}

// summaryCalls is the most calls create_dataset_summary makes: one for the
// first batch, one per further batch (at most nine) and one to summarise.
func summaryCalls(train, batch int) int {
	further := 0
	if train > batch {
		further = (train - batch + batch - 1) / batch
	}
	return 2 + min(further, 9)
}
