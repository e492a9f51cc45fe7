package optimize

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

// BootstrapFewShot builds demos from the program's own successful runs, as
// DSPy's BootstrapFewShot does. A teacher (the student with up to
// MaxLabeledDemos labeled demos) runs on the training examples in order; each
// run the metric accepts becomes one demo per predictor, carrying the
// predictor's actual inputs and outputs (and "augmented": true), until
// MaxBootstrappedDemos runs have succeeded. Each predictor then gets those
// demos followed by labeled examples sampled from the rest of the trainset.
//
// DSPy tries one example at a time; this implementation runs the examples of
// a stretch of the trainset as one batch, in parallel, and then replays the
// outcomes in trainset order, so successes past the cap and failures the
// sequential algorithm would never have reached are ignored. The demos are
// the ones the sequential algorithm picks.
//
// For the demo counts, zero means DSPy's default and a negative value means
// none; in JSON parameters, 0 means none.
type BootstrapFewShot struct {
	// MaxBootstrappedDemos caps the demos taken from successful runs (default 4).
	MaxBootstrappedDemos int `json:"max_bootstrapped_demos"`
	// MaxLabeledDemos caps bootstrapped plus labeled demos per predictor and
	// sizes the teacher's labeled demos (default 16).
	MaxLabeledDemos int `json:"max_labeled_demos"`
	// MaxRounds is how many times an example is tried; rounds after the first
	// sample afresh at temperature 1.0 (default 1).
	MaxRounds int `json:"max_rounds"`
	// MetricThreshold, when set and non-zero, is the score a run needs to
	// count as a success; otherwise any non-zero score does.
	MetricThreshold *float64 `json:"metric_threshold,omitempty"`
	// MaxErrors is how many failed runs (errors, unparseable replies) end
	// the compile with an error (default 10, DSPy's settings.max_errors).
	MaxErrors int `json:"max_errors"`
}

// Name returns "bootstrap_fewshot".
func (*BootstrapFewShot) Name() string { return "bootstrap_fewshot" }

// Compile bootstraps demos for task.Student from task.Trainset. It
// checkpoints after every batch of examples; a stop request ends the
// bootstrap early and fills the demos from what was found so far.
func (b *BootstrapFewShot) Compile(ctx context.Context, engine Engine, task Task) (Result, error) {
	cfg := b.config()
	st := &bootstrapState{}
	if len(task.Resume) > 0 {
		if err := json.Unmarshal(task.Resume, st); err != nil {
			return Result{}, fmt.Errorf("bootstrap_fewshot: resume: %w", err)
		}
	}
	stopped := false
	onBatch := func(s *bootstrapState) error {
		err := checkpoint(ctx, engine, s, Progress{Phase: "bootstrap", Step: len(s.Bootstrapped), Total: cfg.maxBootstrapped})
		if errors.Is(err, ErrStop) {
			stopped = true
		}
		return err
	}
	program, err := cfg.compile(ctx, engine, task.Student, task.Trainset, indexIDs(len(task.Trainset)), st, onBatch)
	if errors.Is(err, ErrStop) {
		stopped = true // at a checkpoint, or the engine refused more work (a spent budget)
	}
	if err != nil && !stopped {
		return Result{}, fmt.Errorf("bootstrap_fewshot: %w", err)
	}
	return Result{Program: program, Stopped: stopped}, nil
}

// Plan bounds the bootstrap: every training example tried in every round.
func (b *BootstrapFewShot) Plan(sizes PlanSizes) (Plan, error) {
	cfg := b.config()
	p := Plan{
		Settings:          fmt.Sprintf("up to %d bootstrapped demos, %d round(s)", cfg.maxBootstrapped, cfg.maxRounds),
		PromptCompletions: 1,
	}
	if cfg.maxBootstrapped > 0 {
		p.TaskRuns, p.TaskUpper = sizes.Trainset*cfg.maxRounds, true
		p.Notes = append(p.Notes, "bootstrapping stops once enough demos are found, usually after a few examples")
	}
	return p, nil
}

func (b *BootstrapFewShot) config() bootstrapConfig {
	return bootstrapConfig{
		maxBootstrapped: demoCount(b.MaxBootstrappedDemos, 4),
		maxLabeled:      demoCount(b.MaxLabeledDemos, 16),
		maxRounds:       max(b.MaxRounds, 1),
		maxErrors:       defaultInt(b.MaxErrors, 10),
		threshold:       b.MetricThreshold,
	}
}

// demoCount reads a demo-count parameter: zero is the default, negative none.
func demoCount(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

func defaultInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// bootstrapConfig is BootstrapFewShot with its defaults resolved; the random
// search runs it with other sizes and trainset orders.
type bootstrapConfig struct {
	maxBootstrapped int
	maxLabeled      int
	maxRounds       int
	maxErrors       int
	threshold       *float64
}

// bootstrapState is the progress of one bootstrap: what a checkpoint holds.
type bootstrapState struct {
	// Next is the trainset index of the next example to try.
	Next int `json:"next"`
	// Bootstrapped lists the trainset indices whose runs became demos.
	Bootstrapped []int `json:"bootstrapped"`
	// Traces holds the demos found per predictor, in program order.
	Traces []namedDemos `json:"traces"`
	// Errors counts failed runs so far.
	Errors int `json:"errors"`
}

type namedDemos struct {
	Name  string         `json:"name"`
	Demos []dspy.Example `json:"demos"`
}

// compile runs DSPy's BootstrapFewShot.compile on states. ids are the
// examples' IDs in their dataset (trainset may be a shuffled copy). st carries progress
// in and out; onBatch, when set, is called after each batch of examples and
// any error it returns ends the bootstrap (the demos found so far are still
// used, and the returned program is valid alongside the error).
func (c bootstrapConfig) compile(ctx context.Context, engine Engine, student dspy.ProgramState, trainset []dspy.Example, ids []int, st *bootstrapState, onBatch func(*bootstrapState) error) (dspy.ProgramState, error) {
	// The teacher is the student as given, or, when labeled demos are wanted,
	// the student with LabeledFewShot's demos.
	teacher := CloneState(student)
	if c.maxLabeled > 0 {
		teacher = labeledFewShot(ResetDemos(student), trainset, c.maxLabeled, true)
	}
	if len(st.Traces) == 0 {
		for _, name := range student.Names() {
			st.Traces = append(st.Traces, namedDemos{Name: name, Demos: []dspy.Example{}})
		}
	}
	var stopErr error
	for st.Next < len(trainset) && len(st.Bootstrapped) < c.maxBootstrapped {
		if err := c.bootstrapBatch(ctx, engine, teacher, trainset, ids, st); err != nil {
			if errors.Is(err, ErrStop) {
				// A refused batch leaves st as the last finished one left it.
				return c.train(student, trainset, st), err
			}
			return dspy.ProgramState{}, err
		}
		if onBatch != nil {
			if stopErr = onBatch(st); stopErr != nil {
				break
			}
		}
	}
	return c.train(student, trainset, st), stopErr
}

// bootstrapBatch tries the next stretch of examples and advances st exactly
// as far as the sequential algorithm would.
func (c bootstrapConfig) bootstrapBatch(ctx context.Context, engine Engine, teacher dspy.ProgramState, trainset []dspy.Example, ids []int, st *bootstrapState) error {
	size := min(len(trainset)-st.Next, c.batchSize(engine, st))
	first := st.Next
	attempts := make([][]Outcome, size)
	pending := indexIDs(size)
	for round := 0; round < c.maxRounds && len(pending) > 0; round++ {
		batch := Batch{
			Candidate:       teacher,
			Trace:           true,
			ExcludeSelfDemo: true,
			Label:           fmt.Sprintf("bootstrap round %d: examples %d-%d", round+1, first, first+size-1),
		}
		if round > 0 {
			// DSPy samples afresh after the first round: a new rollout at temperature 1.
			batch.Temperature, batch.Rollout = dspy.Float(1.0), round
		}
		for _, j := range pending {
			batch.Examples = append(batch.Examples, trainset[first+j])
			batch.IDs = append(batch.IDs, ids[first+j])
		}
		outs, err := engine.Run(ctx, batch)
		if err != nil {
			return fmt.Errorf("%s: %w", batch.Label, err)
		}
		if len(outs) != len(pending) {
			return fmt.Errorf("%s: engine returned %d outcomes for %d examples", batch.Label, len(outs), len(pending))
		}
		var failed []int
		for k, j := range pending {
			attempts[j] = append(attempts[j], outs[k])
			if !c.success(outs[k]) {
				failed = append(failed, j)
			}
		}
		pending = failed
	}
	// Replay in trainset order, as DSPy's loop would have run.
	for j := range size {
		if len(st.Bootstrapped) >= c.maxBootstrapped {
			return nil
		}
		for _, out := range attempts[j] {
			if out.Failed() {
				st.Errors++
				if st.Errors >= c.maxErrors {
					return fmt.Errorf("%d runs failed (max_errors %d); example %d: %s", st.Errors, c.maxErrors, ids[first+j], out.Error)
				}
			}
			if c.success(out) {
				st.addTraces(out.Trace)
				st.Bootstrapped = append(st.Bootstrapped, first+j)
				break
			}
		}
		st.Next = first + j + 1
	}
	return nil
}

// batchSize is how many examples the next batch tries: as many as the
// demos still needed call for at the success rate seen so far in this
// bootstrap (with one success and one failure added, so a short streak does
// not look certain), so the runs made past the example where DSPy's
// one-at-a-time loop stops stay few, none when every run succeeds, while
// each batch still runs at once. The first batch assumes every run
// succeeds; while none has, each batch doubles what was tried.
func (c bootstrapConfig) batchSize(engine Engine, st *bootstrapState) int {
	need := c.maxBootstrapped - len(st.Bootstrapped)
	if legacySchedule(engine) {
		// Durable runs started before keep their recorded batches.
		return max(2*need, 8)
	}
	tried, found := st.Next, len(st.Bootstrapped)
	switch {
	case tried == 0:
		return max(need, 1)
	case found == 0:
		return tried
	}
	return max((need*(tried+2)+found)/(found+1), 1)
}

// success is DSPy's test: the metric's value against the threshold when one
// is set (a zero threshold is unset, as in Python), else its truthiness.
func (c bootstrapConfig) success(o Outcome) bool {
	if o.Failed() {
		return false
	}
	if c.threshold != nil && *c.threshold != 0 {
		return o.Score >= *c.threshold
	}
	return o.Score != 0
}

// addTraces turns a successful run's trace into one demo per predictor. When
// a predictor ran several times, DSPy keeps one call: the last, or with
// probability 1/2 one of the others, drawn from a generator seeded by a hash
// of the demos so the choice is stable across runs.
func (st *bootstrapState) addTraces(trace []TraceStep) {
	index := map[string]int{}
	for i, nd := range st.Traces {
		index[nd.Name] = i
	}
	byPredictor := make([][]dspy.Example, len(st.Traces))
	for _, step := range trace {
		i, ok := index[step.Predictor]
		if !ok {
			continue // a predictor outside the program's list, as DSPy skips it
		}
		demo := step.Inputs.Merge(step.Outputs).Set("augmented", true)
		byPredictor[i] = append(byPredictor[i], demo)
	}
	for i, demos := range byPredictor {
		if len(demos) > 1 {
			rng := pyrand.NewFromBig(demosHash(demos))
			if rng.Random() < 0.5 {
				demos = []dspy.Example{pyrand.ChoiceOf(rng, demos[:len(demos)-1])}
			} else {
				demos = demos[len(demos)-1:]
			}
		}
		st.Traces[i].Demos = append(st.Traces[i].Demos, demos...)
	}
}

// demosHash is a stable hash of demos: SHA-256 of their JSON, as an integer.
func demosHash(demos []dspy.Example) *big.Int {
	b, err := json.Marshal(demos)
	if err != nil {
		b = []byte(fmt.Sprint(demos))
	}
	sum := sha256.Sum256(b)
	return new(big.Int).SetBytes(sum[:])
}

// train is DSPy's _train: the examples that did not become demos, shuffled
// with Random(0), are the labeled pool; each predictor in order takes its
// bootstrapped demos and then a Random(0) sample of the pool. DSPy reassigns
// the pool to each sample, so later predictors sample from the previous
// predictor's sample; that is kept for identical results.
func (c bootstrapConfig) train(student dspy.ProgramState, trainset []dspy.Example, st *bootstrapState) dspy.ProgramState {
	used := map[int]bool{}
	for _, i := range st.Bootstrapped {
		used[i] = true
	}
	var pool []dspy.Example
	for i, ex := range trainset {
		if !used[i] {
			pool = append(pool, ex)
		}
	}
	pyrand.ShuffleSlice(pyrand.New(0), pool)

	out := ResetDemos(student)
	rng := pyrand.New(0)
	for i := range out.Predictors {
		var augmented []dspy.Example
		for _, nd := range st.Traces {
			if nd.Name == out.Predictors[i].Name {
				augmented = nd.Demos[:min(len(nd.Demos), c.maxBootstrapped)]
			}
		}
		n := max(0, min(c.maxLabeled-len(augmented), len(pool)))
		pool = pyrand.SampleOf(rng, pool, n)
		demos := append(append([]dspy.Example{}, augmented...), pool...)
		out.Predictors[i].State.Demos = demos
	}
	return out
}
