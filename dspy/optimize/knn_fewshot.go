package optimize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
)

func init() {
	Register("knn_fewshot", func(p json.RawMessage) (Optimizer, error) {
		o := &KNNFewShot{}
		if err := DecodeParams("knn_fewshot", p, o); err != nil {
			return nil, err
		}
		zeroMeansNone(p, map[string]*int{"max_bootstrapped_demos": &o.MaxBootstrappedDemos, "max_labeled_demos": &o.MaxLabeledDemos})
		if err := o.validate(); err != nil {
			return nil, err
		}
		return o, nil
	})
}

// KNNFewShot compiles a program that answers each input with demos from its
// K nearest training examples, as DSPy's KNNFewShot does: the inputs of the
// trainset are embedded once ("key: value" pairs joined by " | ", as DSPy's
// KNN does), and at each call the program embeds its inputs, takes the K
// training examples of highest cosine similarity and gives its predictors
// the demos BootstrapFewShot (with these parameters) would build from them.
//
// DSPy runs that bootstrap at every call, which needs the metric and the
// teacher's LM calls at inference. Here the teacher's runs happen once, at
// compile time, through the engine: the teacher (the student with labeled
// demos from the whole trainset, each example's own left out) runs on
// every training example, and a run the metric accepts is kept as that
// example's demo per predictor. At run time the program then replays
// BootstrapFewShot over the neighbours, nearest first, from those recorded
// runs: the first MaxBootstrappedDemos neighbours that passed give their
// demos and the others are sampled as labeled demos. So a compiled program
// needs only an embedder to run (in-process, served or durably), picks each
// input's own neighbours, and costs one embedding call and the program's
// own LM calls per input. The teacher differs from DSPy's, whose labeled
// demos are the other neighbours of the input being answered.
//
// The compiled state (see BuildProgram) carries the training examples,
// their vectors and their demos. The student and the compiled program are
// scored on the valset (the trainset when none is given, where every input
// finds itself as its nearest neighbour).
type KNNFewShot struct {
	// K is how many neighbours each call takes (default 3).
	K int `json:"k"`
	// MaxBootstrappedDemos, MaxLabeledDemos, MaxRounds, MetricThreshold and
	// MaxErrors are BootstrapFewShot's, which DSPy passes through.
	MaxBootstrappedDemos int      `json:"max_bootstrapped_demos"`
	MaxLabeledDemos      int      `json:"max_labeled_demos"`
	MaxRounds            int      `json:"max_rounds"`
	MetricThreshold      *float64 `json:"metric_threshold,omitempty"`
	MaxErrors            int      `json:"max_errors"`
}

// Name returns "knn_fewshot".
func (*KNNFewShot) Name() string { return "knn_fewshot" }

func (o *KNNFewShot) validate() error {
	var errs []error
	if o.K < 0 {
		errs = append(errs, fmt.Errorf("knn_fewshot: k must be positive, got %d", o.K))
	}
	if o.MaxRounds < 0 {
		errs = append(errs, errors.New("knn_fewshot: max_rounds must be positive"))
	}
	return errors.Join(errs...)
}

func (o *KNNFewShot) k() int { return defaultInt(o.K, 3) }

func (o *KNNFewShot) bootstrap() bootstrapConfig {
	return (&BootstrapFewShot{
		MaxBootstrappedDemos: o.MaxBootstrappedDemos, MaxLabeledDemos: o.MaxLabeledDemos,
		MaxRounds: o.MaxRounds, MetricThreshold: o.MetricThreshold, MaxErrors: o.MaxErrors,
	}).config()
}

// Plan counts the teacher's runs (every training example, retried in later
// rounds) and the two scorings; the embedding calls are beside them.
func (o *KNNFewShot) Plan(sizes PlanSizes) (Plan, error) {
	if err := o.validate(); err != nil {
		return Plan{}, err
	}
	cfg := o.bootstrap()
	val := sizes.valOrTrain()
	p := Plan{
		Settings:          fmt.Sprintf("%d nearest of %d training examples, up to %d bootstrapped and %d labeled demos", o.k(), sizes.Trainset, cfg.maxBootstrapped, cfg.maxLabeled),
		TaskRuns:          2 * val,
		PromptCompletions: 1,
		Notes: []string{
			fmt.Sprintf("embeds the %d training inputs once, and each scored input of the compiled program", sizes.Trainset),
		},
	}
	if cfg.maxBootstrapped > 0 {
		p.TaskRuns += sizes.Trainset * cfg.maxRounds
		p.TaskUpper = cfg.maxRounds > 1
		if p.TaskUpper {
			p.Notes = append(p.Notes, "later bootstrap rounds retry only the examples that failed")
		}
	}
	return p, nil
}

// knnCheckpoint is the checkpoint: the index as far as it is built.
type knnCheckpoint struct {
	Vectors [][]float32 `json:"vectors,omitempty"`
	// Entries is set once the teacher's runs are done.
	Entries []knnEntry `json:"entries,omitempty"`
}

// Compile embeds the trainset, runs the teacher on it, and scores the
// student and the compiled program.
func (o *KNNFewShot) Compile(ctx context.Context, engine Engine, task Task) (Result, error) {
	if err := o.validate(); err != nil {
		return Result{}, err
	}
	if len(task.Trainset) == 0 {
		return Result{}, errors.New("knn_fewshot: empty trainset")
	}
	emb, ok := engine.(EmbeddingEngine)
	if !ok {
		return Result{}, fmt.Errorf("knn_fewshot: this engine cannot embed: %w", errNoEmbedder)
	}
	var st knnCheckpoint
	if len(task.Resume) > 0 {
		if err := json.Unmarshal(task.Resume, &st); err != nil {
			return Result{}, fmt.Errorf("knn_fewshot: resume: %w", err)
		}
	}
	stopped := func() (Result, error) { return Result{Program: CloneState(task.Student), Stopped: true}, nil }

	if st.Vectors == nil {
		texts := make([]string, len(task.Trainset))
		for i, ex := range task.Trainset {
			t, err := trainText(ex)
			if err != nil {
				return Result{}, fmt.Errorf("knn_fewshot: example %d: %w", i, err)
			}
			texts[i] = t
		}
		vecs, err := emb.Embed(ctx, EmbedCall{Texts: texts, Label: "knn_fewshot: embed the trainset"})
		if errors.Is(err, ErrStop) {
			return stopped()
		}
		if err != nil {
			return Result{}, fmt.Errorf("knn_fewshot: %w", err)
		}
		if len(vecs) != len(texts) {
			return Result{}, fmt.Errorf("knn_fewshot: %d vectors for %d training examples", len(vecs), len(texts))
		}
		for i := range vecs {
			vecs[i] = unit(vecs[i])
		}
		st.Vectors = vecs
		err = checkpoint(ctx, engine, st, Progress{Phase: "embed", Step: 1, Total: 1})
		if errors.Is(err, ErrStop) {
			return stopped()
		}
		if err != nil {
			return Result{}, err
		}
	}
	if st.Entries == nil {
		entries, err := o.teach(ctx, engine, task, st.Vectors)
		if errors.Is(err, ErrStop) {
			return stopped()
		}
		if err != nil {
			return Result{}, fmt.Errorf("knn_fewshot: %w", err)
		}
		st.Entries = entries
		err = checkpoint(ctx, engine, st, Progress{Phase: "bootstrap", Step: len(entries), Total: len(entries), Unit: "examples"})
		if errors.Is(err, ErrStop) {
			return stopped()
		}
		if err != nil {
			return Result{}, err
		}
	}

	cfg := o.bootstrap()
	compiled := knnState(task.Student, knnSpec{K: o.k(), MaxBootstrapped: cfg.maxBootstrapped, MaxLabeled: cfg.maxLabeled, Entries: st.Entries})
	valset := task.Valset
	if len(valset) == 0 {
		valset = task.Trainset
	}
	res := Result{}
	for i, c := range []struct {
		label   string
		program dspy.ProgramState
	}{{"student", task.Student}, {fmt.Sprintf("%d nearest neighbours' demos", o.k()), compiled}} {
		outs, err := engine.Run(ctx, Batch{Candidate: c.program, Examples: valset, IDs: indexIDs(len(valset)), Label: "knn_fewshot: score the " + c.label})
		if errors.Is(err, ErrStop) {
			return Result{Program: compiled, Stopped: true}, nil
		}
		if err != nil {
			return Result{}, fmt.Errorf("knn_fewshot: score the %s: %w", c.label, err)
		}
		res.Trials = append(res.Trials, newTrial(i, c.label, c.program, Percent(outs), true))
		if i == 0 {
			res.BaselineScore, res.BaselineExact, res.BaselineMeasured = Percent(outs), percentExact(outs), true
			continue
		}
		res.Program, res.Score, res.ScoreExact = compiled, Percent(outs), percentExact(outs)
	}
	return res, nil
}

// teach runs the teacher on every training example, up to MaxRounds times
// (later rounds sampling afresh at temperature 1, as BootstrapFewShot
// does), and returns the index entries with each passing run's demos.
func (o *KNNFewShot) teach(ctx context.Context, engine Engine, task Task, vecs [][]float32) ([]knnEntry, error) {
	cfg := o.bootstrap()
	entries := make([]knnEntry, len(task.Trainset))
	for i, ex := range task.Trainset {
		entries[i] = knnEntry{Example: ex, Vector: vecs[i]}
	}
	if cfg.maxBootstrapped == 0 {
		return entries, nil
	}
	teacher := CloneState(task.Student)
	if cfg.maxLabeled > 0 {
		teacher = labeledFewShot(ResetDemos(task.Student), task.Trainset, cfg.maxLabeled, true)
	}
	pending := indexIDs(len(task.Trainset))
	errorsSeen := 0
	for round := 0; round < cfg.maxRounds && len(pending) > 0; round++ {
		batch := Batch{Candidate: teacher, Trace: true, ExcludeSelfDemo: true,
			Label: fmt.Sprintf("knn_fewshot: bootstrap round %d, %d examples", round+1, len(pending))}
		if round > 0 {
			batch.Temperature, batch.Rollout = dspy.Float(1.0), round
		}
		for _, i := range pending {
			batch.Examples = append(batch.Examples, task.Trainset[i])
			batch.IDs = append(batch.IDs, i)
		}
		outs, err := engine.Run(ctx, batch)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", batch.Label, err)
		}
		if len(outs) != len(pending) {
			return nil, fmt.Errorf("%s: engine returned %d outcomes for %d examples", batch.Label, len(outs), len(pending))
		}
		var failed []int
		for j, i := range pending {
			out := outs[j]
			if out.Failed() {
				if errorsSeen++; errorsSeen >= cfg.maxErrors {
					return nil, fmt.Errorf("%d runs failed (max_errors %d); example %d: %s", errorsSeen, cfg.maxErrors, i, out.Error)
				}
			}
			if !cfg.success(out) {
				failed = append(failed, i)
				continue
			}
			one := &bootstrapState{}
			for _, name := range task.Student.Names() {
				one.Traces = append(one.Traces, namedDemos{Name: name, Demos: []dspy.Example{}})
			}
			one.addTraces(out.Trace)
			entries[i].Demos = one.Traces
		}
		pending = failed
	}
	return entries, nil
}
