package optimize

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// proseConcurrency is the engine's concurrency in the budget tests. Every
// example of the prose model makes two calls (the chat call and the JSON
// fallback), so at most 2*proseConcurrency calls are in flight when the
// budget is reached.
const proseConcurrency = 4

// proseEngine runs programs against a simulated LM that answers every
// structured request in prose, priced so that the cost cap can bind.
func proseEngine(t *testing.T, budget Budget) (*simlm.Server, *LocalEngine) {
	t.Helper()
	srv, client := testkit.SimLM(t, simlm.Config{Seed: 4, Prose: 1}, lm.Options{
		Model: "sim", MaxRetries: 2,
		Prices: map[string]lm.Price{"sim": {PromptPerMillion: 1000, CompletionPerMillion: 1000}},
	})
	e, err := NewLocalEngine(LocalOptions{
		Program: qaProgram, Metric: evaluate.ExactMatch("answer"), TaskLM: client,
		Concurrency: proseConcurrency, Budget: budget,
	})
	require.NoError(t, err)
	return srv, e
}

// requireBudgetBound checks that the engine counted every request the
// server received, and that no more were sent after the cap was reached
// than were already in flight.
func requireBudgetBound(t *testing.T, srv *simlm.Server, e *LocalEngine, budget Budget, res Result) {
	t.Helper()
	st, spent := srv.Stats(), e.Spent()
	t.Logf("server received %d requests (%d in prose); the engine counted %d calls, %d tokens, $%.4f", st.Requests, st.Prose, spent.Calls, spent.TotalTokens(), spent.Cost)
	assert.True(t, res.Stopped, "the budget ended the run")
	require.NotEmpty(t, budget.Exceeded(spent), "spent %+v is under the budget", spent)
	assert.Equal(t, int(st.Requests), spent.Calls, "every request the server received is counted")
	inFlight := 2 * proseConcurrency
	if budget.MaxLMCalls > 0 {
		assert.LessOrEqual(t, int(st.Requests), budget.MaxLMCalls+inFlight)
	}
	if budget.MaxCostUSD > 0 {
		perCall := spent.Cost / float64(spent.Calls)
		// A call costs about the same as any other here (the same prompt
		// with other questions), so the overshoot is about inFlight calls.
		assert.LessOrEqual(t, spent.Cost, budget.MaxCostUSD+1.5*float64(inFlight)*perCall)
	}
}

func TestBudgetsBoundTheSpendOfAProseModel(t *testing.T) {
	many := 2000
	optimizers := map[string]func() Optimizer{
		"gepa": func() Optimizer { return &GEPA{MaxMetricCalls: &many, Seed: 3} },
		"bootstrap_random_search": func() Optimizer {
			return &BootstrapFewShotWithRandomSearch{NumCandidatePrograms: 20, MaxErrors: many, MaxBootstrappedDemos: 2, MaxLabeledDemos: 2}
		},
	}
	budgets := []Budget{{MaxLMCalls: 20}, {MaxLMCalls: 45}, {MaxCostUSD: 2}}
	for _, name := range []string{"gepa", "bootstrap_random_search"} {
		for _, budget := range budgets {
			t.Run(fmt.Sprintf("%s %+v", name, budget), func(t *testing.T) {
				srv, e := proseEngine(t, budget)
				res, err := optimizers[name]().Compile(context.Background(), e, qaTask(gepaArithmetic(11, 10), gepaArithmetic(12, 6)))
				require.NoError(t, err)
				requireBudgetBound(t, srv, e, budget, res)
			})
		}
	}
}

func TestAnEngineOverBudgetRefusesWorkBeforeCallingTheLM(t *testing.T) {
	srv, e := proseEngine(t, Budget{MaxLMCalls: 3})
	task := qaTask(gepaArithmetic(11, 8), nil)
	_, err := e.Run(context.Background(), Batch{Candidate: task.Student, Examples: task.Trainset, Label: "all"})
	require.ErrorIs(t, err, ErrStop)
	assert.Contains(t, err.Error(), "budget: ")
	sent := srv.Stats().Requests
	assert.LessOrEqual(t, int(sent), 2+2*proseConcurrency)

	_, err = e.Prompt(context.Background(), PromptCall{Text: "reflect", Label: "reflection"})
	require.ErrorIs(t, err, ErrStop)
	require.ErrorIs(t, e.Checkpoint(context.Background(), Checkpoint{}), ErrStop)
	assert.Equal(t, sent, srv.Stats().Requests, "nothing was sent once the budget was spent")
}

func TestFailedOutcomesCarryTheirUsage(t *testing.T) {
	_, e := proseEngine(t, Budget{})
	task := qaTask(gepaArithmetic(11, 3), nil)
	outs, err := e.Run(context.Background(), Batch{Candidate: task.Student, Examples: task.Trainset, Label: "all"})
	require.NoError(t, err)
	for _, o := range outs {
		require.True(t, o.Failed())
		assert.Equal(t, 2, o.Usage.Calls, "the chat call and the JSON fallback")
		assert.Positive(t, o.Usage.PromptTokens)
		assert.Positive(t, o.Usage.Cost)
	}
	assert.Equal(t, 6, e.Spent().Calls)
}
