package workflows_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

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

// proseLM starts a simulated LM that answers every structured request in
// prose, priced so that a cost cap can bind.
func proseLM(t *testing.T) (*simlm.Server, *lm.Client) {
	t.Helper()
	opts := fastLM(3)
	opts.Prices = map[string]lm.Price{"simlm-1": {PromptPerMillion: 1000, CompletionPerMillion: 1000}}
	return testkit.SimLM(t, simlm.Config{Seed: 6, Prose: 1}, opts)
}

// A model that answers in prose fails every example yet is billed for every
// request: the run's spending counts them all and the budget ends the run at
// the cap plus at most the calls in flight.
func TestBudgetsBoundTheSpendOfAProseModel(t *testing.T) {
	params := map[string]string{
		"gepa":                    `{"max_metric_calls": 2000, "reflection_minibatch_size": 2, "seed": 1}`,
		"bootstrap_random_search": `{"num_candidate_programs": 20, "max_errors": 2000, "max_bootstrapped_demos": 2, "max_labeled_demos": 2}`,
	}
	const window, batch, callsPerExample = 4, 3, 2 // the chat call and the JSON fallback
	inFlight := window * batch * callsPerExample
	for _, name := range []string{"gepa", "bootstrap_random_search"} {
		for _, budget := range []workflows.Budget{{MaxLMCalls: 20}, {MaxCostUSD: 2}} {
			t.Run(fmt.Sprintf("%s %+v", name, budget), func(t *testing.T) {
				srv, client := proseLM(t)
				in := optimizerCase{name: name, params: params[name], train: 6, val: 6}.input()
				in.Params = json.RawMessage(params[name])
				in.Execution = workflows.Execution{BatchSize: batch, MaxParallelActivities: window}
				in.Budget = budget
				got := runDurable(t, client, in)

				st := srv.Stats()
				t.Logf("server received %d requests (%d in prose); the run reported %d LM calls, %d tokens, $%.4f; stopped: %q",
					st.Requests, st.Prose, got.Spent.Calls, got.Spent.TotalTokens(), got.Spent.Cost, got.Stopped)
				require.True(t, strings.HasPrefix(got.Stopped, "budget: "), "stopped: %q", got.Stopped)
				assert.Equal(t, int(st.Requests), got.Spent.Calls, "every request the server received is counted")
				if budget.MaxLMCalls > 0 {
					assert.LessOrEqual(t, int(st.Requests), budget.MaxLMCalls+inFlight)
				}
				if budget.MaxCostUSD > 0 {
					perCall := got.Spent.Cost / float64(got.Spent.Calls)
					assert.LessOrEqual(t, got.Spent.Cost, budget.MaxCostUSD+1.5*float64(inFlight)*perCall)
				}
			})
		}
	}
}

// Evaluate counts the calls of failed examples in its spending and in each
// example's outcome.
func TestEvaluateCountsTheCallsOfFailedExamples(t *testing.T) {
	srv, client := proseLM(t)
	env := newEnv(t, workerConfig(client))
	env.ExecuteWorkflow(workflows.EvaluateWorkflowName, evaluateInput(testkit.Arithmetic(4, 5)))
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res workflows.EvaluateResult
	require.NoError(t, env.GetWorkflowResult(&res))

	require.Equal(t, 5, res.Errors)
	require.Equal(t, int64(10), srv.Stats().Requests)
	assert.Equal(t, 10, res.Spent.Calls)
	assert.Positive(t, res.Spent.Cost)
	for _, o := range res.Outcomes {
		assert.Equal(t, 2, o.Usage.Calls, "example %d: the chat call and the JSON fallback", o.ID)
	}
}

// Requests a batch made before a transient failure made Temporal retry it
// reached the server, and are counted with the retried batch's outcomes.
func TestRetriedBatchesCountTheRequestsOfTheFailedAttempt(t *testing.T) {
	srv, client := testkit.SimLM(t, simlm.Config{Seed: 3, Faults: simlm.Faults{ServerError: 1, MaxConsecutive: 3}}, fastLM(1))
	env := newEnv(t, workerConfig(client))
	attempts := 0
	env.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, _ error) {
		if info.ActivityType.Name == activities.RunBatchName {
			attempts = max(attempts, int(info.Attempt))
		}
	})
	in := evaluateInput(testkit.Arithmetic(4, 2))
	in.Execution.BatchSize = 2
	env.ExecuteWorkflow(workflows.EvaluateWorkflowName, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res workflows.EvaluateResult
	require.NoError(t, env.GetWorkflowResult(&res))

	st := srv.Stats()
	t.Logf("server received %d requests (%d answered 500) over %d attempts; the run reported %d", st.Requests, st.ServerErrors, attempts, res.Spent.Calls)
	require.Greater(t, attempts, 1, "the batch was retried")
	assert.Zero(t, res.Errors)
	assert.Equal(t, int(st.Requests), res.Spent.Calls)
}
