package lm

import (
	"maps"
	"strings"
)

// Price is what a model charges, in US dollars per million tokens.
type Price struct {
	PromptPerMillion     float64 `json:"prompt_per_million"`
	CompletionPerMillion float64 `json:"completion_per_million"`
}

// Cost is the dollar cost of the given token counts at this price.
func (p Price) Cost(promptTokens, completionTokens int) float64 {
	return (float64(promptTokens)*p.PromptPerMillion + float64(completionTokens)*p.CompletionPerMillion) / 1e6
}

// defaultPrices lists OpenAI's standard (non-batch, uncached) list prices for
// a few common models. Providers change prices; Options.Prices overrides any
// entry, and models missing from the table cost zero rather than a guess.
var defaultPrices = map[string]Price{
	"gpt-4o":        {PromptPerMillion: 2.50, CompletionPerMillion: 10.00},
	"gpt-4o-mini":   {PromptPerMillion: 0.15, CompletionPerMillion: 0.60},
	"gpt-4.1":       {PromptPerMillion: 2.00, CompletionPerMillion: 8.00},
	"gpt-4.1-mini":  {PromptPerMillion: 0.40, CompletionPerMillion: 1.60},
	"gpt-4.1-nano":  {PromptPerMillion: 0.10, CompletionPerMillion: 0.40},
	"gpt-5":         {PromptPerMillion: 1.25, CompletionPerMillion: 10.00},
	"gpt-5-mini":    {PromptPerMillion: 0.25, CompletionPerMillion: 2.00},
	"gpt-5-nano":    {PromptPerMillion: 0.05, CompletionPerMillion: 0.40},
	"o3-mini":       {PromptPerMillion: 1.10, CompletionPerMillion: 4.40},
	"o4-mini":       {PromptPerMillion: 1.10, CompletionPerMillion: 4.40},
	"gpt-3.5-turbo": {PromptPerMillion: 0.50, CompletionPerMillion: 1.50},

	"text-embedding-3-small": {PromptPerMillion: 0.02},
	"text-embedding-3-large": {PromptPerMillion: 0.13},
	"text-embedding-ada-002": {PromptPerMillion: 0.10},
}

// DefaultPrices returns a copy of the built-in price table.
func DefaultPrices() map[string]Price { return maps.Clone(defaultPrices) }

// priceTable resolves a model name to its price. Servers answer with dated
// snapshots ("gpt-4o-mini-2024-07-18") and DSPy users write provider-prefixed
// names ("openai/gpt-4o-mini"), so lookup strips the prefix and falls back to
// the longest table entry the name starts with at a '-' boundary.
type priceTable map[string]Price

func newPriceTable(overrides map[string]Price) priceTable {
	t := priceTable(maps.Clone(defaultPrices))
	maps.Copy(t, overrides)
	return t
}

func (t priceTable) lookup(model string) (Price, bool) {
	if p, ok := t[model]; ok {
		return p, true
	}
	if i := strings.LastIndexByte(model, '/'); i >= 0 {
		model = model[i+1:]
		if p, ok := t[model]; ok {
			return p, true
		}
	}
	best, bestLen := Price{}, 0
	for name, p := range t {
		if len(name) > bestLen && len(model) > len(name) && model[len(name)] == '-' && strings.HasPrefix(model, name) {
			best, bestLen = p, len(name)
		}
	}
	return best, bestLen > 0
}
