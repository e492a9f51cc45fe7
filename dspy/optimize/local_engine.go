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
	// Budget caps the engine's spending (see Budget); zero means no cap.
	Budget Budget
	// Embedder, when set, answers the engine's Embed calls and is in the
	// context of every run, for programs that embed their inputs.
	Embedder dspy.Embedder
}

// LocalEngine runs an optimizer's work on goroutines in this process. It is
// safe for concurrent use.
type LocalEngine struct {
	opts LocalOptions

	mu    sync.Mutex
	spent dspy.Usage
	// trials records a span per trial the optimizer reports.
	trials *TrialSpans
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
	return &LocalEngine{opts: opts, trials: startTrialSpans()}, nil
}

// instance is a program with its predictors' paths, to name trace steps.
type instance struct {
	program dspy.Module
	paths   map[*dspy.Predict]string
}

func (e *LocalEngine) instance(st dspy.ProgramState) (instance, error) {
	p, err := BuildProgram(e.opts.Program, st)
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

// Spent returns what the engine's runs and prompt calls have cost so far,
// failed ones included.
func (e *LocalEngine) Spent() dspy.Usage {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.spent
}

func (e *LocalEngine) spend(u dspy.Usage) {
	e.mu.Lock()
	e.spent = e.spent.Add(u)
	e.mu.Unlock()
}

// overBudget names the cap the spending has reached, or returns "".
func (e *LocalEngine) overBudget() string { return e.opts.Budget.Exceeded(e.Spent()) }

// Run runs the candidate on every example, at most Concurrency at a time,
// and returns the outcomes in the order of the examples. Once the budget is
// spent it starts no more examples and, if any were left, returns a
// BudgetStop error after the running ones finish.
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
	if e.opts.Embedder != nil {
		runCtx = dspy.WithEmbedder(runCtx, e.opts.Embedder)
	}
	if batch.Temperature != nil || batch.Rollout != 0 {
		runCtx = dspy.WithCallOptions(runCtx, dspy.CallOptions{Temperature: batch.Temperature, Rollout: batch.Rollout})
	}
	if batch.Precedence != dspy.PrecedenceNormal {
		runCtx = dspy.WithPrecedence(runCtx, batch.Precedence)
	}

	outcomes := make([]Outcome, len(batch.Examples))
	errs := make([]error, len(batch.Examples))
	sem := make(chan struct{}, e.opts.Concurrency)
	var wg sync.WaitGroup
	var budgetReason string
	for i := range batch.Examples {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		if budgetReason = e.overBudget(); budgetReason != "" {
			<-sem
			break
		}
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
			e.spend(outcomes[i].Usage)
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
	if budgetReason != "" {
		return nil, fmt.Errorf("run %s: %w", batch.Label, BudgetStop(budgetReason))
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
// fails the example, not the batch. The outcome's usage counts every LM call
// the program made, whether the example succeeded or not.
func (e *LocalEngine) runOne(ctx context.Context, inst instance, ex dspy.Example, id int, trace bool) (out Outcome, runErr error) {
	out = Outcome{ID: id}
	var pred dspy.Prediction
	progCtx, usage := dspy.TrackUsage(ctx)
	defer func() {
		if v := recover(); v != nil {
			out.Error = fmt.Sprintf("panic: %v\n%s", v, debug.Stack())
			out.Score = e.opts.FailureScore
			runErr = errors.New(out.Error)
		}
		out.Usage = usage.Settle(pred)
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
		progCtx = dspy.WithTrace(progCtx, t)
	}
	pred, err = dspy.CallProgram(progCtx, inst.program, inputs)
	if err != nil {
		return fail(err)
	}
	out.Prediction = pred.Example
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
// returns every completion's output fields. Its cost counts against the
// budget whether it succeeds or not; once the budget is spent it returns a
// BudgetStop error without calling the model.
func (e *LocalEngine) Prompt(ctx context.Context, call PromptCall) ([]dspy.Example, error) {
	if e.opts.PromptLM == nil {
		return nil, fmt.Errorf("prompt %s: no prompt model: set LocalOptions.PromptLM or TaskLM", call.name())
	}
	if reason := e.overBudget(); reason != "" {
		return nil, fmt.Errorf("prompt %s: %w", call.name(), BudgetStop(reason))
	}
	ctx, usage := dspy.TrackUsage(ctx)
	outs, err := Prompt(ctx, e.opts.PromptLM, call)
	e.spend(usage.Usage())
	return outs, err
}

// Checkpoint reports progress, hands the checkpoint to OnCheckpoint, then
// returns a BudgetStop error if the budget is spent.
func (e *LocalEngine) Checkpoint(ctx context.Context, cp Checkpoint) error {
	e.trials.observe(ctx, cp.Progress)
	if e.opts.OnProgress != nil {
		e.opts.OnProgress(cp.Progress)
	}
	if e.opts.OnCheckpoint != nil {
		if err := e.opts.OnCheckpoint(ctx, cp); err != nil {
			return err
		}
	}
	if reason := e.overBudget(); reason != "" {
		return BudgetStop(reason)
	}
	return nil
}

// Parallel reports whether Fork runs its calls on goroutines: yes, unless
// a budget caps the spending, which the sequential order stops in time.
func (e *LocalEngine) Parallel() bool { return e.opts.Budget == (Budget{}) }

// Legacy reports false: an in-process run has no history to keep.
func (e *LocalEngine) Legacy() bool { return false }

// Fork calls fn for every i on its own goroutine and after(i) on the
// caller's, in order, as the calls finish. Each call's batches keep their
// own Concurrency bound, so forked work may have up to n times Concurrency
// examples in flight; an LM client's MaxConcurrency bounds them all.
func (e *LocalEngine) Fork(ctx context.Context, n int, fn func(ctx context.Context, eng Engine, i int) error, after func(i int) error) error {
	// A graph without edges starts every call at once.
	return e.ForkGraph(ctx, n, make([][]int, n), fn, after)
}

// Speculative reports true: an in-process run may prepare work ahead
// whenever it forks.
func (e *LocalEngine) Speculative() bool { return true }
