package cli

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/durable-dspy/durable-dspy/internal/exitcode"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// usagef returns an exitcode.UsageError; its message should name the flag,
// file or line at fault.
func usagef(format string, args ...any) error {
	return exitcode.Usagef(format, args...)
}

// asUsage marks err as a usage error, keeping it for errors.Is and As.
func asUsage(err error) error { return exitcode.AsUsage(err) }

// exit prints the error a command ended with, if any, and returns the
// process's exit code. A command whose context was canceled by a signal
// was interrupted, whatever error that left it with: a run it started or
// followed goes on.
func (a *app) exit(ctx context.Context, err error) int {
	if err == nil {
		return exitcode.OK
	}
	if ctx.Err() != nil {
		if msg := err.Error(); msg != ctx.Err().Error() {
			fmt.Fprintf(a.stderr, "interrupted: %s\n", cliWords(msg))
		} else {
			fmt.Fprintln(a.stderr, "interrupted")
		}
		return exitcode.Interrupted
	}
	fmt.Fprintf(a.stderr, "error: %s\n", cliWords(err.Error()))
	return exitCode(err)
}

// notCompleted says that a command needs a completed run, with advice that
// works for the run's status: only a running optimization can be stopped.
func notCompleted(id string, st enumspb.WorkflowExecutionStatus, what string) error {
	if st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return fmt.Errorf("%s is %s: %s needs a completed optimization (\"starter stop %s\" finishes it now with the best so far)", id, executionStatus(st), what, id)
	}
	return fmt.Errorf("%s is %s: %s needs a completed optimization; this one will not complete (see \"starter status %s\")", id, executionStatus(st), what, id)
}

// exitCode maps an error to the process exit code. A workflow that failed on
// its configuration (an unknown metric or program on the worker, a dataset
// the worker could not read) is bad usage too: only the worker could tell.
func exitCode(err error) int {
	if workflows.IsConfigError(err) {
		return exitcode.Usage
	}
	return exitcode.Of(err)
}
