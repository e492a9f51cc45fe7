package dspy

import (
	"context"
	"errors"
	"fmt"
)

// nativeTools is what native function calling changes in one adapter call,
// as DSPy's Adapter._call_preprocess plans it: the tools input and the
// ToolCalls output leave the prompt, the tools go in the request's "tools"
// field, and the reply's tool calls fill the ToolCalls output.
type nativeTools struct {
	// sig is the signature the prompt is written and the text parsed with.
	sig Signature
	// output is the ToolCalls field the calls fill.
	output string
	tools  []ToolDefinition
}

// planNativeTools returns the plan for a call of sig, or nil when native
// function calling is off or sig has no ToolCalls output. A ToolCalls output
// without a tools input is an error, as in DSPy.
func planNativeTools(native bool, sig Signature, inputs Example) (*nativeTools, error) {
	if !native {
		return nil, nil
	}
	output, input := "", ""
	for _, f := range sig.outputs {
		if isToolCallsType(f.Type) {
			output = f.Name
			break
		}
	}
	if output == "" {
		return nil, nil
	}
	for _, f := range sig.inputs {
		if isToolsType(f.Type) {
			input = f.Name
			break
		}
	}
	if input == "" {
		return nil, fmt.Errorf("output field %q receives tool calls, but no input holds tools: %w", output, errNoTools)
	}
	v, _ := inputs.Get(input)
	_, defs, ok := toolDefinitions(v)
	if !ok {
		return nil, fmt.Errorf("input %q must hold a *dspy.Tool or a []*dspy.Tool, got %T", input, v)
	}
	return &nativeTools{sig: sig.Without(input).Without(output), output: output, tools: defs}, nil
}

// formatSignature is the signature the prompt is written with.
func (p *nativeTools) formatSignature(sig Signature) Signature {
	if p == nil {
		return sig
	}
	return p.sig
}

// callAndParse calls the LM and reads every completion. Without a plan it is
// the plain callAndParse. With one, it reads each completion as DSPy's
// _call_postprocess does: text without tool calls must parse; text beside
// tool calls is parsed if it can be (else the text outputs are left empty);
// no text and no calls is an error. Outputs the reply does not fill are nil,
// and the tool calls fill the ToolCalls output.
func (p *nativeTools) callAndParse(ctx context.Context, lm LM, req LMRequest, original Signature, msgs []Message, adapter string, parse func(string) (Example, error)) (AdapterResult, error) {
	if p == nil {
		return callAndParse(ctx, lm, req, msgs, parse)
	}
	req.Messages = msgs
	req.Tools = p.tools
	resp, err := CallLM(ctx, lm, req)
	if err != nil {
		return AdapterResult{Messages: msgs, Usage: resp.Usage}, err
	}
	res := AdapterResult{Usage: resp.Usage, Messages: msgs, Raw: resp.Outputs}
	res.Outputs = make([]Example, 0, len(resp.Outputs))
	for i, text := range resp.Outputs {
		var calls []LMToolCall
		if i < len(resp.ToolCalls) {
			calls = resp.ToolCalls[i]
		}
		var parsed Example
		switch {
		case text != "" && len(calls) == 0:
			if parsed, err = parse(text); err != nil {
				return res, err
			}
		case len(calls) > 0:
			if text != "" && len(p.sig.outputs) > 0 {
				if got, err := parse(text); err == nil {
					parsed = got
				}
			}
		default:
			return res, &ParseError{Adapter: adapter, Raw: text, Err: errors.New("the LM returned an empty or null response")}
		}
		out := Example{keys: make([]string, 0, len(original.outputs)), values: make(map[string]any, len(original.outputs))}
		for _, f := range original.outputs {
			v, _ := parsed.Get(f.Name)
			if f.Name == p.output && len(calls) > 0 {
				v = ToolCallsFromLM(calls)
			}
			out.keys = append(out.keys, f.Name)
			out.values[f.Name] = v
		}
		res.Outputs = append(res.Outputs, out)
	}
	return res, nil
}

// ToolCallsFromLM reads the tool calls of one completion, their arguments
// parsed leniently (ParseToolArguments).
func ToolCallsFromLM(calls []LMToolCall) ToolCalls {
	out := ToolCalls{Calls: make([]ToolCall, len(calls))}
	for i, c := range calls {
		args, order := ParseToolArguments(c.Arguments)
		out.Calls[i] = ToolCall{ID: c.ID, Name: c.Name, Args: args, order: order}
	}
	return out
}
