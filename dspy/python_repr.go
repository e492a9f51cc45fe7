package dspy

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// Where DSPy puts a value in a prompt with Python's str() (the two-step
// adapter does), a Tool, ToolCalls, History or Image inside a list or a dict is
// written as Python writes it: with its repr, which for the pydantic models
// is "Name(field=value, ...)", not the dict of its JSON form.
func init() {
	pyfmt.RegisterRepr(pythonRepr)
}

func pythonRepr(v any) (string, bool) {
	switch x := v.(type) {
	case *Tool:
		if x != nil {
			return x.pythonRepr(), true
		}
	case Tool:
		return x.pythonRepr(), true
	case ToolCalls:
		return "ToolCalls(" + x.pythonFields(", ") + ")", true
	case *ToolCalls:
		if x != nil {
			return "ToolCalls(" + x.pythonFields(", ") + ")", true
		}
	case History:
		return "History(" + historyFields(x.Messages) + ")", true
	case *History:
		if x != nil {
			return "History(" + historyFields(x.Messages) + ")", true
		}
	case Image:
		return x.pythonRepr(), true
	case *Image:
		if x != nil {
			return x.pythonRepr(), true
		}
	}
	return "", false
}

// pythonRepr is dspy.Image's own __repr__: a URL in quotes (not escaped),
// a data URI shortened to its image type and the length of its data.
func (im Image) pythonRepr() string {
	if parts := strings.Split(im.URL, "base64,"); len(parts) > 1 {
		head, _, _ := strings.Cut(im.URL, ";")
		kind := head[strings.LastIndex(head, "/")+1:]
		return "Image(url=data:image/" + kind + ";base64,<IMAGE_BASE_64_ENCODED(" + strconv.Itoa(utf8.RuneCountInString(parts[1])) + ")>)"
	}
	return "Image(url='" + im.URL + "')"
}

// pythonStr is Python's str() of a value: pydantic writes a model's fields
// alone ("messages=[...]"), a Tool is its String, and anything else reads as
// str() reads its JSON form.
func pythonStr(v any) string {
	switch x := v.(type) {
	case ToolCalls:
		return x.pythonFields(" ")
	case *ToolCalls:
		if x != nil {
			return x.pythonFields(" ")
		}
	case History:
		return historyFields(x.Messages)
	case *History:
		if x != nil {
			return historyFields(x.Messages)
		}
	}
	return pyfmt.BuiltinStr(pyfmt.JSONValue(v))
}

// pythonRepr is dspy.Tool's own __repr__, which writes name and description
// unquoted.
func (t *Tool) pythonRepr() string {
	desc := "None"
	if t.desc != "" {
		desc = t.desc
	}
	return "Tool(name=" + t.name + ", desc=" + desc + ", args=" + t.argsRepr() + ")"
}

// pythonFields writes the fields of a dspy.ToolCalls as pydantic does,
// joined by sep: ", " in its repr, " " in its str.
func (tc ToolCalls) pythonFields(sep string) string {
	calls := make([]string, len(tc.Calls))
	for i, c := range tc.Calls {
		id := "None"
		if c.ID != "" {
			id = pyfmt.Repr(c.ID)
		}
		args := make(pyfmt.Object, 0, len(c.Args))
		for _, k := range c.ArgNames() {
			args = append(args, pyfmt.Entry{Key: k, Value: c.Args[k]})
		}
		calls[i] = "ToolCall(id=" + id + ", name=" + pyfmt.Repr(c.Name) + ", args=" + pyfmt.Repr(args) + ")"
	}
	results := "None"
	if tc.Results != nil {
		list := make([]string, len(tc.Results))
		for i, r := range tc.Results {
			id := "None"
			if r.CallID != "" {
				id = pyfmt.Repr(r.CallID)
			}
			list[i] = "ToolCallResult(call_id=" + id + ", name=" + pyfmt.Repr(r.Name) + ", value=" + pyfmt.Repr(r.Value) +
				", is_error=" + pyfmt.Str(r.IsError) + ")"
		}
		results = "ToolCallResults(tool_call_results=[" + strings.Join(list, ", ") + "])"
	}
	return "tool_calls=[" + strings.Join(calls, ", ") + "]" + sep + "tool_call_results=" + results
}

// historyFields writes the one field of a dspy.History: its turns as dicts.
func historyFields(turns []Example) string {
	list := make([]any, len(turns))
	for i, t := range turns {
		list[i] = t.Unmarked()
	}
	return "messages=" + pyfmt.Repr(list)
}
