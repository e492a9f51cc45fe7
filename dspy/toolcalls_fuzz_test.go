package dspy_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// seedToolCalls adds the golden cases' tool-call arguments and text replies
// to a fuzz corpus, plus shapes models are known to send.
func seedToolCalls(f *testing.F) {
	g := loadToolCallsGolden(f)
	for _, c := range g.Parse {
		for _, call := range c.ToolCalls {
			f.Add(call.Function.Arguments)
		}
		if c.Text != nil {
			f.Add(*c.Text)
			if _, rest, ok := strings.Cut(*c.Text, "[[ ## calls ## ]]\n"); ok {
				f.Add(strings.TrimSuffix(rest, "\n\n[[ ## completed ## ]]"))
			}
		}
	}
	for _, s := range []string{
		`{"tool_calls": [{"name": "f", "args": {"x": [1, 2.5, null, true]}}]}`,
		`[{"id": "c", "function": {"name": "f", "arguments": "{\"a\": \"b\""}}]`,
		`{"name": "f", "arguments": "not json"}`,
		`{"function": null}`,
		`{"tool_calls": "none"}`,
		"{'name': 'f', 'args': {'x': True}}",
		"```json\n{\"city\": \"Oslo\"}\n```",
		`{"a": 1, "a": 2}`,
		`{"tool_calls": [{"id": "c1", "name": "f", "args": {}}], "tool_call_results": {"tool_call_results": [{"call_id": "c1", "name": "f", "value": [1, {"k": null}], "is_error": false}]}}`,
		`{"tool_calls": [], "tool_call_results": [{"call_id": null, "name": "f", "value": "x"}]}`,
		`{"tool_calls": [{"name": "f", "args": {}}], "tool_call_results": {"name": "f", "value": 2.5, "is_error": true}}`,
		strings.Repeat("[", 60),
	} {
		f.Add(s)
	}
}

// Tool-call arguments never crash the reader, always come back as an
// object, and the argument order covers each argument once.
func FuzzParseToolArguments(f *testing.F) {
	seedToolCalls(f)
	f.Fuzz(func(t *testing.T, text string) {
		args, order := dspy.ParseToolArguments(text)
		if args == nil {
			t.Fatal("arguments must be an object, even when none could be read")
		}
		if order != nil && len(order) != len(args) {
			t.Fatalf("order %q does not list the %d arguments", order, len(args))
		}
		for _, k := range order {
			if _, ok := args[k]; !ok {
				t.Fatalf("order names %q, which is not an argument", k)
			}
		}
		if _, err := json.Marshal(args); err != nil {
			t.Fatalf("arguments do not encode as JSON: %v", err)
		}
	})
}

// ToolCalls read from text either fail or round-trip through their JSON
// encoding unchanged, every call named.
func FuzzParseToolCalls(f *testing.F) {
	seedToolCalls(f)
	f.Fuzz(func(t *testing.T, text string) {
		tc, err := dspy.ParseToolCalls(text)
		if err != nil {
			return
		}
		raw, err := json.Marshal(tc)
		if err != nil {
			t.Fatalf("parsed calls do not encode: %v", err)
		}
		var back dspy.ToolCalls
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatalf("encoded calls %s do not decode: %v", raw, err)
		}
		again, err := json.Marshal(back)
		if err != nil || string(again) != string(raw) {
			t.Fatalf("round trip changed the calls: %s != %s (%v)", again, raw, err)
		}
	})
}
