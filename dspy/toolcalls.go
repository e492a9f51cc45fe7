package dspy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/durable-dspy/durable-dspy/internal/loosejson"
	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// ToolCall is one call of a tool an LM asked for: the tool's name and its
// arguments, with the provider's call ID when the call came natively.
type ToolCall struct {
	// ID is the provider's identifier of the call; empty when the call was
	// read from text.
	ID string `json:"id,omitempty"`
	// Name is the tool to call.
	Name string `json:"name"`
	// Args are the arguments, not yet checked against the tool's schema.
	Args map[string]any `json:"args"`
	// order keeps the arguments in the order the LM wrote them, which is how
	// DSPy shows them again in demos and trajectories.
	order []string
}

// ToolCalls is DSPy's dspy.ToolCalls output type: the tool calls an LM chose.
// In a signature it is the type ToolCallsType. With native function calling
// (ChatAdapter.NativeToolCalls, JSONAdapter by default) the calls come back
// in the provider's tool_calls; otherwise the LM writes them as JSON text,
// {"tool_calls": [{"name": ..., "args": {...}}]}. It encodes to that JSON
// (with each call's "id" when it has one, and "tool_call_results" when it
// has results).
type ToolCalls struct {
	Calls []ToolCall
	// Results, when set, are what the calls returned, as DSPy's
	// tool_call_results: a History turn shows them to the LM, as tool
	// messages under native function calling and as text otherwise. A reply
	// never sets them.
	Results []ToolCallResult
}

// ToolCallsType is the signature type of a ToolCalls output field, spelled
// "ToolCalls" in signature strings.
var ToolCallsType = ObjectOf("ToolCalls", toolCallsSchema())

// ToolType is the signature type of an input field holding one *Tool,
// spelled "Tool"; ListOf(ToolType), "list[Tool]", holds several. A signature
// with such an input and a ToolCalls output sends the tools natively when
// its adapter calls functions natively.
var ToolType = ObjectOf("Tool", nil)

// toolCallsDescription is the type description DSPy adds under a ToolCalls
// field in the system message.
const toolCallsDescription = "Tool calls must be a JSON object with `tool_calls`, a list of calls. " +
	"Each call must include `name` and `args`. " +
	`Example: {"tool_calls": [{"name": "search", "args": {"query": "cats"}}]}`

// toolCallsHint replaces the "(must be formatted as a valid Python ...)"
// reminder for a ToolCalls field, as DSPy's adapters do.
const toolCallsHint = ` (must be a JSON object like {"tool_calls": [{"name": "...", "args": {...}}]})`

// toolCallsSchema is the JSON schema pydantic generates for dspy.ToolCalls
// (the call IDs and tool results left out, as DSPy leaves them out).
func toolCallsSchema() map[string]any {
	return map[string]any{
		"type":  "object",
		"title": "ToolCalls",
		"$defs": map[string]any{
			"ToolCall": map[string]any{
				"type":  "object",
				"title": "ToolCall",
				"properties": map[string]any{
					"name": map[string]any{"type": "string", "title": "Name"},
					"args": map[string]any{"type": "object", "additionalProperties": true, "title": "Args"},
				},
				"required": []any{"name", "args"},
			},
		},
		"properties": map[string]any{
			"tool_calls": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/ToolCall"}, "title": "Tool Calls"},
		},
		"required": []any{"tool_calls"},
	}
}

// isToolCallsType reports whether t is ToolCallsType.
func isToolCallsType(t Type) bool { return t.Kind == KindObject && t.Name == "ToolCalls" }

// isToolsType reports whether t is ToolType or a list of it: the type of an
// input that offers tools.
func isToolsType(t Type) bool {
	if t.Kind == KindList && t.Elem != nil {
		t = *t.Elem
	}
	return t.Kind == KindObject && t.Name == "Tool" && t.Schema == nil
}

// typeDescription is the "Type description of X" DSPy adds to a field's
// description for its custom types, searched through lists.
func typeDescription(t Type) string {
	for t.Kind == KindList && t.Elem != nil {
		t = *t.Elem
	}
	if isToolCallsType(t) {
		return "\n    Type description of ToolCalls: " + toolCallsDescription
	}
	return ""
}

// NewToolCall makes a call of name with args.
func NewToolCall(name string, args map[string]any) ToolCall {
	return ToolCall{Name: name, Args: args}
}

// ArgNames returns the argument names in the order the LM wrote them when
// known, otherwise sorted.
func (c ToolCall) ArgNames() []string {
	if len(c.order) == len(c.Args) {
		return append([]string(nil), c.order...)
	}
	names := make([]string, 0, len(c.Args))
	for k := range c.Args {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Execute runs the call with the tool of the same name among tools, its
// arguments checked against the tool's schema first. A call naming no tool
// given is an error, in DSPy's words.
func (c ToolCall) Execute(ctx context.Context, tools ...*Tool) (any, error) {
	for _, t := range tools {
		if t != nil && t.Name() == c.Name {
			return t.Call(ctx, c.Args)
		}
	}
	return nil, &UnknownToolError{Name: c.Name}
}

// UnknownToolError means an LM called a tool it was not offered.
type UnknownToolError struct {
	Name string
}

func (e *UnknownToolError) Error() string {
	return fmt.Sprintf("Tool function '%s' not found. Please pass the tool functions to the `execute` method.", e.Name)
}

// Validate checks every call against tools: each must name one of them and
// pass its argument schema. The error names the first bad call.
func (tc ToolCalls) Validate(tools ...*Tool) error {
	for i, c := range tc.Calls {
		var tool *Tool
		for _, t := range tools {
			if t != nil && t.Name() == c.Name {
				tool = t
			}
		}
		if tool == nil {
			return fmt.Errorf("tool call %d: %w", i, &UnknownToolError{Name: c.Name})
		}
		if err := tool.CheckArgs(c.Args); err != nil {
			return fmt.Errorf("tool call %d (%s): %w", i, c.Name, err)
		}
	}
	return nil
}

// formatDict is how DSPy shows the calls in a prompt: names and arguments,
// never IDs.
func (tc ToolCalls) formatDict() pyfmt.Object {
	calls := make([]any, len(tc.Calls))
	for i, c := range tc.Calls {
		args := make(pyfmt.Object, 0, len(c.Args))
		for _, k := range c.ArgNames() {
			args = append(args, pyfmt.Entry{Key: k, Value: c.Args[k]})
		}
		calls[i] = pyfmt.Object{{Key: "name", Value: c.Name}, {Key: "args", Value: args}}
	}
	return pyfmt.Object{{Key: "tool_calls", Value: calls}}
}

func init() {
	pyfmt.RegisterDict(func(v any) (pyfmt.Object, bool) {
		switch tc := v.(type) {
		case ToolCalls:
			return tc.formatDict(), true
		case *ToolCalls:
			if tc != nil {
				return tc.formatDict(), true
			}
		}
		return nil, false
	})
}

// MarshalJSON writes {"tool_calls": [{"id", "name", "args"}]}, the id only
// when known.
func (tc ToolCalls) MarshalJSON() ([]byte, error) {
	calls := make([]any, len(tc.Calls))
	for i, c := range tc.Calls {
		args := make(pyfmt.Object, 0, len(c.Args))
		for _, k := range c.ArgNames() {
			args = append(args, pyfmt.Entry{Key: k, Value: c.Args[k]})
		}
		call := pyfmt.Object{}
		if c.ID != "" {
			call = append(call, pyfmt.Entry{Key: "id", Value: c.ID})
		}
		calls[i] = append(call, pyfmt.Entry{Key: "name", Value: c.Name}, pyfmt.Entry{Key: "args", Value: args})
	}
	obj := pyfmt.Object{{Key: "tool_calls", Value: calls}}
	if tc.Results != nil {
		obj = append(obj, pyfmt.Entry{Key: "tool_call_results", Value: tc.resultsObject()})
	}
	return json.Marshal(obj)
}

// UnmarshalJSON reads every shape ParseToolCalls accepts.
func (tc *ToolCalls) UnmarshalJSON(data []byte) error {
	got, err := toolCallsFromValue(decodeJSONOrdered(data))
	if err != nil {
		return err
	}
	*tc = got
	return nil
}

// ParseToolCalls reads ToolCalls from a value an LM wrote as text, as DSPy's
// ToolCalls validator does: {"tool_calls": [...]}, a list of calls, or one
// call; each call as {"name", "args"}, {"name", "arguments"} or OpenAI's
// {"id", "function": {"name", "arguments"}}, arguments as an object or as
// JSON text (repaired if need be). Anything else is an error.
func ParseToolCalls(text string) (ToolCalls, error) {
	v := loosejson.Decode(text)
	if s, ok := v.(string); ok && s == text {
		return ToolCalls{}, fmt.Errorf("received invalid value for ToolCalls: %s", pyfmt.ShortRepr(text))
	}
	return toolCallsFromValue(reorderLike(v, text))
}

// toolCallsFromValue implements ParseToolCalls on a decoded value.
func toolCallsFromValue(v any) (ToolCalls, error) {
	invalid := func() (ToolCalls, error) {
		return ToolCalls{}, fmt.Errorf("received invalid value for ToolCalls: %s", pyfmt.ShortRepr(pyfmt.Str(v)))
	}
	switch x := v.(type) {
	case ToolCalls:
		return x, nil
	case []any:
		calls := make([]ToolCall, 0, len(x))
		for _, item := range x {
			obj, ok := asObject(item)
			if !ok || !isToolCallObject(obj) {
				return invalid()
			}
			c, err := toolCallFromObject(obj)
			if err != nil {
				return ToolCalls{}, err
			}
			calls = append(calls, c)
		}
		return ToolCalls{Calls: calls}, nil
	}
	obj, ok := asObject(v)
	if !ok {
		return invalid()
	}
	if list, ok := obj.get("tool_calls"); ok {
		items, ok := list.([]any)
		if !ok {
			return invalid()
		}
		calls := make([]ToolCall, 0, len(items))
		for _, item := range items {
			o, ok := asObject(item)
			if !ok {
				return invalid()
			}
			c, err := toolCallFromObject(o)
			if err != nil {
				return ToolCalls{}, err
			}
			calls = append(calls, c)
		}
		out := ToolCalls{Calls: calls}
		if raw, ok := obj.get("tool_call_results"); ok && raw != nil {
			results, err := resultsFromValue(raw)
			if err != nil {
				return ToolCalls{}, err
			}
			out.Results = results
		}
		return out, nil
	}
	if isToolCallObject(obj) {
		c, err := toolCallFromObject(obj)
		if err != nil {
			return ToolCalls{}, err
		}
		return ToolCalls{Calls: []ToolCall{c}}, nil
	}
	return invalid()
}

// orderedObject is a JSON object with its keys in their written order.
type orderedObject pyfmt.Object

func (o orderedObject) get(key string) (any, bool) {
	for _, e := range o {
		if e.Key == key {
			return e.Value, true
		}
	}
	return nil, false
}

func asObject(v any) (orderedObject, bool) {
	switch x := v.(type) {
	case pyfmt.Object:
		return orderedObject(x), true
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make(orderedObject, len(keys))
		for i, k := range keys {
			out[i] = pyfmt.Entry{Key: k, Value: x[k]}
		}
		return out, true
	}
	return nil, false
}

// isToolCallObject is DSPy's _is_tool_call_dict.
func isToolCallObject(o orderedObject) bool {
	_, name := o.get("name")
	_, args := o.get("args")
	_, arguments := o.get("arguments")
	_, function := o.get("function")
	return (name && (args || arguments)) || function
}

// toolCallFromObject is DSPy's _normalize_tool_call_dict: a name is required;
// arguments that are not an object (once text is decoded) count as none.
func toolCallFromObject(o orderedObject) (ToolCall, error) {
	var nameV, argsV any
	if fn, ok := o.get("function"); ok {
		fo, ok := asObject(fn)
		if !ok && fn != nil {
			return ToolCall{}, fmt.Errorf("received invalid function value for ToolCalls: %s", pyfmt.ShortRepr(pyfmt.Str(fn)))
		}
		argsV, _ = fo.get("arguments")
		nameV, _ = fo.get("name")
		if s, _ := nameV.(string); s == "" {
			nameV, _ = o.get("name")
		}
	} else {
		var ok bool
		if argsV, ok = o.get("args"); !ok {
			argsV, _ = o.get("arguments")
		}
		nameV, _ = o.get("name")
	}
	name, ok := nameV.(string)
	if !ok {
		return ToolCall{}, fmt.Errorf("a tool call needs a string name, got %s", pyfmt.ShortRepr(pyfmt.Str(nameV)))
	}
	idV, _ := o.get("id")
	if id, _ := idV.(string); id == "" {
		idV, _ = o.get("call_id")
	}
	id, _ := idV.(string)
	call := ToolCall{ID: id, Name: name, Args: map[string]any{}}
	if s, ok := argsV.(string); ok {
		call.Args, call.order = ParseToolArguments(s)
		return call, nil
	}
	if args, ok := asObject(argsV); ok {
		for _, e := range args {
			call.Args[e.Key] = plainJSON(e.Value)
			call.order = append(call.order, e.Key)
		}
	}
	return call, nil
}

// ParseToolArguments reads a tool call's arguments as the LM wrote them: a
// JSON object, repaired when malformed as DSPy's json_repair does. Anything
// that is not an object yields no arguments. It also returns the argument
// names in written order.
func ParseToolArguments(text string) (map[string]any, []string) {
	args := map[string]any{}
	if strings.TrimSpace(text) == "" {
		return args, nil
	}
	v := reorderLike(loosejson.Decode(text), text)
	obj, ok := asObject(v)
	if !ok {
		return args, nil
	}
	order := make([]string, 0, len(obj))
	for _, e := range obj {
		if _, dup := args[e.Key]; !dup {
			order = append(order, e.Key)
		}
		args[e.Key] = plainJSON(e.Value)
	}
	return args, order
}

// reorderLike gives a decoded object back its key order when text is valid
// JSON; a repaired value keeps the sorted order of its map.
func reorderLike(v any, text string) any {
	if _, ok := v.(map[string]any); !ok {
		if _, ok := v.([]any); !ok {
			return v
		}
	}
	trimmed := strings.TrimSpace(text)
	if !json.Valid([]byte(trimmed)) {
		return v
	}
	return decodeJSONOrdered([]byte(trimmed))
}

// decodeJSONOrdered decodes JSON keeping key order (as pyfmt.Object); invalid
// JSON decodes to nil.
func decodeJSONOrdered(data []byte) any {
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil
	}
	v := pyfmt.JSONValue(json.RawMessage(bytes.TrimSpace(raw)))
	return v
}

// plainJSON turns ordered objects and JSON numbers back into the plain Go
// JSON model (map[string]any, float64 or int64), which tools and schema
// validation expect.
func plainJSON(v any) any {
	switch x := v.(type) {
	case pyfmt.Object:
		out := make(map[string]any, len(x))
		for _, e := range x {
			out[e.Key] = plainJSON(e.Value)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plainJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainJSON(e)
		}
		return out
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

// errNoTools means a signature asks for tool calls but offers no tools.
var errNoTools = errors.New("a ToolCalls output needs an input of type list[Tool] (or Tool) holding the tools to call")
