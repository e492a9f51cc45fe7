package optimize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

// BootstrapFewShotWithRandomSearch evaluates several demo sets on the
// validation set and keeps the best, as DSPy's optimizer of that name does.
// Candidates are indexed by seed, from -3 to NumCandidatePrograms-1: -3 is the
// student without demos, -2 LabeledFewShot, -1 BootstrapFewShot on the
// trainset in order, and each seed s >= 0 BootstrapFewShot on the trainset
// shuffled by random.Random(s) with random.Random(s).randint(1,
// MaxBootstrappedDemos) bootstrapped demos. The first candidate with the
// highest score wins.
//
// It checkpoints after every candidate with the next seed, the scores so far
// and the best program, so a resumed run continues with the next seed; a stop
// request returns the best program so far.
type BootstrapFewShotWithRandomSearch struct {
	// MaxBootstrappedDemos is the upper end of the bootstrapped-demo count
	// drawn per candidate (default 4).
	MaxBootstrappedDemos int `json:"max_bootstrapped_demos"`
	// MaxLabeledDemos caps the demos per predictor (default 16; negative for
	// none, and 0 in JSON).
	MaxLabeledDemos int `json:"max_labeled_demos"`
	// MaxRounds is BootstrapFewShot's attempts per example (default 1).
	MaxRounds int `json:"max_rounds"`
	// NumCandidatePrograms is the number of shuffled candidates, on top of the
	// three baselines (default 16).
	NumCandidatePrograms int `json:"num_candidate_programs"`
	// MaxErrors is how many failed examples end a bootstrap or an evaluation
	// with an error (default 10).
	MaxErrors int `json:"max_errors"`
	// StopAtScore ends the search once a candidate scores at least this (percent).
	StopAtScore *float64 `json:"stop_at_score,omitempty"`
	// MetricThreshold is BootstrapFewShot's success threshold.
	MetricThreshold *float64 `json:"metric_threshold,omitempty"`
	// LabeledSample makes the -2 candidate sample its demos (default true);
	// false takes the first examples.
	LabeledSample *bool `json:"labeled_sample,omitempty"`
}

// Name returns "bootstrap_random_search".
func (*BootstrapFewShotWithRandomSearch) Name() string { return "bootstrap_random_search" }

// randomSearchState is the checkpoint: small, since only the best program is kept.
type randomSearchState struct {
	NextSeed  int                `json:"next_seed"`
	Scores    []float64          `json:"scores"`
	BestSeed  int                `json:"best_seed"`
	BestScore float64            `json:"best_score"`
	Best      *dspy.ProgramState `json:"best,omitempty"`
	Baseline  float64            `json:"baseline"`
	// BestExact and BaselineExact are BestScore and Baseline unrounded.
	BestExact     float64 `json:"best_exact,omitempty"`
	BaselineExact float64 `json:"baseline_exact,omitempty"`
	Trials        []Trial `json:"trials"`
}

// config resolves the defaults and checks them against the trainset size:
// the bootstrap settings every candidate starts from, and the number of
// shuffled candidates.
func (r *BootstrapFewShotWithRandomSearch) config(trainset int) (bootstrapConfig, int, error) {
	maxBoot := demoCount(r.MaxBootstrappedDemos, 4)
	if maxBoot < 1 {
		// DSPy's randint(1, 0) fails here too; say why instead.
		return bootstrapConfig{}, 0, errors.New("bootstrap_random_search: max_bootstrapped_demos must be at least 1 to draw candidate sizes")
	}
	numCandidates := defaultInt(r.NumCandidatePrograms, 16)
	if trainset == 0 {
		return bootstrapConfig{}, 0, errors.New("bootstrap_random_search: empty trainset")
	}
	return bootstrapConfig{
		maxBootstrapped: maxBoot,
		maxLabeled:      demoCount(r.MaxLabeledDemos, 16),
		maxRounds:       max(r.MaxRounds, 1),
		maxErrors:       defaultInt(r.MaxErrors, 10),
		threshold:       r.MetricThreshold,
	}, numCandidates, nil
}

// Plan bounds the search: every candidate scored on the validation set, and
// every bootstrapping candidate trying every training example in every round.
func (r *BootstrapFewShotWithRandomSearch) Plan(sizes PlanSizes) (Plan, error) {
	base, n, err := r.config(sizes.Trainset)
	if err != nil {
		return Plan{}, err
	}
	val := sizes.valOrTrain()
	p := Plan{
		Settings: fmt.Sprintf("%d candidate programs + 3 baselines, up to %d bootstrapped demos, %d round(s); each candidate scored on %d examples",
			n, base.maxBootstrapped, base.maxRounds, val),
		// Seeds -3..n-1 are each scored on the valset; seed -1 and the n
		// shuffled seeds bootstrap first.
		TaskRuns:          (n+3)*val + (n+1)*sizes.Trainset*base.maxRounds,
		TaskUpper:         true,
		PromptCompletions: 1,
		Notes:             []string{"bootstrapping stops once enough demos are found, so real runs make far fewer bootstrap calls"},
	}
	if r.StopAtScore != nil {
		p.Notes = append(p.Notes, "stop_at_score may end the search early")
	}
	return p, nil
}

// Compile runs the search.
func (r *BootstrapFewShotWithRandomSearch) Compile(ctx context.Context, engine Engine, task Task) (Result, error) {
	base, numCandidates, err := r.config(len(task.Trainset))
	if err != nil {
		return Result{}, err
	}
	valset := task.Valset
	if len(valset) == 0 {
		valset = task.Trainset
	}

	st := randomSearchState{NextSeed: -3}
	if len(task.Resume) > 0 {
		if err := json.Unmarshal(task.Resume, &st); err != nil {
			return Result{}, fmt.Errorf("bootstrap_random_search: resume: %w", err)
		}
	}
	total := numCandidates + 3
	result := func(stopped bool) Result {
		// Seed -3, the zero-shot student, always runs first: any score means
		// the baseline was measured.
		res := Result{Score: st.BestScore, BaselineScore: st.Baseline, BaselineMeasured: len(st.Scores) > 0, Trials: st.Trials, Stopped: stopped,
			ScoreExact: st.BestExact, BaselineExact: st.BaselineExact}
		if st.Best != nil {
			res.Program = *st.Best
		} else {
			res.Program = ResetDemos(task.Student)
		}
		return res
	}

	for ; st.NextSeed < numCandidates; st.NextSeed++ {
		seed := st.NextSeed
		program, err := r.candidate(ctx, engine, task, base, seed)
		if errors.Is(err, ErrStop) {
			return result(true), nil // the engine refused more work: a spent budget
		}
		if err != nil {
			return Result{}, fmt.Errorf("bootstrap_random_search: seed %d: %w", seed, err)
		}
		outs, err := engine.Run(ctx, Batch{
			Candidate: program,
			Examples:  valset,
			IDs:       indexIDs(len(valset)),
			Label:     seedLabel(seed) + ": validation",
		})
		if errors.Is(err, ErrStop) {
			return result(true), nil
		}
		if err != nil {
			return Result{}, fmt.Errorf("bootstrap_random_search: seed %d: evaluate: %w", seed, err)
		}
		if n := countFailures(outs); n >= base.maxErrors {
			return Result{}, fmt.Errorf("bootstrap_random_search: seed %d: %d of %d validation examples failed (max_errors %d); first: %s", seed, n, len(outs), base.maxErrors, firstFailure(outs))
		}
		score := Percent(outs)
		if len(st.Scores) == 0 || score > maxOf(st.Scores) {
			st.BestSeed, st.BestScore, st.Best, st.BestExact = seed, score, &program, percentExact(outs)
		}
		if seed == -3 {
			st.Baseline, st.BaselineExact = score, percentExact(outs)
		}
		st.Scores = append(st.Scores, score)
		st.Trials = append(st.Trials, newTrial(len(st.Trials), seedLabel(seed), program, score, true))

		next := st
		next.NextSeed = seed + 1
		err = checkpoint(ctx, engine, next, Progress{
			Phase: "search", Step: len(st.Scores), Total: total,
			BestScore: st.BestScore, Best: st.Best, Trials: st.Trials,
		})
		if errors.Is(err, ErrStop) {
			return result(true), nil
		}
		if err != nil {
			return Result{}, err
		}
		if r.StopAtScore != nil && score >= *r.StopAtScore {
			break
		}
	}
	return result(false), nil
}

// candidate builds the program for one seed, exactly as DSPy's loop does.
func (r *BootstrapFewShotWithRandomSearch) candidate(ctx context.Context, engine Engine, task Task, base bootstrapConfig, seed int) (dspy.ProgramState, error) {
	trainset := append([]dspy.Example(nil), task.Trainset...)
	ids := indexIDs(len(trainset))
	switch {
	case seed == -3:
		return ResetDemos(task.Student), nil
	case seed == -2:
		sample := r.LabeledSample == nil || *r.LabeledSample
		return labeledFewShot(task.Student, trainset, base.maxLabeled, sample), nil
	case seed == -1:
		return base.compile(ctx, engine, task.Student, trainset, ids, &bootstrapState{}, nil)
	}
	// DSPy draws the shuffle and the size from two fresh generators of the
	// same seed. The IDs are shuffled along so batches name dataset examples.
	pyrand.New(int64(seed)).Shuffle(len(trainset), func(i, j int) {
		trainset[i], trainset[j] = trainset[j], trainset[i]
		ids[i], ids[j] = ids[j], ids[i]
	})
	cfg := base
	cfg.maxBootstrapped = pyrand.New(int64(seed)).RandInt(1, base.maxBootstrapped)
	return cfg.compile(ctx, engine, task.Student, trainset, ids, &bootstrapState{}, nil)
}

func seedLabel(seed int) string {
	switch seed {
	case -3:
		return "seed -3 (zero-shot)"
	case -2:
		return "seed -2 (labeled demos)"
	case -1:
		return "seed -1 (bootstrapped, unshuffled)"
	}
	return fmt.Sprintf("seed %d", seed)
}

func maxOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs[1:] {
		m = max(m, x)
	}
	return m
}
