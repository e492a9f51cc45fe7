package optimize

import "context"

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

// Sequential returns engine without its parallel schedule: optimizers given
// it run every piece of work one after another, as DSPy does. It exists to
// compare the two schedules, which must produce the same program, the same
// scores and the same LM requests.
func Sequential(engine Engine) Engine { return sequentialEngine{engine} }

// sequentialEngine hides the wrapped engine's Fork by embedding only Engine.
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
