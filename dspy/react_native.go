package dspy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
)

// reactToolsField is the react predictor's input holding the tools when
// ReAct calls them natively.
const reactToolsField = "tools"

// nativeReactAdapter is the adapter the react step of a native ReAct uses
// when neither its predictor nor the context names one.
var nativeReactAdapter = &ChatAdapter{NativeToolCalls: true}

// NewNativeReAct builds an agent for sig whose react step calls tools
// through the LM's native function calling: the tools (and "finish") go in
// the request's "tools" field, the step answers with a thought and any
// number of tool calls, and every call of a turn runs (concurrently when no
// ToolRunner is set, otherwise one after the other) before the next turn.
// The trajectory records, per turn i, "thought_i", "tool_calls_i" (the
// ToolCalls) and "observations_i" (one result per call, in call order). A
// turn calling no tool, or calling "finish", ends the loop.
//
// The react step uses a ChatAdapter with NativeToolCalls unless its
// predictor or the context names an adapter; a JSONAdapter calls natively
// by default too, while an adapter that does not (a plain ChatAdapter, say)
// has the calls written as JSON text, as DSPy does without native calling.
func NewNativeReAct(sig Signature, tools ...*Tool) (*ReAct, error) {
	if sig.IsZero() {
		return nil, errors.New("react: empty signature")
	}
	if _, _, taken := sig.Field(reactToolsField); taken {
		return nil, fmt.Errorf("react over %s: the field name %q is taken by the tools a native ReAct offers", sig, reactToolsField)
	}
	r, err := NewReAct(sig, tools...)
	if err != nil {
		return nil, err
	}
	r.native = true
	reactSig, err := NewSignature(
		append(sig.Inputs(), NewField("trajectory", StringType), NewField(reactToolsField, ListOf(ToolType))),
		[]Field{NewField("next_thought", StringType), NewField("next_tool_calls", ToolCallsType)},
		r.nativeInstructions(),
	)
	if err != nil {
		return nil, fmt.Errorf("react over %s: %w", sig, err)
	}
	r.React = NewPredict(reactSig)
	return r, nil
}

// Native reports whether the agent calls tools natively (NewNativeReAct).
func (r *ReAct) Native() bool { return r.native }

// nativeInstructions are the react step's instructions when the tools
// travel natively: they need no list of tools or argument format.
func (r *ReAct) nativeInstructions() string {
	outputs := tickedNames(r.Signature.OutputNames())
	instr := r.agentPreamble()
	instr = append(instr,
		"To do this, in each turn you will write next_thought and call one or more of the supplied tools; calls that do not depend on each other may be made in the same turn.",
		"After each turn, the result of every tool call is appended to your trajectory as an observation.\n",
		"When writing next_thought, you may reason about the current situation and plan for future steps.",
		"When all information for producing "+outputs+" is available, call the `finish` tool.",
	)
	return strings.Join(instr, "\n")
}

// callNative is Call for a native agent.
func (r *ReAct) callNative(ctx context.Context, inputs Example, maxIters int) (Prediction, error) {
	reactCtx := ctx
	if r.React.Adapter == nil && AdapterFromContext(ctx) == nil {
		reactCtx = WithAdapter(ctx, nativeReactAdapter)
	}
	stepInputs := inputs.Set(reactToolsField, r.Tools())
	var (
		trajectory Example
		usage      Usage
	)
	for idx := 0; idx < maxIters; idx++ {
		if err := ctx.Err(); err != nil {
			return Prediction{}, fmt.Errorf("react step %d: %w", idx, err)
		}
		pred, shorter, err := r.callWithTruncation(reactCtx, r.React, trajectory, stepInputs)
		trajectory = shorter
		if err != nil {
			if endsTrajectory(err) {
				slog.WarnContext(ctx, "react: ending the trajectory: the agent failed to call a tool", "step", idx, "err", err)
				break
			}
			return Prediction{}, fmt.Errorf("react step %d: %w", idx, err)
		}
		usage = usage.Add(pred.Usage)
		thought, _ := pred.Get("next_thought")
		calls, _ := pred.Get("next_tool_calls")
		tc, _ := calls.(ToolCalls)
		observations := r.runToolCalls(ctx, tc)
		if err := ctx.Err(); err != nil {
			return Prediction{}, fmt.Errorf("react step %d: %w", idx, err)
		}
		i := strconv.Itoa(idx)
		trajectory = trajectory.
			Set("thought_"+i, thought).
			Set("tool_calls_"+i, tc).
			Set("observations_"+i, observations)
		if len(tc.Calls) == 0 || tc.calls(finishToolName) {
			break
		}
	}
	return r.extract(ctx, trajectory, inputs, usage)
}

// calls reports whether any call names the tool.
func (tc ToolCalls) calls(name string) bool {
	for _, c := range tc.Calls {
		if c.Name == name {
			return true
		}
	}
	return false
}

// runToolCalls runs every call of a turn and returns the observations in
// call order: each tool's result, or the error text DSPy shows the agent
// ("Execution error in NAME: ...") for an unknown tool, arguments that break
// the schema or a failing tool. Calls run concurrently, except under a
// ToolRunner (a durable runtime records them one after another); each is
// traced as a tool-execution span under the agent's.
func (r *ReAct) runToolCalls(ctx context.Context, tc ToolCalls) []any {
	observations := make([]any, len(tc.Calls))
	run := func(i int) {
		c := tc.Calls[i]
		ctx, span := startToolSpan(ctx, r.byName[c.Name], c.Name, c.ID, c.Args)
		result, err := c.Execute(ctx, r.tools...)
		span.end(result, err)
		if err != nil {
			observations[i] = fmt.Sprintf("Execution error in %s: %v", c.Name, err)
			return
		}
		observations[i] = result
	}
	if ToolRunnerFromContext(ctx) != nil || len(tc.Calls) < 2 {
		for i := range tc.Calls {
			run(i)
		}
		return observations
	}
	var wg sync.WaitGroup
	for i := range tc.Calls {
		wg.Go(func() { run(i) })
	}
	wg.Wait()
	return observations
}

// truncateOldestTurn drops the oldest turn of a native trajectory: every key
// with the index of the first one. It fails when one turn or less is left.
func truncateOldestTurn(trajectory Example) (Example, error) {
	keys := trajectory.Keys()
	if len(keys) == 0 {
		return trajectory, errors.New("the trajectory is empty, so it cannot be truncated")
	}
	suffix := keys[0][strings.LastIndexByte(keys[0], '_'):]
	var drop []string
	for _, k := range keys {
		if strings.HasSuffix(k, suffix) {
			drop = append(drop, k)
		}
	}
	if len(drop) == len(keys) {
		return trajectory, errors.New("the trajectory is too long so your prompt exceeded the context window, but the trajectory cannot be truncated because it only has one turn of tool calls")
	}
	return trajectory.Without(drop...), nil
}
