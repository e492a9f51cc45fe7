package pyliteral

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds Parse what LMs send in place of JSON; it must never panic,
// must consume its whole input, and must return only JSON-model values.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"'hi'", `"it's"`, "True", "None", "82_461_110", "0x1f", "-1e3", ".5", "(1,)", "('a', 'b')",
		"{1, 2}", "{'k': [1.5, -2, \"x\\n\\u00e9\"], 2: None}", `'\x41\U0001F600'`, "[1, 2", "017",
		"{(1, 2): 'pair'}", "[[[[[[[[1]]]]]]]]", "{'a' 1}", "1e999", "'\\ud800'",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		v, ok := Parse(in)
		if !ok {
			return
		}
		checkJSONModel(t, in, v)
	})
}

func checkJSONModel(t *testing.T, in string, v any) {
	switch x := v.(type) {
	case nil, bool:
	case string:
		if utf8.ValidString(in) && !utf8.ValidString(x) {
			// \u and \x escapes may spell surrogates; those decode to U+FFFD.
			t.Fatalf("Parse(%q) made invalid UTF-8 %q from valid input", in, x)
		}
	case json.Number:
		if _, err := x.Float64(); err != nil {
			t.Fatalf("Parse(%q) returned the number %q, which does not parse: %v", in, x, err)
		}
	case []any:
		for _, e := range x {
			checkJSONModel(t, in, e)
		}
	case map[string]any:
		for _, e := range x {
			checkJSONModel(t, in, e)
		}
	default:
		t.Fatalf("Parse(%q) returned %T, outside the JSON model", in, v)
	}
}
