package dspy

import (
	"context"
	"fmt"
)

// ReasoningField is the output ChainOfThought prepends: "reasoning", with the
// description and prefix DSPy 3.3 saves, so saved programs match Python's.
func ReasoningField() Field {
	return Field{Name: "reasoning", Type: StringType, Desc: "${reasoning}", Prefix: "Reasoning:"}
}

// ChainOfThought asks the LM to reason step by step before answering: it is a
// Predict whose signature has the output "reasoning" before the others. The
// reasoning is returned with the prediction and kept in bootstrapped demos,
// which is what makes the demos teach a way of thinking, not only answers.
type ChainOfThought struct {
	// Predict is the underlying predictor, at path "predict" as in DSPy.
	Predict *Predict
}

// NewChainOfThought returns a ChainOfThought over sig. It fails when sig
// already has a field named "reasoning".
func NewChainOfThought(sig Signature) (*ChainOfThought, error) {
	extended, err := sig.Prepend(ReasoningField(), false)
	if err != nil {
		return nil, fmt.Errorf("chain of thought over %s: %w", sig, err)
	}
	return &ChainOfThought{Predict: NewPredict(extended)}, nil
}

// Call runs the predictor; the prediction holds "reasoning" then the outputs.
func (c *ChainOfThought) Call(ctx context.Context, inputs Example) (_ Prediction, err error) {
	ctx, span := startModuleSpan(ctx, c, "ChainOfThought")
	defer span.end(&err)
	if c.Predict == nil {
		return Prediction{}, fmt.Errorf("chain of thought: no predictor (use NewChainOfThought)")
	}
	return c.Predict.Call(ctx, inputs)
}

// Predictors returns the predictor at DSPy's path "predict".
func (c *ChainOfThought) Predictors() []NamedPredictor {
	if c.Predict == nil {
		return nil
	}
	return []NamedPredictor{{Name: "predict", Predictor: c.Predict}}
}

// Signature returns the extended signature (with "reasoning").
func (c *ChainOfThought) Signature() Signature { return c.Predict.Signature }
