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
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (Status, error) {
		s := c.status
		s.Spent, s.Paused = c.spent, c.paused
		return s, nil
	}); err != nil {
		return err
	}
	handlers := map[string]func(){
		UpdateStop:    func() { c.stopRequested = true; c.stopReason = "stop requested" },
		UpdatePause:   func() { c.paused = true },
		UpdateUnpause: func() { c.paused = false },
	}
	// Registration order does not reach history, but keep it fixed anyway.
	for _, name := range []string{UpdateStop, UpdatePause, UpdateUnpause} {
		apply := handlers[name]
		if err := workflow.SetUpdateHandlerWithOptions(ctx, name, func(ctx workflow.Context) (string, error) {
			apply()
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
	details := fmt.Sprintf("**%s** · %s", c.status.Optimizer, c.status.State)
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
func (c *control) overBudget(b Budget) string {
	switch {
	case b.MaxLMCalls > 0 && c.spent.Calls-c.spent.CacheHits >= b.MaxLMCalls:
		return fmt.Sprintf("%d LM calls reached the cap of %d", c.spent.Calls-c.spent.CacheHits, b.MaxLMCalls)
	case b.MaxTokens > 0 && c.spent.TotalTokens() >= b.MaxTokens:
		return fmt.Sprintf("%d tokens reached the cap of %d", c.spent.TotalTokens(), b.MaxTokens)
	case b.MaxCostUSD > 0 && c.spent.Cost >= b.MaxCostUSD:
		return fmt.Sprintf("$%.4f reached the cap of $%.2f", c.spent.Cost, b.MaxCostUSD)
	}
	return ""
}
