package optimize

import (
	"context"
	"fmt"
)

// ParallelEngine is an Engine that can run independent pieces of an
// optimizer's work at the same time: the demo sets of several seeds, the
// instruction proposals of several candidates. Optimizers find it with a type
// assertion; on an engine without it they run the same pieces one after the
// other, and the result is the same either way, since no piece depends on
// another's outcome and the engine returns every outcome in request order.
type ParallelEngine interface {
	Engine
	// Parallel reports whether Fork runs its calls at the same time. An
	// engine with a budget says no, so a run stops where the budget runs out
	// as the sequential run would, having started no work past it.
	Parallel() bool
	// Legacy reports whether the run started before the parallel schedule
	// existed (a durable run replaying its history): its optimizer must then
	// fork nothing and keep the batches it had, such as the bootstrap's.
	Legacy() bool
	// Fork calls fn for i from 0 to n-1 at the same time, each with the
	// engine to use inside it. As soon as the calls up to i have returned,
	// it calls after(i), in order of i, from the caller's own goroutine (or
	// workflow coroutine), where the optimizer may checkpoint. It stops
	// calling after at the first error, of fn or of after, waits for every
	// call still running and returns that error. fn must not call
	// Checkpoint.
	Fork(ctx context.Context, n int, fn func(ctx context.Context, e Engine, i int) error, after func(i int) error) error
}

// TrialForker is an optional interface of a ParallelEngine whose runs must
// replay a recorded history. ForkTrials reports whether the run may also
// evaluate search trials that no earlier score guides at once (MIPROv2's
// startup trials): a durable run recorded while its search was sequential
// says no and keeps its one-at-a-time trials. A ParallelEngine without it
// forks them whenever it runs forks in parallel.
type TrialForker interface {
	ForkTrials() bool
}

// GraphForker is an optional interface of a ParallelEngine that starts each
// forked call as soon as the calls it depends on have returned, rather than
// all at once: an optimizer then runs a whole graph of work (MIPROv2's demo
// sets, the proposals grounded in them, the trials built from both) in one
// fork, each piece starting when what it needs is there, with no phase
// waiting for the slowest piece of the one before.
type GraphForker interface {
	// ForksGraph reports whether the run may fork graphs: a durable run
	// recorded before they existed says no and keeps the forks it had.
	ForksGraph() bool
	// ForkGraph is Fork in which call i starts only once every call deps[i]
	// names (each below i) has returned without error. A call whose
	// dependency failed is not made, and once the fork has stopped at an
	// error no further call starts; after runs as in Fork, in order of i on
	// the caller's own goroutine (or workflow coroutine), where the
	// optimizer may checkpoint. fn must not call Checkpoint.
	ForkGraph(ctx context.Context, n int, deps [][]int, fn func(ctx context.Context, e Engine, i int) error, after func(i int) error) error
}

// CheckGraph checks, for a GraphForker, that deps gives each of n calls
// dependencies among the calls before it, so the graph runs in order.
func CheckGraph(n int, deps [][]int) error {
	if len(deps) != n {
		return fmt.Errorf("optimize: fork graph: %d dependency lists for %d calls", len(deps), n)
	}
	for i, ds := range deps {
		for _, d := range ds {
			if d < 0 || d >= i {
				return fmt.Errorf("optimize: fork graph: call %d depends on call %d, which is not before it", i, d)
			}
		}
	}
	return nil
}

// Sequential returns engine without its parallel schedule: optimizers given
// it run every piece of work one after another, as DSPy does. It exists to
// compare the two schedules, which must produce the same program, the same
// scores and the same LM requests.
func Sequential(engine Engine) Engine { return sequentialEngine{engine} }

// sequentialEngine hides the wrapped engine's Fork and ForkGraph by
// embedding only Engine.
type sequentialEngine struct{ Engine }

// forEach runs work for every i in [0, n) and done for each i in order,
// each done once the work up to i has finished. On a parallel engine all the
// work runs at once; otherwise work and done alternate, exactly as a
// sequential loop, so a durable run started before the parallel schedule
// replays its commands in the recorded order. Either way, when work(j)
// fails, done has run for every i < j, as the sequential loop would have,
// and the error is returned; a done error ends the loop.
func forEach(ctx context.Context, engine Engine, n int, work func(ctx context.Context, e Engine, i int) error, done func(i int) error) error {
	if pe, ok := engine.(ParallelEngine); ok && n > 1 && isParallel(pe) {
		return pe.Fork(ctx, n, work, done)
	}
	for i := range n {
		if err := work(ctx, engine, i); err != nil {
			return err
		}
		if err := done(i); err != nil {
			return err
		}
	}
	return nil
}

// isParallel reports whether engine runs forked work at the same time.
func isParallel(engine Engine) bool {
	pe, ok := engine.(ParallelEngine)
	return ok && !pe.Legacy() && pe.Parallel()
}

// legacySchedule reports whether engine runs a durable run started before
// the parallel schedule: its batches must stay the ones its history recorded.
func legacySchedule(engine Engine) bool {
	pe, ok := engine.(ParallelEngine)
	return ok && pe.Legacy()
}

// forkTrials reports whether engine evaluates independent search trials at
// once: a parallel engine that, when it replays histories, says it may.
func forkTrials(engine Engine) bool {
	if !isParallel(engine) {
		return false
	}
	tf, ok := engine.(TrialForker)
	return !ok || tf.ForkTrials()
}

// graphForker returns engine's GraphForker when the run forks graphs: a
// parallel engine that has one and, when it replays histories, may use it.
func graphForker(engine Engine) (GraphForker, bool) {
	if !isParallel(engine) {
		return nil, false
	}
	gf, ok := engine.(GraphForker)
	return gf, ok && gf.ForksGraph()
}
