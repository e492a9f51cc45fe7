package cli

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/api/operatorservice/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/internal/exitcode"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
	"github.com/durable-dspy/durable-dspy/workflows"
)

func TestThePendingLineShowsTheLastFailureAttemptAndNextRetry(t *testing.T) {
	now := time.Unix(1000, 0)
	failed := func(msg string, attempt int32, next time.Duration) *workflowpb.PendingActivityInfo {
		return &workflowpb.PendingActivityInfo{
			State:                   enumspb.PENDING_ACTIVITY_STATE_SCHEDULED,
			Attempt:                 attempt,
			LastFailure:             &failurepb.Failure{Message: msg},
			NextAttemptScheduleTime: timestamppb.New(now.Add(next)),
		}
	}
	resp := &workflowservice.DescribeWorkflowExecutionResponse{PendingActivities: []*workflowpb.PendingActivityInfo{
		{State: enumspb.PENDING_ACTIVITY_STATE_STARTED, Attempt: 1},
		failed("LM unreachable at http://127.0.0.1:9/v1: connection refused", 10, 17500*time.Millisecond),
		failed("LM unreachable at http://127.0.0.1:9/v1: connection refused", 9, time.Second),
	}}
	assert.Equal(t, "LM unreachable at http://127.0.0.1:9/v1: connection refused · attempt 10 · next retry in 18 s · 2 activities failing",
		pendingLine(resp, now))

	assert.Empty(t, pendingLine(&workflowservice.DescribeWorkflowExecutionResponse{PendingActivities: resp.PendingActivities[:1]}, now),
		"an activity that has not failed holds nothing up")
	running := failed("activity StartToClose timeout", 3, 0)
	running.State, running.NextAttemptScheduleTime = enumspb.PENDING_ACTIVITY_STATE_STARTED, nil
	assert.Equal(t, "activity StartToClose timeout · attempt 3 running",
		pendingLine(&workflowservice.DescribeWorkflowExecutionResponse{PendingActivities: []*workflowpb.PendingActivityInfo{running}}, now))
}

func TestAnOutagePauseNamesItsCauseAndSince(t *testing.T) {
	since := time.Date(2026, 3, 1, 12, 30, 0, 0, time.Local)
	line := statusLine(workflows.Status{Paused: true, PauseReason: "LM unreachable at http://x/v1: connection refused", OutageSince: &since})
	assert.Contains(t, line, "paused: LM unreachable at http://x/v1: connection refused since 2026-03-01 12:30:00")
	assert.NotContains(t, line, "PAUSED")
}

func TestMaxOutageZeroTurnsTheLimitOff(t *testing.T) {
	fs := newOptimizeCmd(newApp(Options{})).Flags()
	assert.Equal(t, "10m0s", fs.Lookup("max-outage").DefValue)
	require.NoError(t, fs.Set("max-outage", "0"))
	assert.Equal(t, "0s", fs.Lookup("max-outage").Value.String())
	require.Error(t, fs.Set("max-outage", "-1m"))
}

// A Temporal server that does not answer is reported as such, not as a
// worker that is missing or a run that failed.
func TestAnUnreachableServerIsNamedAsTheCause(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	c, err := client.NewLazyClient(client.Options{HostPort: addr})
	require.NoError(t, err)
	defer c.Close()
	a, _, _ := newTestApp()
	a.opts.Temporal.Address = addr

	_, err = a.pending(context.Background(), c, "dspy-x")
	require.ErrorIs(t, err, errServerUnreachable)
	assert.Contains(t, err.Error(), "cannot reach the Temporal server at "+addr)
	assert.Contains(t, err.Error(), "the run is unaffected")
}

// outageServer is an in-memory Temporal server whose worker's LM is a port
// nothing listens on, and the CLI options that reach it.
func outageServer(t *testing.T) (deadURL string, run func(ctx context.Context, args ...string) result) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadURL = "http://" + l.Addr().String() + "/v1"
	require.NoError(t, l.Close())
	dead, err := lm.New(lm.Options{BaseURL: deadURL, APIKey: "k", Model: "m", MaxRetries: 0})
	require.NoError(t, err)

	ts := temporaltest.NewServer(temporaltest.WithT(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = ts.GetDefaultClient().OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: ts.GetDefaultNamespace(), SearchAttributes: temporalconn.SearchAttributes(),
	})
	require.NoError(t, err)
	ts.NewWorker(temporalconn.DefaultTaskQueue, func(r worker.Registry) {
		require.NoError(t, workflows.Register(r, workflows.Config{TaskLM: dead}))
	})
	run = func(ctx context.Context, args ...string) result {
		var out, errOut bytes.Buffer
		code := Execute(ctx, Options{
			Args: args, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
			Dial: func(context.Context, temporalconn.Options, *slog.Logger) (client.Client, error) {
				return ts.NewClientWithOptions(client.Options{HostPort: ts.GetFrontendHostPort(), Namespace: ts.GetDefaultNamespace()}), nil
			},
		})
		return result{stdout: out.String(), stderr: errOut.String(), code: code}
	}
	return deadURL, run
}

// startedID is the workflow ID optimize and evaluate print.
func startedID(t *testing.T, r result) string {
	t.Helper()
	require.Equal(t, exitcode.OK, r.code, r.stderr)
	m := regexp.MustCompile(`workflow ID: (\S+)`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)
	return m[1]
}

// Against an LM on a dead port, status and watch show why the run is stuck
// (the LM's address and the refused connection, the attempt, the next
// retry), and a run with an outage limit pauses itself, naming the outage.
func TestStatusAndWatchShowAnLMOutageAndTheLimitPausesTheRun(t *testing.T) {
	deadURL, run := outageServer(t)
	spec, train, _ := fixture(t)
	ctx := context.Background()
	id := startedID(t, run(ctx, "optimize", "--spec", spec, "--trainset", train, "--optimizer", "bootstrap_fewshot", "--max-outage", "0"))

	want := regexp.MustCompile(`pending:\s+LM unreachable at ` + regexp.QuoteMeta(deadURL) + `: connection refused · attempt \d+ · next retry in \d+ s`)
	var last result
	require.Eventually(t, func() bool {
		last = run(ctx, "status", id)
		return want.MatchString(last.stdout)
	}, time.Minute, 500*time.Millisecond, "status never showed the outage:\n%s%s", last.stdout, last.stderr)

	wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	w := run(wctx, "watch", id)
	assert.Regexp(t, `LM unreachable at `+regexp.QuoteMeta(deadURL)+`: connection refused · attempt \d+`, w.stderr)
	assert.NotContains(t, w.stderr, "waiting for a worker")

	limited := startedID(t, run(ctx, "optimize", "--spec", spec, "--trainset", train, "--optimizer", "bootstrap_fewshot", "--max-outage", "2s"))
	paused := regexp.MustCompile(`progress:\s+.*paused: LM unreachable at ` + regexp.QuoteMeta(deadURL) + `: connection refused since `)
	require.Eventually(t, func() bool {
		last = run(ctx, "status", limited)
		return paused.MatchString(last.stdout)
	}, time.Minute, 500*time.Millisecond, "the run never paused for the outage:\n%s%s", last.stdout, last.stderr)
	assert.NotContains(t, last.stdout, "pending:", "a paused run retries nothing")
}
