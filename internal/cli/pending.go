package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/workflows"
)

// pendingLine tells in one line why a run's pending work is not getting
// done: the failing activity's last failure, its attempt and when it is
// tried next, e.g. "LM unreachable at http://127.0.0.1:9/v1: connection
// refused · attempt 10 · next retry in 18 s". It is empty when no pending
// activity has failed. The activity that has failed most often speaks for
// the others, which usually fail the same way.
func pendingLine(resp *workflowservice.DescribeWorkflowExecutionResponse, now time.Time) string {
	var worst int
	failing := 0
	pending := resp.GetPendingActivities()
	for i, p := range pending {
		if p.GetLastFailure() == nil {
			continue
		}
		failing++
		if failing == 1 || p.GetAttempt() > pending[worst].GetAttempt() {
			worst = i
		}
	}
	if failing == 0 {
		return ""
	}
	p := pending[worst]
	parts := []string{oneLine(p.GetLastFailure().GetMessage()), fmt.Sprintf("attempt %d", p.GetAttempt())}
	switch next := p.GetNextAttemptScheduleTime(); {
	case p.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED:
		parts[1] += " running"
	case next != nil:
		parts = append(parts, "next retry in "+secondsUntil(next.AsTime(), now))
	}
	if failing > 1 {
		parts = append(parts, fmt.Sprintf("%d activities failing", failing))
	}
	return strings.Join(parts, " · ")
}

// secondsUntil is how long until t, in whole seconds, "now" once it passed.
func secondsUntil(t, now time.Time) string {
	d := t.Sub(now)
	if d <= 0 {
		return "now"
	}
	return fmt.Sprintf("%d s", int((d+time.Second-1)/time.Second))
}

// oneLine joins a message's lines, so a multi-line failure keeps the
// progress display on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// pausedText says why a paused run waits: the outage that paused it and
// since when, or the user's pause.
func pausedText(s workflows.Status) string {
	if s.PauseReason == "" {
		return "PAUSED (starter unpause to go on)"
	}
	since := ""
	if s.OutageSince != nil {
		since = " since " + s.OutageSince.Local().Format(time.DateTime)
	}
	return fmt.Sprintf("paused: %s%s (starter unpause retries)", s.PauseReason, since)
}

// describeTimeout bounds one describe call. Unlike a query it needs no
// worker, so a describe that does not answer means the server does not.
const describeTimeout = 5 * time.Second

// errServerUnreachable marks a Temporal server that did not answer, so the
// CLI does not blame the run, the worker or the LM for it.
var errServerUnreachable = errors.New("cannot reach the Temporal server")

// pending describes a run and returns its pending line. An error wraps
// errServerUnreachable when the server did not answer.
func (a *app) pending(ctx context.Context, c client.Client, id string) (string, error) {
	dctx, cancel := context.WithTimeout(ctx, describeTimeout)
	defer cancel()
	resp, err := c.DescribeWorkflowExecution(dctx, id, "")
	var nf *serviceerror.NotFound
	switch {
	case err == nil:
		return pendingLine(resp, time.Now()), nil
	case errors.As(err, &nf), ctx.Err() != nil:
		return "", err
	}
	return "", a.serverUnreachable(err)
}

// serverUnreachable words a failed call to the server as the server's
// outage: the run itself goes on there once it is back.
func (a *app) serverUnreachable(err error) error {
	where := a.opts.Temporal.Address
	if where == "" {
		where = "the embedded server"
	}
	return fmt.Errorf("%w at %s (%s); the run is unaffected and goes on when it is back", errServerUnreachable, where, oneLine(rootMessage(err)))
}

// isServerOutage reports whether err is the server not answering, rather
// than an answer about the run.
func isServerOutage(err error) bool {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	return errors.As(err, &unavailable) || errors.As(err, &deadline)
}

// rootMessage is an error's innermost message, without the wrappers'
// repetitions.
func rootMessage(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// awaitShowingPending waits for get, a run's result, and meanwhile shows on
// stderr what holds the run up, if anything: a failing activity, an outage
// pause, an unreachable server. Runs without a progress query of their own
// (evaluations) are followed this way.
func (a *app) awaitShowingPending(ctx context.Context, c client.Client, id string, get func() error) error {
	done := make(chan error, 1)
	go func() { done <- get() }()
	var d *display
	show := func(line string) {
		if d == nil {
			d = newDisplay(a.stderr, a.terminal(a.stderr))
		}
		d.note(line, 0, 0)
	}
	poll := func() {
		line, err := a.pending(ctx, c, id)
		if errors.Is(err, errServerUnreachable) {
			show(err.Error())
			return
		}
		if s, err := queryStatus(ctx, c, id); err == nil && s.Paused {
			line = pausedText(s)
		}
		if line != "" {
			show(line)
		}
	}
	tick := time.NewTicker(a.pollEvery)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if d != nil {
				d.done("")
			}
			return err
		case <-tick.C:
			poll()
		}
	}
}

// withPending appends the pending line to a progress line.
func withPending(line, pending string) string {
	if pending == "" {
		return line
	}
	return line + " · " + pending
}

// maxOutageFlag is --max-outage: a duration, 0 turning the limit off. The
// workflow input says "off" with a negative duration, since its zero means
// the default for runs started before the limit existed.
type maxOutageFlag struct{ exec *workflows.Execution }

func (f maxOutageFlag) String() string {
	if f.exec == nil {
		return ""
	}
	return max(f.exec.MaxOutage, 0).String()
}

func (f maxOutageFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	switch {
	case d < 0:
		return errors.New("must not be negative")
	case d == 0:
		d = -1
	}
	f.exec.MaxOutage = d
	return nil
}

func (maxOutageFlag) Type() string { return "duration" }

// bindMaxOutage adds --max-outage, setting exec.MaxOutage.
func bindMaxOutage(fs *pflag.FlagSet, exec *workflows.Execution) {
	exec.MaxOutage = workflows.DefaultMaxOutage
	fs.Var(maxOutageFlag{exec}, "max-outage",
		"pause the run, naming the cause, once the LM has been unavailable this long; \"starter unpause\" retries (0 = retry without limit)")
}
