package dspy

import (
	"context"
	"encoding/json"

	"go.opentelemetry.io/otel/attribute"
)

// The GenAI semantic-convention attributes of tool-execution spans.
const (
	attrGenAIToolName   = attribute.Key("gen_ai.tool.name")
	attrGenAIToolType   = attribute.Key("gen_ai.tool.type")
	attrGenAIToolDesc   = attribute.Key("gen_ai.tool.description")
	attrGenAIToolCallID = attribute.Key("gen_ai.tool.call.id")
	attrGenAIToolArgs   = attribute.Key("gen_ai.tool.call.arguments")
	attrGenAIToolResult = attribute.Key("gen_ai.tool.call.result")
)

// toolSpan is the span of one tool call an agent makes; the zero value
// records nothing.
type toolSpan struct {
	span
	capture bool
}

// startToolSpan starts the span of one tool call, named as the GenAI
// conventions ask ("execute_tool get_weather"). tool is nil when the agent
// named a tool it was not offered; id is the provider's call ID, empty for
// calls read from text. The arguments are content, recorded only when
// capture is on.
func startToolSpan(ctx context.Context, tool *Tool, name, id string, args any) (context.Context, toolSpan) {
	ctx, s, capture, ok := beginSpan(ctx, "execute_tool "+name)
	if !ok {
		return ctx, toolSpan{}
	}
	attrs := make([]attribute.KeyValue, 0, 6)
	attrs = append(attrs,
		attrGenAIOperation.String("execute_tool"),
		attrGenAIToolName.String(name),
		attrGenAIToolType.String("function"),
	)
	if tool != nil && tool.Desc() != "" {
		attrs = append(attrs, attrGenAIToolDesc.String(tool.Desc()))
	}
	if id != "" {
		attrs = append(attrs, attrGenAIToolCallID.String(id))
	}
	if capture {
		attrs = append(attrs, attrGenAIToolArgs.String(toolArgsJSON(args)))
	}
	s.SetAttributes(attrs...)
	return ctx, toolSpan{span: span{s}, capture: capture}
}

// end records the tool's result (when capture is on) or its failure, and
// ends the span.
func (t toolSpan) end(result any, err error) {
	if t.s == nil {
		return
	}
	if err == nil && t.capture {
		t.s.SetAttributes(attrGenAIToolResult.String(ToolObservation(result)))
	}
	t.span.end(&err)
}

// toolArgsJSON renders the arguments as the JSON object the conventions
// expect, or, for arguments that are not an object (an agent's mistake that
// the span records as it was), as what JSON makes of them.
func toolArgsJSON(args any) string {
	if ex, ok := args.(Example); ok {
		args = ex.Map()
	}
	b, err := json.Marshal(args)
	if err != nil {
		return ValueString(args)
	}
	return string(b)
}
