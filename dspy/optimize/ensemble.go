package optimize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
)

func init() {
	Register("ensemble", func(p json.RawMessage) (Optimizer, error) {
		o := &Ensemble{}
		if err := DecodeParams("ensemble", p, o); err != nil {
			return nil, err
		}
		zeroMeansNone(p, map[string]*int{"max_labeled_demos": &o.MaxLabeledDemos})
		if _, err := o.resolve(); err != nil {
			return nil, err
		}
		return o, nil
	})
}

// Ensemble combines several programs into one that runs them on the same
// inputs and takes the majority answer, as DSPy's Ensemble with
// reduce_fn=dspy.majority does. The members are Programs when given;
// otherwise NumPrograms bootstrapped programs, built as
// BootstrapFewShotWithRandomSearch builds its candidates from seed -1 on
// (the trainset in order, then shuffled by seeds 0, 1, ...), which is how
// DSPy's documentation ensembles the programs of a random search. The
// student and the ensemble are scored on the valset (the trainset when none
// is given); the compiled program is the ensemble (see EnsembleState).
//
// Each call runs Size members (0: all), sampled from a generator seeded by
// the inputs, so runs are reproducible; DSPy's Ensemble samples from the
// global generator and rejects deterministic=True as not done yet.
//
// It checkpoints after every member it builds.
type Ensemble struct {
	// Programs are the members, as states of the student's program; when
	// empty, NumPrograms members are bootstrapped.
	Programs []dspy.ProgramState `json:"programs,omitempty"`
	// NumPrograms is how many members to bootstrap (default 3).
	NumPrograms int `json:"num_programs"`
	// Size is how many members each call runs (default 0: all).
	Size int `json:"size"`
	// Reduce names the reduction; only "majority" (the default).
	Reduce string `json:"reduce,omitempty"`
	// MaxBootstrappedDemos, MaxLabeledDemos and MaxRounds configure the
	// members' bootstraps as in BootstrapFewShotWithRandomSearch (defaults
	// 4, 16, 1; max_labeled_demos 0 in JSON means none).
	MaxBootstrappedDemos int `json:"max_bootstrapped_demos"`
	MaxLabeledDemos      int `json:"max_labeled_demos"`
	MaxRounds            int `json:"max_rounds"`
}

// Name returns "ensemble".
func (*Ensemble) Name() string { return "ensemble" }

func (e *Ensemble) resolve() (int, error) {
	n := len(e.Programs)
	if n == 0 {
		n = defaultInt(e.NumPrograms, 3)
	}
	var errs []error
	if e.NumPrograms < 0 {
		errs = append(errs, errors.New("ensemble: num_programs must be positive"))
	}
	if e.Size < 0 || e.Size > n {
		errs = append(errs, fmt.Errorf("ensemble: size %d is not between 0 (all) and the %d members", e.Size, n))
	}
	if e.Reduce != "" && e.Reduce != "majority" {
		errs = append(errs, fmt.Errorf("ensemble: unknown reduce %q: only majority", e.Reduce))
	}
	if e.MaxBootstrappedDemos < 0 {
		errs = append(errs, errors.New("ensemble: max_bootstrapped_demos must be at least 1 to bootstrap members"))
	}
	return n, errors.Join(errs...)
}

// search is the random search whose candidates become the members.
func (e *Ensemble) search() *BootstrapFewShotWithRandomSearch {
	return &BootstrapFewShotWithRandomSearch{
		MaxBootstrappedDemos: e.MaxBootstrappedDemos, MaxLabeledDemos: e.MaxLabeledDemos, MaxRounds: e.MaxRounds,
		NumCandidatePrograms: max(1, e.NumPrograms-1),
	}
}

// Plan counts the bootstraps (bounds) and the two scorings, an ensemble run
// being one program run per member it runs.
func (e *Ensemble) Plan(sizes PlanSizes) (Plan, error) {
	n, err := e.resolve()
	if err != nil {
		return Plan{}, err
	}
	per := n
	if e.Size > 0 {
		per = e.Size
	}
	val := sizes.valOrTrain()
	p := Plan{
		Settings:          fmt.Sprintf("%d members, %d per call, majority vote; scored on %d examples", n, per, val),
		TaskRuns:          val + val*per,
		PromptCompletions: 1,
	}
	if len(e.Programs) == 0 {
		base, _, err := e.search().config(max(sizes.Trainset, 1))
		if err != nil {
			return Plan{}, err
		}
		p.TaskRuns += n * sizes.Trainset * base.maxRounds
		p.TaskUpper = true
		p.Notes = append(p.Notes, "bootstrapping a member stops once enough demos are found")
	}
	return p, nil
}

// ensembleState is the checkpoint: the members built so far.
type ensembleState struct {
	Members []dspy.ProgramState `json:"members"`
}

// Compile builds the members, then scores the student and the ensemble.
func (e *Ensemble) Compile(ctx context.Context, engine Engine, task Task) (Result, error) {
	n, err := e.resolve()
	if err != nil {
		return Result{}, err
	}
	if len(task.Trainset) == 0 && len(e.Programs) == 0 {
		return Result{}, errors.New("ensemble: empty trainset")
	}
	st := ensembleState{Members: e.Programs}
	if len(task.Resume) > 0 {
		if err := json.Unmarshal(task.Resume, &st); err != nil {
			return Result{}, fmt.Errorf("ensemble: resume: %w", err)
		}
	}
	search := e.search()
	base, _, err := search.config(max(len(task.Trainset), 1))
	if err != nil {
		return Result{}, err
	}
	for len(st.Members) < n {
		seed := len(st.Members) - 1
		member, err := search.candidate(ctx, engine, task, base, seed)
		if errors.Is(err, ErrStop) {
			return e.stopped(task, st), nil
		}
		if err != nil {
			return Result{}, fmt.Errorf("ensemble: member %d (seed %d): %w", len(st.Members)+1, seed, err)
		}
		st.Members = append(st.Members, member)
		err = checkpoint(ctx, engine, st, Progress{Phase: "bootstrap", Step: len(st.Members), Total: n, Unit: "members"})
		if errors.Is(err, ErrStop) {
			return e.stopped(task, st), nil
		}
		if err != nil {
			return Result{}, err
		}
	}

	valset := task.Valset
	if len(valset) == 0 {
		valset = task.Trainset
	}
	ensemble := EnsembleState(st.Members, e.Size)
	res := Result{}
	for i, c := range []struct {
		label   string
		program dspy.ProgramState
	}{{"student", task.Student}, {fmt.Sprintf("ensemble of %d (majority)", len(st.Members)), ensemble}} {
		outs, err := engine.Run(ctx, Batch{Candidate: c.program, Examples: valset, IDs: indexIDs(len(valset)), Label: "ensemble: score the " + c.label})
		if errors.Is(err, ErrStop) {
			return e.stopped(task, st), nil
		}
		if err != nil {
			return Result{}, fmt.Errorf("ensemble: score the %s: %w", c.label, err)
		}
		res.Trials = append(res.Trials, newTrial(i, c.label, c.program, Percent(outs), true))
		if i == 0 {
			res.BaselineScore, res.BaselineExact, res.BaselineMeasured = Percent(outs), percentExact(outs), true
			continue
		}
		res.Program, res.Score, res.ScoreExact = c.program, Percent(outs), percentExact(outs)
	}
	return res, nil
}

// stopped is the result of a run stopped early: the ensemble of the members
// built so far, or the student when there are none.
func (e *Ensemble) stopped(task Task, st ensembleState) Result {
	if len(st.Members) == 0 {
		return Result{Program: CloneState(task.Student), Stopped: true}
	}
	return Result{Program: EnsembleState(st.Members, min(e.Size, len(st.Members))), Stopped: true}
}
