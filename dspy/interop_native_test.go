package dspy_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// negateArgs are the arguments of the second tool the native cases offer, as
// DSPy infers them from def negate(x: int).
type negateArgs struct {
	X int `json:"x"`
}

var (
	interopAdd = dspy.MustTool("add", "Add two integers.", func(_ context.Context, a addArgs) (int, error) { return a.A + a.B, nil })
	// interopNegate is a second tool, so the tools field holds a list.
	interopNegate = dspy.MustTool("negate", "Negate an integer.", func(_ context.Context, a negateArgs) (int, error) { return -a.X, nil })
	// interopAgentTools are the tools of the native ReAct case: add, then
	// the "finish" ReAct adds itself, as its react step is offered them.
	interopAgentTools = func() []*dspy.Tool {
		r, err := dspy.NewNativeReAct(dspy.MustSignature("question -> answer: int"), interopAdd)
		if err != nil {
			panic(err)
		}
		return r.Tools()
	}()
)

// interopNativeTrajectory is a native ReAct's trajectory after one turn, as
// its react step reads it: the turn's thought, its tool calls and their
// observations.
const interopNativeTrajectory = "[[ ## thought_0 ## ]]\nI add 5 and 8.\n\n" +
	"[[ ## tool_calls_0 ## ]]\n{\"tool_calls\": [{\"name\": \"add\", \"args\": {\"a\": 5, \"b\": 8}}]}\n\n" +
	"[[ ## observations_0 ## ]]\n[1] «13»"

func toolCalls(calls ...dspy.ToolCall) dspy.ToolCalls { return dspy.ToolCalls{Calls: calls} }

// interopNativeCases are programs whose predictors call tools natively: the
// tools leave the prompt for the request's "tools" field. DSPy saves no
// adapter, so both sides set one with use_native_function_calling on the
// fresh program.
//
// DSPy 3.3.1 has no native ReAct (its experimental ReActV2 is another
// design: a History instead of the trajectory, a "submit" tool instead of
// the extract step), so the script builds the same program from DSPy's
// parts: DSPy's ReAct whose react step is a Predict over the signature
// NewNativeReAct gives it (a list[dspy.Tool] input "tools" and a
// dspy.ToolCalls output "next_tool_calls"). Both save as DSPy's ReAct does,
// under "react" and "extract.predict".
var interopNativeCases = []interopCase{
	{
		kind:                "native_react",
		unsortedDemoObjects: true,
		new: func(t *testing.T) dspy.Module {
			r, err := dspy.NewNativeReAct(dspy.MustSignature("question -> answer: int"), interopAdd)
			require.NoError(t, err)
			// The adapter the agent's react step uses unless told otherwise,
			// set here because the test calls the predictor alone.
			r.React.Adapter = &dspy.ChatAdapter{NativeToolCalls: true}
			return r
		},
		predictors: []interopPredictor{
			{
				path: "react",
				demos: []dspy.Example{
					dspy.NewExample("question", "What is 2 + 40?", "trajectory", "", "tools", interopAgentTools,
						"next_thought", "I add the two numbers with the tool.",
						"next_tool_calls", toolCalls(dspy.NewToolCall("add", map[string]any{"a": 2, "b": 40})), "augmented", true),
					dspy.NewExample("question", "What is 1 + 1?", "next_thought", "One and one make two; I can finish."),
				},
				inputs:     dspy.NewExample("question", "What is 5 + 8?", "trajectory", interopNativeTrajectory),
				agentTools: true,
			},
			{
				path:         "extract.predict",
				instructions: "Read the trajectory and give the final answer as an integer.",
				demos: []dspy.Example{dspy.NewExample("question", "What is 2 + 40?",
					"trajectory", "[[ ## observations_0 ## ]]\n[1] «42»",
					"reasoning", "The tool returned 42.", "answer", 42, "augmented", true)},
				inputs: dspy.NewExample("question", "What is 5 + 8?", "trajectory", interopNativeTrajectory),
			},
		},
	},
	{
		// A Predict choosing tool calls itself, with the JSON adapter, which
		// calls natively by default in DSPy and here.
		kind:                "tool_calls",
		unsortedDemoObjects: true,
		new: func(*testing.T) dspy.Module {
			p := dspy.NewPredict(dspy.MustSignature("question, tools: list[dspy.Tool] -> answer, calls: dspy.ToolCalls",
				"Answer the question; call the tools you need."))
			p.Adapter = &dspy.JSONAdapter{}
			return p
		},
		predictors: toolCallsPredictors(),
	},
	{
		// The same Predict with a chat adapter that does not call natively:
		// the tools are written into the prompt and demos' calls as JSON.
		kind:                "tool_calls_text",
		unsortedDemoObjects: true,
		new: func(*testing.T) dspy.Module {
			return dspy.NewPredict(dspy.MustSignature("question, tools: list[dspy.Tool] -> answer, calls: dspy.ToolCalls",
				"Answer the question; call the tools you need."))
		},
		predictors: toolCallsPredictors(),
	},
}

func init() { interopCases = append(interopCases, interopNativeCases...) }

// toolCallsPredictors is the predictor both ToolCalls kinds save: a demo
// with two calls, an incomplete demo, and inputs offering the same tools.
func toolCallsPredictors() []interopPredictor {
	return []interopPredictor{{
		path:         "self",
		instructions: "Call a tool for every arithmetic step.",
		demos: []dspy.Example{
			dspy.NewExample("question", "What is -(2 + 3)?", "tools", []*dspy.Tool{interopAdd, interopNegate},
				"answer", "I add, then negate.",
				"calls", toolCalls(dspy.NewToolCall("add", map[string]any{"a": 2, "b": 3}), dspy.NewToolCall("negate", map[string]any{"x": 5})),
				"augmented", true),
			dspy.NewExample("question", "What is 4 + 4?", "answer", "8"),
		},
		inputs: dspy.NewExample("question", "What is -(6 + 7)?", "tools", []*dspy.Tool{interopAdd, interopNegate}),
	}}
}
