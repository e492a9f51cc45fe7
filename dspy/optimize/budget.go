package optimize

import (
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// Budget caps what an optimization may spend; zero means no cap. Engines
// check it before they start more work (an example, a prompt-model call) and
// at every checkpoint, so a run that reaches a cap ends cleanly with the best
// program so far, having spent at most the cap plus the calls already in
// flight. Spending counts every request the provider answered, as
// dspy.Usage does: replies that did not parse, adapter fallbacks, failed
// examples and retried attempts included.
type Budget struct {
	// MaxLMCalls caps the requests that reached the LM server (cache hits
	// are free and not counted).
	MaxLMCalls int `json:"max_lm_calls,omitempty"`
	// MaxTokens caps prompt plus completion tokens.
	MaxTokens int `json:"max_tokens,omitempty"`
	// MaxCostUSD caps the cost in US dollars, where the model's prices are known.
	MaxCostUSD float64 `json:"max_cost_usd,omitempty"`
}

// Exceeded names the first cap spent has reached, or returns "".
func (b Budget) Exceeded(spent dspy.Usage) string {
	billed := spent.Calls - spent.CacheHits
	switch {
	case b.MaxLMCalls > 0 && billed >= b.MaxLMCalls:
		return fmt.Sprintf("%d LM calls reached the cap of %d", billed, b.MaxLMCalls)
	case b.MaxTokens > 0 && spent.TotalTokens() >= b.MaxTokens:
		return fmt.Sprintf("%d tokens reached the cap of %d", spent.TotalTokens(), b.MaxTokens)
	case b.MaxCostUSD > 0 && spent.Cost >= b.MaxCostUSD:
		return fmt.Sprintf("$%.4f reached the cap of $%.2f", spent.Cost, b.MaxCostUSD)
	}
	return ""
}

// BudgetStop is the error an engine returns, from Run, Prompt or
// Checkpoint, once the budget is spent. It wraps ErrStop, so the optimizer
// finishes with its best program so far.
func BudgetStop(reason string) error {
	return fmt.Errorf("%w: budget: %s", ErrStop, reason)
}
