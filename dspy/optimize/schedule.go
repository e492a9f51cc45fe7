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
	// Fork calls fn for i from 0 to n-1 at the same time, each with the engine
	// to use inside it, waits for all of them and returns their errors by i.
	// fn must not call Checkpoint: boundaries belong to the optimizer's own
	// loop, which checkpoints after Fork returns.
	Fork(ctx context.Context, n int, fn func(ctx context.Context, e Engine, i int) error) []error
}

// Sequential returns engine without its parallel schedule: optimizers given
// it run every piece of work one after another, as DSPy does. It exists to
// compare the two schedules, which must produce the same program, the same
// scores and the same LM requests.
func Sequential(engine Engine) Engine { return sequentialEngine{engine} }

// sequentialEngine hides the wrapped engine's Fork by embedding only Engine.
type sequentialEngine struct{ Engine }

// forEach runs work for every i in [0, n) and then done for each i in order.
// On a parallel engine all the work runs at once and each done follows after
// it all; otherwise work and done alternate, exactly as a sequential loop,
// so a durable run started before the parallel schedule replays its commands
// in the recorded order. When work(j) fails, done runs for every i < j first,
// as the sequential loop would have, and then the error is returned. A done
// error ends the loop.
func forEach(ctx context.Context, engine Engine, n int, work func(ctx context.Context, e Engine, i int) error, done func(i int) error) error {
	if pe, ok := engine.(ParallelEngine); ok && n > 1 && isParallel(pe) {
		errs := pe.Fork(ctx, n, work)
		for i, err := range errs {
			if err != nil {
				return err
			}
			if err := done(i); err != nil {
				return err
			}
		}
		return nil
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
