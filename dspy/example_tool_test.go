package dspy_test

import (
	"context"
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
)

func ExampleNewToolWithJSONSchema() {
	// The schema DSPy derives from
	//
	//	def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str
	//
	// as JSON text, say from a file: the tool keeps its key order.
	schema := []byte(`{
		"type": "object",
		"properties": {
			"city": {"type": "string"},
			"unit": {"enum": ["celsius", "fahrenheit"], "type": "string", "default": "celsius"}
		},
		"required": ["city"]
	}`)
	tool, err := dspy.NewToolWithJSONSchema("get_weather", "Get the current weather for a city.", schema,
		func(ctx context.Context, args map[string]any) (any, error) {
			return fmt.Sprintf("sunny in %s", args["city"]), nil
		})
	if err != nil {
		panic(err)
	}
	// This is how ReAct lists the tool to the LM, as DSPy lists the Python function.
	fmt.Println(tool)
	fmt.Println(tool.Call(context.Background(), map[string]any{"city": "Oslo"}))
	_, err = tool.Call(context.Background(), map[string]any{"city": "Oslo", "unit": "kelvin"})
	fmt.Println(err != nil)
	// Output:
	// get_weather, whose description is <desc>Get the current weather for a city.</desc>. It takes arguments {'city': {'type': 'string'}, 'unit': {'enum': ['celsius', 'fahrenheit'], 'type': 'string', 'default': 'celsius'}}.
	// sunny in Oslo <nil>
	// true
}
