package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// temporalEngine runs an optimizer's work as activities. It is used from
// inside a workflow: the optimizer calls it synchronously from the workflow's
// coroutine and it blocks on futures, so the optimizer's code runs
// deterministically on replay while its batches fan out to workers.
//
// The context.Context the optimizer passes is ignored: workflow code must
// block on the workflow.Context, whose cancellation Temporal controls.
type temporalEngine struct {
	ctx  workflow.Context
	exec Execution
	// run holds what activities need to know about the program and metric.
	program      activities.ProgramRef
	metric       string
	label        string
	failureScore float64
	inputKeys    []string
	ctl          *control
	budget       Budget
	// outageLimit is how long an LM outage may last before the run pauses
	// itself; zero retries without limit.
	outageLimit time.Duration
	// trials records a span per trial the optimizer reports.
	trials *optimize.TrialSpans
}

var _ optimize.Engine = (*temporalEngine)(nil)

// errContinueAsNew unwinds the optimizer so the workflow can continue as new
// with the checkpoint it carries.
type errContinueAsNew struct{ cp optimize.Checkpoint }

func (e *errContinueAsNew) Error() string { return "continue as new" }

func (e *temporalEngine) batchOptions(ctx workflow.Context, summary string, maxAttempts int32) workflow.Context {
	return activityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: e.exec.ActivityTimeout,
		HeartbeatTimeout:    e.exec.HeartbeatTimeout,
		Summary:             summary,
	}, maxAttempts, activities.ErrTypeConfig)
}

// startBatch schedules one batch activity. Under an outage limit it runs in
// a coroutine of its own, so each batch waits out an outage, and keeps what
// it finished, independently of the others.
func (e *temporalEngine) startBatch(summary string, in activities.RunBatchInput) workflow.Future {
	if e.outageLimit <= 0 {
		return workflow.ExecuteActivity(e.batchOptions(e.ctx, summary, 0), activities.RunBatchName, in)
	}
	future, settable := workflow.NewFuture(e.ctx)
	workflow.Go(e.ctx, func(ctx workflow.Context) {
		var out activities.RunBatchOutput
		err := e.withOutageLimit(ctx, func(ctx workflow.Context, attempts int32) error {
			return workflow.ExecuteActivity(e.batchOptions(ctx, summary, attempts), activities.RunBatchName, in).Get(ctx, &out)
		}, func(err error) {
			var appErr *temporal.ApplicationError
			var done []optimize.Outcome
			if errors.As(err, &appErr) && appErr.HasDetails() && appErr.Details(&done) == nil {
				in.Done = done
			}
		})
		settable.Set(out, err)
	})
	return future
}

// Run splits the batch into activity-sized chunks, runs them with at most
// MaxParallelActivities in flight, and joins the outcomes in order. Once the
// budget is spent it starts no more chunks: it waits for those in flight,
// counts what they spent and returns a budget stop.
func (e *temporalEngine) Run(_ context.Context, b optimize.Batch) ([]optimize.Outcome, error) {
	size := e.exec.BatchSize
	type pending struct {
		future workflow.Future
		from   int
	}
	var chunks []pending
	outcomes := make([]optimize.Outcome, len(b.Examples))
	window := e.exec.MaxParallelActivities
	collect := func(p pending) error {
		var out activities.RunBatchOutput
		if err := p.future.Get(e.ctx, &out); err != nil {
			return err
		}
		copy(outcomes[p.from:], out.Outcomes)
		for _, o := range out.Outcomes {
			e.ctl.spend(o.Usage)
		}
		e.ctl.spend(out.Discarded)
		return nil
	}
	collected := 0
	collectNext := func() error {
		collected++
		return collect(chunks[collected-1])
	}
	for from := 0; from < len(b.Examples); from += size {
		to := min(from+size, len(b.Examples))
		if len(chunks) >= window {
			if err := collectNext(); err != nil {
				return nil, err
			}
		}
		if reason := e.refuseWork(); reason != "" {
			// Count what is in flight, then start nothing more.
			for collected < len(chunks) {
				_ = collectNext()
			}
			return nil, e.budgetStop(reason)
		}
		// The chunk keeps the batch's Precedence, which the activity gives
		// its LM calls. Histories recorded before the field existed still
		// replay: a replay matches each activity by its type and ID, never
		// by its input, and the field is omitted when normal.
		chunk := b
		chunk.Examples = b.Examples[from:to]
		chunk.IDs = b.IDs[from:to]
		chunk.RecordCalls = *e.exec.RecordLMCalls
		summary := fmt.Sprintf("%s · examples %s", labelOr(b.Label, "batch"), idRange(chunk.IDs))
		f := e.startBatch(summary, activities.RunBatchInput{
			Program: e.program, Metric: e.metric, Label: e.label, FailureScore: e.failureScore, InputKeys: e.inputKeys, Batch: chunk,
		})
		chunks = append(chunks, pending{future: f, from: from})
	}
	for collected < len(chunks) {
		if err := collectNext(); err != nil {
			return nil, err
		}
	}
	return outcomes, nil
}

// Prompt runs one prompt-model call as its own activity. The activity makes a
// single LM call, so Temporal's retry policy is its only retrier.
func (e *temporalEngine) Prompt(_ context.Context, call optimize.PromptCall) ([]dspy.Example, error) {
	if reason := e.refuseWork(); reason != "" {
		return nil, e.budgetStop(reason)
	}
	opts := workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time60s,
		// The activity heartbeats while its call is in flight, so a dead
		// worker's call is retried after this, not after the time limit.
		HeartbeatTimeout: e.exec.HeartbeatTimeout,
		Summary:          labelOr(call.Label, "prompt model call"),
	}
	var out activities.PromptOutput
	if err := e.singleCall(opts, activities.PromptName, activities.PromptInput{Call: call}, &out); err != nil {
		e.ctl.spend(activities.UsageOfError(err))
		return nil, err
	}
	e.ctl.spend(out.Usage)
	return out.Outputs, nil
}

// promptAttempts bounds a prompt call's attempts when no outage limit does.
const promptAttempts = 20

// Checkpoint publishes progress, then applies what the user asked for since
// the last one (pause, stop), enforces the budget, and continues as new when
// history has grown large.
func (e *temporalEngine) Checkpoint(_ context.Context, cp optimize.Checkpoint) error {
	e.ctl.checkpoint(e.ctx, cp)
	e.traceTrials(cp.Progress)
	if e.ctl.paused && !e.ctl.stopRequested {
		e.ctl.setState(e.ctx, "paused")
		if err := workflow.Await(e.ctx, func() bool { return !e.ctl.paused || e.ctl.stopRequested }); err != nil {
			return err
		}
		e.ctl.setState(e.ctx, "running")
	}
	if e.ctl.stopRequested {
		return fmt.Errorf("%w: stop requested", optimize.ErrStop)
	}
	if reason := e.ctl.overBudget(e.budget); reason != "" {
		return e.budgetStop(reason)
	}
	info := workflow.GetInfo(e.ctx)
	if info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= e.exec.ContinueAsNewEvents {
		return &errContinueAsNew{cp: cp}
	}
	return nil
}

func labelOr(label, fallback string) string {
	if label == "" {
		return fallback
	}
	return label
}

// idRange renders example IDs compactly: "3-22" when contiguous, else "3,7,9…".
func idRange(ids []int) string {
	if len(ids) == 0 {
		return "none"
	}
	contiguous := true
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]+1 {
			contiguous = false
			break
		}
	}
	if contiguous {
		if len(ids) == 1 {
			return fmt.Sprint(ids[0])
		}
		return fmt.Sprintf("%d-%d", ids[0], ids[len(ids)-1])
	}
	s := ""
	for i, id := range ids {
		if i == 6 {
			return s + fmt.Sprintf(",… (%d)", len(ids))
		}
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(id)
	}
	return s
}

// isContinueAsNew extracts the checkpoint an unwinding optimizer carried.
func isContinueAsNew(err error) (optimize.Checkpoint, bool) {
	var can *errContinueAsNew
	if errors.As(err, &can) {
		return can.cp, true
	}
	return optimize.Checkpoint{}, false
}

// singleCall runs one activity that makes a single LM or embedding call,
// whose only retrier is Temporal's policy: a bounded number of attempts, or,
// under an outage limit, attempts until the outage lasts too long. Bad
// configuration and bad requests are not retried.
func (e *temporalEngine) singleCall(opts workflow.ActivityOptions, activity string, input, out any) error {
	attempt := func(ctx workflow.Context, attempts int32) error {
		ctx = activityOptions(ctx, opts, attempts, activities.ErrTypeConfig, activities.ErrTypeBadRequest)
		return workflow.ExecuteActivity(ctx, activity, input).Get(ctx, out)
	}
	if e.outageLimit <= 0 {
		return attempt(e.ctx, promptAttempts)
	}
	return e.withOutageLimit(e.ctx, attempt, nil)
}
