package optimize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

func init() {
	Register("gepa", func(p json.RawMessage) (Optimizer, error) {
		o := &GEPA{}
		if err := DecodeParams("gepa", p, o); err != nil {
			return nil, err
		}
		if _, err := o.resolve(); err != nil {
			return nil, err
		}
		return o, nil
	})
}

// GEPA evolves the program's instructions by reflection, as DSPy's GEPA (on
// the gepa engine) does. A candidate is one instruction per predictor; the
// pool starts with the student's. Every iteration picks a parent from the
// Pareto front of the validation set (programs best on at least one example,
// dominated ones removed), runs it on a minibatch of the trainset with
// traces, shows a prompt model the inputs, outputs and metric feedback of
// one predictor's calls, and asks it for a better instruction. A child that
// beats its parent on the same minibatch is scored on the whole validation
// set and joins the pool. After a new program is found, GEPA may instead
// merge two programs that improved different predictors of a common
// ancestor. The run ends when the metric-call budget is spent; the program
// with the best mean validation score wins.
//
// Budget: set exactly one of Auto, MaxFullEvals and MaxMetricCalls. Every
// program run counts as one metric call.
//
// It checkpoints after the baseline and after every iteration with the whole
// search state, so a resumed run makes the same decisions as one that never
// stopped; a stop request returns the best program so far.
type GEPA struct {
	// Auto picks the budget from DSPy's presets: "light", "medium" or "heavy".
	Auto string `json:"auto,omitempty"`
	// MaxFullEvals budgets that many runs over the trainset and valset.
	MaxFullEvals *int `json:"max_full_evals,omitempty"`
	// MaxMetricCalls budgets that many program runs.
	MaxMetricCalls *int `json:"max_metric_calls,omitempty"`
	// ReflectionMinibatchSize is the number of trainset examples reflected on
	// per iteration (default 3).
	ReflectionMinibatchSize int `json:"reflection_minibatch_size,omitempty"`
	// CandidateSelectionStrategy is "pareto" (default) or "current_best".
	CandidateSelectionStrategy string `json:"candidate_selection_strategy,omitempty"`
	// SkipPerfectScore skips reflection when the parent scores PerfectScore
	// on the whole minibatch (default true).
	SkipPerfectScore *bool `json:"skip_perfect_score,omitempty"`
	// PerfectScore is the metric's best score (default 1).
	PerfectScore *float64 `json:"perfect_score,omitempty"`
	// FailureScore is the score of an example that failed to run or score.
	FailureScore float64 `json:"failure_score,omitempty"`
	// ComponentSelector is "round_robin" (default: one predictor per
	// iteration, in turn) or "all".
	ComponentSelector string `json:"component_selector,omitempty"`
	// UseMerge enables merging (default true); MaxMergeInvocations caps the
	// merges accepted (default 5).
	UseMerge            *bool `json:"use_merge,omitempty"`
	MaxMergeInvocations *int  `json:"max_merge_invocations,omitempty"`
	// AddFormatFailureAsFeedback shows the reflection model replies that
	// failed to parse, with the format they should have had.
	AddFormatFailureAsFeedback bool `json:"add_format_failure_as_feedback,omitempty"`
	// Seed seeds the run's generators.
	Seed int64 `json:"seed,omitempty"`
}

// Name returns "gepa".
func (*GEPA) Name() string { return "gepa" }

// gepaConfig is GEPA's parameters with defaults applied.
type gepaConfig struct {
	minibatch     int
	currentBest   bool
	skipPerfect   bool
	perfect       float64
	allComponents bool
	merge         bool
	maxMerges     int
}

func (g *GEPA) resolve() (gepaConfig, error) {
	c := gepaConfig{minibatch: defaultInt(g.ReflectionMinibatchSize, 3), skipPerfect: true, perfect: 1, merge: true, maxMerges: 5}
	if g.ReflectionMinibatchSize < 0 {
		return c, errors.New("gepa: reflection_minibatch_size must be at least 1")
	}
	switch g.CandidateSelectionStrategy {
	case "", "pareto":
	case "current_best":
		c.currentBest = true
	default:
		return c, fmt.Errorf("gepa: candidate_selection_strategy must be pareto or current_best, not %q", g.CandidateSelectionStrategy)
	}
	switch g.ComponentSelector {
	case "", "round_robin":
	case "all":
		c.allComponents = true
	default:
		return c, fmt.Errorf("gepa: component_selector must be round_robin or all, not %q", g.ComponentSelector)
	}
	if g.SkipPerfectScore != nil {
		c.skipPerfect = *g.SkipPerfectScore
	}
	if g.PerfectScore != nil {
		c.perfect = *g.PerfectScore
	}
	if g.UseMerge != nil {
		c.merge = *g.UseMerge
	}
	if g.MaxMergeInvocations != nil {
		if *g.MaxMergeInvocations < 0 {
			return c, errors.New("gepa: max_merge_invocations must not be negative")
		}
		c.maxMerges = *g.MaxMergeInvocations
	}
	if g.Auto != "" {
		if _, ok := gepaAutoCandidates[g.Auto]; !ok {
			return c, fmt.Errorf("gepa: auto must be light, medium or heavy, not %q", g.Auto)
		}
	}
	return c, nil
}

// gepaRun is one compilation: the task, the settings and the state.
type gepaRun struct {
	g          *GEPA
	cfg        gepaConfig
	engine     Engine
	task       Task
	valset     []dspy.Example
	components []string
	sigs       []dspy.Signature
	budget     int
	st         gepaState
	rng        *pyrand.Random
	adapterRNG *pyrand.Random
	// speculating caches whether the run prepares iterations ahead, and
	// ahead holds the work so prepared (see gepa_speculate.go).
	speculating *bool
	ahead       *gepaAhead
}

// Compile runs the search.
func (g *GEPA) Compile(ctx context.Context, engine Engine, task Task) (Result, error) {
	r, err := g.newRun(engine, task)
	if err != nil {
		return Result{}, err
	}
	if len(task.Resume) > 0 {
		if err := r.restore(task.Resume); err != nil {
			return Result{}, err
		}
	} else {
		stopped, err := r.baseline(ctx)
		if errors.Is(err, ErrStop) {
			return r.result(true), nil
		}
		if err != nil || stopped {
			return r.result(stopped), err
		}
	}
	for r.st.MetricCalls < r.budget {
		err := r.speculate(ctx)
		if err == nil {
			err = r.iterate(ctx)
			r.ahead.prune(r.st.Iteration + 1)
		}
		if err != nil {
			// The engine refused more work (a spent budget): the pool so
			// far is the result.
			if errors.Is(err, ErrStop) {
				return r.result(true), nil
			}
			return Result{}, err
		}
		err = r.checkpoint(ctx)
		if errors.Is(err, ErrStop) {
			return r.result(true), nil
		}
		if err != nil {
			return Result{}, err
		}
	}
	return r.result(false), nil
}

func (g *GEPA) newRun(engine Engine, task Task) (*gepaRun, error) {
	cfg, err := g.resolve()
	if err != nil {
		return nil, err
	}
	if len(task.Trainset) == 0 {
		return nil, errors.New("gepa: empty trainset")
	}
	if len(task.Student.Predictors) == 0 {
		return nil, errors.New("gepa: the program has no predictors")
	}
	r := &gepaRun{g: g, cfg: cfg, engine: engine, task: task, valset: task.Valset}
	if r.budget, err = g.budget(len(task.Student.Predictors), len(task.Trainset), len(task.Valset)); err != nil {
		return nil, err
	}
	if len(r.valset) == 0 {
		r.valset = task.Trainset
	}
	sigs := map[string]dspy.Signature{}
	for _, ns := range task.Signatures {
		sigs[ns.Name] = ns.Signature
	}
	for _, ns := range task.Student.Predictors {
		sig, ok := sigs[ns.Name]
		if !ok {
			return nil, fmt.Errorf("gepa: no signature for predictor %q in the task", ns.Name)
		}
		r.components = append(r.components, ns.Name)
		r.sigs = append(r.sigs, sig)
	}
	return r, nil
}

func (r *gepaRun) restore(state json.RawMessage) error {
	if err := json.Unmarshal(state, &r.st); err != nil {
		return fmt.Errorf("gepa: resume: %w", err)
	}
	if len(r.st.Candidates) == 0 || len(r.st.Front) != len(r.valset) {
		return errors.New("gepa: resume: the checkpoint does not match this task (no pool, or another validation set)")
	}
	var err error
	if r.rng, err = pyrand.FromState(r.st.RNG); err != nil {
		return fmt.Errorf("gepa: resume: %w", err)
	}
	if r.adapterRNG, err = pyrand.FromState(r.st.AdapterRNG); err != nil {
		return fmt.Errorf("gepa: resume: %w", err)
	}
	return nil
}

// baseline scores the student on the validation set and seeds the pool.
func (r *gepaRun) baseline(ctx context.Context) (stopped bool, err error) {
	r.rng, r.adapterRNG = pyrand.New(r.g.Seed), pyrand.New(r.g.Seed)
	r.st = gepaState{Iteration: -1, Sampler: newGEPASampler()}
	seed := make([]string, len(r.components))
	for i, ns := range r.task.Student.Predictors {
		seed[i] = ns.State.Signature.Instructions
	}
	scores, err := r.evaluateVal(ctx, seed, "gepa: baseline on the validation set")
	if err != nil {
		return false, err
	}
	r.accept(seed, nil, scores, "seed")
	err = r.checkpoint(ctx)
	if errors.Is(err, ErrStop) {
		return true, nil
	}
	return false, err
}

// iterate runs one iteration of gepa's engine loop: a merge when one is due
// after a new program, otherwise a reflective mutation.
func (r *gepaRun) iterate(ctx context.Context) error {
	r.st.Iteration++
	m := &r.st.Merge
	if r.cfg.merge && m.Due > 0 && m.LastFound {
		merged, ok := m.propose(&r.st, r.rng)
		m.LastFound = false
		if ok {
			return r.tryMerge(ctx, merged)
		}
	}
	if r.cfg.merge {
		m.LastFound = false
	}
	accepted, err := r.reflect(ctx)
	if err != nil || !accepted {
		return err
	}
	if r.cfg.merge {
		m.LastFound = true
		if m.Tested < r.cfg.maxMerges {
			m.Due++
		}
	}
	return nil
}

// tryMerge scores a merge on a stratified handful of validation examples
// and keeps it when it does at least as well there as the better parent.
func (r *gepaRun) tryMerge(ctx context.Context, merged gepaMerged) error {
	si, sj := r.st.Subscores[merged.I], r.st.Subscores[merged.J]
	ids := gepaMergeSubsample(si, sj, 5, r.rng)
	label := fmt.Sprintf("gepa iteration %d: merge of %d and %d", r.st.Iteration+1, merged.I, merged.J)
	scores, err := r.evaluate(ctx, merged.Instructions, r.valset, ids, false, label)
	if err != nil {
		return err
	}
	r.st.MetricCalls += len(ids)
	sumI, sumJ := 0.0, 0.0
	for _, id := range ids {
		sumI += si[id]
		sumJ += sj[id]
	}
	if gepaSum(scores) < max(sumI, sumJ) {
		return nil
	}
	full, err := r.evaluateVal(ctx, merged.Instructions, label+" on the validation set")
	if err != nil {
		return err
	}
	r.accept(merged.Instructions, []int{merged.I, merged.J}, full,
		fmt.Sprintf("iteration %d: merge of %d and %d", r.st.Iteration+1, merged.I, merged.J))
	r.st.Merge.Due--
	r.st.Merge.Tested++
	return nil
}

// reflect is gepa's ReflectiveMutationProposer plus the engine's acceptance
// test. It reports whether a child joined the pool.
func (r *gepaRun) reflect(ctx context.Context) (bool, error) {
	st := &r.st
	parent, ids := r.head(st, r.rng)
	iter := st.Iteration + 1
	outs, err := r.run(ctx, st.Candidates[parent], r.task.Trainset, ids, true, gepaParentLabel(iter, parent))
	if err != nil {
		return false, err
	}
	st.MetricCalls += len(ids)
	before := gepaScores(outs, r.g.FailureScore)
	if r.cfg.skipPerfect && gepaAllAtLeast(before, r.cfg.perfect) {
		return false, nil
	}
	reflections := r.reflections(st, parent, ids, outs, r.adapterRNG)
	if len(reflections) == 0 {
		return false, nil // gepa: no component had data to reflect on
	}
	// The reflections depend on nothing but their datasets, so they are
	// asked at once.
	child := append([]string(nil), st.Candidates[parent]...)
	replies := make([]string, len(reflections))
	work := func(ctx context.Context, e Engine, k int) error {
		reply, err := r.reflection(ctx, e, reflections[k].call)
		replies[k] = reply
		return err
	}
	done := func(k int) error {
		child[reflections[k].component] = gepaExtractInstruction(replies[k])
		return nil
	}
	if err := forEach(ctx, r.engine, len(reflections), work, done); err != nil {
		return false, err
	}
	childOuts, err := r.run(ctx, child, r.task.Trainset, ids, false, gepaChildLabel(iter, parent))
	if err != nil {
		return false, err
	}
	st.MetricCalls += len(ids)
	if gepaSum(gepaScores(childOuts, r.g.FailureScore)) <= gepaSum(before) {
		return false, nil
	}
	full, err := r.evaluateVal(ctx, child, gepaValLabel(iter, parent))
	if err != nil {
		return false, err
	}
	r.accept(child, []int{parent}, full, fmt.Sprintf("iteration %d: reflection on %d", iter, parent))
	return true, nil
}

// head starts a reflective iteration on st: it draws the parent and the
// minibatch from rng. Nothing it does depends on an LM reply.
func (r *gepaRun) head(st *gepaState, rng *pyrand.Random) (parent int, ids []int) {
	if r.cfg.currentBest {
		parent = gepaArgmax(st.averages())
	} else {
		parent = gepaSelectPareto(st.Front, st.averages(), rng)
	}
	return parent, st.Sampler.next(len(r.task.Trainset), r.cfg.minibatch, st.Iteration, rng)
}

// gepaReflection is one reflection prompt of an iteration: the component it
// rewrites and the call that asks for it.
type gepaReflection struct {
	component int
	call      PromptCall
}

// reflections picks the components an iteration rewrites (advancing the
// parent's round-robin pointer in st) and builds their reflective datasets
// from the parent's minibatch run, drawing from adapterRNG in component
// order. Components without data get no prompt.
func (r *gepaRun) reflections(st *gepaState, parent int, ids []int, outs []Outcome, adapterRNG *pyrand.Random) []gepaReflection {
	var update []int
	if r.cfg.allComponents {
		update = indexIDs(len(r.components))
	} else {
		p := st.NextComponent[parent]
		st.NextComponent[parent] = (p + 1) % len(r.components)
		update = []int{p}
	}
	examples := gepaPick(r.task.Trainset, ids)
	var out []gepaReflection
	for _, c := range update {
		sig := r.sigs[c].WithInstructions(st.Candidates[parent][c])
		records := gepaReflectiveDataset(r.components[c], r.components, sig, examples, outs, r.g.AddFormatFailureAsFeedback, adapterRNG)
		if len(records) == 0 {
			continue
		}
		out = append(out, gepaReflection{component: c, call: PromptCall{
			Text:  gepaReflectionPrompt(st.Candidates[parent][c], records),
			Label: fmt.Sprintf("gepa iteration %d: reflect on %s", st.Iteration+1, r.components[c]),
		}})
	}
	return out
}

// reflection asks the prompt model one reflection on e, or takes the reply
// already received for exactly that prompt ahead of time.
func (r *gepaRun) reflection(ctx context.Context, e Engine, call PromptCall) (string, error) {
	if reply, ok := r.ahead.reply(call); ok {
		return reply, nil
	}
	reply, err := gepaReflectionReply(e.Prompt(ctx, call))
	if err != nil {
		return "", fmt.Errorf("gepa: %s: %w", call.Label, err)
	}
	return reply, nil
}

func gepaParentLabel(iter, parent int) string {
	return fmt.Sprintf("gepa iteration %d: parent %d on minibatch", iter, parent)
}

func gepaChildLabel(iter, parent int) string {
	return fmt.Sprintf("gepa iteration %d: child of %d on minibatch", iter, parent)
}

func gepaValLabel(iter, parent int) string {
	return fmt.Sprintf("gepa iteration %d: child of %d on the validation set", iter, parent)
}

// accept adds a fully evaluated program to the pool and the trial table.
func (r *gepaRun) accept(instructions []string, parents []int, scores []float64, label string) {
	idx := r.st.addProgram(instructions, parents, scores)
	// A program the student cannot take was never run, so it has no
	// instructions to show; the trial keeps its label and score.
	program, _ := r.program(instructions)
	r.st.Trials = append(r.st.Trials, newTrial(idx, label, program, gepaPercent(scores), true))
}

// evaluateVal scores a candidate on the whole validation set.
func (r *gepaRun) evaluateVal(ctx context.Context, instructions []string, label string) ([]float64, error) {
	scores, err := r.evaluate(ctx, instructions, r.valset, indexIDs(len(r.valset)), false, label)
	if err != nil {
		return nil, err
	}
	r.st.MetricCalls += len(r.valset)
	return scores, nil
}

func (r *gepaRun) evaluate(ctx context.Context, instructions []string, data []dspy.Example, ids []int, trace bool, label string) ([]float64, error) {
	outs, err := r.run(ctx, instructions, data, ids, trace, label)
	if err != nil {
		return nil, err
	}
	return gepaScores(outs, r.g.FailureScore), nil
}

func (r *gepaRun) run(ctx context.Context, instructions []string, data []dspy.Example, ids []int, trace bool, label string) ([]Outcome, error) {
	if outs, ok := r.ahead.outcomes(label, instructions, ids, trace); ok {
		return outs, nil
	}
	return r.runOn(ctx, r.engine, instructions, data, ids, trace, label)
}

// runOn runs a candidate on examples of data through e.
func (r *gepaRun) runOn(ctx context.Context, e Engine, instructions []string, data []dspy.Example, ids []int, trace bool, label string) ([]Outcome, error) {
	program, err := r.program(instructions)
	if err != nil {
		return nil, err
	}
	outs, err := e.Run(ctx, Batch{Candidate: program, Examples: gepaPick(data, ids), IDs: ids, Trace: trace, Label: label})
	if err != nil {
		return nil, fmt.Errorf("gepa: %s: %w", label, err)
	}
	if len(outs) != len(ids) {
		return nil, fmt.Errorf("gepa: %s: the engine returned %d outcomes for %d examples", label, len(outs), len(ids))
	}
	return outs, nil
}

// program applies a candidate's instructions to the student.
func (r *gepaRun) program(instructions []string) (dspy.ProgramState, error) {
	st := CloneState(r.task.Student)
	for i, name := range r.components {
		var err error
		if st, err = WithInstructions(st, name, instructions[i], ""); err != nil {
			return dspy.ProgramState{}, fmt.Errorf("gepa: %w", err)
		}
	}
	return st, nil
}

func (r *gepaRun) checkpoint(ctx context.Context) error {
	r.st.RNG, r.st.AdapterRNG = r.rng.State(), r.adapterRNG.State()
	best := r.st.best()
	program, err := r.program(r.st.Candidates[best])
	if err != nil {
		return err
	}
	return checkpoint(ctx, r.engine, &r.st, Progress{
		Phase: "iterate", Step: min(r.st.MetricCalls, r.budget), Total: r.budget, Unit: "metric calls",
		BestScore: gepaPercent(r.st.Subscores[best]), Best: &program, Trials: r.st.Trials, Pareto: r.st.pareto(),
	})
}

// result is the best program so far; before the baseline finishes, the student.
func (r *gepaRun) result(stopped bool) Result {
	res := Result{Program: CloneState(r.task.Student), Trials: r.st.Trials, Stopped: stopped}
	if len(r.st.Candidates) == 0 {
		return res
	}
	best := r.st.best()
	if program, err := r.program(r.st.Candidates[best]); err == nil {
		res.Program = program
	}
	res.Score = gepaPercent(r.st.Subscores[best])
	res.ScoreExact, res.BaselineExact = gepaExact(r.st.Subscores[best]), gepaExact(r.st.Subscores[0])
	res.BaselineScore, res.BaselineMeasured = gepaPercent(r.st.Subscores[0]), true
	res.Pareto = r.st.pareto()
	return res
}

// gepaScores reads outcome scores, scoring failed examples FailureScore.
func gepaScores(outs []Outcome, failure float64) []float64 {
	scores := make([]float64, len(outs))
	for i, o := range outs {
		scores[i] = o.Score
		if o.Failed() {
			scores[i] = failure
		}
	}
	return scores
}

func gepaAllAtLeast(xs []float64, bound float64) bool {
	for _, x := range xs {
		if x < bound {
			return false
		}
	}
	return true
}

// gepaPercent is a mean score in percent, rounded as DSPy's Evaluate rounds.
func gepaPercent(scores []float64) float64 {
	return round2(gepaExact(scores))
}

// gepaExact is gepaPercent unrounded.
func gepaExact(scores []float64) float64 {
	if len(scores) == 0 {
		return 0
	}
	return 100 * gepaSum(scores) / float64(len(scores))
}

func gepaPick(data []dspy.Example, ids []int) []dspy.Example {
	out := make([]dspy.Example, len(ids))
	for i, id := range ids {
		out[i] = data[id]
	}
	return out
}
