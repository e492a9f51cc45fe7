package loosejson

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDecode_ReadsWhatDSPyReads(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"JSON number", "42", json.Number("42")},
		{"JSON string", `"hi"`, "hi"},
		{"JSON string with escapes", `"a\"b"`, `a"b`},
		{"JSON object", `{"a": [1, true]}`, map[string]any{"a": []any{json.Number("1"), true}}},
		{"Python bool", "True", true},
		{"Python None", "None", nil},
		{"Python string", "'hi'", "hi"},
		{"underscored int", "82_461_110", json.Number("82461110")},
		{"hex int", "0x1f", json.Number("31")},
		{"tuple", "('a', 'b')", []any{"a", "b"}},
		{"one-tuple", "(1,)", []any{json.Number("1")}},
		{"set", "{1, 2}", []any{json.Number("1"), json.Number("2")}},
		{"single-quoted list", "['a', 'b']", []any{"a", "b"}},
		{"list after prose", "Answer: [1, 2]", []any{json.Number("1"), json.Number("2")}},
		{"trailing comma repaired", `{"a": 1,}`, map[string]any{"a": json.Number("1")}},
		{"prose stays text", "about 42", "about 42"},
		{"leading zero is not a number", "017", "017"},
		{"blank stays as sent", "  ", "  "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Decode(tc.in))
		})
	}
}

func TestDecodeObject_RepairsOrRefuses(t *testing.T) {
	obj, ok := DecodeObject(` {"a": 1} `)
	assert.True(t, ok)
	assert.Equal(t, map[string]any{"a": json.Number("1")}, obj)

	obj, ok = DecodeObject(`{'a': 'x', "b": [1, 2`)
	assert.True(t, ok)
	assert.Equal(t, map[string]any{"a": "x", "b": []any{json.Number("1"), json.Number("2")}}, obj)

	_, ok = DecodeObject(`[1, 2]`)
	assert.False(t, ok, "a list is not an object")
}

func TestFirstObject_ExtractsFirstBalancedObject(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`x {"a": {"b": 1}} y {"c": 2}`, `{"a": {"b": 1}}`, true},
		{`{"a": "}"} tail`, `{"a": "}"}`, true},
		{`{ unclosed {"b": 2}`, `{"b": 2}`, true},
		{`A 5" screen: {"size": 5}`, `{"size": 5}`, true},
		{`no object`, "", false},
	}
	for _, tc := range tests {
		got, ok := FirstObject(tc.in)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

// adversarialReplies are replies that once broke, or could break, a lenient
// reader: unbalanced brackets, deep nesting, bad escapes, stray bytes.
var adversarialReplies = []string{
	"[", "{", "]]]]", "{{{{", `{"a": "unterminated`, "[1, 2, {\"x\": [}", "\x00\x01", "«»", "é",
	strings.Repeat("[", 300), strings.Repeat("{\"a\":", 200), "'''", `"\u12"`, "0x", "-", "1e", "(((1)))",
	"```json\n", "{'a': {'b': [1, 2, (3, 4)]}}", "\"\\ud800\"",
}

func TestDecode_SurvivesAdversarialReplies(t *testing.T) {
	for _, in := range adversarialReplies {
		assert.NotPanics(t, func() {
			_ = Decode(in)
			_, _ = DecodeObject(in)
			_, _ = FirstObject(in)
		}, in)
	}
}
