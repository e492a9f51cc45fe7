package optimize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

func init() {
	Register("infer_rules", func(p json.RawMessage) (Optimizer, error) {
		o := &InferRules{}
		if err := DecodeParams("infer_rules", p, o); err != nil {
			return nil, err
		}
		zeroMeansNone(p, map[string]*int{"max_bootstrapped_demos": &o.MaxBootstrappedDemos, "max_labeled_demos": &o.MaxLabeledDemos})
		if _, err := o.resolve(); err != nil {
			return nil, err
		}
		return o, nil
	})
}

// InferRules bootstraps demos, then asks the prompt model to induce natural
// language rules from the training examples and appends them to each
// predictor's instructions, as DSPy's InferRules does. It builds
// NumCandidates such programs (the rules of each drawn afresh, at
// temperature 1.0 with a rollout drawn from random.Random(0), as DSPy draws
// them), scores each on the valset and keeps the first best. With no valset,
// the first half of the trainset trains and the second half validates, as
// in DSPy.
//
// Beyond DSPy, the bootstrapped program without rules is scored too, as the
// baseline the report compares against; the chosen program is still the
// best rule candidate, as DSPy's is.
//
// It checkpoints after the bootstrap and after every candidate.
type InferRules struct {
	// NumCandidates is how many rule sets are induced and scored (default 10).
	NumCandidates int `json:"num_candidates"`
	// NumRules is how many rules the prompt model is asked for (default 10).
	NumRules int `json:"num_rules"`
	// MaxBootstrappedDemos, MaxLabeledDemos, MaxRounds, MetricThreshold and
	// MaxErrors configure the bootstrap, as in BootstrapFewShot.
	MaxBootstrappedDemos int      `json:"max_bootstrapped_demos"`
	MaxLabeledDemos      int      `json:"max_labeled_demos"`
	MaxRounds            int      `json:"max_rounds"`
	MetricThreshold      *float64 `json:"metric_threshold,omitempty"`
	MaxErrors            int      `json:"max_errors"`
}

// Name returns "infer_rules".
func (*InferRules) Name() string { return "infer_rules" }

func (o *InferRules) resolve() (bootstrapConfig, error) {
	if o.NumCandidates < 0 || o.NumRules < 0 {
		return bootstrapConfig{}, errors.New("infer_rules: num_candidates and num_rules must be positive")
	}
	return (&BootstrapFewShot{
		MaxBootstrappedDemos: o.MaxBootstrappedDemos, MaxLabeledDemos: o.MaxLabeledDemos,
		MaxRounds: o.MaxRounds, MetricThreshold: o.MetricThreshold, MaxErrors: o.MaxErrors,
	}).config(), nil
}

func (o *InferRules) numCandidates() int { return defaultInt(o.NumCandidates, 10) }
func (o *InferRules) numRules() int      { return defaultInt(o.NumRules, 10) }

// split is DSPy's: the valset, or the second half of the trainset.
func (o *InferRules) split(task Task) (train, val []dspy.Example) {
	if len(task.Valset) > 0 {
		return task.Trainset, task.Valset
	}
	n := len(task.Trainset) / 2
	return task.Trainset[:n], task.Trainset[n:]
}

// Plan counts the bootstrap (a bound), one rule prompt per predictor and
// candidate (a bound: a prompt that fails is retried with fewer examples),
// and the scorings.
func (o *InferRules) Plan(sizes PlanSizes) (Plan, error) {
	cfg, err := o.resolve()
	if err != nil {
		return Plan{}, err
	}
	train, val := sizes.Trainset, sizes.Valset
	if val == 0 {
		train, val = sizes.Trainset/2, sizes.Trainset-sizes.Trainset/2
	}
	n := o.numCandidates()
	p := Plan{
		Settings: fmt.Sprintf("%d candidates of %d rules each, after bootstrapping up to %d demos; scored on %d examples",
			n, o.numRules(), cfg.maxBootstrapped, val),
		TaskRuns:          (n+1)*val + train*cfg.maxRounds,
		TaskUpper:         true,
		PromptCalls:       n * max(1, sizes.Predictors),
		PromptUpper:       true,
		PromptCompletions: 1,
		Notes:             []string{"a rule prompt that fails is retried with one example fewer"},
	}
	return p, nil
}

// inferRulesState is the checkpoint.
type inferRulesState struct {
	Bootstrapped *dspy.ProgramState `json:"bootstrapped,omitempty"`
	RNG          pyrand.State       `json:"rng"`
	Done         int                `json:"done"`
	Best         *dspy.ProgramState `json:"best,omitempty"`
	BestScore    float64            `json:"best_score"`
	BestExact    float64            `json:"best_exact"`
	Baseline     float64            `json:"baseline"`
	BaseExact    float64            `json:"baseline_exact"`
	Trials       []Trial            `json:"trials,omitempty"`
}

// Compile bootstraps, then induces and scores the rule candidates.
func (o *InferRules) Compile(ctx context.Context, engine Engine, task Task) (Result, error) {
	cfg, err := o.resolve()
	if err != nil {
		return Result{}, err
	}
	train, val := o.split(task)
	if len(train) == 0 || len(val) == 0 {
		return Result{}, fmt.Errorf("infer_rules: need training and validation examples (got %d and %d)", len(train), len(val))
	}
	rng := pyrand.New(0)
	st := inferRulesState{}
	if len(task.Resume) > 0 {
		if err := json.Unmarshal(task.Resume, &st); err != nil {
			return Result{}, fmt.Errorf("infer_rules: resume: %w", err)
		}
		if rng, err = pyrand.FromState(st.RNG); err != nil {
			return Result{}, fmt.Errorf("infer_rules: resume: %w", err)
		}
	}
	n := o.numCandidates()
	result := func(stopped bool) Result {
		res := Result{Score: st.BestScore, ScoreExact: st.BestExact, Trials: st.Trials, Stopped: stopped,
			BaselineScore: st.Baseline, BaselineExact: st.BaseExact, BaselineMeasured: len(st.Trials) > 0}
		switch {
		case st.Best != nil:
			res.Program = *st.Best
		case st.Bootstrapped != nil:
			res.Program = *st.Bootstrapped
		default:
			res.Program = CloneState(task.Student)
		}
		return res
	}
	save := func(step int) error {
		st.RNG = rng.State()
		return checkpoint(ctx, engine, st, Progress{Phase: "search", Step: step, Total: n, BestScore: st.BestScore, Best: st.Best, Trials: st.Trials})
	}

	if st.Bootstrapped == nil {
		program, err := cfg.compile(ctx, engine, task.Student, train, indexIDs(len(train)), &bootstrapState{}, nil)
		if errors.Is(err, ErrStop) {
			return result(true), nil
		}
		if err != nil {
			return Result{}, fmt.Errorf("infer_rules: bootstrap: %w", err)
		}
		st.Bootstrapped = &program
		score, exact, err := o.score(ctx, engine, program, val, "infer_rules: score the bootstrapped program")
		if errors.Is(err, ErrStop) {
			return result(true), nil
		}
		if err != nil {
			return Result{}, err
		}
		st.Baseline, st.BaseExact = score, exact
		st.Trials = append(st.Trials, newTrial(0, "bootstrapped, no rules", program, score, true))
		if err := save(0); err != nil {
			return result(errors.Is(err, ErrStop)), stopOrErr(err)
		}
	}

	for st.Done < n {
		cand := CloneState(*st.Bootstrapped)
		for i, ns := range cand.Predictors {
			rules, err := o.induce(ctx, engine, rng, task, ns.Name, train, fmt.Sprintf("infer_rules: candidate %d, rules for %s", st.Done+1, ns.Name))
			if errors.Is(err, ErrStop) {
				return result(true), nil
			}
			if err != nil {
				return Result{}, err
			}
			sig := &cand.Predictors[i].State.Signature
			sig.Instructions = sig.Instructions + "\n\nPlease adhere to the following rules when making your prediction:\n" + rules
		}
		label := fmt.Sprintf("candidate %d", st.Done+1)
		score, exact, err := o.score(ctx, engine, cand, val, "infer_rules: score "+label)
		if errors.Is(err, ErrStop) {
			return result(true), nil
		}
		if err != nil {
			return Result{}, err
		}
		st.Trials = append(st.Trials, newTrial(len(st.Trials), label, cand, score, true))
		if st.Best == nil || exact > st.BestExact {
			st.Best, st.BestScore, st.BestExact = &cand, score, exact
		}
		st.Done++
		if err := save(st.Done); err != nil {
			return result(errors.Is(err, ErrStop)), stopOrErr(err)
		}
	}
	return result(false), nil
}

// stopOrErr turns a stop into success (the result says Stopped).
func stopOrErr(err error) error {
	if errors.Is(err, ErrStop) {
		return nil
	}
	return err
}

func (o *InferRules) score(ctx context.Context, engine Engine, program dspy.ProgramState, val []dspy.Example, label string) (float64, float64, error) {
	outs, err := engine.Run(ctx, Batch{Candidate: program, Examples: val, IDs: indexIDs(len(val)), Label: label})
	if err != nil {
		return 0, 0, err
	}
	return Percent(outs), percentExact(outs), nil
}

// induce asks the prompt model for rules from the training examples, shown
// through the predictor's fields; a failed call is retried with the last
// example left out, as DSPy does when the examples overflow the context.
func (o *InferRules) induce(ctx context.Context, engine Engine, rng *pyrand.Random, task Task, path string, train []dspy.Example, label string) (string, error) {
	var sig dspy.Signature
	for _, ns := range task.Signatures {
		if ns.Name == path {
			sig = ns.Signature
		}
	}
	demos := train
	// DSPy draws one rollout per induction call, retries included.
	for {
		call := PromptCall{
			Signature:   rulesInductionSignature(o.numRules()),
			Inputs:      dspy.NewExample("examples_text", formatRuleExamples(demos, sig)),
			Temperature: dspy.Float(1.0),
			Rollout:     rng.RandInt(0, 1_000_000_000),
			Label:       label,
		}
		outs, err := engine.Prompt(ctx, call)
		if err == nil && len(outs) > 0 {
			return strings.TrimSpace(outs[0].GetString("natural_language_rules")), nil
		}
		if errors.Is(err, ErrStop) {
			return "", err
		}
		if len(demos) <= 1 {
			return "", fmt.Errorf("%s: failed to generate natural language rules since a single example couldn't fit in the model's context window: %v", label, err)
		}
		demos = demos[:len(demos)-1]
	}
}

// formatRuleExamples is DSPy's format_examples: each example's input and
// output fields of the signature, in the example's own order.
func formatRuleExamples(demos []dspy.Example, sig dspy.Signature) string {
	isIn, isOut := map[string]bool{}, map[string]bool{}
	for _, n := range sig.InputNames() {
		isIn[n] = true
	}
	for _, n := range sig.OutputNames() {
		isOut[n] = true
	}
	var b strings.Builder
	for _, d := range demos {
		var ins, outs []string
		for _, k := range d.Keys() {
			v, _ := d.Get(k)
			switch {
			case isIn[k]:
				ins = append(ins, k+": "+dspy.ValueString(v))
			case isOut[k]:
				outs = append(outs, k+": "+dspy.ValueString(v))
			}
		}
		b.WriteString("Input Fields:\n" + strings.Join(ins, "\n") + "\n\n=========\nOutput Fields:\n" + strings.Join(outs, "\n") + "\n\n")
	}
	return b.String()
}

// rulesInductionSignature is DSPy's CustomRulesInduction under
// ChainOfThought, word for word.
func rulesInductionSignature(numRules int) dspy.Signature {
	sig, err := dspy.NewSignature(
		[]dspy.Field{dspy.NewField("examples_text", dspy.StringType).WithDesc("Text containing examples")},
		[]dspy.Field{
			dspy.ReasoningField(),
			dspy.NewField("natural_language_rules", dspy.StringType).WithDesc("Induced natural language rules"),
		},
		fmt.Sprintf("Given a set of examples, extract a list of %d concise and non-redundant natural language "+
			"rules that provide clear guidance for performing the task. All rules should be actionable for a "+
			"well-specified scope of examples of this general kind of task.", numRules))
	if err != nil {
		panic(err)
	}
	return sig
}
