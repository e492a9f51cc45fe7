package workflows

import (
	"context"

	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

var (
	_ optimize.ParallelEngine = (*temporalEngine)(nil)
	_ optimize.TrialForker    = (*temporalEngine)(nil)
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
)

// schedule is the run's level of the parallel schedule: the newest for a
// new run, the recorded one for a run that replays.
func (e *temporalEngine) schedule() workflow.Version {
	return workflow.GetVersion(e.ctx, versionParallelSchedule, workflow.DefaultVersion, scheduleForksTrials)
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

// Fork runs each call in a workflow coroutine of its own, with an engine
// bound to that coroutine's context so its activities block only it, and
// calls after(i) in order on the caller's coroutine as the calls finish.
// Coroutines run one at a time in a fixed order, so the commands they issue
// replay deterministically.
func (e *temporalEngine) Fork(ctx context.Context, n int, fn func(ctx context.Context, eng optimize.Engine, i int) error, after func(i int) error) error {
	finished := make([]workflow.Future, n)
	for i := range n {
		future, settable := workflow.NewFuture(e.ctx)
		finished[i] = future
		workflow.Go(e.ctx, func(wctx workflow.Context) {
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
		}
	}
	return err
}
