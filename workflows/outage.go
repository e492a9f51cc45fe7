package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// DefaultMaxOutage is how long an LM outage may last before a run pauses
// itself, when Execution.MaxOutage is zero.
const DefaultMaxOutage = 10 * time.Minute

// outageChangeID marks, in history, runs that bound LM outages. Runs
// recorded before it retried batches without limit and failed a prompt call
// after its twentieth attempt; they replay that way.
const outageChangeID = "outage-limit"

// outageUnpauseChangeID marks, in history, runs in which an attempt that
// began before the user unpaused the run, and failed, was scheduled again
// instead of pausing the run anew. Runs recorded before paused again, and
// replay that way.
const outageUnpauseChangeID = "outage-attempt-before-unpause"

// outageLimit is how long this run lets an LM outage last before pausing,
// or zero for no limit: the run predates the limit, or it was turned off.
func outageLimit(ctx workflow.Context, exec Execution) time.Duration {
	if workflow.GetVersion(ctx, outageChangeID, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return 0
	}
	return max(exec.MaxOutage, 0)
}

// Retry backoff of batch and prompt activities.
const (
	retryInitial     = time1s
	retryCoefficient = 2
	retryMaximum     = time30s
)

// attemptsWithin is how many attempts the activities' retry backoff makes
// before its waits add up to d, at least two. Attempts take time of their
// own, so the attempts last at least d; the workflow checks the clock
// after them.
func attemptsWithin(d time.Duration) int32 {
	attempts := int32(1)
	wait, total := retryInitial, time.Duration(0)
	for total < d {
		total += wait
		wait = min(wait*retryCoefficient, retryMaximum)
		attempts++
	}
	return max(attempts, 2)
}

// withOutageLimit runs an activity through attempt, which executes it with at
// most the attempts it is given and waits for it. While the activity fails
// because the LM is unavailable, it schedules it again until the outage has
// lasted e.outageLimit by workflow time; then it pauses the run, naming the
// outage, and after "unpause" begins again. onOutage sees each outage
// failure first, to keep what the attempts finished.
func (e *temporalEngine) withOutageLimit(ctx workflow.Context, attempt func(workflow.Context, int32) error, onOutage func(error)) error {
	var since time.Time
	for {
		start := workflow.Now(ctx)
		if since.IsZero() {
			since = start
		}
		err := attempt(ctx, attemptsWithin(e.outageLimit-start.Sub(since)))
		if err == nil || !activities.IsLMOutage(err) {
			return err
		}
		if onOutage != nil {
			onOutage(err)
		}
		// An attempt that was failing while the run sat paused, and fails
		// now that it was unpaused, counts its outage from the unpause: the
		// user just said to try again.
		if e.ctl.resumedAt.After(since) {
			since = e.ctl.resumedAt
		}
		if workflow.Now(ctx).Sub(since) < e.outageLimit {
			continue
		}
		// An attempt that began before the user unpaused the run failed
		// for the outage already waited out, even when it is seen only now
		// (its result came in with the unpause, before the coroutine that
		// paused the run woke to set resumedAt): try again rather than
		// pause the run the user just unpaused.
		if start.Before(e.ctl.unpausedAt) && workflow.GetVersion(ctx, outageUnpauseChangeID, workflow.DefaultVersion, 1) != workflow.DefaultVersion {
			since = e.ctl.unpausedAt
			continue
		}
		if err := e.ctl.waitOutOutage(ctx, outageReason(err), since); err != nil {
			return err
		}
		since = time.Time{}
	}
}

// outageReason is the activity's own one-line account of the outage.
func outageReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}

// waitOutOutage pauses the run for an LM outage and waits for "unpause".
// Several activities meeting the same outage share one pause, named by the
// first. A stop requested meanwhile ends the wait with ErrStop.
func (c *control) waitOutOutage(ctx workflow.Context, reason string, since time.Time) error {
	if !c.paused || c.pauseReason == "" {
		c.paused, c.pauseReason, c.outageSince = true, reason, since
		workflow.GetLogger(ctx).Warn("pausing: the LM outage outlasted the limit", "reason", reason, "since", since)
		c.setState(ctx, "paused")
	}
	if err := workflow.Await(ctx, func() bool { return !c.paused || c.stopRequested }); err != nil {
		return err
	}
	if c.stopRequested {
		return fmt.Errorf("%w: stop requested while paused: %s", optimize.ErrStop, reason)
	}
	if now := workflow.Now(ctx); now.After(c.resumedAt) {
		c.resumedAt = now
	}
	if c.status.State == "paused" {
		c.pauseReason = ""
		c.setState(ctx, "running")
	}
	return nil
}

// activityOptions are a batch or prompt activity's options with a retry
// policy making at most maxAttempts attempts (0: no limit).
func activityOptions(ctx workflow.Context, opts workflow.ActivityOptions, maxAttempts int32, nonRetryable ...string) workflow.Context {
	opts.RetryPolicy = &temporal.RetryPolicy{
		InitialInterval:        retryInitial,
		BackoffCoefficient:     retryCoefficient,
		MaximumInterval:        retryMaximum,
		MaximumAttempts:        maxAttempts,
		NonRetryableErrorTypes: nonRetryable,
	}
	return workflow.WithActivityOptions(ctx, opts)
}
