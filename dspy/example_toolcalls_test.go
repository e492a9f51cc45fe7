package dspy_test

import (
	"context"
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// toolCallingLM stands in for a model with native function calling: it
// answers every request that offers tools by calling the first one.
type toolCallingLM struct{}

func (toolCallingLM) Call(_ context.Context, req dspy.LMRequest) (dspy.LMResponse, error) {
	if len(req.Tools) == 0 {
		return dspy.LMResponse{Outputs: []string{"[[ ## reasoning ## ]]\nThe tool said so.\n\n[[ ## answer ## ]]\nsunny\n\n[[ ## completed ## ]]"}}, nil
	}
	call := dspy.LMToolCall{ID: "call_1", Name: req.Tools[0].Function.Name, Arguments: `{"city": "Lisbon"}`}
	thought := "[[ ## next_thought ## ]]\nI should check the weather.\n\n[[ ## completed ## ]]"
	return dspy.LMResponse{Outputs: []string{thought}, ToolCalls: [][]dspy.LMToolCall{{call}}}, nil
}

func (toolCallingLM) ModelName() string { return "tool-caller" }

func Example_nativeToolCalls() {
	weather := dspy.MustTool("get_weather", "Returns today's weather in a city.",
		func(ctx context.Context, args exampleCityArgs) (string, error) {
			return "sunny in " + args.City, nil
		})
	// The tools travel in the request's "tools" field and the model's
	// tool_calls fill the ToolCalls output, as DSPy's use_native_function_calling does.
	ctx := dspy.WithAdapter(dspy.WithLM(context.Background(), toolCallingLM{}), &dspy.ChatAdapter{NativeToolCalls: true})
	pick := dspy.NewPredict(dspy.MustSignature("question, tools: list[Tool] -> calls: ToolCalls"))
	pred, err := pick.Call(ctx, dspy.NewExample("question", "Weather in Lisbon?", "tools", []*dspy.Tool{weather}))
	if err != nil {
		panic(err)
	}
	calls, _ := pred.Get("calls")
	for _, c := range calls.(dspy.ToolCalls).Calls {
		out, err := c.Execute(ctx, weather)
		fmt.Println(c.Name, c.Args, "->", out, err)
	}
	// Output:
	// get_weather map[city:Lisbon] -> sunny in Lisbon <nil>
}

func ExampleNewNativeReAct() {
	weather := dspy.MustTool("get_weather", "Returns today's weather in a city.",
		func(ctx context.Context, args exampleCityArgs) (string, error) {
			return "sunny in " + args.City, nil
		})
	agent, err := dspy.NewNativeReAct(dspy.MustSignature("question -> answer"), weather)
	if err != nil {
		panic(err)
	}
	agent.MaxIters = 1
	pred, err := agent.Call(dspy.WithLM(context.Background(), toolCallingLM{}), dspy.NewExample("question", "Weather in Lisbon?"))
	if err != nil {
		panic(err)
	}
	trajectory, _ := pred.Get("trajectory")
	fmt.Println(dspy.FormatTrajectory(trajectory.(dspy.Example)))
	fmt.Println(pred.GetString("answer"))
	// Output:
	// [[ ## thought_0 ## ]]
	// I should check the weather.
	//
	// [[ ## tool_calls_0 ## ]]
	// {"tool_calls": [{"name": "get_weather", "args": {"city": "Lisbon"}}]}
	//
	// [[ ## observations_0 ## ]]
	// «sunny in Lisbon»
	// sunny
}
