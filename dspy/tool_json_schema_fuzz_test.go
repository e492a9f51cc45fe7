package dspy_test

import (
	"context"
	"sort"
	"testing"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// A tool's schema text, read from a file or another process, never crashes
// the tool's making, describing or calling; a tool made lists each of its
// schema's properties once.
func FuzzNewToolWithJSONSchema(f *testing.F) {
	for _, def := range loadToolCallsGolden(f).ToolDefinitions {
		f.Add(string(def.Function.Parameters))
	}
	for _, s := range []string{
		``,
		`null`,
		`true`,
		`false`,
		`{"type": "object", "properties": {"b": {"type": "string"}, "a": {}, "b": {"type": "integer"}}}`,
		`{"properties": {"a": {"type": "number", "default": 1e400}}, "PROPERTIES": {"c": true}}`,
		`{"properties": null, "properties": {"x": {"properties": {"y": {"default": 2.0}}}}}`,
		`{"properties": {"a": {"$ref": "#/$defs/A"}}, "$defs": {"A": {"type": "string"}}}`,
		`{"properties": {"é\u0000": {"enum": [null, true, "it's", 1.5]}}, "required": ["é\u0000"]}`,
		`{"type": ["object", "null"], "properties": {"a": {"type": ["string", "null"]}}}`,
		`{"properties": {"a": {}}}}`,
		`{"properties": {"ſ": {}, "s": {}}, "propertieſ": {"k": {}}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		tool, err := dspy.NewToolWithJSONSchema("f", "d", []byte(text), func(context.Context, map[string]any) (any, error) { return nil, nil })
		if err != nil {
			return
		}
		names := tool.ArgNames()
		var props []string
		for k := range tool.Schema().Properties {
			props = append(props, k)
		}
		sorted := append([]string(nil), names...)
		sort.Strings(sorted)
		sort.Strings(props)
		if len(sorted) != len(props) {
			t.Fatalf("arguments %q, schema properties %q", names, props)
		}
		for i := range sorted {
			if sorted[i] != props[i] {
				t.Fatalf("arguments %q, schema properties %q", names, props)
			}
		}
		_ = tool.String()
		_ = tool.Definition()
		_, _ = tool.Call(context.Background(), map[string]any{})
	})
}
