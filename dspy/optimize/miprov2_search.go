package optimize

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/tpe"
)

// searchState is the search's part of the checkpoint.
type searchState struct {
	// TPE is the sampler's state; its trial numbers are Optuna's (the
	// baseline is 0), one less than the trial rows' numbers.
	TPE tpe.State `json:"tpe"`
	// Baseline is the original program's full score.
	Baseline float64 `json:"baseline"`
	// BestScore is the best full score, and Best the parameters that got it
	// (nil while the original program is best).
	BestScore float64 `json:"best_score"`
	Best      []int   `json:"best,omitempty"`
	// BaselineExact and BestExact are Baseline and BestScore unrounded.
	BaselineExact float64 `json:"baseline_exact,omitempty"`
	BestExact     float64 `json:"best_exact,omitempty"`
	// Combos is DSPy's param_score_dict: every combination tried, in the
	// order first tried, with its minibatch (or full) scores.
	Combos []comboScores `json:"combos"`
	// FullyEvaluated is DSPy's fully_evaled_param_combos: the combinations
	// scored on the whole validation set, with their last full score.
	FullyEvaluated []comboScore `json:"fully_evaluated,omitempty"`
	// Done counts finished search trials, out of NumTrials.
	Done int `json:"done"`
	// PendingFullEval is set when the last trial calls for a full evaluation
	// that has not run yet.
	PendingFullEval bool `json:"pending_full_eval,omitempty"`
	// Trials are the rows reported: the baseline, every trial, every full evaluation.
	Trials []Trial `json:"trials"`
}

type comboScores struct {
	Params []int     `json:"params"`
	Scores []float64 `json:"scores"`
}

type comboScore struct {
	Params []int   `json:"params"`
	Score  float64 `json:"score"`
}

// searchSpace is the sampler's parameters in the order DSPy suggests them:
// per predictor, its instruction and (unless zero-shot) its demo set.
func (r *miproRun) searchSpace() []tpe.Param {
	return r.spaceOf(func(p int) (int, int) { return len(r.st.Instructions[p]), len(r.st.DemoSets[p]) })
}

// spaceOf is the search space for the numbers of instructions and demo sets
// that choices gives per predictor.
func (r *miproRun) spaceOf(choices func(p int) (instructions, demoSets int)) []tpe.Param {
	var space []tpe.Param
	for p := range r.names() {
		instructions, demoSets := choices(p)
		space = append(space, tpe.Param{Name: fmt.Sprintf("%d_predictor_instruction", p), Choices: instructions})
		if r.useDemos() {
			space = append(space, tpe.Param{Name: fmt.Sprintf("%d_predictor_demos", p), Choices: demoSets})
		}
	}
	return space
}

// useDemos reports whether the search picks demo sets: not when zero-shot,
// where the sets only grounded the proposals.
func (r *miproRun) useDemos() bool { return !r.cfg.zeroshot }

// search evaluates the baseline and runs the trials.
func (r *miproRun) search(ctx context.Context) error {
	var sampler *tpe.Sampler
	if r.st.Search == nil {
		var err error
		if sampler, err = tpe.New(r.searchSpace(), tpe.Config{Seed: r.cfg.seed}); err != nil {
			return fmt.Errorf("miprov2: %w", err)
		}
		if err := r.baseline(ctx, sampler); err != nil {
			return err
		}
	} else {
		var err error
		if sampler, err = tpe.Restore(r.st.Search.TPE); err != nil {
			return fmt.Errorf("miprov2: resume: %w", err)
		}
	}
	s := r.st.Search
	for s.Done < r.cfg.numTrials || s.PendingFullEval {
		if !s.PendingFullEval {
			// Trials no score guides run at once where the engine allows;
			// each is recorded and checkpointed in turn, as below.
			if n := r.unguidedTrials(sampler); n > 1 && forkTrials(r.engine) {
				if err := r.trialsAtOnce(ctx, sampler, n); err != nil {
					return err
				}
				continue
			}
		}
		var err error
		if s.PendingFullEval {
			err = r.fullEval(ctx, sampler)
		} else {
			err = r.trial(ctx, sampler)
		}
		if err != nil {
			return err
		}
		if err := r.searchCheckpoint(ctx, sampler); err != nil {
			return err
		}
	}
	return nil
}

// searchCheckpoint saves the state after a trial or a full evaluation.
func (r *miproRun) searchCheckpoint(ctx context.Context, sampler *tpe.Sampler) error {
	r.st.Search.TPE = sampler.State()
	return r.checkpoint(ctx, r.searchProgress())
}

// baseline scores the original program on the whole validation set and
// tells the sampler, as DSPy adds it to the study as trial 0.
func (r *miproRun) baseline(ctx context.Context, sampler *tpe.Sampler) error {
	var score, exact float64
	if b := r.early.baseline; b != nil {
		score, exact = b.score, b.exact
	} else {
		var err error
		if score, exact, err = r.evaluate(ctx, CloneState(r.task.Student), r.val, r.valIDs, baselineLabel); err != nil {
			return err
		}
	}
	return r.addBaseline(ctx, sampler, score, exact)
}

// addBaseline starts the search state with the baseline's score, tells the
// sampler and checkpoints.
func (r *miproRun) addBaseline(ctx context.Context, sampler *tpe.Sampler, score, exact float64) error {
	student := CloneState(r.task.Student)
	if _, err := sampler.AddTrial(make([]int, len(sampler.Space())), score); err != nil {
		return fmt.Errorf("miprov2: %w", err)
	}
	r.st.Search = &searchState{
		TPE:      sampler.State(),
		Baseline: score, BestScore: score, BaselineExact: exact, BestExact: exact,
		Combos: []comboScores{},
		Trials: []Trial{newTrial(1, "baseline: original program", student, score, true)},
	}
	return r.checkpoint(ctx, r.searchProgress())
}

// trial runs one search trial: the sampler's combination, scored on a fresh
// minibatch (or, without minibatches, the whole validation set).
func (r *miproRun) trial(ctx context.Context, sampler *tpe.Sampler) error {
	d := r.drawTrial(sampler, r.rng)
	program, err := r.build(d.params)
	if err != nil {
		return fmt.Errorf("miprov2: %w", err)
	}
	score, exact, err := r.scoreTrial(ctx, r.engine, d, program)
	if err != nil {
		return err
	}
	return r.recordTrial(sampler, d, program, score, exact)
}

// trialDraw is what a trial draws before it is scored: the sampler's
// trial number and combination, and the examples that score it.
type trialDraw struct {
	number   int
	params   []int
	examples []dspy.Example
	ids      []int
	full     bool
}

// drawTrial makes a trial's draws: the sampler's suggestion and, with
// minibatches, DSPy's create_minibatch, a fresh sample from rng.
func (r *miproRun) drawTrial(sampler *tpe.Sampler, rng *pyrand.Random) trialDraw {
	d := trialDraw{examples: r.val, ids: r.valIDs, full: true}
	d.number, d.params = sampler.Suggest()
	if r.cfg.minibatch && r.cfg.minibatchSize < len(r.val) {
		pick := rng.Sample(len(r.val), r.cfg.minibatchSize)
		d.examples, d.ids, d.full = make([]dspy.Example, len(pick)), make([]int, len(pick)), false
		for i, j := range pick {
			d.examples[i], d.ids[i] = r.val[j], r.valIDs[j]
		}
	}
	return d
}

// scoreTrial evaluates a trial's program on its examples through engine.
func (r *miproRun) scoreTrial(ctx context.Context, engine Engine, d trialDraw, program dspy.ProgramState) (float64, float64, error) {
	where := "minibatch"
	if d.full {
		where = "validation set"
	}
	// DSPy's trial_num: the baseline is 1.
	label := fmt.Sprintf("miprov2 trial %d: %s on the %s", d.number+1, r.comboLabel(d.params), where)
	return r.evaluateOn(ctx, engine, program, d.examples, d.ids, label)
}

// recordTrial tells the sampler a trial's score and adds it to the search.
func (r *miproRun) recordTrial(sampler *tpe.Sampler, d trialDraw, program dspy.ProgramState, score, exact float64) error {
	s := r.st.Search
	if err := sampler.Tell(d.number, score); err != nil {
		return fmt.Errorf("miprov2: %w", err)
	}
	// Without minibatches every trial is a full evaluation and may win;
	// with them, only full evaluations of the best minibatch combinations do.
	if !r.cfg.minibatch && score > s.BestScore {
		s.BestScore, s.Best, s.BestExact = score, append([]int(nil), d.params...), exact
	}
	s.addScore(d.params, score)
	trialNum := d.number + 1
	s.Trials = append(s.Trials, newTrial(trialNum, r.comboLabel(d.params), program, score, d.full))
	s.Done++
	s.PendingFullEval = r.cfg.minibatch && r.cfg.fullEvalDue(trialNum)
	return nil
}

// fullEval scores the combination with the best mean minibatch score that
// has not been fully evaluated on the whole validation set, tells the
// sampler (as DSPy adds it to the study) and keeps it if it beats the best.
func (r *miproRun) fullEval(ctx context.Context, sampler *tpe.Sampler) error {
	s := r.st.Search
	params, mean := s.highestMean()
	program, err := r.build(params)
	if err != nil {
		return fmt.Errorf("miprov2: %w", err)
	}
	label := r.comboLabel(params)
	rowNum := sampler.NextNumber() + 1
	score, exact, err := r.evaluate(ctx, program, r.val, r.valIDs,
		fmt.Sprintf("miprov2 trial %d: full evaluation of %s (mean minibatch score %.2f)", rowNum, label, mean))
	if err != nil {
		return err
	}
	// DSPy reports the instruction index as the demo index of these trials
	// (a slip in raw_chosen_params); the sampler is told the real one.
	number, err := sampler.AddTrial(params, score)
	if err != nil {
		return fmt.Errorf("miprov2: %w", err)
	}
	s.markFull(params, score)
	if score > s.BestScore {
		s.BestScore, s.Best, s.BestExact = score, append([]int(nil), params...), exact
	}
	s.Trials = append(s.Trials, newTrial(number+1, "full evaluation: "+label, program, score, true))
	s.PendingFullEval = false
	return nil
}

// evaluate runs a program on examples and scores it in percent. Like DSPy's
// eval_candidate_program, an evaluation with max_errors failed examples
// scores 0 rather than ending the search. It returns the score rounded, as
// the search compares it, and unrounded.
func (r *miproRun) evaluate(ctx context.Context, program dspy.ProgramState, examples []dspy.Example, ids []int, label string) (float64, float64, error) {
	return r.evaluateOn(ctx, r.engine, program, examples, ids, label)
}

// baselineLabel names the original program's evaluation.
const baselineLabel = "miprov2 trial 1: baseline on the validation set"

// evaluateOn is evaluate through engine, for work forked off the run's own.
func (r *miproRun) evaluateOn(ctx context.Context, engine Engine, program dspy.ProgramState, examples []dspy.Example, ids []int, label string) (float64, float64, error) {
	outs, err := engine.Run(ctx, Batch{Candidate: program, Examples: examples, IDs: ids, Label: label})
	if err != nil {
		return 0, 0, fmt.Errorf("miprov2: %s: %w", label, err)
	}
	if len(outs) != len(examples) {
		return 0, 0, fmt.Errorf("miprov2: %s: engine returned %d outcomes for %d examples", label, len(outs), len(examples))
	}
	if countFailures(outs) >= r.cfg.maxErrors {
		return 0, 0, nil
	}
	return Percent(outs), percentExact(outs), nil
}

// build applies a combination to the student: each predictor's chosen
// instructions and, unless zero-shot, its chosen demo set.
func (r *miproRun) build(params []int) (dspy.ProgramState, error) {
	return r.buildWith(params,
		func(p, i int) string { return r.st.Instructions[p][i] },
		func(p, set int) []dspy.Example { return r.st.DemoSets[p][set] })
}

// buildWith is build with predictor p's instruction i and demo set set as
// the functions give them.
func (r *miproRun) buildWith(params []int, instruction func(p, i int) string, demoSet func(p, set int) []dspy.Example) (dspy.ProgramState, error) {
	st := CloneState(r.task.Student)
	stride := r.stride()
	for p, name := range r.names() {
		var err error
		if st, err = WithInstructions(st, name, instruction(p, params[p*stride]), ""); err != nil {
			return dspy.ProgramState{}, err
		}
		if r.useDemos() {
			if st, err = WithDemos(st, name, demoSet(p, params[p*stride+1])); err != nil {
				return dspy.ProgramState{}, err
			}
		}
	}
	return st, nil
}

// stride is the number of parameters per predictor.
func (r *miproRun) stride() int {
	if r.useDemos() {
		return 2
	}
	return 1
}

// bestProgram is the best combination's program, or the student.
func (r *miproRun) bestProgram() (dspy.ProgramState, error) {
	if r.st.Search == nil || r.st.Search.Best == nil {
		return CloneState(r.task.Student), nil
	}
	return r.build(r.st.Search.Best)
}

// comboLabel describes a combination: "instruction 2, demos 4", per predictor.
func (r *miproRun) comboLabel(params []int) string {
	stride := r.stride()
	names := r.names()
	parts := make([]string, len(names))
	for p, name := range names {
		s := fmt.Sprintf("instruction %d", params[p*stride])
		if r.useDemos() {
			s += fmt.Sprintf(", demos %d", params[p*stride+1])
		}
		if len(names) > 1 {
			s = name + ": " + s
		}
		parts[p] = s
	}
	return strings.Join(parts, "; ")
}

func (r *miproRun) searchProgress() Progress {
	total := r.cfg.numTrials + 1
	if r.cfg.minibatch {
		total = r.cfg.adjustedTrials()
	}
	return Progress{Phase: miproSearch, Step: len(r.st.Search.Trials), Total: total}
}

// addScore records a trial's score under its combination.
func (s *searchState) addScore(params []int, score float64) {
	for i := range s.Combos {
		if slices.Equal(s.Combos[i].Params, params) {
			s.Combos[i].Scores = append(s.Combos[i].Scores, score)
			return
		}
	}
	s.Combos = append(s.Combos, comboScores{Params: append([]int(nil), params...), Scores: []float64{score}})
}

// markFull records a full score, replacing an earlier one for the same combination.
func (s *searchState) markFull(params []int, score float64) {
	for i := range s.FullyEvaluated {
		if slices.Equal(s.FullyEvaluated[i].Params, params) {
			s.FullyEvaluated[i].Score = score
			return
		}
	}
	s.FullyEvaluated = append(s.FullyEvaluated, comboScore{Params: append([]int(nil), params...), Score: score})
}

func (s *searchState) fullyEvaluated(params []int) bool {
	for _, f := range s.FullyEvaluated {
		if slices.Equal(f.Params, params) {
			return true
		}
	}
	return false
}

// highestMean is DSPy's get_program_with_highest_avg_score: combinations
// ranked by mean score (ties in the order first tried), the first not fully
// evaluated, or, when all are, the last in the ranking.
func (s *searchState) highestMean() ([]int, float64) {
	type ranked struct {
		params []int
		mean   float64
	}
	rank := make([]ranked, len(s.Combos))
	for i, c := range s.Combos {
		sum := 0.0
		for _, x := range c.Scores {
			sum += x
		}
		rank[i] = ranked{c.Params, sum / float64(len(c.Scores))}
	}
	sort.SliceStable(rank, func(i, j int) bool { return rank[i].mean > rank[j].mean })
	for _, c := range rank {
		if !s.fullyEvaluated(c.params) {
			return c.params, c.mean
		}
	}
	last := rank[len(rank)-1]
	return last.params, last.mean
}
