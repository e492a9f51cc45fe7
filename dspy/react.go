package dspy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// DefaultReActMaxIters is DSPy's default cap on ReAct's tool-calling steps.
const DefaultReActMaxIters = 20

// finishToolName is the tool the agent calls to say it has what it needs.
const finishToolName = "finish"

// reactTruncations is how many times a step is retried with a shorter
// trajectory after the LM reports a context-window overflow, as in DSPy.
const reactTruncations = 3

// ReAct is a tool-using agent ("Reasoning and Acting"). At each step its
// predictor "react" sees the task inputs and the trajectory so far and picks a
// thought, a tool and the tool's arguments; the tool's result (or its error) is
// appended to the trajectory as an observation. When the agent calls "finish",
// or after MaxIters steps, the ChainOfThought "extract" reads the trajectory and
// produces the signature's outputs. The prediction holds "trajectory" (an
// Example of thought_i, tool_name_i, tool_args_i, observation_i) followed by
// extract's fields.
type ReAct struct {
	// Signature is the task: its inputs, outputs and instructions.
	Signature Signature
	// MaxIters caps the tool-calling steps; an input field "max_iters" overrides
	// it for one call, as in DSPy.
	MaxIters int
	// React picks the next thought, tool and arguments; its path is "react".
	React *Predict
	// Extract produces the outputs from the trajectory; its path is "extract.predict".
	Extract *ChainOfThought
	// Truncate shortens a trajectory that no longer fits the LM's context
	// window; nil drops the oldest step, as DSPy's truncate_trajectory does.
	Truncate func(trajectory Example) (Example, error)

	tools  []*Tool
	byName map[string]*Tool
	// native makes the react step call tools natively (NewNativeReAct).
	native bool
}

// NewReAct builds an agent for sig that may call tools. Tool names must be
// distinct; "finish" is reserved for the tool ReAct adds itself.
func NewReAct(sig Signature, tools ...*Tool) (*ReAct, error) {
	if sig.IsZero() {
		return nil, errors.New("react: empty signature")
	}
	r := &ReAct{Signature: sig, MaxIters: DefaultReActMaxIters, byName: map[string]*Tool{}}
	for _, t := range tools {
		if t == nil {
			return nil, errors.New("react: nil tool")
		}
		if t.Name() == finishToolName {
			return nil, fmt.Errorf("react: the tool name %q is reserved for the tool that ends the trajectory", finishToolName)
		}
		if r.byName[t.Name()] != nil {
			return nil, fmt.Errorf("react: two tools are named %q", t.Name())
		}
		r.tools = append(r.tools, t)
		r.byName[t.Name()] = t
	}
	outputs := tickedNames(sig.OutputNames())
	finish, err := newTool(finishToolName,
		"Marks the task as complete. That is, signals that all information for producing the outputs, i.e. "+outputs+", are now available to be extracted.",
		&jsonschema.Schema{Type: "object"}, nil, true,
		func(context.Context, map[string]any) (any, error) { return "Completed.", nil })
	if err != nil {
		return nil, err
	}
	finish.builtin = true
	r.tools = append(r.tools, finish)
	r.byName[finishToolName] = finish

	trajectory := NewField("trajectory", StringType)
	names := make([]string, len(r.tools))
	for i, t := range r.tools {
		names[i] = t.Name()
	}
	reactSig, err := NewSignature(
		append(sig.Inputs(), trajectory),
		[]Field{
			NewField("next_thought", StringType),
			NewField("next_tool_name", LiteralOf(names...)),
			NewField("next_tool_args", Type{Kind: KindObject}),
		},
		r.instructions(),
	)
	if err != nil {
		return nil, fmt.Errorf("react over %s: %w", sig, err)
	}
	extractSig, err := NewSignature(append(sig.Inputs(), trajectory), sig.Outputs(), sig.Instructions())
	if err != nil {
		return nil, fmt.Errorf("react over %s: %w", sig, err)
	}
	r.React = NewPredict(reactSig)
	if r.Extract, err = NewChainOfThought(extractSig); err != nil {
		return nil, fmt.Errorf("react over %s: %w", sig, err)
	}
	return r, nil
}

// agentPreamble is how both kinds of react step's instructions begin: the
// task's own instructions, then who the agent is and what it collects.
func (r *ReAct) agentPreamble() []string {
	var instr []string
	if r.Signature.Instructions() != "" {
		instr = append(instr, r.Signature.Instructions()+"\n")
	}
	return append(instr,
		"You are an Agent. In each episode, you will be given the fields "+tickedNames(r.Signature.InputNames())+" as input. And you can see your past trajectory so far.",
		"Your goal is to use one or more of the supplied tools to collect any necessary information for producing "+tickedNames(r.Signature.OutputNames())+".\n",
	)
}

// instructions builds the react predictor's instructions from the task's and
// the tool list, in DSPy's words so prompts and saved programs match Python's.
func (r *ReAct) instructions() string {
	instr := r.agentPreamble()
	instr = append(instr,
		"To do this, you will interleave next_thought, next_tool_name, and next_tool_args in each turn, and also when finishing the task.",
		"After each tool call, you receive a resulting observation, which gets appended to your trajectory.\n",
		"When writing next_thought, you may reason about the current situation and plan for future steps.",
		"When selecting the next_tool_name and its next_tool_args, the tool must be one of:\n",
	)
	for i, t := range r.tools {
		instr = append(instr, fmt.Sprintf("(%d) %s", i+1, t))
	}
	instr = append(instr, "When providing `next_tool_args`, the value inside the field must be in JSON format")
	return strings.Join(instr, "\n")
}

// Tools returns the agent's tools in prompt order, "finish" last.
func (r *ReAct) Tools() []*Tool { return append([]*Tool(nil), r.tools...) }

// Predictors returns "react" and "extract.predict", DSPy's paths.
func (r *ReAct) Predictors() []NamedPredictor {
	if r.React == nil || r.Extract == nil {
		return nil
	}
	out := PrefixPredictors("react", r.React.Predictors())
	return append(out, PrefixPredictors("extract", r.Extract.Predictors())...)
}

// Call runs the agent loop on inputs and extracts the outputs.
func (r *ReAct) Call(ctx context.Context, inputs Example) (_ Prediction, err error) {
	ctx, span := startModuleSpan(ctx, r, "ReAct")
	defer span.end(&err)
	if r.React == nil || r.Extract == nil {
		return Prediction{}, errors.New("react: not initialised (use NewReAct)")
	}
	maxIters, err := r.maxIters(inputs)
	if err != nil {
		return Prediction{}, err
	}
	if r.native {
		return r.callNative(ctx, inputs, maxIters)
	}
	var (
		trajectory Example
		usage      Usage
	)
	for idx := 0; idx < maxIters; idx++ {
		if err := ctx.Err(); err != nil {
			return Prediction{}, fmt.Errorf("react step %d: %w", idx, err)
		}
		var pred Prediction
		pred, trajectory, err = r.callWithTruncation(ctx, r.React, trajectory, inputs)
		if err != nil {
			if endsTrajectory(err) {
				slog.WarnContext(ctx, "react: ending the trajectory: the agent failed to select a valid tool", "step", idx, "err", err)
				break
			}
			return Prediction{}, fmt.Errorf("react step %d: %w", idx, err)
		}
		usage = usage.Add(pred.Usage)
		name := pred.GetString("next_tool_name")
		args, _ := pred.Get("next_tool_args")
		thought, _ := pred.Get("next_thought")
		i := strconv.Itoa(idx)
		trajectory = trajectory.
			Set("thought_"+i, thought).
			Set("tool_name_"+i, name).
			Set("tool_args_"+i, args)
		observation := r.runTool(ctx, name, args)
		if err := ctx.Err(); err != nil {
			return Prediction{}, fmt.Errorf("react step %d, tool %s: %w", idx, name, err)
		}
		trajectory = trajectory.Set("observation_"+i, observation)
		if name == finishToolName {
			break
		}
	}
	return r.extract(ctx, trajectory, inputs, usage)
}

func (r *ReAct) maxIters(inputs Example) (int, error) {
	v, ok := inputs.Get("max_iters")
	if !ok {
		if r.MaxIters <= 0 {
			return DefaultReActMaxIters, nil
		}
		return r.MaxIters, nil
	}
	switch n := v.(type) {
	case int:
		return n, nil
	case int64:
		return int(n), nil
	case float64:
		if n == math.Trunc(n) {
			return int(n), nil
		}
	}
	return 0, fmt.Errorf("react: input max_iters must be an integer, got %v", v)
}

// runTool calls the named tool and returns the observation: its result, or the
// error text DSPy shows the agent so it can correct itself. The call is
// traced as a tool-execution span under the agent's.
func (r *ReAct) runTool(ctx context.Context, name string, args any) any {
	tool := r.byName[name]
	ctx, span := startToolSpan(ctx, tool, name, "", args)
	result, err := callTool(ctx, tool, name, args)
	span.end(result, err)
	if err != nil {
		return fmt.Sprintf("Execution error in %s: %v", name, err)
	}
	return result
}

// callTool runs tool (nil when the agent named none it has) on the
// arguments a text-mode step wrote.
func callTool(ctx context.Context, tool *Tool, name string, args any) (any, error) {
	if tool == nil {
		return nil, noToolError{name: name}
	}
	var argMap map[string]any
	switch a := args.(type) {
	case map[string]any:
		argMap = a
	case Example:
		argMap = a.Map()
	case nil:
		argMap = map[string]any{}
	default:
		return nil, fmt.Errorf("next_tool_args must be a JSON object, got %s", ValueString(args))
	}
	return tool.Call(ctx, argMap)
}

// noToolError is a text-mode step naming a tool the agent was not offered;
// its text is what the agent is shown.
type noToolError struct{ name string }

func (e noToolError) Error() string { return fmt.Sprintf("there is no tool named %q", e.name) }

// callWithTruncation calls m with the formatted trajectory, dropping the oldest
// steps when the LM says the prompt exceeds its context window. It returns the
// trajectory it ended with, which later steps keep using, as DSPy does.
func (r *ReAct) callWithTruncation(ctx context.Context, m Module, trajectory Example, inputs Example) (Prediction, Example, error) {
	var lastErr error
	for range reactTruncations {
		pred, err := m.Call(ctx, inputs.Set("trajectory", FormatTrajectory(trajectory)))
		if err == nil {
			return pred, trajectory, nil
		}
		var lmErr *LMError
		if !errors.As(err, &lmErr) || lmErr.Kind != ErrKindContextLength {
			return Prediction{}, trajectory, err
		}
		lastErr = err
		slog.WarnContext(ctx, "react: the trajectory exceeded the context window; truncating the oldest tool call", "keys", trajectory.Len())
		truncate := r.Truncate
		switch {
		case truncate != nil:
		case r.native:
			truncate = truncateOldestTurn
		default:
			truncate = TruncateTrajectory
		}
		shorter, terr := truncate(trajectory)
		if terr != nil {
			return Prediction{}, trajectory, &TrajectoryTooLongError{Err: errors.Join(terr, err)}
		}
		trajectory = shorter
	}
	return Prediction{}, trajectory, &TrajectoryTooLongError{Err: lastErr}
}

// TrajectoryTooLongError means a ReAct prompt exceeded the LM's context window
// even after the trajectory was truncated. Err wraps the LM's error.
type TrajectoryTooLongError struct {
	Err error
}

func (e *TrajectoryTooLongError) Error() string {
	return fmt.Sprintf("react: the context window was exceeded even after %d attempts to truncate the trajectory: %v", reactTruncations, e.Err)
}

func (e *TrajectoryTooLongError) Unwrap() error { return e.Err }

// TruncateTrajectory drops the oldest step (its thought, tool name, tool args
// and observation) from a ReAct trajectory. It fails when fewer than one full
// step is left, since nothing could then be dropped.
func TruncateTrajectory(trajectory Example) (Example, error) {
	keys := trajectory.Keys()
	if len(keys) < 4 {
		return trajectory, errors.New("the trajectory is too long so your prompt exceeded the context window, but the trajectory cannot be truncated because it only has one tool call")
	}
	return trajectory.Without(keys[:4]...), nil
}

// FormatTrajectory renders a trajectory as the "trajectory" input: one
// "[[ ## key ## ]]" block per entry, each value formatted as a text input
// field, the way DSPy's ChatAdapter.format_user_message_content does, so the
// agent sees the same text as in Python (whichever adapter runs the calls).
func FormatTrajectory(trajectory Example) string {
	blocks := make([]string, 0, trajectory.Len())
	for _, k := range trajectory.Keys() {
		v, _ := trajectory.Get(k)
		blocks = append(blocks, "[[ ## "+k+" ## ]]\n"+formatFieldValue(NewField(k, StringType), v))
	}
	return strings.TrimSpace(strings.Join(blocks, "\n\n"))
}

// tickedNames renders names as DSPy lists them in instructions: `a`, `b`.
func tickedNames(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "`" + n + "`"
	}
	return strings.Join(quoted, ", ")
}

// endsTrajectory reports whether a step's error ends the agent's loop rather
// than its call: as in DSPy, a step whose reply does not parse (such as a
// tool name that is not offered) or that cannot fit the window stops the
// steps, and the extractor still answers from what was gathered.
func endsTrajectory(err error) bool {
	var parseErr *ParseError
	var tooLong *TrajectoryTooLongError
	return errors.As(err, &parseErr) || errors.As(err, &tooLong)
}

// extract ends either loop: the extractor answers from the trajectory
// gathered, and the prediction holds both, with every step's usage.
func (r *ReAct) extract(ctx context.Context, trajectory, inputs Example, usage Usage) (Prediction, error) {
	extract, trajectory, err := r.callWithTruncation(ctx, r.Extract, trajectory, inputs)
	if err != nil {
		return Prediction{}, fmt.Errorf("react extract: %w", err)
	}
	out := NewExample("trajectory", trajectory).Merge(extract.Example)
	return Prediction{Example: out, Usage: usage.Add(extract.Usage)}, nil
}
