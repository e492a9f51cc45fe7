package evaluate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// Evaluate runs program on every example of devset, at most
// opts.Concurrency at a time, and scores each prediction with metric. The
// program receives only the example's inputs (Example.Inputs), as in DSPy, so
// every example must have its input keys marked.
//
// A failed example is scored opts.FailureScore and counted, never dropped.
// The run stops early when opts.MaxErrors examples have failed (returning a
// *MaxErrorsError), when opts.StopOn accepts a failure (returning that
// failure), or when ctx is done (returning ctx.Err()); examples in flight are
// cancelled through their context. On such an error the Result still
// describes the examples that finished, in devset order, so a caller can
// report or checkpoint them; its totals cover those examples only.
func Evaluate(ctx context.Context, program dspy.Module, devset []dspy.Example, metric Metric, opts Options) (Result, error) {
	if program == nil {
		return Result{}, errors.New("evaluate: nil program")
	}
	if metric == nil {
		return Result{}, errors.New("evaluate: nil metric; pass one such as evaluate.ExactMatch(\"answer\")")
	}
	if len(devset) == 0 {
		return Result{}, errors.New("evaluate: empty devset")
	}
	// Checked up front: otherwise every example would fail the same way and
	// the run would stop at MaxErrors with a less direct message.
	for i, ex := range devset {
		if ex.InputKeys() == nil {
			return Result{}, fmt.Errorf("evaluate: example %d has no input keys; mark them with WithInputs(\"question\", ...) or pass the input keys to the dataset loader", i)
		}
	}

	start := time.Now()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &run{
		ctx:       runCtx,
		cancel:    cancel,
		program:   program,
		metric:    metric,
		devset:    devset,
		opts:      opts,
		maxErrors: opts.maxErrors(),
		results:   make([]ExampleResult, len(devset)),
		finished:  make([]bool, len(devset)),
	}
	// Workers poll an atomic flag rather than runCtx.Err(), which takes a lock;
	// AfterFunc raises the flag when the caller cancels.
	defer context.AfterFunc(runCtx, func() { r.stopped.Store(true) })()
	r.progress = startProgress(opts, len(devset))

	workers := min(opts.concurrency(), len(devset))
	var wg sync.WaitGroup
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			r.work()
		}()
	}
	wg.Wait()
	r.progress.stop()

	done := r.results
	if n := countTrue(r.finished); n < len(devset) {
		done = make([]ExampleResult, 0, n)
		for i, ok := range r.finished {
			if ok {
				done = append(done, r.results[i])
			}
		}
	}
	stopErr := r.stopError()
	// A cancellation that came after the last example finished spoiled nothing.
	if stopErr == nil && len(done) < len(devset) {
		stopErr = fmt.Errorf("evaluate: %w", ctx.Err())
	}
	return summarize(done, time.Since(start)), stopErr
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// run is the shared state of one Evaluate call. Each example index is claimed
// by exactly one worker, which alone writes results[i] and finished[i], so
// those need no lock; the rest is atomic or guarded by mu on the rare
// failure path.
type run struct {
	ctx       context.Context
	cancel    context.CancelFunc
	program   dspy.Module
	metric    Metric
	devset    []dspy.Example
	opts      Options
	maxErrors int
	progress  *progress

	next     atomic.Int64
	failures atomic.Int64
	stopped  atomic.Bool
	results  []ExampleResult
	finished []bool

	mu         sync.Mutex
	stopErr    error
	firstErr   error
	firstIndex int
}

func (r *run) work() {
	n := int64(len(r.devset))
	for !r.stopped.Load() {
		i := r.next.Add(1) - 1
		if i >= n {
			return
		}
		res := r.runOne(int(i))
		if res.Err != nil && !r.recordFailure(res) {
			return // a stop cut this example short; it is not a result
		}
		r.results[i] = res
		r.finished[i] = true
		r.progress.add(res.Score)
		if r.opts.OnResult != nil {
			r.opts.OnResult(res)
		}
		if res.Err != nil {
			r.checkMaxErrors()
		}
	}
}

// runOne runs and scores one example. A panic in the program or the metric
// fails the example instead of the process: one bad input must not lose an
// hour of evaluation. The result's usage counts every LM call the program
// made, a failed example's included.
func (r *run) runOne(i int) (res ExampleResult) {
	ex := r.devset[i]
	res = ExampleResult{Index: i, Example: ex}
	var pred dspy.Prediction
	progCtx, usage := dspy.TrackUsage(r.ctx)
	defer func() {
		if v := recover(); v != nil {
			r.fail(&res, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
		}
		res.Usage = usage.Settle(pred)
	}()
	inputs, err := ex.Inputs()
	if err != nil {
		r.fail(&res, err)
		return res
	}
	pred, err = dspy.CallProgram(progCtx, r.program, inputs)
	if err != nil {
		r.fail(&res, err)
		return res
	}
	res.Prediction = pred
	s, err := r.metric(r.ctx, ex, pred, nil)
	if err == nil && math.IsNaN(s.Value) {
		err = errors.New("metric returned NaN")
	}
	if err != nil {
		r.fail(&res, fmt.Errorf("metric: %w", err))
		return res
	}
	res.Score = s.Value
	res.Feedback = s.Feedback
	return res
}

func (r *run) fail(res *ExampleResult, err error) {
	res.Err = err
	res.Error = err.Error()
	res.Score = r.opts.FailureScore
	var pe *dspy.ParseError
	if errors.As(err, &pe) {
		res.Raw = pe.Raw
	}
}

// recordFailure decides what a failure means. It returns false when the
// failure must not be recorded: the run is stopping (the example most likely
// failed because it was cancelled) or StopOn turned it into the run's error.
func (r *run) recordFailure(res ExampleResult) bool {
	if r.stopped.Load() || r.ctx.Err() != nil {
		return false
	}
	if r.opts.StopOn != nil && r.opts.StopOn(res.Err) {
		r.stop(fmt.Errorf("evaluate: example %d: %w", res.Index, res.Err))
		return false
	}
	r.mu.Lock()
	if r.firstErr == nil {
		r.firstErr, r.firstIndex = res.Err, res.Index
	}
	r.mu.Unlock()
	return true
}

func (r *run) checkMaxErrors() {
	failed := r.failures.Add(1)
	if r.maxErrors > 0 && failed >= int64(r.maxErrors) {
		r.mu.Lock()
		first, firstIndex := r.firstErr, r.firstIndex
		r.mu.Unlock()
		r.stop(&MaxErrorsError{Failed: int(failed), Limit: r.maxErrors, Total: len(r.devset), FirstIndex: firstIndex, First: first})
	}
}

// stop ends the run with err, unless it already ended, and cancels the
// examples in flight.
func (r *run) stop(err error) {
	r.mu.Lock()
	if r.stopErr == nil {
		r.stopErr = err
	}
	r.mu.Unlock()
	r.stopped.Store(true)
	r.cancel()
}

func (r *run) stopError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopErr
}
