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
	Register("miprov2", func(p json.RawMessage) (Optimizer, error) {
		o := &MIPROv2{}
		if err := DecodeParams("miprov2", p, o); err != nil {
			return nil, err
		}
		zeroMeansNone(p, map[string]*int{"max_bootstrapped_demos": &o.MaxBootstrappedDemos, "max_labeled_demos": &o.MaxLabeledDemos})
		return o, nil
	})
}

// MIPROv2 optimizes instructions and demos together, as DSPy's MIPROv2 does,
// in three steps:
//
//  1. Bootstrap: build NumCandidates demo sets per predictor the way the
//     random search does (zero-shot, labeled, bootstrapped in order, then
//     bootstrapped from shuffled trainsets of random sizes).
//  2. Propose: ask the prompt model for instructions per predictor, grounded
//     in a summary of the dataset, a description of the program, the
//     bootstrapped demos and a random prompting tip. Candidate 0 is always
//     the original instructions.
//  3. Search: evaluate the original program on the validation set, then run
//     NumTrials trials in which a TPE sampler (package tpe) picks one
//     instruction and one demo set per predictor, scored on a random
//     minibatch of the validation set. Every MinibatchFullEvalSteps trials,
//     and after the last, the combination with the best mean minibatch score
//     not yet fully evaluated is scored on the whole validation set; the best
//     full score wins.
//
// On an engine that forks (ParallelEngine), the demo sets, the dataset
// summary, the baseline and the proposals are made at once, and so are the
// search trials up to the next full evaluation while the sampler is still in
// its startup phase, where no score guides its suggestions. On one that also
// forks graphs (GraphForker), the phases overlap as well: while the dataset
// summary is being made, each proposal describes the program and its module
// as soon as the demo sets are built (only its last call waits for the
// summary), and each of those unguided trials is scored as soon as the demo
// sets and proposals it uses are there, those of the original instructions
// from the start. Their random draws are made in the sequential order and
// their outcomes taken in it, so the program, the scores, the LM requests
// and the checkpoints are the sequential schedule's.
//
// All randomness comes from one CPython generator seeded with Seed, consumed
// in DSPy's order (validation subsample, demo sets, tips and rollout IDs,
// minibatches), and from the sampler's own generators, also seeded with Seed.
//
// It checkpoints after every demo set, every proposed instruction and every
// trial, with compact state (generator states, sampler history, the demo sets
// and instructions made once, and the score table); a resumed run continues
// from the last checkpoint with the same result as an uninterrupted one. A
// stop request returns the best program evaluated so far.
//
// Where it differs from DSPy, it is on purpose: seed 0 is a seed (DSPy's
// `seed or self.seed` replaces it with 9); full evaluations are reported to
// the sampler with the demo set actually used (DSPy reports the instruction
// index in its place); a bootstrap that fails max_errors times ends the run
// with the error (DSPy silently continues without demos); the proposal DSPy
// makes for candidate 0 and then discards is not sent, though its random
// draws are made; and since a Go program has no source to show the prompt
// model, the program is described by pseudo-code built from its signatures.
//
// For the demo counts, zero means the default and a negative value none; in
// JSON parameters, 0 means none. Pointer fields are unset when nil.
type MIPROv2 struct {
	// Auto picks the budget: "light", "medium" or "heavy" set the number of
	// candidates and trials and subsample the validation set; "none" takes
	// NumCandidates and NumTrials as given. Empty means "light", or "none"
	// when NumCandidates or NumTrials is set.
	Auto string `json:"auto,omitempty"`
	// NumCandidates is the number of instruction candidates and of demo sets
	// per predictor when Auto is "none".
	NumCandidates int `json:"num_candidates,omitempty"`
	// NumTrials is the number of search trials when Auto is "none".
	NumTrials int `json:"num_trials,omitempty"`
	// MaxBootstrappedDemos caps the bootstrapped demos per demo set (default 4).
	MaxBootstrappedDemos int `json:"max_bootstrapped_demos"`
	// MaxLabeledDemos caps the labeled demos per demo set (default 4).
	MaxLabeledDemos int `json:"max_labeled_demos"`
	// Seed seeds every random choice (default 9; 0 is a seed like any other).
	Seed *int64 `json:"seed,omitempty"`
	// InitTemperature is the prompt model's temperature when proposing
	// instructions (default 1.0).
	InitTemperature *float64 `json:"init_temperature,omitempty"`
	// Minibatch scores trials on minibatches of the validation set (default
	// true). Auto settings turn it off for validation sets of 50 or fewer.
	Minibatch *bool `json:"minibatch,omitempty"`
	// MinibatchSize is the minibatch size (default 35).
	MinibatchSize int `json:"minibatch_size,omitempty"`
	// MinibatchFullEvalSteps is how many minibatch trials run between full
	// evaluations (default 5).
	MinibatchFullEvalSteps int `json:"minibatch_full_eval_steps,omitempty"`
	// ProgramAwareProposer shows the prompt model a description of the
	// program (default true).
	ProgramAwareProposer *bool `json:"program_aware_proposer,omitempty"`
	// DataAwareProposer shows the prompt model a summary of the trainset
	// (default true).
	DataAwareProposer *bool `json:"data_aware_proposer,omitempty"`
	// TipAwareProposer gives each proposal a random prompting tip (default true).
	TipAwareProposer *bool `json:"tip_aware_proposer,omitempty"`
	// FewshotAwareProposer shows the prompt model bootstrapped demos
	// (default true).
	FewshotAwareProposer *bool `json:"fewshot_aware_proposer,omitempty"`
	// ViewDataBatchSize is how many examples each dataset-summary call sees
	// (default 10).
	ViewDataBatchSize int `json:"view_data_batch_size,omitempty"`
	// MetricThreshold is the bootstrap's success threshold.
	MetricThreshold *float64 `json:"metric_threshold,omitempty"`
	// MaxErrors is how many failed examples end a bootstrap with an error or
	// score an evaluation 0 (default 10).
	MaxErrors int `json:"max_errors,omitempty"`
}

// Name returns "miprov2".
func (*MIPROv2) Name() string { return "miprov2" }

// The phases of a run, in order; a checkpoint names the one to continue.
const (
	miproBootstrap = "bootstrap"
	miproPropose   = "propose"
	miproSearch    = "search"
)

// miproState is the checkpoint. The demo sets and instructions are made once
// and carried; programs are rebuilt from indices into them.
type miproState struct {
	Phase string       `json:"phase"`
	RNG   pyrand.State `json:"rng"`
	// ValIDs are the validation examples: indices into Task.Valset, or into
	// Task.Trainset when the validation set was split off it.
	ValIDs []int `json:"val_ids"`
	// DemoSets holds each predictor's demo sets, [predictor][set].
	DemoSets [][][]dspy.Example `json:"demo_sets"`
	// SummaryDone tells whether the dataset summary was attempted, and
	// UseSummary whether Summary holds one to show the prompt model.
	SummaryDone bool   `json:"summary_done,omitempty"`
	UseSummary  bool   `json:"use_summary,omitempty"`
	Summary     string `json:"summary,omitempty"`
	// Instructions holds each predictor's instruction candidates, [predictor][candidate].
	Instructions [][]string   `json:"instructions"`
	Search       *searchState `json:"search,omitempty"`
}

// miproRun is one compile: resolved settings, data and state.
type miproRun struct {
	cfg    miproConfig
	engine Engine
	task   Task
	// train and val are the examples the run uses, with their IDs.
	train, val       []dspy.Example
	trainIDs, valIDs []int
	rng              *pyrand.Random
	st               miproState
	// early holds work done ahead of its phase, while the demo sets were
	// bootstrapped on an engine that forks but not graphs (a graph holds its
	// own); it is not checkpointed, so a resumed run redoes it.
	early earlyWork
}

// earlyWork is the results a later phase takes instead of making them.
type earlyWork struct {
	// summary is the dataset summary (nil when it could not be made) once
	// summaryDone is set.
	summary     *string
	summaryDone bool
	// baseline is the original program's validation score, when taken.
	baseline *earlyScore
}

type earlyScore struct{ score, exact float64 }

// Compile runs MIPROv2 on task.
func (m *MIPROv2) Compile(ctx context.Context, engine Engine, task Task) (Result, error) {
	r, err := m.newRun(engine, task)
	if err != nil {
		return Result{}, err
	}
	steps := []struct {
		phase string
		run   func(context.Context) error
	}{
		{miproBootstrap, r.bootstrap},
		{miproPropose, r.propose},
		{miproSearch, r.search},
	}
	for _, s := range steps {
		if r.st.Phase != s.phase {
			continue
		}
		err := s.run(ctx)
		if errors.Is(err, ErrStop) {
			return r.result(true), nil
		}
		if err != nil {
			return Result{}, err
		}
	}
	return r.result(false), nil
}

// newRun resolves the settings and starts the run's state: afresh, or from
// task.Resume.
func (m *MIPROv2) newRun(engine Engine, task Task) (*miproRun, error) {
	if len(task.Student.Predictors) == 0 {
		return nil, errors.New("miprov2: the program has no predictors")
	}
	if len(task.Signatures) != len(task.Student.Predictors) {
		return nil, fmt.Errorf("miprov2: task has %d signatures for %d predictors", len(task.Signatures), len(task.Student.Predictors))
	}
	cfg, err := m.resolve(len(task.Student.Predictors))
	if err != nil {
		return nil, err
	}
	r := &miproRun{engine: engine, task: task}
	if err := r.split(); err != nil {
		return nil, err
	}
	if len(task.Resume) > 0 {
		if err := json.Unmarshal(task.Resume, &r.st); err != nil {
			return nil, fmt.Errorf("miprov2: resume: %w", err)
		}
		if r.rng, err = pyrand.FromState(r.st.RNG); err != nil {
			return nil, fmt.Errorf("miprov2: resume: %w", err)
		}
	} else {
		r.rng = pyrand.New(cfg.seed)
		r.st.Phase = miproBootstrap
		r.st.ValIDs = r.subsampleVal(cfg)
	}
	if cfg, err = cfg.withValset(len(r.st.ValIDs)); err != nil {
		return nil, err
	}
	r.cfg = cfg
	r.val, r.valIDs = r.valExamples(r.st.ValIDs)
	return r, nil
}

// checkpoint saves the state with the generator's current position.
func (r *miproRun) checkpoint(ctx context.Context, progress Progress) error {
	r.st.RNG = r.rng.State()
	if r.st.Search != nil && progress.Phase == miproSearch {
		progress.BestScore = r.st.Search.BestScore
		progress.Trials = r.st.Search.Trials
		if best, err := r.bestProgram(); err == nil {
			progress.Best = &best
		}
	}
	return checkpoint(ctx, r.engine, r.st, progress)
}

// result is the best program so far: the student until the search has
// scored something better.
func (r *miproRun) result(stopped bool) Result {
	res := Result{Program: CloneState(r.task.Student), Stopped: stopped}
	if s := r.st.Search; s != nil {
		res.Score, res.BaselineScore, res.BaselineMeasured, res.Trials = s.BestScore, s.Baseline, true, s.Trials
		res.ScoreExact, res.BaselineExact = s.BestExact, s.BaselineExact
		if best, err := r.bestProgram(); err == nil {
			res.Program = best
		}
	}
	return res
}

// names are the predictors' paths, in program order.
func (r *miproRun) names() []string { return r.task.Student.Names() }
