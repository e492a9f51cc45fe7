package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/temporal"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/internal/exitcode"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// failedRunError is the error the SDK hands a client for an optimization
// whose trainset the worker cannot read, decoded from the failure the
// server records as the SDK decodes it: the workflow's own error wrapping
// the activity's, which wraps the activity's configuration error and its
// causes, each repeating the message of the ones inside.
func failedRunError(t *testing.T) (error, string) {
	t.Helper()
	missing := t.TempDir() + "/gone.jsonl"
	_, readErr := os.ReadFile(missing)
	cause := fmt.Errorf("dataset %s: %w (the path is read on the worker's machine)", missing, readErr)
	fc := temporal.GetDefaultFailureConverter()
	activityFailure := &failurepb.Failure{
		Message: "activity error",
		FailureInfo: &failurepb.Failure_ActivityFailureInfo{ActivityFailureInfo: &failurepb.ActivityFailureInfo{
			ActivityType: &commonpb.ActivityType{Name: activities.LoadDatasetName}, ActivityId: "5",
			RetryState: enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE,
		}},
		Cause: fc.ErrorToFailure(temporal.NewNonRetryableApplicationError(cause.Error(), activities.ErrTypeConfig, cause)),
	}
	workflowErr := fmt.Errorf("load trainset: %w", fc.FailureToError(activityFailure))
	return fc.FailureToError(fc.ErrorToFailure(workflowErr)), missing
}

// fakeClient is a Temporal client that knows one run, with the status
// given, which ends with end (nil: completed).
func fakeClient(t *testing.T, id string, st enumspb.WorkflowExecutionStatus, end error) *mocks.Client {
	t.Helper()
	c := &mocks.Client{}
	c.On("DescribeWorkflowExecution", mock.Anything, id, "").Return(&workflowservice.DescribeWorkflowExecutionResponse{
		WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
			Execution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: "run-1"},
			Type:      &commonpb.WorkflowType{Name: workflows.OptimizeWorkflowName},
			Status:    st,
		},
	}, nil).Maybe()
	run := &mocks.WorkflowRun{}
	run.On("Get", mock.Anything, mock.Anything).Return(end).Maybe()
	c.On("GetWorkflow", mock.Anything, id, mock.Anything).Return(run).Maybe()
	c.On("QueryWorkflow", mock.Anything, id, "", workflows.QueryStatus).Return(nil, errors.New("no worker")).Maybe()
	c.On("Close").Return()
	return c
}

// runWith runs the CLI in-process against the client c.
func runWith(t *testing.T, ctx context.Context, c client.Client, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Execute(ctx, Options{
		Args: args, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Dial: func(context.Context, temporalconn.Options, *slog.Logger) (client.Client, error) { return c, nil },
	})
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

func TestStatusOfAFailedRunPrintsItsRootCauseOnce(t *testing.T) {
	err, missing := failedRunError(t)
	require.Greater(t, strings.Count(err.Error(), "no such file"), 2, "the SDK's chain repeats the message: %v", err)

	r := runWith(t, context.Background(), fakeClient(t, "dspy-x", enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, err), "status", "dspy-x")
	assert.Contains(t, r.stdout, "Failed")
	assert.Contains(t, r.stderr, "error: run dspy-x failed: dataset "+missing+": open "+missing+": no such file or directory")
	assert.Contains(t, r.stderr, "(in activity "+activities.LoadDatasetName+")")
	assert.Equal(t, 1, strings.Count(r.stderr, "no such file"), r.stderr)
	assert.NotContains(t, r.stderr, "workflow execution error")
	assert.Equal(t, exitcode.Usage, r.code, "a run that failed on its configuration is bad usage")
}

// Every command that reports a run's end exits the same way for it.
func TestExitCodesMeanTheSameOnEveryCommand(t *testing.T) {
	cases := []struct {
		status enumspb.WorkflowExecutionStatus
		end    error
		code   int
		says   string
	}{
		{enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, nil, exitcode.OK, ""},
		{enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, temporal.NewApplicationError("the LM answered 500", "LMServer"), exitcode.Failure, "failed: the LM answered 500"},
		{enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, temporal.NewCanceledError(), exitcode.Failure, "was canceled"},
		{enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, &temporal.TerminatedError{}, exitcode.Failure, "was terminated"},
		{enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_START_TO_CLOSE, nil), exitcode.Failure, "failed"},
	}
	for _, tc := range cases {
		for _, cmd := range []string{"status", "watch"} {
			t.Run(tc.status.String()+"/"+cmd, func(t *testing.T) {
				r := runWith(t, context.Background(), fakeClient(t, "dspy-x", tc.status, tc.end), cmd, "dspy-x")
				assert.Equal(t, tc.code, r.code, r.stderr)
				assert.Contains(t, r.stderr, tc.says)
			})
		}
	}
	r := runWith(t, context.Background(), fakeClient(t, "dspy-x", enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil), "status", "dspy-x")
	assert.Equal(t, exitcode.OK, r.code, "a running run is no failure: %s", r.stderr)
}

func TestAnInterruptedCommandExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut bytes.Buffer
	code := Execute(ctx, Options{
		Args: []string{"status", "dspy-x"}, Stdout: &out, Stderr: &errOut,
		Dial: func(ctx context.Context, _ temporalconn.Options, _ *slog.Logger) (client.Client, error) {
			cancel()
			<-ctx.Done()
			return nil, fmt.Errorf("dial: %w", ctx.Err())
		},
	})
	assert.Equal(t, exitcode.Interrupted, code)
	assert.Contains(t, errOut.String(), "interrupted")
}

func TestExportSuggestsStopOnlyForARunningRun(t *testing.T) {
	out := t.TempDir() + "/p.json"
	r := runWith(t, context.Background(), fakeClient(t, "dspy-x", enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, nil), "export", "dspy-x", "--out", out)
	assert.Equal(t, exitcode.Failure, r.code)
	assert.Contains(t, r.stderr, "Canceled")
	assert.NotContains(t, r.stderr, "starter stop")
	r = runWith(t, context.Background(), fakeClient(t, "dspy-x", enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil), "export", "dspy-x", "--out", out)
	assert.Contains(t, r.stderr, `"starter stop dspy-x"`)
}

// pausable is a running optimization whose status query answers paused.
func pausable(t *testing.T, paused bool) *mocks.Client {
	c := fakeClient(t, "dspy-x", enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil)
	c.ExpectedCalls = slicesWithout(c.ExpectedCalls, "QueryWorkflow")
	c.On("QueryWorkflow", mock.Anything, "dspy-x", "", workflows.QueryStatus).Return(statusValue{workflows.Status{Paused: paused}}, nil)
	return c
}

// statusValue is a query's answer holding a status.
type statusValue struct{ s workflows.Status }

func (v statusValue) HasValue() bool { return true }

func (v statusValue) Get(ptr any) error {
	*ptr.(*workflows.Status) = v.s
	return nil
}

var _ converter.EncodedValue = statusValue{}

func slicesWithout(calls []*mock.Call, method string) []*mock.Call {
	var out []*mock.Call
	for _, c := range calls {
		if c.Method != method {
			out = append(out, c)
		}
	}
	return out
}

func TestASecondPauseSaysAlreadyPausedAndAnUnpauseOfARunningRunNotPaused(t *testing.T) {
	// Neither sends the update (the fake client has none to answer it).
	r := runWith(t, context.Background(), pausable(t, true), "pause", "dspy-x")
	assert.Equal(t, exitcode.OK, r.code, r.stderr)
	assert.Equal(t, "dspy-x: already paused (starter unpause to go on)\n", r.stdout)
	r = runWith(t, context.Background(), pausable(t, false), "unpause", "dspy-x")
	assert.Equal(t, exitcode.OK, r.code, r.stderr)
	assert.Equal(t, "dspy-x: not paused: it is running\n", r.stdout)
}

// Advice the CLI prints names its flags, not the Go options behind them.
func TestLMAdviceNamesTheCLIFlags(t *testing.T) {
	specPath, _, _ := fixture(t)
	r := runCLI(t, "run", "--spec", specPath, "--input", "question=What is 2 + 2?", "--sim", "err429=1,retry_after=1ms", "--lm-max-retries", "0")
	assert.Equal(t, exitcode.Failure, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--lm-max-concurrency")
	assert.Contains(t, r.stderr, "--lm-rps")
	assert.NotContains(t, r.stderr, "Options.")

	r = runCLI(t, "run", "--spec", specPath, "--input", "question=What is 2 + 2?", "--lm-base-url", "http://127.0.0.1:1/v1", "--lm-max-retries", "0", "--lm-timeout", time.Second.String())
	assert.Equal(t, exitcode.Failure, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--lm-base-url")
	assert.NotContains(t, r.stderr, "Options.")
}
