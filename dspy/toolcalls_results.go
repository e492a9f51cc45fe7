package dspy

import (
	"bytes"
	"fmt"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// ToolCallResult is what one tool call returned, as DSPy's
// ToolCallResults.ToolCallResult: a History turn whose ToolCalls carry
// results shows them to the LM (see ToolCalls.Results).
type ToolCallResult struct {
	// CallID is the ID of the call answered; empty when the call had none.
	CallID string
	// Name is the tool called.
	Name string
	// Value is the tool's result.
	Value any
	// IsError tells that Value reports a failure.
	IsError bool
}

// WithResults returns a copy of tc whose Results hold values, one per call
// in call order, as DSPy's ToolCallResults.from_tool_calls_and_values
// builds them; isErrors, when given, marks failures the same way.
func (tc ToolCalls) WithResults(values []any, isErrors ...bool) (ToolCalls, error) {
	if len(values) != len(tc.Calls) {
		return tc, fmt.Errorf("%d values for %d tool calls", len(values), len(tc.Calls))
	}
	if len(isErrors) != 0 && len(isErrors) != len(tc.Calls) {
		return tc, fmt.Errorf("%d error marks for %d tool calls", len(isErrors), len(tc.Calls))
	}
	out := ToolCalls{Calls: tc.Calls, Results: make([]ToolCallResult, len(values))}
	for i, c := range tc.Calls {
		out.Results[i] = ToolCallResult{CallID: c.ID, Name: c.Name, Value: values[i]}
		if len(isErrors) != 0 {
			out.Results[i].IsError = isErrors[i]
		}
	}
	return out, nil
}

// resultsObject is the results as pydantic dumps a ToolCallResults:
// {"tool_call_results": [{"call_id", "name", "value", "is_error"}]}.
func (tc ToolCalls) resultsObject() pyfmt.Object {
	list := make([]any, len(tc.Results))
	for i, r := range tc.Results {
		var id any
		if r.CallID != "" {
			id = r.CallID
		}
		list[i] = pyfmt.Object{{Key: "call_id", Value: id}, {Key: "name", Value: r.Name}, {Key: "value", Value: r.Value}, {Key: "is_error", Value: r.IsError}}
	}
	return pyfmt.Object{{Key: "tool_call_results", Value: list}}
}

// resultsFromValue reads a "tool_call_results" value as DSPy's
// ToolCallResults validator does: {"tool_call_results": [...]}, a list of
// results, or one result ({"name", "value"}).
func resultsFromValue(v any) ([]ToolCallResult, error) {
	invalid := fmt.Errorf("received invalid value for ToolCallResults: %s", pyfmt.ShortRepr(pyfmt.Str(v)))
	items, isList := v.([]any)
	if !isList {
		obj, ok := asObject(v)
		if !ok {
			return nil, invalid
		}
		if list, ok := obj.get("tool_call_results"); ok {
			if items, ok = list.([]any); !ok {
				return nil, invalid
			}
		} else {
			_, name := obj.get("name")
			_, value := obj.get("value")
			if !name || !value {
				return nil, invalid
			}
			items = []any{v}
		}
	}
	out := make([]ToolCallResult, len(items))
	for i, item := range items {
		obj, ok := asObject(item)
		if !ok {
			return nil, invalid
		}
		name, _ := obj.get("name")
		r := ToolCallResult{}
		if r.Name, ok = name.(string); !ok {
			return nil, invalid
		}
		if id, ok := obj.get("call_id"); ok && id != nil {
			if r.CallID, ok = id.(string); !ok {
				return nil, invalid
			}
		}
		r.Value, _ = obj.get("value")
		if e, ok := obj.get("is_error"); ok {
			r.IsError, _ = e.(bool)
		}
		out[i] = r
	}
	return out, nil
}

// resultsMatchCalls reports whether every call has an ID and the results
// answer the calls one for one, in order: only then does DSPy send them as
// tool messages.
func (tc ToolCalls) resultsMatchCalls() bool {
	if len(tc.Results) != len(tc.Calls) {
		return false
	}
	for i, c := range tc.Calls {
		if c.ID == "" || tc.Results[i].CallID != c.ID {
			return false
		}
	}
	return true
}

// lmToolCalls writes the calls as an assistant message carries them, the
// arguments as Python's json.dumps writes them.
func (tc ToolCalls) lmToolCalls() []LMToolCall {
	out := make([]LMToolCall, len(tc.Calls))
	for i, c := range tc.Calls {
		args := make(pyfmt.Object, 0, len(c.Args))
		for _, k := range c.ArgNames() {
			args = append(args, pyfmt.Entry{Key: k, Value: c.Args[k]})
		}
		out[i] = LMToolCall{ID: c.ID, Name: c.Name, Arguments: pythonJSON(args)}
	}
	return out
}

// toolResultContent is a tool message's content: a string result as it is,
// anything else as JSON.
func toolResultContent(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pythonJSON(v)
}

// pythonJSON is json.dumps(v, ensure_ascii=False).
func pythonJSON(v any) string {
	var b bytes.Buffer
	pyfmt.WriteJSON(&b, v, pyfmt.JSONStyle{})
	return b.String()
}
