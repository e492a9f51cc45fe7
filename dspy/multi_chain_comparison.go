package dspy

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// DefaultMultiChainTemperature is the sampling temperature DSPy gives the
// comparison call.
const DefaultMultiChainTemperature = 0.7

// MultiChainComparison reads M earlier attempts at a task (for instance M
// ChainOfThought samples) and writes a corrected reasoning and a final answer.
// Each attempt is shown to the LM as an input "reasoning_attempt_i" of the form
// «I'm trying to <first line of its reasoning> I'm not sure but my prediction
// is <first line of its answer>»; the output "rationale" comes before the
// signature's outputs.
type MultiChainComparison struct {
	// M is the number of attempts every call must supply.
	M int
	// Predict is the comparison predictor, at path "predict" as in DSPy.
	Predict *Predict
	// lastKey is the answer field quoted in each attempt: the signature's last output.
	lastKey string
}

// NewMultiChainComparison builds the comparison module for sig over m attempts
// (DSPy's default is 3).
func NewMultiChainComparison(sig Signature, m int) (*MultiChainComparison, error) {
	if m <= 0 {
		return nil, fmt.Errorf("multi-chain comparison: M must be positive, got %d", m)
	}
	outs := sig.OutputNames()
	if len(outs) == 0 {
		return nil, errors.New("multi-chain comparison: the signature has no output field")
	}
	extended := sig
	var err error
	for i := 1; i <= m; i++ {
		f := Field{
			Name:   fmt.Sprintf("reasoning_attempt_%d", i),
			Type:   StringType,
			Desc:   "${reasoning attempt}",
			Prefix: fmt.Sprintf("Student Attempt #%d:", i),
		}
		if extended, err = extended.Append(f, true); err != nil {
			return nil, fmt.Errorf("multi-chain comparison over %s: %w", sig, err)
		}
	}
	rationale := Field{
		Name:   "rationale",
		Type:   StringType,
		Desc:   "${corrected reasoning}",
		Prefix: "Accurate Reasoning: Thank you everyone. Let's now holistically",
	}
	if extended, err = extended.Prepend(rationale, false); err != nil {
		return nil, fmt.Errorf("multi-chain comparison over %s: %w", sig, err)
	}
	p := NewPredict(extended)
	p.Config.Temperature = Float(DefaultMultiChainTemperature)
	return &MultiChainComparison{M: m, Predict: p, lastKey: outs[len(outs)-1]}, nil
}

// Compare runs the comparison over completions (each with "rationale" or
// "reasoning" and the signature's last output) and the task inputs.
func (c *MultiChainComparison) Compare(ctx context.Context, completions []Example, inputs Example) (Prediction, error) {
	if c.Predict == nil {
		return Prediction{}, errors.New("multi-chain comparison: not initialised (use NewMultiChainComparison)")
	}
	if len(completions) != c.M {
		return Prediction{}, fmt.Errorf("multi-chain comparison: the number of attempts (%d) doesn't match the expected number M (%d); set M to the number of completions you pass", len(completions), c.M)
	}
	attempts := NewExample()
	for i, comp := range completions {
		rationale, ok := comp.Get("rationale")
		if !ok {
			rationale, ok = comp.Get("reasoning")
		}
		if !ok {
			return Prediction{}, fmt.Errorf("multi-chain comparison: completion %d has neither \"rationale\" nor \"reasoning\"", i+1)
		}
		answer, ok := comp.Get(c.lastKey)
		if !ok {
			return Prediction{}, fmt.Errorf("multi-chain comparison: completion %d has no %q", i+1, c.lastKey)
		}
		text := fmt.Sprintf("«I'm trying to %s I'm not sure but my prediction is %s»",
			mccFirstLine(ValueString(rationale)), mccFirstLine(ValueString(answer)))
		attempts = attempts.Set(fmt.Sprintf("reasoning_attempt_%d", i+1), text)
	}
	return c.Predict.Call(ctx, attempts.Merge(inputs))
}

// Call runs Compare with the attempts taken from the input field
// "completions" ([]Example, []Prediction or []map[string]any); the other
// fields are the task inputs.
func (c *MultiChainComparison) Call(ctx context.Context, inputs Example) (_ Prediction, err error) {
	ctx, span := startModuleSpan(ctx, c, "MultiChainComparison")
	defer span.end(&err)
	raw, ok := inputs.Get("completions")
	if !ok {
		return Prediction{}, errors.New("multi-chain comparison: pass the attempts as the input field \"completions\", or call Compare")
	}
	var completions []Example
	switch cs := raw.(type) {
	case []Example:
		completions = cs
	case []Prediction:
		for _, p := range cs {
			completions = append(completions, p.Example)
		}
	case []map[string]any:
		for _, m := range cs {
			completions = append(completions, ExampleFromMap(m))
		}
	case []any:
		for i, v := range cs {
			switch x := v.(type) {
			case Example:
				completions = append(completions, x)
			case Prediction:
				completions = append(completions, x.Example)
			case map[string]any:
				completions = append(completions, ExampleFromMap(x))
			default:
				return Prediction{}, fmt.Errorf("multi-chain comparison: completion %d is a %T, not an example", i+1, v)
			}
		}
	default:
		return Prediction{}, fmt.Errorf("multi-chain comparison: \"completions\" is a %T, not a list of examples", raw)
	}
	return c.Compare(ctx, completions, inputs.Without("completions"))
}

// Predictors returns the predictor at DSPy's path "predict".
func (c *MultiChainComparison) Predictors() []NamedPredictor {
	if c.Predict == nil {
		return nil
	}
	return []NamedPredictor{{Name: "predict", Predictor: c.Predict}}
}

// mccFirstLine is Python's s.strip().split("\n")[0].strip().
func mccFirstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
