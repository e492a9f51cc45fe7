package optimize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

func init() {
	Register("simba", func(p json.RawMessage) (Optimizer, error) {
		o := &SIMBA{}
		if err := DecodeParams("simba", p, o); err != nil {
			return nil, err
		}
		zeroMeansNone(p, map[string]*int{"max_demos": &o.MaxDemos})
		if _, err := o.resolve(); err != nil {
			return nil, err
		}
		return o, nil
	})
}

// SIMBA (Stochastic Introspective Mini-Batch Ascent) improves a program from
// its own successes and failures, as DSPy's SIMBA does. Each of MaxSteps
// steps takes a mini-batch of Bsize training examples and runs it
// NumCandidates times at temperature 1.0, each run with a program drawn from
// the best ones so far by a softmax over their mini-batch scores. The
// examples whose runs vary most (largest max-to-min gap, then highest best
// score, then largest max-to-average gap) come first; for each, a source
// program drawn the same way loses a few demos and gains either a demo (the
// best run's trace: append-a-demo) or a rule (the prompt model compares the
// best and worst runs and advises each predictor: append-a-rule). Up to
// NumCandidates+1 such programs are scored on the same mini-batch; the best
// of each step is a winner. At the end, NumCandidates+1 winners spread over
// the steps, the student included, are scored on the whole trainset and the
// best one is returned.
//
// The choices DSPy draws from random.Random(seed) are drawn here from the
// same Python-compatible generator in the same order. DSPy takes the number
// of demos to drop from numpy's generator; that draw comes from a second
// Python-compatible stream, so it follows the same Poisson law but not
// numpy's exact values. SIMBA scores on the trainset only; a Valset is not
// used. Trajectory runs ask for fresh samples (rollouts 1..NumCandidates),
// where DSPy numbers its rollouts from 0.
//
// It checkpoints after every step with its whole state, so a resumed run
// makes the same choices as one that never stopped; a stop request returns
// the best winner so far by its mini-batch score.
type SIMBA struct {
	// Bsize is the mini-batch size (default 32); the trainset must hold at least that many examples.
	Bsize int `json:"bsize"`
	// NumCandidates is how many trajectories each example gets per step and,
	// plus one, how many new programs a step builds (default 6).
	NumCandidates int `json:"num_candidates"`
	// MaxSteps is the number of steps (default 8).
	MaxSteps int `json:"max_steps"`
	// MaxDemos is the demos a predictor holds before some are dropped
	// (default 4); negative, or 0 in JSON, turns append-a-demo off.
	MaxDemos int `json:"max_demos"`
	// DemoInputFieldMaxlen cuts longer input values of a new demo (default 100000).
	DemoInputFieldMaxlen int `json:"demo_input_field_maxlen"`
	// TemperatureForSampling is the softmax temperature for picking the
	// program of each trajectory (default 0.2).
	TemperatureForSampling float64 `json:"temperature_for_sampling"`
	// TemperatureForCandidates is the softmax temperature for picking the
	// source program of each new candidate (default 0.2).
	TemperatureForCandidates float64 `json:"temperature_for_candidates"`
	// Seed seeds the generators, as compile's seed does in DSPy (default 0).
	Seed int64 `json:"seed"`
}

// Name returns "simba".
func (*SIMBA) Name() string { return "simba" }

// simbaConfig is SIMBA with its defaults resolved.
type simbaConfig struct {
	bsize, numCandidates, maxSteps, maxDemos, demoMaxlen int
	tempSampling, tempCandidates                         float64
	seed                                                 int64
}

func (s *SIMBA) resolve() (simbaConfig, error) {
	c := simbaConfig{
		bsize:          defaultInt(s.Bsize, 32),
		numCandidates:  defaultInt(s.NumCandidates, 6),
		maxSteps:       defaultInt(s.MaxSteps, 8),
		maxDemos:       demoCount(s.MaxDemos, 4),
		demoMaxlen:     defaultInt(s.DemoInputFieldMaxlen, 100_000),
		tempSampling:   s.TemperatureForSampling,
		tempCandidates: s.TemperatureForCandidates,
		seed:           s.Seed,
	}
	if c.tempSampling == 0 {
		c.tempSampling = 0.2
	}
	if c.tempCandidates == 0 {
		c.tempCandidates = 0.2
	}
	var errs []error
	if s.Bsize < 0 || s.NumCandidates < 0 || s.MaxSteps < 0 || s.DemoInputFieldMaxlen < 0 {
		errs = append(errs, errors.New("simba: bsize, num_candidates, max_steps and demo_input_field_maxlen must be positive"))
	}
	if c.tempSampling < 0 || c.tempCandidates < 0 {
		errs = append(errs, errors.New("simba: temperature_for_sampling and temperature_for_candidates must be positive"))
	}
	return c, errors.Join(errs...)
}

// Plan bounds a SIMBA run: per step Bsize×NumCandidates trajectory runs and
// up to NumCandidates+1 candidates on the mini-batch, each maybe after one
// rule prompt; then up to NumCandidates+1 programs on the whole trainset.
func (s *SIMBA) Plan(sizes PlanSizes) (Plan, error) {
	c, err := s.resolve()
	if err != nil {
		return Plan{}, err
	}
	if sizes.Trainset < c.bsize {
		return Plan{}, fmt.Errorf("simba: trainset too small: %d < bsize %d", sizes.Trainset, c.bsize)
	}
	perStep := c.bsize*c.numCandidates + (c.numCandidates+1)*c.bsize
	return Plan{
		Settings: fmt.Sprintf("%d steps of %d examples × %d candidates, max %d demos, seed %d",
			c.maxSteps, c.bsize, c.numCandidates, c.maxDemos, c.seed),
		TaskRuns:          c.maxSteps*perStep + (c.numCandidates+1)*sizes.Trainset,
		TaskUpper:         true,
		PromptCalls:       c.maxSteps * (c.numCandidates + 1),
		PromptUpper:       true,
		PromptCompletions: 1,
		Notes: []string{
			"a rule prompt is made only when append-a-rule is drawn and the runs on an example differ",
			"the final evaluation scores the distinct winners only",
		},
	}, nil
}

// simbaProgram is a program in SIMBA's pool and its mini-batch scores (the
// student's stay empty, so it weighs as 0 in the softmax, as in DSPy).
type simbaProgram struct {
	Program dspy.ProgramState `json:"program"`
	Scores  []float64         `json:"scores"`
}

// simbaState is everything a resumed run needs.
type simbaState struct {
	Step     int            `json:"step"`
	RNG      pyrand.State   `json:"rng"`
	Poisson  pyrand.State   `json:"poisson"`
	Indices  []int          `json:"indices"`
	Next     int            `json:"next"`
	Programs []simbaProgram `json:"programs"`
	// Winners are indices into Programs: the student, then each step's best.
	Winners []int   `json:"winners"`
	Trials  []Trial `json:"trials,omitempty"`
}

type simbaRun struct {
	cfg     simbaConfig
	engine  Engine
	task    Task
	st      *simbaState
	rng     *pyrand.Random
	poisson *pyrand.Random
}

// Compile runs SIMBA on task.Trainset.
func (s *SIMBA) Compile(ctx context.Context, engine Engine, task Task) (Result, error) {
	cfg, err := s.resolve()
	if err != nil {
		return Result{}, err
	}
	if len(task.Trainset) < cfg.bsize {
		return Result{}, fmt.Errorf("simba: trainset too small: %d < bsize %d", len(task.Trainset), cfg.bsize)
	}
	r := &simbaRun{cfg: cfg, engine: engine, task: task}
	if err := r.start(); err != nil {
		return Result{}, err
	}
	stopped := false
	for r.st.Step < cfg.maxSteps {
		err := r.step(ctx)
		if err == nil {
			r.st.Step++
			r.st.RNG, r.st.Poisson = r.rng.State(), r.poisson.State()
			err = checkpoint(ctx, engine, r.st, r.progress())
		}
		if errors.Is(err, ErrStop) {
			stopped = true
			break
		}
		if err != nil {
			return Result{}, fmt.Errorf("simba: step %d: %w", r.st.Step+1, err)
		}
	}
	if stopped {
		return r.bestSoFar(), nil
	}
	res, err := r.final(ctx)
	if errors.Is(err, ErrStop) {
		return r.bestSoFar(), nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("simba: final evaluation: %w", err)
	}
	return res, nil
}

// start sets up a fresh run, or restores the checkpointed one.
func (r *simbaRun) start() error {
	r.st = &simbaState{}
	if len(r.task.Resume) > 0 {
		if err := json.Unmarshal(r.task.Resume, r.st); err != nil {
			return fmt.Errorf("simba: resume: %w", err)
		}
		var err error
		if r.rng, err = pyrand.FromState(r.st.RNG); err != nil {
			return fmt.Errorf("simba: resume: %w", err)
		}
		if r.poisson, err = pyrand.FromState(r.st.Poisson); err != nil {
			return fmt.Errorf("simba: resume: %w", err)
		}
		return nil
	}
	r.rng = pyrand.New(r.cfg.seed)
	// A stream of its own for the Poisson draws, seeded apart from the main one.
	r.poisson = pyrand.New(r.cfg.seed + 1_000_003)
	r.st.Programs = []simbaProgram{{Program: CloneState(r.task.Student), Scores: []float64{}}}
	r.st.Winners = []int{0}
	r.st.Indices = indexIDs(len(r.task.Trainset))
	pyrand.ShuffleSlice(r.rng, r.st.Indices)
	return nil
}

func (r *simbaRun) avg(idx int) float64 {
	scores := r.st.Programs[idx].Scores
	if len(scores) == 0 {
		return 0
	}
	sum := 0.0
	for _, s := range scores {
		sum += s
	}
	return sum / float64(len(scores))
}

// topK is DSPy's top_k_plus_baseline: the k programs of best average score
// (ties in pool order), with the student replacing the last if missing.
func (r *simbaRun) topK(k int) []int {
	order := indexIDs(len(r.st.Programs))
	sort.SliceStable(order, func(a, b int) bool { return r.avg(order[a]) > r.avg(order[b]) })
	top := append([]int(nil), order[:min(k, len(order))]...)
	found := false
	for _, i := range top {
		found = found || i == 0
	}
	if !found && len(top) > 0 {
		top[len(top)-1] = 0
	}
	return dedupe(top)
}

func dedupe(xs []int) []int {
	seen := map[int]bool{}
	out := xs[:0:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// progress reports the steps done and the best mini-batch score so far.
func (r *simbaRun) progress() Progress {
	p := Progress{Phase: "search", Step: r.st.Step, Total: r.cfg.maxSteps, Trials: r.st.Trials}
	best := r.bestWinner()
	p.BestScore = round2(100 * r.avg(best))
	prog := r.st.Programs[best].Program
	p.Best = &prog
	return p
}

// bestWinner is the winner of best mini-batch average, the student first.
func (r *simbaRun) bestWinner() int {
	best := r.st.Winners[0]
	for _, w := range r.st.Winners[1:] {
		if r.avg(w) > r.avg(best) {
			best = w
		}
	}
	return best
}

func (r *simbaRun) bestSoFar() Result {
	best := r.bestWinner()
	return Result{Program: r.st.Programs[best].Program, Score: round2(100 * r.avg(best)), Trials: r.st.Trials, Stopped: true}
}

// run runs a program on trainset examples and returns their outcomes.
func (r *simbaRun) run(ctx context.Context, b Batch, idxs []int) ([]Outcome, error) {
	for _, i := range idxs {
		b.Examples = append(b.Examples, r.task.Trainset[i])
		b.IDs = append(b.IDs, i)
	}
	outs, err := r.engine.Run(ctx, b)
	if err != nil {
		return nil, err
	}
	if len(outs) != len(idxs) {
		return nil, fmt.Errorf("%s: engine returned %d outcomes for %d examples", b.Label, len(outs), len(idxs))
	}
	return outs, nil
}
