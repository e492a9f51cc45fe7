package workflows

import (
	"context"
	"errors"

	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

var (
	_ optimize.ParallelEngine = (*temporalEngine)(nil)
	_ optimize.TrialForker    = (*temporalEngine)(nil)
	_ optimize.GraphForker    = (*temporalEngine)(nil)
)

// versionParallelSchedule marks runs whose optimizer forks independent work
// into coroutines at once; runs started before keep their one-at-a-time
// order of activities when they replay. Its versions are the schedule's
// levels, each forking more than the one before.
const versionParallelSchedule = "parallel-schedule"

const (
	// scheduleForks forks demo sets, summaries, baselines, proposals and
	// candidates; search trials run one at a time.
	scheduleForks workflow.Version = 1
	// scheduleForksTrials also forks MIPROv2's search trials that no score
	// guides.
	scheduleForksTrials workflow.Version = 2
	// scheduleForksGraph also forks graphs: MIPROv2 starts its proposals'
	// descriptions and its unguided trials while the dataset summary is
	// still being made, each as soon as what it needs is there.
	scheduleForksGraph workflow.Version = 3
)

// schedule is the run's level of the parallel schedule: the newest for a
// new run, the recorded one for a run that replays.
func (e *temporalEngine) schedule() workflow.Version {
	return workflow.GetVersion(e.ctx, versionParallelSchedule, workflow.DefaultVersion, scheduleForksGraph)
}

// Parallel reports whether this run forks: yes unless a budget caps it,
// which the sequential order stops in time.
func (e *temporalEngine) Parallel() bool { return e.budget == (optimize.Budget{}) }

// Legacy reports whether the run started before the parallel schedule
// existed. The version is asked only when an optimizer would fork or size a
// bootstrap batch, so runs of optimizers that do neither record no marker.
func (e *temporalEngine) Legacy() bool { return e.schedule() < scheduleForks }

// ForkTrials reports whether the run started once search trials forked. It
// is asked only where a search would fork them, after Legacy fixed the
// version, so it records no marker of its own.
func (e *temporalEngine) ForkTrials() bool { return e.schedule() >= scheduleForksTrials }

// ForksGraph reports whether the run started once graphs forked. Like
// ForkTrials it is asked after Legacy fixed the version.
func (e *temporalEngine) ForksGraph() bool { return e.schedule() >= scheduleForksGraph }

// Fork runs each call in a workflow coroutine of its own, with an engine
// bound to that coroutine's context so its activities block only it, and
// calls after(i) in order on the caller's coroutine as the calls finish.
// Coroutines run one at a time in a fixed order, so the commands they issue
// replay deterministically.
func (e *temporalEngine) Fork(ctx context.Context, n int, fn func(ctx context.Context, eng optimize.Engine, i int) error, after func(i int) error) error {
	// A graph without edges starts every coroutine at once, and each runs
	// up to its first activity before the caller takes any result, so the
	// commands are those of the forks recorded before graphs existed.
	return e.ForkGraph(ctx, n, make([][]int, n), fn, after)
}

// ForkGraph is Fork whose coroutine i first waits for the calls deps[i]
// names; it does not call fn when one of them failed or the fork has
// stopped. Which coroutine runs when follows the history, so a replay waits
// and starts alike.
func (e *temporalEngine) ForkGraph(ctx context.Context, n int, deps [][]int, fn func(ctx context.Context, eng optimize.Engine, i int) error, after func(i int) error) error {
	if err := optimize.CheckGraph(n, deps); err != nil {
		return err
	}
	finished := make([]workflow.Future, n)
	stopped := false
	for i := range n {
		future, settable := workflow.NewFuture(e.ctx)
		finished[i] = future
		workflow.Go(e.ctx, func(wctx workflow.Context) {
			for _, d := range deps[i] {
				if err := finished[d].Get(wctx, nil); err != nil {
					settable.SetError(err)
					return
				}
			}
			if stopped {
				settable.SetError(errForkStopped)
				return
			}
			child := *e
			child.ctx = wctx
			settable.SetError(fn(ctx, &child, i))
		})
	}
	var err error
	for i := range n {
		callErr := finished[i].Get(e.ctx, nil)
		if err == nil {
			if err = callErr; err == nil {
				err = after(i)
			}
			stopped = err != nil
		}
	}
	return err
}

// errForkStopped is what a graph's call that was never made returns: the
// fork had already stopped at an earlier call's error, which it returns.
var errForkStopped = errors.New("fork stopped before this call started")
