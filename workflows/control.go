package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

const (
	time1s      = time.Second
	time30s     = 30 * time.Second
	time60s     = time.Minute
	fiveMinutes = 5 * time.Minute
)

// control is an optimization's live state: what it spent, how far it is, and
// what the user asked for through updates. Handlers only flip fields; the
// optimizer acts on them at its next checkpoint, so a stop or pause never
// lands in the middle of a batch.
type control struct {
	status        Status
	paused        bool
	stopRequested bool
	stopReason    string
	spent         dspy.Usage
	lastCP        *optimize.Checkpoint
	// baseline is the starting program's score, shown once the run has one.
	baseline *float64
	// pauseReason and outageSince say why the run paused itself, while it
	// waits out an LM outage.
	pauseReason string
	outageSince time.Time
	// resumedAt is when the run last left an outage pause: an outage a
	// batch met before then was already waited out, not still going on.
	resumedAt time.Time
	// unpausedAt is when the user last unpaused the run. It is set by the
	// handler itself, before any coroutine waiting in the pause has run
	// again to set resumedAt.
	unpausedAt time.Time
}

func newControl(in OptimizeInput) *control {
	c := &control{}
	c.status = Status{Optimizer: in.Optimizer, Program: in.Program.String(), State: "running", Budget: in.Budget}
	if in.Carry != nil {
		c.spent = in.Carry.Spent
		c.status.Progress = in.Carry.Progress
		c.status.Runs = in.Carry.Runs
		c.paused = in.Carry.Paused
	}
	return c
}

// register installs the status query and the stop / pause / unpause updates.
func (c *control) register(ctx workflow.Context) error {
	return c.registerUpdates(ctx, UpdateStop, UpdatePause, UpdateUnpause)
}

// registerUpdates installs the status query and the named updates.
func (c *control) registerUpdates(ctx workflow.Context, updates ...string) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (Status, error) {
		s := c.status
		s.Spent, s.Paused = c.spent, c.paused
		if c.paused && c.pauseReason != "" {
			since := c.outageSince
			s.PauseReason, s.OutageSince = c.pauseReason, &since
		}
		return s, nil
	}); err != nil {
		return err
	}
	handlers := map[string]func(workflow.Context){
		UpdateStop:  func(workflow.Context) { c.stopRequested = true; c.stopReason = "stop requested" },
		UpdatePause: func(workflow.Context) { c.paused = true },
		UpdateUnpause: func(ctx workflow.Context) {
			c.paused = false
			c.unpausedAt = workflow.Now(ctx)
		},
	}
	// Registration order does not reach history, but keep it fixed anyway.
	for _, name := range updates {
		apply := handlers[name]
		if err := workflow.SetUpdateHandlerWithOptions(ctx, name, func(ctx workflow.Context) (string, error) {
			apply(ctx)
			return c.describe(), nil
		}, workflow.UpdateHandlerOptions{Validator: func() error {
			if c.status.State == "completed" {
				return fmt.Errorf("the optimization has already finished")
			}
			return nil
		}}); err != nil {
			return err
		}
	}
	return nil
}

func (c *control) describe() string {
	switch {
	case c.stopRequested:
		return "stopping at the next checkpoint with the best program so far"
	case c.paused:
		return "pausing at the next checkpoint"
	}
	return "running"
}

func (c *control) spend(u dspy.Usage) { c.spent = c.spent.Add(u) }

// checkpoint records progress and shows it in the Web UI.
func (c *control) checkpoint(ctx workflow.Context, cp optimize.Checkpoint) {
	c.lastCP = &cp
	prev := c.status.Progress.BestScore
	c.status.Progress = cp.Progress
	c.publish(ctx)
	if cp.Progress.BestScore != prev || cp.Progress.Step <= 1 {
		_ = workflow.UpsertTypedSearchAttributes(ctx, SearchAttrBestScore.ValueSet(cp.Progress.BestScore))
	}
}

func (c *control) setState(ctx workflow.Context, state string) {
	c.status.State = state
	_ = workflow.UpsertTypedSearchAttributes(ctx, SearchAttrStatus.ValueSet(state))
	c.publish(ctx)
}

// publish sets the workflow's current details, the text the Web UI shows on
// the run's page.
func (c *control) publish(ctx workflow.Context) {
	p := c.status.Progress
	details := fmt.Sprintf("**%s** · %s", labelOr(c.status.Optimizer, "evaluate"), c.status.State)
	if c.paused && c.pauseReason != "" {
		details += fmt.Sprintf(": %s since %s", c.pauseReason, c.outageSince.UTC().Format(time.DateTime+" UTC"))
	}
	switch {
	case c.status.State == "completed":
		details += fmt.Sprintf("\n\n%d trials", len(p.Trials))
	case p.Phase != "":
		details += fmt.Sprintf("\n\nphase **%s**: %d of %d", p.Phase, p.Step, p.Total)
		if p.Unit != "" {
			details += " " + p.Unit
		}
	}
	score := fmt.Sprintf("best score **%.2f**", p.BestScore)
	if c.baseline != nil {
		score = fmt.Sprintf("baseline %.2f → best score **%.2f**", *c.baseline, p.BestScore)
	}
	details += fmt.Sprintf("\n\n%s · LM calls %d (%d cached) · tokens %d · cost $%.4f",
		score, c.spent.Calls, c.spent.CacheHits, c.spent.TotalTokens(), c.spent.Cost)
	workflow.SetCurrentDetails(ctx, details)
}

// overBudget names the first cap the spending has reached, or "".
func (c *control) overBudget(b Budget) string { return b.Exceeded(c.spent) }

// versionRefuseWork marks runs whose engine refuses new work once the budget
// is spent, instead of stopping only at the next checkpoint.
const versionRefuseWork = "budget-refuses-work"

// refuseWork names the cap the spending has reached when the engine must
// start no more work, or returns "". The version is asked only once a cap is
// reached, so runs that never reach one record no marker, and runs recorded
// before the change replay on their old path.
func (e *temporalEngine) refuseWork() string {
	reason := e.ctl.overBudget(e.budget)
	if reason == "" || workflow.GetVersion(e.ctx, versionRefuseWork, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return ""
	}
	return reason
}

// budgetStop records why the run stops and returns the error that makes the
// optimizer finish with its best program so far.
func (e *temporalEngine) budgetStop(reason string) error {
	e.ctl.stopReason = "budget: " + reason
	return optimize.BudgetStop(reason)
}
