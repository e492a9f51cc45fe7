package lm

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// chatTool is one entry of a request's "tools", fields in the order
// openai-go's ChatCompletionFunctionToolParam writes them.
type chatTool struct {
	Function chatFunction `json:"function"`
	Type     string       `json:"type"`
}

// chatFunction is openai-go's FunctionDefinitionParam.
type chatFunction struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Parameters  map[string]any `json:"parameters,omitempty"`
}

// chatNamedToolChoice forces one function, as openai-go's
// ChatCompletionNamedToolChoiceParam does.
type chatNamedToolChoice struct {
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
	Type string `json:"type"`
}

// chatToolCall is one tool call of a reply's message.
type chatToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string            `json:"name"`
		Arguments toolArgumentsText `json:"arguments"`
	} `json:"function"`
}

// toolArgumentsText is a call's arguments: JSON text in a string, as OpenAI
// sends them, or (from some compatible servers) the object itself.
type toolArgumentsText string

// UnmarshalJSON accepts a string, null, or any other JSON value kept as text.
func (a *toolArgumentsText) UnmarshalJSON(data []byte) error {
	switch {
	case string(data) == "null":
		*a = ""
	case len(data) > 0 && data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*a = toolArgumentsText(s)
	default:
		*a = toolArgumentsText(data)
	}
	return nil
}

// encodeTools adds a request's tools, tool choice and parallel-calls switch
// to the body; a request without tools leaves the body as it was.
func encodeTools(body *chatRequest, req dspy.LMRequest) error {
	body.ParallelToolCalls = req.ParallelToolCalls
	for i, t := range req.Tools {
		if t.Type != "" && t.Type != "function" {
			return fmt.Errorf("tool %d has type %q; want function", i, t.Type)
		}
		if t.Function.Name == "" {
			return fmt.Errorf("tool %d has no function name", i)
		}
		body.Tools = append(body.Tools, chatTool{
			Type:     "function",
			Function: chatFunction{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters},
		})
	}
	switch req.ToolChoice {
	case "":
	case dspy.ToolChoiceAuto, dspy.ToolChoiceNone, dspy.ToolChoiceRequired:
		body.ToolChoice = req.ToolChoice
	default:
		named := chatNamedToolChoice{Type: "function"}
		named.Function.Name = req.ToolChoice
		body.ToolChoice = named
	}
	return nil
}

// addToolCalls records choice i's tool calls (of n choices) in resp; a reply
// with no tool call anywhere leaves resp.ToolCalls nil.
func addToolCalls(resp *dspy.LMResponse, i, n int, calls []chatToolCall) {
	if len(calls) == 0 {
		return
	}
	out := make([]dspy.LMToolCall, len(calls))
	for j, c := range calls {
		out[j] = dspy.LMToolCall{ID: c.ID, Name: c.Function.Name, Arguments: string(c.Function.Arguments)}
	}
	setToolCalls(resp, i, n, out)
}

// setToolCalls records choice i's calls (of n choices) in resp, allocating
// resp.ToolCalls only for a reply that calls a tool.
func setToolCalls(resp *dspy.LMResponse, i, n int, calls []dspy.LMToolCall) {
	if len(calls) == 0 {
		return
	}
	if resp.ToolCalls == nil {
		resp.ToolCalls = make([][]dspy.LMToolCall, n)
	}
	resp.ToolCalls[i] = calls
}

// wireToolCalls writes an assistant message's calls as a request carries them.
func wireToolCalls(calls []dspy.LMToolCall) []chatToolCall {
	out := make([]chatToolCall, len(calls))
	for i, c := range calls {
		out[i] = chatToolCall{ID: c.ID, Type: "function"}
		out[i].Function.Name = c.Name
		out[i].Function.Arguments = toolArgumentsText(c.Arguments)
	}
	return out
}

// appendMessageToolsKey adds a message's tool fields to a cache key when it
// has them, so a message without them keeps the key it always had.
func appendMessageToolsKey(b []byte, m dspy.Message) []byte {
	if m.Name != "" {
		b = append(b, `,"name":`...)
		b = appendJSONString(b, m.Name)
	}
	if m.ToolCallID != "" {
		b = append(b, `,"tool_call_id":`...)
		b = appendJSONString(b, m.ToolCallID)
	}
	if len(m.ToolCalls) > 0 {
		b = append(b, `,"tool_calls":[`...)
		for i, c := range m.ToolCalls {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"arguments":`...)
			b = appendJSONString(b, c.Arguments)
			b = append(b, `,"id":`...)
			b = appendJSONString(b, c.ID)
			b = append(b, `,"name":`...)
			b = appendJSONString(b, c.Name)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return b
}

// cloneToolCalls copies a response's tool calls, so a cached response cannot
// be changed through a caller's copy.
func cloneToolCalls(calls [][]dspy.LMToolCall) [][]dspy.LMToolCall {
	if calls == nil {
		return nil
	}
	out := make([][]dspy.LMToolCall, len(calls))
	for i, c := range calls {
		out[i] = slices.Clone(c)
	}
	return out
}

// appendParallelToolCallsKey adds the parallel-calls switch to a cache key
// when the request sets it.
func appendParallelToolCallsKey(b []byte, req dspy.LMRequest) []byte {
	if req.ParallelToolCalls == nil {
		return b
	}
	b = append(b, `,"parallel_tool_calls":`...)
	return strconv.AppendBool(b, *req.ParallelToolCalls)
}

// appendToolsKey adds the tool choice and the tools to a cache key when the
// request has them, so a request without tools keeps the key it always had.
// encoding/json sorts the schemas' map keys, which keeps them canonical.
func appendToolsKey(b []byte, req dspy.LMRequest) []byte {
	if req.ToolChoice != "" {
		b = append(b, `,"tool_choice":`...)
		b = appendJSONString(b, req.ToolChoice)
	}
	if len(req.Tools) == 0 {
		return b
	}
	b = append(b, `,"tools":`...)
	raw, err := json.Marshal(req.Tools)
	if err != nil {
		// An unencodable schema fails when the request is sent, before anything
		// is cached; the error text still keeps keys distinct.
		return appendJSONString(b, err.Error())
	}
	return append(b, raw...)
}
