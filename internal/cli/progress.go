package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// queryTimeout bounds one status query. A query needs a worker to answer, so
// with none polling it would wait; the watch shows that instead of hanging.
const queryTimeout = 5 * time.Second

// lineEvery is the least time between two progress lines when stderr is not
// a terminal, so logs stay readable.
const lineEvery = 5 * time.Second

// statusLine renders a run's progress on one line: phase and step, best
// score, and what it spent.
func statusLine(s workflows.Status) string {
	p := s.Progress
	unit := ""
	if p.Unit != "" {
		unit = " " + p.Unit
	}
	var parts []string
	switch {
	case s.State == "completed":
		// The last checkpoint's step may precede the optimizer's last
		// steps; a finished run counts its trials.
		parts = append(parts, "completed", trialCount(len(p.Trials)))
	case p.Phase != "" && p.Total > 0:
		parts = append(parts, fmt.Sprintf("%s %d/%d%s", p.Phase, p.Step, p.Total, unit))
	case p.Phase != "":
		parts = append(parts, fmt.Sprintf("%s %d%s", p.Phase, p.Step, unit))
	default:
		parts = append(parts, "starting")
	}
	parts = append(parts, fmt.Sprintf("best %.2f", p.BestScore), spentText(s.Spent))
	if s.Paused {
		parts = append(parts, pausedText(s))
	}
	return strings.Join(parts, " · ")
}

// spentText renders LM usage: calls (cache hits), tokens and cost.
func spentText(u dspy.Usage) string {
	return fmt.Sprintf("LM calls %s (%s cached) · tokens %s · cost $%.4f",
		thousands(u.Calls), thousands(u.CacheHits), thousands(u.TotalTokens()), u.Cost)
}

// thousands writes n with comma separators: 1234567 → 1,234,567.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// display shows a run's progress: a live bar on a terminal, otherwise a line
// whenever the progress changes, at most every lineEvery.
type display struct {
	w        io.Writer
	bar      *progressbar.ProgressBar
	last     string
	lastTime time.Time
	now      func() time.Time
}

func newDisplay(w io.Writer, terminal bool) *display {
	d := &display{w: w, now: time.Now}
	if terminal {
		d.bar = progressbar.NewOptions(1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(24),
			progressbar.OptionShowCount(),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionClearOnFinish(),
		)
	}
	return d
}

// show renders a status.
func (d *display) show(s workflows.Status) {
	d.note(statusLine(s), s.Progress.Step, s.Progress.Total)
}

// note renders a line that is not a status, such as "waiting for a worker".
func (d *display) note(line string, step, total int) {
	if d.bar != nil {
		if total > 0 {
			d.bar.ChangeMax(total)
			_ = d.bar.Set(min(step, total))
		}
		d.bar.Describe(line)
		return
	}
	if line == d.last || (!d.lastTime.IsZero() && d.now().Sub(d.lastTime) < lineEvery) {
		return
	}
	d.last, d.lastTime = line, d.now()
	fmt.Fprintln(d.w, line)
}

// done ends the display, leaving the final line when there is no bar.
func (d *display) done(final string) {
	if d.bar != nil {
		_ = d.bar.Finish()
		_ = d.bar.Exit()
		fmt.Fprintln(d.w)
	}
	if final != "" && final != d.last {
		fmt.Fprintln(d.w, final)
	}
}

// queryStatus asks a run for its progress.
func queryStatus(ctx context.Context, c client.Client, id string) (workflows.Status, error) {
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	v, err := c.QueryWorkflow(qctx, id, "", workflows.QueryStatus)
	if err != nil {
		return workflows.Status{}, err
	}
	var s workflows.Status
	if err := v.Get(&s); err != nil {
		return workflows.Status{}, fmt.Errorf("decode status: %w", err)
	}
	return s, nil
}

// watchOptimize follows an optimization until it ends, showing its progress
// on stderr, and returns its result. It follows continue-as-new, so one
// optimization is one watch however many runs it takes.
func (a *app) watchOptimize(ctx context.Context, c client.Client, id string) (workflows.OptimizeResult, error) {
	var res workflows.OptimizeResult
	done := make(chan error, 1)
	go func() { done <- c.GetWorkflow(ctx, id, "").Get(ctx, &res) }()

	d := newDisplay(a.stderr, a.terminal(a.stderr))
	last := workflows.Status{}
	poll := func() {
		pending, err := a.pending(ctx, c, id)
		if errors.Is(err, errServerUnreachable) {
			d.note(err.Error(), last.Progress.Step, last.Progress.Total)
			return
		}
		s, err := queryStatus(ctx, c, id)
		switch {
		case err == nil:
			last = s
			d.note(withPending(statusLine(s), pending), s.Progress.Step, s.Progress.Total)
			if a.output == outputJSONL {
				_ = a.printData(statusRecord{Status: &s})
			}
		case ctx.Err() == nil:
			d.note(withPending("waiting for a worker to pick the run up (is one polling task queue "+a.opts.Temporal.TaskQueue+"?)", pending), 0, 0)
		}
	}
	poll()
	tick := time.NewTicker(a.pollEvery)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			final := ""
			if err == nil {
				final = finalLine(res)
			}
			d.done(final)
			if isServerOutage(err) {
				return res, fmt.Errorf("stopped watching %s: %w (\"starter watch %s\" re-attaches)", id, a.serverUnreachable(err), id)
			}
			if err != nil {
				return res, runFailed(id, err)
			}
			return res, nil
		case <-tick.C:
			poll()
		case <-ctx.Done():
			d.done("")
			return res, fmt.Errorf("stopped watching %s; the run goes on (\"starter watch %s\" re-attaches): %w", id, id, ctx.Err())
		}
	}
}

// runFailed wraps a workflow's failure with its ID, keeping the cause so
// exitCode can tell bad input from a failed run.
func runFailed(id string, err error) error {
	return &runError{id: id, err: err}
}

// printOptimizeResult prints baseline versus optimized score and what the
// run spent.
func printOptimizeResult(w io.Writer, res workflows.OptimizeResult) {
	if !res.BaselineUnmeasured {
		fmt.Fprintf(w, "baseline score:   %6.2f\n", res.BaselineScore)
		fmt.Fprintf(w, "optimized score:  %6.2f  (%+.2f)\n", res.Score, improvement(res))
	} else {
		fmt.Fprintf(w, "baseline score:   not measured (this optimizer never scores the starting program)\n")
		fmt.Fprintf(w, "optimized score:  %6.2f\n", res.Score)
	}
	fmt.Fprintf(w, "trials:           %d\n", len(res.Trials))
	fmt.Fprintf(w, "spent:            %s\n", spentText(res.Spent))
	if res.Runs > 1 {
		fmt.Fprintf(w, "workflow runs:    %d (continued as new to keep history small)\n", res.Runs)
	}
	if res.Stopped != "" {
		fmt.Fprintf(w, "ended early:      %s\n", res.Stopped)
	}
}
