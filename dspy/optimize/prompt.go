package optimize

import (
	"context"
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// Prompt makes one call of the prompt model lm and returns every
// completion's output fields: it formats call through its signature and
// parses the replies, or, when call.Text is set, sends the text as is and
// returns the replies unparsed under "text". Every engine answers
// Engine.Prompt with it, so a call costs and reads the same wherever it runs.
//
// The call waits for a slot of a capped LM Ahead of others (see
// dspy.Precedence): prompt calls are few, and each gates the optimizer's
// next step (a summary, a proposal, a reflection), while the programs it
// scores make many calls that can wait a round.
func Prompt(ctx context.Context, lm dspy.LM, call PromptCall) ([]dspy.Example, error) {
	if lm == nil {
		return nil, fmt.Errorf("prompt %s: no prompt model", call.name())
	}
	ctx = dspy.WithPrecedence(ctx, dspy.PrecedenceAhead)
	if call.Text != "" {
		return promptText(ctx, lm, call)
	}
	p := dspy.NewPredict(call.Signature)
	p.Demos = call.Demos
	p.LM = lm
	p.Config.N = call.N
	if call.Rollout != 0 {
		ctx = dspy.WithCallOptions(ctx, dspy.CallOptions{Temperature: call.Temperature, Rollout: call.Rollout})
	}
	p.Config.Temperature = call.Temperature
	pred, err := p.Call(ctx, call.Inputs)
	if err != nil {
		return nil, fmt.Errorf("prompt %s: %w", call.name(), err)
	}
	if len(pred.Completions) > 0 {
		return pred.Completions, nil
	}
	return []dspy.Example{pred.Example}, nil
}

// promptText sends a plain-text prompt and returns each completion as is.
func promptText(ctx context.Context, lm dspy.LM, call PromptCall) ([]dspy.Example, error) {
	resp, err := dspy.CallLM(ctx, lm, dspy.LMRequest{
		Messages:    []dspy.Message{{Role: "user", Content: call.Text}},
		Temperature: call.Temperature, N: call.N, Rollout: call.Rollout,
	})
	if err != nil {
		return nil, fmt.Errorf("prompt %s: %w", call.name(), err)
	}
	if len(resp.Outputs) == 0 {
		return nil, fmt.Errorf("prompt %s: the LM returned no completion", call.name())
	}
	outs := make([]dspy.Example, len(resp.Outputs))
	for i, text := range resp.Outputs {
		outs[i] = dspy.NewExample("text", text)
	}
	return outs, nil
}
