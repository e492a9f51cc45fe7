package dspy

import (
	"encoding/json"
)

// Definition is the tool as native function calling offers it to the LM:
// its name, description and argument schema, with "properties" and
// "required" always present, as DSPy's format_as_litellm_function_call
// writes them.
func (t *Tool) Definition() ToolDefinition {
	params := map[string]any{}
	if raw, err := json.Marshal(t.schema); err == nil {
		_ = json.Unmarshal(raw, &params)
	}
	params["type"] = "object"
	if t.strictArgs {
		// A tool inferred from a Go struct refuses argument names it does
		// not list (CheckArgs), as DSPy's Tool does without saying so in
		// the definition it sends; leaving out the "additionalProperties":
		// false jsonschema-go infers for a struct keeps the request's tools
		// field as DSPy writes it for the same function.
		delete(params, "additionalProperties")
	}
	if _, ok := params["properties"]; !ok {
		params["properties"] = map[string]any{}
	}
	if _, ok := params["required"]; !ok {
		params["required"] = []any{}
	}
	return ToolDefinition{Type: "function", Function: FunctionDefinition{Name: t.name, Description: t.desc, Parameters: params}}
}

// MarshalJSON writes the tool as DSPy serializes a dspy.Tool in a prompt
// and in a saved demo: the text of String, its "<desc>" unescaped as
// Python's json module writes it. It lets a Tool input render as DSPy
// renders it when tools are not sent natively.
func (t Tool) MarshalJSON() ([]byte, error) {
	return marshalNoEscape(t.String())
}

// toolDefinitions lists the definitions of the tools an input holds: a
// *Tool, a []*Tool, or a []any of them.
func toolDefinitions(v any) ([]*Tool, []ToolDefinition, bool) {
	var tools []*Tool
	switch x := v.(type) {
	case *Tool:
		tools = []*Tool{x}
	case []*Tool:
		tools = x
	case []any:
		for _, e := range x {
			t, ok := e.(*Tool)
			if !ok {
				return nil, nil, false
			}
			tools = append(tools, t)
		}
	default:
		return nil, nil, false
	}
	defs := make([]ToolDefinition, 0, len(tools))
	for _, t := range tools {
		if t == nil {
			return nil, nil, false
		}
		defs = append(defs, t.Definition())
	}
	return tools, defs, true
}
