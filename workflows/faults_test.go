package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// transientFaults fails a fifth of the LM calls the way a busy provider does:
// rate limits with a Retry-After, server errors and hangs. Up to three in a
// row for the same request, so a client allowed one retry sometimes gives
// up and the batch activity fails and is retried by Temporal. Unparseable
// replies are left out on purpose: they are answers, scored as failures, and
// change what the optimizer sees.
var transientFaults = simlm.Faults{
	RateLimit: 0.08, ServerError: 0.08, Hang: 0.04,
	RetryAfter: 20 * time.Millisecond, MaxConsecutive: 3,
}

// A fifth of the LM calls failing transiently changes nothing in what an
// optimization compiles: the client's retries, Temporal's retries of batches
// (resuming from their heartbeats) and of prompt calls absorb every fault.
func TestTransientLMFaultsLeaveTheCompiledProgramUnchanged(t *testing.T) {
	batchRetries, promptRetries := 0, 0
	for _, c := range optimizerCases {
		t.Run(c.name, func(t *testing.T) {
			requireRegistered(t, c.name)
			want := c.localResult(t, 13)

			srv := simlm.New(simlm.Config{Seed: 13, Faults: transientFaults})
			require.NoError(t, srv.Start())
			t.Cleanup(func() { _ = srv.Close() })
			// Batches: the client retries once, then the activity fails
			// and Temporal retries it. Prompt calls: Temporal alone retries.
			taskOpts, promptOpts := fastLM(1), fastLM(0)
			taskOpts.Timeout, promptOpts.Timeout = 300*time.Millisecond, 300*time.Millisecond
			taskLM := newClient(t, srv, taskOpts)
			promptLM := newClient(t, srv, promptOpts)
			env := newEnv(t, workflows.Config{TaskLM: taskLM, PromptLM: promptLM, Concurrency: 4, Embedder: numbersEmbedder})
			env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
				if info.Attempt > 1 {
					switch info.ActivityType.Name {
					case activities.RunBatchName:
						batchRetries++
					case activities.PromptName:
						promptRetries++
					}
				}
			})
			env.ExecuteWorkflow(workflows.OptimizeWorkflowName, c.input())
			got := resultOf(t, env)

			assert.Equal(t, encoded(t, want.Program), encoded(t, got.Program))
			assert.Equal(t, want.Score, got.Score)
			assert.Equal(t, want.Trials, got.Trials)
			if c.name != "labeled_fewshot" { // it calls no LM
				st := srv.Stats()
				assert.Positive(t, st.RateLimited, "stats: %+v", st)
				assert.Positive(t, st.ServerErrors+st.Hangs, "stats: %+v", st)
				assert.Zero(t, st.Garbage)
			}
		})
	}
	// Across the optimizers, faults got past the client's own retries and
	// were retried by Temporal.
	t.Logf("Temporal retried %d batch and %d prompt activities", batchRetries, promptRetries)
	assert.Positive(t, batchRetries, "no batch activity was retried")
	assert.Positive(t, promptRetries, "no prompt activity was retried")
}

func newClient(t *testing.T, srv *simlm.Server, opts lm.Options) *lm.Client {
	t.Helper()
	opts.BaseURL, opts.APIKey, opts.Model = srv.URL(), "test-key", "simlm-1"
	c, err := lm.New(opts)
	require.NoError(t, err)
	return c
}

// A reply that does not parse is an answer, not an outage: the example is
// scored as failed and the batch is not retried.
func TestUnparseableRepliesAreScoredAsFailuresNotRetried(t *testing.T) {
	srv, client := testkit.SimLM(t, simlm.Config{Seed: 3, Faults: simlm.Faults{Garbage: 1, MaxConsecutive: 1000}}, fastLM(3))
	env := newEnv(t, workerConfig(client))
	attempts := map[string]int{}
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		attempts[info.ActivityType.Name] = max(attempts[info.ActivityType.Name], int(info.Attempt))
	})
	data := testkit.Arithmetic(4, 5)
	env.ExecuteWorkflow(workflows.EvaluateWorkflowName, workflows.EvaluateInput{
		Program: activities.ProgramRef{Spec: arithmeticSpec.JSON()},
		Dataset: activities.DatasetRef{Examples: data}, Metric: "exact_match",
		Execution: workflows.Execution{BatchSize: 2},
	})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res workflows.EvaluateResult
	require.NoError(t, env.GetWorkflowResult(&res))

	assert.Equal(t, 5, res.Total)
	assert.Equal(t, 5, res.Errors)
	assert.Zero(t, res.Score)
	for i, o := range res.Outcomes {
		assert.Equal(t, i, o.ID)
		assert.Contains(t, o.Error, "could not parse")
		assert.NotEmpty(t, o.Raw)
	}
	assert.Equal(t, 1, attempts[activities.RunBatchName], "a batch was retried")
	assert.Equal(t, srv.Stats().Requests, srv.Stats().Garbage)
}

func TestEvaluateWorkflowScoresEveryExampleInOrder(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 3}, fastLM(3))
	env := newEnv(t, workerConfig(client))
	data := testkit.Arithmetic(4, 7)
	env.ExecuteWorkflow(workflows.EvaluateWorkflowName, workflows.EvaluateInput{
		Program: activities.ProgramRef{Spec: arithmeticSpec.JSON()},
		Dataset: activities.DatasetRef{Examples: data}, Metric: "exact_match",
		Execution: workflows.Execution{BatchSize: 3},
	})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res workflows.EvaluateResult
	require.NoError(t, env.GetWorkflowResult(&res))

	require.Len(t, res.Outcomes, 7)
	sum := 0.0
	for i, o := range res.Outcomes {
		assert.Equal(t, i, o.ID)
		assert.Equal(t, data[i].GetString("answer") == o.Prediction.GetString("answer"), o.Score == 1, "example %d", i)
		sum += o.Score
	}
	assert.InDelta(t, 100*sum/7, res.Score, 0.01)
	assert.Equal(t, 7, res.Spent.Calls)
}
