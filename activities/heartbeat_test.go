package activities_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// A batch whose examples each take longer than its heartbeat timeout is not
// taken for dead: between outcomes it sends its details again.
func TestRunBatchHeartbeatsWhileItsExamplesWaitOnTheLM(t *testing.T) {
	srv, client := testkit.SimLM(t, simlm.Config{Seed: 2, Latency: simlm.FixedLatency(600 * time.Millisecond)}, fastLM(0))
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := ts.NewTestWorkflowEnvironment()
	newActivities(t, client).Register(env)
	in := batchInput(testkit.Arithmetic(3, 2))
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context) (activities.RunBatchOutput, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute,
			HeartbeatTimeout:    200 * time.Millisecond,
			RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
		})
		var out activities.RunBatchOutput
		err := workflow.ExecuteActivity(ctx, activities.RunBatchName, in).Get(ctx, &out)
		return out, err
	}, workflow.RegisterOptions{Name: "one-batch"})

	env.ExecuteWorkflow("one-batch")
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError(), "the batch timed out waiting on its LM calls")
	var out activities.RunBatchOutput
	require.NoError(t, env.GetWorkflowResult(&out))
	assert.Len(t, out.Outcomes, 2)
	assert.EqualValues(t, 2, srv.Stats().Requests, "the batch ran once")
}
