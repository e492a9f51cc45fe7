package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// runError is a run that ended without a result. Its message is the root
// cause alone: the SDK nests a workflow's failure in a chain (workflow
// execution error, the workflow's own error, an activity error, the
// activity's application error and its cause), each repeating the message
// of the ones inside it. The chain stays for errors.As, so a failure on
// the run's configuration still exits as bad usage.
type runError struct {
	id  string
	err error
}

func (e *runError) Error() string {
	var canceled *temporal.CanceledError
	var terminated *temporal.TerminatedError
	switch {
	case errors.As(e.err, &canceled):
		return fmt.Sprintf("run %s was canceled", e.id)
	case errors.As(e.err, &terminated):
		return fmt.Sprintf("run %s was terminated", e.id)
	}
	return fmt.Sprintf("run %s failed: %s", e.id, rootCause(e.err))
}

func (e *runError) Unwrap() error { return e.err }

// rootCause is the message of the error at the root of an SDK error chain,
// with the activity that failed when one did: "dataset x.jsonl: open
// x.jsonl: no such file or directory (in activity dspy.LoadDataset)". The
// root is the error the failing activity (or else the workflow) returned:
// the first error past the chain's last activity error whose message
// carries no nested SDK error. Deeper errors are its own causes, which its
// message already states.
func rootCause(err error) string {
	var chain []error
	for e := err; e != nil; e = errors.Unwrap(e) {
		chain = append(chain, e)
	}
	activity, start := "", 0
	for i, e := range chain {
		var ae *temporal.ActivityError
		if errors.As(e, &ae) && e == error(ae) {
			activity, start = ae.ActivityType().GetName(), i+1
		}
	}
	msg := ""
	for _, e := range chain[start:] {
		own := ownMessage(e)
		if own == "" {
			continue
		}
		msg = own
		if !strings.Contains(own, "(type: ") {
			break
		}
	}
	if msg == "" {
		msg = err.Error()
	}
	msg = cliWords(strings.TrimSpace(msg))
	if activity != "" {
		msg += " (in activity " + activity + ")"
	}
	return msg
}

// ownMessage is an error's message without the SDK's decoration or the
// message of the error it wraps.
func ownMessage(err error) string {
	switch x := err.(type) {
	case *temporal.WorkflowExecutionError, *temporal.ActivityError:
		return ""
	case *temporal.ApplicationError:
		return x.Message()
	case *temporal.TimeoutError:
		if x.Message() != "" {
			return x.Message()
		}
		return "timed out (" + x.TimeoutType().String() + ")"
	case *temporal.CanceledError:
		return "canceled"
	case *temporal.TerminatedError:
		return "terminated"
	}
	msg := err.Error()
	if inner := errors.Unwrap(err); inner != nil {
		msg = strings.TrimSuffix(strings.TrimSuffix(msg, inner.Error()), ": ")
	}
	return msg
}

// ended reports a run that is no longer running and did not complete, as
// the error its command exits with: a failed run's root cause, or how it
// was ended. A running run is no error.
func (a *app) ended(ctx context.Context, c client.Client, info *workflowpb.WorkflowExecutionInfo) error {
	id := info.GetExecution().GetWorkflowId()
	switch st := info.GetStatus(); st {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return nil
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED,
		enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		if err := c.GetWorkflow(ctx, id, info.GetExecution().GetRunId()).Get(ctx, nil); err != nil {
			return runFailed(id, err)
		}
		return fmt.Errorf("run %s is %s", id, executionStatus(st))
	default:
		// Continued as new: the chain goes on in a later run.
		return nil
	}
}

// cliWords rewrites the advice the libraries give in terms of their Go
// options into the flags that set them, so what the CLI prints can be
// acted on from the command line.
func cliWords(msg string) string {
	return goOptionsToFlags.Replace(msg)
}

var goOptionsToFlags = strings.NewReplacer(
	"lower Options.MaxConcurrency or Options.RequestsPerSecond", "lower --lm-max-concurrency or --lm-rps",
	"(the worker's --lm-base-url, or Options.BaseURL)", "(or the worker's --lm-base-url)",
	"raise Options.Timeout", "raise --lm-timeout",
	" (or Options.APIKey)", "",
	"Options.RequestsPerSecond leaves no slot", "--lm-rps leaves no slot",
	"Options.MaxConcurrency", "--lm-max-concurrency",
	"Options.RequestsPerSecond", "--lm-rps",
	"Options.MaxRetries", "--lm-max-retries",
	"Options.BaseURL", "--lm-base-url",
	"Options.Model", "--lm-model",
	"Options.Timeout", "--lm-timeout",
)
