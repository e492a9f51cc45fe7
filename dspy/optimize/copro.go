package optimize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// COPRO searches for better instructions (and output-field prefixes), as
// DSPy's COPRO does. The prompt model first proposes Breadth-1 variants of
// each predictor's instructions; every variant is scored on the trainset;
// then, Depth-1 more times, the prompt model sees the best attempts so far
// with their scores and proposes Breadth new ones. Each predictor keeps its
// best instructions while the next is tuned, and the best-scoring program
// seen wins. Demos are left as they are.
//
// It checkpoints after the first proposals and after every depth round.
type COPRO struct {
	// Breadth is the number of candidates per proposal round; at least 2 (default 10).
	Breadth int `json:"breadth"`
	// Depth is the number of rounds (default 3).
	Depth int `json:"depth"`
	// InitTemperature is the prompt model's sampling temperature (default 1.4).
	InitTemperature float64 `json:"init_temperature"`
	// TrackStats records per-round score statistics (see CompileStats).
	TrackStats bool `json:"track_stats"`
}

// COPROStats are the statistics DSPy's COPRO keeps with track_stats, per predictor path.
type COPROStats struct {
	// ResultsBest summarises the top 10 scores of each predictor after each round.
	ResultsBest map[string]*ScoreSeries `json:"results_best"`
	// ResultsLatest summarises the scores of each round's newest candidates.
	ResultsLatest map[string]*ScoreSeries `json:"results_latest"`
	// TotalCalls is the number of evaluations run.
	TotalCalls int `json:"total_calls"`
}

// ScoreSeries holds one summary row per round.
type ScoreSeries struct {
	Depth   []int     `json:"depth"`
	Max     []float64 `json:"max"`
	Average []float64 `json:"average"`
	Min     []float64 `json:"min"`
	Std     []float64 `json:"std"`
}

func (s *ScoreSeries) add(depth int, scores []float64) {
	if len(scores) == 0 {
		return
	}
	lo, hi, sum := scores[0], scores[0], 0.0
	for _, x := range scores {
		lo, hi, sum = min(lo, x), max(hi, x), sum+x
	}
	mean := sum / float64(len(scores))
	v := 0.0
	for _, x := range scores {
		v += (x - mean) * (x - mean)
	}
	s.Depth = append(s.Depth, depth)
	s.Max = append(s.Max, hi)
	s.Average = append(s.Average, mean)
	s.Min = append(s.Min, lo)
	s.Std = append(s.Std, math.Sqrt(v/float64(len(scores))))
}

// The prompt model's signatures. Their text is DSPy's, so a prompt model sees
// the same request from either implementation (and a shared LM cache answers both).
var (
	basicGenerateInstruction = mustPromptSignature(
		[]dspy.Field{dspy.NewField("basic_instruction", dspy.Type{}).WithDesc("The initial instructions before optimization")},
		"You are an instruction optimizer for large language models. I will give you a ``signature`` of fields (inputs and outputs) in English. Your task is to propose an instruction that will lead a good language model to perform the task well. Don't be afraid to be creative.",
	)
	generateInstructionGivenAttempts = mustPromptSignature(
		[]dspy.Field{dspy.NewField("attempted_instructions", dspy.Type{})},
		"You are an instruction optimizer for large language models. I will give some task instructions I've tried, along with their corresponding validation scores. The instructions are arranged in increasing order based on their scores, where higher scores indicate better quality.\n\nYour task is to propose a new instruction that will lead a good language model to perform the task even better. Don't be afraid to be creative.",
	)
)

func mustPromptSignature(inputs []dspy.Field, instructions string) dspy.Signature {
	sig, err := dspy.NewSignature(inputs, []dspy.Field{
		dspy.NewField("proposed_instruction", dspy.Type{}).WithDesc("The improved instructions for the language model"),
		dspy.NewField("proposed_prefix_for_output_field", dspy.Type{}).WithDesc("The string at the end of the prompt, which will help the model start solving the task"),
	}, instructions)
	if err != nil {
		panic(err)
	}
	return sig
}

// Name returns "copro".
func (*COPRO) Name() string { return "copro" }

// instruction is one candidate: instructions and the last field's prefix.
type instruction struct {
	Instruction string `json:"instruction"`
	Prefix      string `json:"prefix"`
}

// evaluated is a scored candidate with the instructions every predictor had
// when it was scored (enough to rebuild the program without storing it).
type evaluated struct {
	instruction
	Score   float64       `json:"score"`
	Depth   int           `json:"depth"`
	Program []instruction `json:"program"`
	// Exact is Score unrounded.
	Exact float64 `json:"exact,omitempty"`
}

// coproState is the checkpoint between rounds.
type coproState struct {
	// NextDepth is the round to run next.
	NextDepth int `json:"next_depth"`
	// All and Latest hold each predictor's candidates: every one proposed, and
	// the last round's.
	All    [][]instruction `json:"all"`
	Latest [][]instruction `json:"latest"`
	// Evaluated holds each predictor's scored candidates in first-seen order.
	Evaluated [][]evaluated `json:"evaluated"`
	// Current is each predictor's instructions in the program being tuned.
	Current  []instruction `json:"current"`
	Baseline *float64      `json:"baseline,omitempty"`
	Trials   []Trial       `json:"trials"`
	Stats    *COPROStats   `json:"stats,omitempty"`
	// BaselineExact is Baseline unrounded.
	BaselineExact float64 `json:"baseline_exact,omitempty"`
}

// Compile runs the search.
func (c *COPRO) Compile(ctx context.Context, engine Engine, task Task) (Result, error) {
	res, _, err := c.CompileStats(ctx, engine, task)
	return res, err
}

// CompileStats runs the search and also returns the statistics DSPy's COPRO
// attaches to its program when TrackStats is set (nil otherwise).
func (c *COPRO) CompileStats(ctx context.Context, engine Engine, task Task) (Result, *COPROStats, error) {
	cfg, err := c.config(len(task.Trainset), len(task.Student.Predictors))
	if err != nil {
		return Result{}, nil, err
	}
	run := &coproRun{c: c, engine: engine, task: task, coproConfig: cfg}
	if len(task.Resume) > 0 {
		if err := json.Unmarshal(task.Resume, &run.st); err != nil {
			return Result{}, nil, fmt.Errorf("copro: resume: %w", err)
		}
	} else {
		stopped, err := run.propose(ctx)
		if errors.Is(err, ErrStop) {
			return run.result(true), run.st.Stats, nil
		}
		if err != nil {
			return Result{}, nil, err
		}
		if stopped {
			return run.result(true), run.st.Stats, nil
		}
	}
	stopped, err := run.search(ctx)
	if errors.Is(err, ErrStop) {
		// The engine refused more work (a spent budget) mid-search.
		stopped, err = true, nil
	}
	if err != nil {
		return Result{}, nil, err
	}
	return run.result(stopped), run.st.Stats, nil
}

// coproConfig is COPRO with its defaults resolved.
type coproConfig struct {
	breadth int
	depth   int
	temp    float64
}

// config resolves the defaults and checks them against the task's sizes.
func (c *COPRO) config(trainset, predictors int) (coproConfig, error) {
	cfg := coproConfig{breadth: defaultInt(c.Breadth, 10), depth: defaultInt(c.Depth, 3), temp: c.InitTemperature}
	if cfg.breadth <= 1 {
		return cfg, errors.New("copro: breadth must be greater than 1")
	}
	if cfg.temp == 0 {
		cfg.temp = 1.4
	}
	if trainset == 0 {
		return cfg, errors.New("copro: empty trainset")
	}
	if predictors == 0 {
		return cfg, errors.New("copro: the program has no predictors")
	}
	return cfg, nil
}

// Plan bounds the search as if every proposal were distinct and scored.
func (c *COPRO) Plan(sizes PlanSizes) (Plan, error) {
	cfg, err := c.config(sizes.Trainset, sizes.Predictors)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{
		Settings: fmt.Sprintf("breadth %d, depth %d; every candidate scored on the %d training examples", cfg.breadth, cfg.depth, sizes.Trainset),
		// One proposal call per predictor, then one per predictor after
		// every round but the last.
		PromptCalls:       sizes.Predictors * cfg.depth,
		PromptCompletions: cfg.breadth,
		TaskUpper:         true,
		Notes:             []string{"COPRO asks for several completions per proposal call; fewer distinct proposals mean fewer evaluations"},
	}
	if sizes.Predictors == 1 {
		p.TaskRuns = cfg.depth * cfg.breadth * sizes.Trainset
	} else {
		// With several predictors every candidate so far is scored again
		// each round: breadth, 2·breadth, ... candidates per predictor.
		p.TaskRuns = sizes.Predictors * cfg.breadth * cfg.depth * (cfg.depth + 1) / 2 * sizes.Trainset
	}
	return p, nil
}

type coproRun struct {
	coproConfig
	c      *COPRO
	engine Engine
	task   Task
	st     coproState
}

// propose asks for the first candidates of every predictor: Breadth-1 from
// the prompt model, plus the current instructions.
func (r *coproRun) propose(ctx context.Context) (stopped bool, err error) {
	st := &r.st
	predictors := r.task.Student.Predictors
	basics := make([]instruction, len(predictors))
	proposals := make([][]instruction, len(predictors))
	// Each predictor's proposals depend on its own instruction only.
	work := func(ctx context.Context, e Engine, p int) error {
		ns := predictors[p]
		basics[p] = instruction{Instruction: ns.State.Signature.Instructions, Prefix: lastPrefix(ns.State)}
		var err error
		proposals[p], err = r.promptOn(ctx, e, basicGenerateInstruction, dspy.NewExample("basic_instruction", basics[p].Instruction), r.breadth-1,
			fmt.Sprintf("copro: propose instructions for %s", ns.Name))
		return err
	}
	done := func(p int) error {
		cands := append(proposals[p], basics[p])
		st.All = append(st.All, cands)
		st.Latest = append(st.Latest, append([]instruction(nil), cands...))
		st.Evaluated = append(st.Evaluated, nil)
		st.Current = append(st.Current, basics[p])
		return nil
	}
	if err := forEach(ctx, r.engine, len(predictors), work, done); err != nil {
		return false, err
	}
	if r.c.TrackStats {
		st.Stats = &COPROStats{ResultsBest: map[string]*ScoreSeries{}, ResultsLatest: map[string]*ScoreSeries{}}
		for _, ns := range r.task.Student.Predictors {
			st.Stats.ResultsBest[ns.Name] = &ScoreSeries{}
			st.Stats.ResultsLatest[ns.Name] = &ScoreSeries{}
		}
	}
	err = checkpoint(ctx, r.engine, st, r.progress())
	if errors.Is(err, ErrStop) {
		return true, nil // nothing evaluated yet: the result is the student
	}
	return false, err
}

// promptOn asks the prompt model, through engine, for n proposals.
func (r *coproRun) promptOn(ctx context.Context, engine Engine, sig dspy.Signature, inputs dspy.Example, n int, label string) ([]instruction, error) {
	outs, err := engine.Prompt(ctx, PromptCall{Signature: sig, Inputs: inputs, N: n, Temperature: dspy.Float(r.temp), Label: label})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	var cands []instruction
	for _, o := range outs {
		cands = append(cands, instruction{
			Instruction: cleanProposal(o.GetString("proposed_instruction")),
			Prefix:      cleanProposal(o.GetString("proposed_prefix_for_output_field")),
		})
	}
	return cands, nil
}

// cleanProposal strips surrounding quotes and then whitespace, as COPRO does.
func cleanProposal(s string) string { return strings.TrimSpace(strings.Trim(s, `"`)) }

// search runs the depth rounds from st.NextDepth. It returns stopped when a
// checkpoint asked to stop.
func (r *coproRun) search(ctx context.Context) (bool, error) {
	st := &r.st
	names := r.task.Student.Names()
	for ; st.NextDepth < r.depth; st.NextDepth++ {
		d := st.NextDepth
		var latestScores []float64
		for p, name := range names {
			cands := st.Latest[p]
			if len(names) > 1 {
				// With several predictors, every candidate is scored again
				// alongside the others' current best.
				cands = st.All[p]
			}
			// A predictor's candidates differ only in its own instruction, so
			// they are scored at once and then recorded in order.
			programs := make([][]instruction, len(cands))
			scores := make([][2]float64, len(cands))
			work := func(ctx context.Context, e Engine, ci int) error {
				program := append([]instruction(nil), st.Current...)
				program[p] = cands[ci]
				programs[ci] = program
				score, exact, err := r.evaluateOn(ctx, e, program, fmt.Sprintf("copro depth %d: %s candidate %d/%d", d+1, name, ci+1, len(cands)))
				scores[ci] = [2]float64{score, exact}
				return err
			}
			done := func(ci int) error {
				cand, program := cands[ci], programs[ci]
				score, exact := scores[ci][0], scores[ci][1]
				if st.Baseline == nil && d == 0 && p == 0 && ci == len(cands)-1 {
					st.Baseline, st.BaselineExact = &score, exact // the last first-round candidate is the original
				}
				built, _ := r.build(program) // evaluate built it already
				st.Trials = append(st.Trials, newTrial(len(st.Trials), fmt.Sprintf("depth %d, %s, candidate %d", d+1, name, ci+1), built, score, true))
				st.Evaluated[p] = record(st.Evaluated[p], evaluated{instruction: cand, Score: score, Depth: d, Program: program, Exact: exact})
				if len(cands)-r.breadth <= ci {
					latestScores = append(latestScores, score)
				}
				return nil
			}
			if err := forEach(ctx, r.engine, len(cands), work, done); err != nil {
				return false, err
			}
			if st.Stats != nil {
				st.Stats.ResultsLatest[name].add(d, latestScores)
			}
			st.Current[p] = bestOf(st.Evaluated[p]).instruction
		}
		if d == r.depth-1 {
			break
		}
		// Each predictor's next proposals follow from its own scores only.
		proposals := make([][]instruction, len(names))
		work := func(ctx context.Context, e Engine, p int) error {
			ranked := rankByScore(st.Evaluated[p])
			n := min(len(ranked), r.breadth)
			var attempts []string
			for i := n - 1; i >= 0; i-- {
				k := n - i
				attempts = append(attempts,
					fmt.Sprintf("Instruction #%d: %s", k, ranked[i].Instruction),
					fmt.Sprintf("Prefix #%d: %s", k, ranked[i].Prefix),
					fmt.Sprintf("Resulting Score #%d: %s", k, dspy.ValueString(ranked[i].Score)))
			}
			var err error
			proposals[p], err = r.promptOn(ctx, e, generateInstructionGivenAttempts, dspy.NewExample("attempted_instructions", attempts), r.breadth,
				fmt.Sprintf("copro depth %d: propose instructions for %s", d+1, names[p]))
			return err
		}
		done := func(p int) error {
			if st.Stats != nil {
				st.Stats.ResultsBest[names[p]].add(d, topScores(rankByScore(st.Evaluated[p])))
			}
			st.Latest[p] = proposals[p]
			st.All[p] = append(st.All[p], proposals[p]...)
			return nil
		}
		if err := forEach(ctx, r.engine, len(names), work, done); err != nil {
			return false, err
		}
		next := *st
		next.NextDepth = d + 1
		err := checkpoint(ctx, r.engine, next, r.progress())
		if errors.Is(err, ErrStop) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
	if st.Stats != nil {
		for p, name := range names {
			st.Stats.ResultsBest[name].add(st.NextDepth, topScores(rankByScore(st.Evaluated[p])))
		}
		st.Stats.TotalCalls = len(st.Trials)
	}
	return false, nil
}

// evaluateOn scores the instructions on the trainset through engine.
func (r *coproRun) evaluateOn(ctx context.Context, engine Engine, program []instruction, label string) (float64, float64, error) {
	state, err := r.build(program)
	if err != nil {
		return 0, 0, err
	}
	outs, err := engine.Run(ctx, Batch{Candidate: state, Examples: r.task.Trainset, IDs: indexIDs(len(r.task.Trainset)), Label: label})
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", label, err)
	}
	return Percent(outs), percentExact(outs), nil
}

// build applies per-predictor instructions to the student.
func (r *coproRun) build(program []instruction) (dspy.ProgramState, error) {
	st := CloneState(r.task.Student)
	for i, in := range program {
		var err error
		if st, err = WithInstructions(st, st.Predictors[i].Name, in.Instruction, in.Prefix); err != nil {
			return dspy.ProgramState{}, err
		}
	}
	return st, nil
}

// record adds a scored candidate, replacing an earlier entry for the same
// instructions unless that one scored at least as well (keeping its place).
func record(list []evaluated, e evaluated) []evaluated {
	for i := range list {
		if list[i].instruction == e.instruction {
			if list[i].Score < e.Score {
				list[i] = e
			}
			return list
		}
	}
	return append(list, e)
}

// bestOf returns the first highest-scoring entry, as Python's max does.
func bestOf(list []evaluated) evaluated {
	best := list[0]
	for _, e := range list[1:] {
		if e.Score > best.Score {
			best = e
		}
	}
	return best
}

// rankByScore sorts a copy by score, highest first, keeping ties in order.
func rankByScore(list []evaluated) []evaluated {
	out := append([]evaluated(nil), list...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}

func topScores(ranked []evaluated) []float64 {
	var s []float64
	for _, e := range ranked[:min(len(ranked), 10)] {
		s = append(s, e.Score)
	}
	return s
}

func (r *coproRun) progress() Progress {
	p := Progress{Phase: "search", Step: r.st.NextDepth, Total: r.depth, Trials: r.st.Trials}
	if best, ok := r.best(); ok {
		p.BestScore = best.Score
		if st, err := r.build(best.Program); err == nil {
			p.Best = &st
		}
	}
	return p
}

// best is DSPy's final pick: all predictors' candidates ranked by score (ties
// in predictor then first-seen order), the first one.
func (r *coproRun) best() (evaluated, bool) {
	var all []evaluated
	for _, list := range r.st.Evaluated {
		all = append(all, list...)
	}
	if len(all) == 0 {
		return evaluated{}, false
	}
	return rankByScore(all)[0], true
}

func (r *coproRun) result(stopped bool) Result {
	res := Result{Program: CloneState(r.task.Student), Trials: r.st.Trials, Stopped: stopped}
	if r.st.Baseline != nil {
		res.BaselineScore, res.BaselineMeasured, res.BaselineExact = *r.st.Baseline, true, r.st.BaselineExact
	}
	if best, ok := r.best(); ok {
		if st, err := r.build(best.Program); err == nil {
			res.Program, res.Score, res.ScoreExact = st, best.Score, best.Exact
		}
	}
	return res
}
