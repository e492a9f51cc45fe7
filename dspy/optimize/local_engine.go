package optimize

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"sync"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
)

// LocalOptions configure an in-process engine.
type LocalOptions struct {
	// Program returns a fresh instance of the program being optimized. The
	// engine builds one per batch (and per example when demos must be left
	// out), applies the candidate state to it, and runs it.
	Program func() (dspy.Module, error)
	// Metric scores each run. It receives the run's trace when the batch asks
	// for one, as DSPy's metrics do while bootstrapping.
	Metric evaluate.Metric
	// TaskLM runs the program; predictors with their own LM keep it.
	TaskLM dspy.LM
	// PromptLM answers Prompt calls (instruction proposals and the like); the
	// default is TaskLM.
	PromptLM dspy.LM
	// Concurrency bounds the examples run at once (default 8).
	Concurrency int
	// FailureScore is the score of an example that failed to run or score.
	FailureScore float64
	// OnCheckpoint, when set, receives every checkpoint (to save it, say) and
	// its error is returned to the optimizer: wrap ErrStop to end the run
	// with the best program so far.
	OnCheckpoint func(context.Context, Checkpoint) error
	// OnProgress, when set, receives the progress of every checkpoint.
	OnProgress func(Progress)
	// OnOutcome, when set, is called from the running goroutine as each
	// example finishes, with the error that failed it (nil on success), so a
	// caller can report progress or tell transient failures from real ones.
	// It must be safe for concurrent use.
	OnOutcome func(index int, o Outcome, err error)
}

// LocalEngine runs an optimizer's work on goroutines in this process. It is
// safe for concurrent use.
type LocalEngine struct {
	opts LocalOptions
}

// NewLocalEngine returns an engine that runs programs built by opts.Program.
func NewLocalEngine(opts LocalOptions) (*LocalEngine, error) {
	if opts.Program == nil {
		return nil, errors.New("optimize: LocalOptions.Program is required: a function returning a fresh program instance")
	}
	if opts.Metric == nil {
		return nil, errors.New("optimize: LocalOptions.Metric is required")
	}
	if opts.PromptLM == nil {
		opts.PromptLM = opts.TaskLM
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	return &LocalEngine{opts: opts}, nil
}

// instance is a program with its predictors' paths, to name trace steps.
type instance struct {
	program dspy.Module
	paths   map[*dspy.Predict]string
}

func (e *LocalEngine) instance(st dspy.ProgramState) (instance, error) {
	p, err := e.opts.Program()
	if err != nil {
		return instance{}, fmt.Errorf("build program: %w", err)
	}
	if err := dspy.LoadState(p, st); err != nil {
		return instance{}, fmt.Errorf("apply candidate: %w", err)
	}
	paths := map[*dspy.Predict]string{}
	for _, np := range p.Predictors() {
		paths[np.Predictor] = np.Name
	}
	return instance{program: p, paths: paths}, nil
}

// Run runs the candidate on every example, at most Concurrency at a time,
// and returns the outcomes in the order of the examples.
func (e *LocalEngine) Run(ctx context.Context, batch Batch) ([]Outcome, error) {
	ids := batch.IDs
	if ids == nil {
		ids = indexIDs(len(batch.Examples))
	}
	if len(ids) != len(batch.Examples) {
		return nil, fmt.Errorf("run %s: %d IDs for %d examples", batch.Label, len(ids), len(batch.Examples))
	}
	shared, err := e.instance(batch.Candidate)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", batch.Label, err)
	}
	runCtx := ctx
	if e.opts.TaskLM != nil {
		runCtx = dspy.WithLM(runCtx, RecordingLM{e.opts.TaskLM})
	}
	if batch.Temperature != nil || batch.Rollout != 0 {
		runCtx = dspy.WithCallOptions(runCtx, dspy.CallOptions{Temperature: batch.Temperature, Rollout: batch.Rollout})
	}

	outcomes := make([]Outcome, len(batch.Examples))
	errs := make([]error, len(batch.Examples))
	sem := make(chan struct{}, e.opts.Concurrency)
	var wg sync.WaitGroup
	for i := range batch.Examples {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			inst := shared
			if batch.ExcludeSelfDemo {
				if inst, errs[i] = e.withoutSelf(batch.Candidate, batch.Examples[i], shared); errs[i] != nil {
					return
				}
			}
			var runErr error
			exCtx := runCtx
			var rec *CallRecorder
			if batch.RecordCalls {
				rec = &CallRecorder{}
				exCtx = WithCallRecorder(exCtx, rec)
			}
			outcomes[i], runErr = e.runOne(exCtx, inst, batch.Examples[i], ids[i], batch.Trace)
			if rec != nil {
				outcomes[i].Calls = rec.Calls()
			}
			if e.opts.OnOutcome != nil {
				e.opts.OnOutcome(i, outcomes[i], runErr)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("run %s: %w", batch.Label, err)
	}
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", batch.Label, err)
		}
	}
	return outcomes, nil
}

// withoutSelf returns an instance whose demos leave out any demo equal to ex,
// or shared when no predictor holds one.
func (e *LocalEngine) withoutSelf(st dspy.ProgramState, ex dspy.Example, shared instance) (instance, error) {
	filtered := CloneState(st)
	changed := false
	for i := range filtered.Predictors {
		demos := filtered.Predictors[i].State.Demos
		kept := make([]dspy.Example, 0, len(demos))
		for _, d := range demos {
			if sameFields(d, ex) {
				changed = true
				continue
			}
			kept = append(kept, d)
		}
		filtered.Predictors[i].State.Demos = kept
	}
	if !changed {
		return shared, nil
	}
	return e.instance(filtered)
}

// runOne runs and scores one example. A panic in the program or the metric
// fails the example, not the batch.
func (e *LocalEngine) runOne(ctx context.Context, inst instance, ex dspy.Example, id int, trace bool) (out Outcome, runErr error) {
	out = Outcome{ID: id}
	defer func() {
		if v := recover(); v != nil {
			out.Error = fmt.Sprintf("panic: %v\n%s", v, debug.Stack())
			out.Score = e.opts.FailureScore
			runErr = errors.New(out.Error)
		}
	}()
	fail := func(err error) (Outcome, error) {
		out.Error, out.Score = err.Error(), e.opts.FailureScore
		var pe *dspy.ParseError
		if errors.As(err, &pe) {
			out.Raw = pe.Raw
		}
		return out, err
	}
	inputs, err := ex.Inputs()
	if err != nil {
		return fail(err)
	}
	var t *dspy.Trace
	if trace {
		t = dspy.NewTrace()
		ctx = dspy.WithTrace(ctx, t)
	}
	pred, err := inst.program.Call(ctx, inputs)
	if err != nil {
		return fail(err)
	}
	out.Prediction, out.Usage = pred.Example, pred.Usage
	if t != nil {
		for _, step := range t.Steps() {
			name, ok := inst.paths[step.Predictor]
			if !ok {
				continue // a predictor the program does not list cannot take demos
			}
			out.Trace = append(out.Trace, TraceStep{Predictor: name, Inputs: step.Inputs, Outputs: step.Outputs})
		}
	}
	s, err := e.opts.Metric(ctx, ex, pred, t)
	if err == nil && math.IsNaN(s.Value) {
		err = errors.New("metric returned NaN")
	}
	if err != nil {
		return fail(fmt.Errorf("metric: %w", err))
	}
	out.Score, out.Feedback = s.Value, s.Feedback
	return out, nil
}

// Prompt runs one call of the prompt model through call.Signature and
// returns every completion's output fields.
func (e *LocalEngine) Prompt(ctx context.Context, call PromptCall) ([]dspy.Example, error) {
	if e.opts.PromptLM == nil {
		return nil, fmt.Errorf("prompt %s: no prompt model: set LocalOptions.PromptLM or TaskLM", call.name())
	}
	return Prompt(ctx, e.opts.PromptLM, call)
}

// Checkpoint reports progress and hands the checkpoint to OnCheckpoint.
func (e *LocalEngine) Checkpoint(ctx context.Context, cp Checkpoint) error {
	if e.opts.OnProgress != nil {
		e.opts.OnProgress(cp.Progress)
	}
	if e.opts.OnCheckpoint != nil {
		return e.opts.OnCheckpoint(ctx, cp)
	}
	return nil
}
