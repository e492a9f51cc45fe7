package pyliteral

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParse_ReadsWhatLiteralEvalReads(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"'hi'", "hi"},
		{`"it's"`, "it's"},
		{"True", true},
		{"False", false},
		{"None", nil},
		{"82_461_110", json.Number("82461110")},
		{"0x1f", json.Number("31")},
		{"-0o17", json.Number("-15")},
		{"0b101", json.Number("5")},
		{"0", json.Number("0")},
		{"+7", json.Number("7")},
		{"1.50", json.Number("1.5")},
		{"-1e3", json.Number("-1000.0")},
		{"1e-7", json.Number("1e-07")},
		{".5", json.Number("0.5")},
		{"('a', 'b')", []any{"a", "b"}},
		{"(1,)", []any{json.Number("1")}},
		{"(1)", json.Number("1")},
		{"()", []any{}},
		{"{1, 2}", []any{json.Number("1"), json.Number("2")}},
		{"{'x'}", []any{"x"}},
		{"{}", map[string]any{}},
		{"['a', 'b',]", []any{"a", "b"}},
		{`'\x41\u00e9\U0001F600\n\q'`, "Aé😀\n\\q"},
		{" [ 1 , 2 ] ", []any{json.Number("1"), json.Number("2")}},
		{"{(1, 2): 'pair', True: 1, None: 2}", map[string]any{`[1, 2]`: "pair", "True": json.Number("1"), "None": json.Number("2")}},
	}
	for _, tc := range tests {
		got, ok := Parse(tc.in)
		if assert.True(t, ok, tc.in) {
			assert.Equal(t, tc.want, got, tc.in)
		}
	}
}

func TestParse_RejectsWhatPythonRejects(t *testing.T) {
	for _, in := range []string{
		"", "[1, 2", "'open", "Truex", "1__0", "_1", "1_", "{'a' 1}", "[1 2]", "017", "inf", "nan",
		"1e999", "0x", "0x1p3", "'a\nb'", `'\x4'`, "{'a': 1,, 'b': 2}", "[1] 2", "true", "null",
		strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2),
	} {
		_, ok := Parse(in)
		assert.False(t, ok, "%q", in)
	}
	v, ok := Parse(`{'k': [1.5, -2, "x\n\u00e9"], 2: None}`)
	assert.True(t, ok)
	assert.Equal(t, map[string]any{"k": []any{json.Number("1.5"), json.Number("-2"), "x\né"}, "2": nil}, v)
}
