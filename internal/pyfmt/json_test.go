package pyfmt

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWriteJSON_MatchesPythonDumps(t *testing.T) {
	type point struct {
		Y int `json:"y"`
		X int `json:"x"`
	}
	tests := []struct {
		name  string
		v     any
		style JSONStyle
		want  string
	}{
		{"spacing", []any{1, "a", true, nil, 2.0}, JSONStyle{}, `[1, "a", true, null, 2.0]`},
		{"map keys sorted", map[string]any{"b": 1, "a": []string{}}, JSONStyle{}, `{"a": [], "b": 1}`},
		{"struct keeps field order", point{Y: 1, X: 2}, JSONStyle{}, `{"y": 1, "x": 2}`},
		{"object keeps key order", Object{{"z", 1}, {"a", "é"}}, JSONStyle{}, `{"z": 1, "a": "é"}`},
		{"control characters escaped", "a\"b\\c\n\t\x01<>&", JSONStyle{}, `"a\"b\\c\n\t\u0001<>&"`},
		{"invalid UTF-8 replaced", "a\xffb", JSONStyle{}, "\"a\ufffdb\""},
		{"ensure_ascii", "é😀", JSONStyle{EnsureASCII: true}, `"\u00e9\ud83d\ude00"`},
		{"non-finite floats", []any{math.NaN(), math.Inf(1), math.Inf(-1)}, JSONStyle{}, `[NaN, Infinity, -Infinity]`},
		{"indent", map[string]any{"a": []any{1, map[string]any{}}}, JSONStyle{Indent: 2}, "{\n  \"a\": [\n    1,\n    {}\n  ]\n}"},
		{"schema numbers", map[string]any{"minimum": 1.0, "step": 0.5}, JSONStyle{SchemaNumbers: true}, `{"minimum": 1, "step": 0.5}`},
		{"bytes as base64", []byte("hi"), JSONStyle{}, `"aGk="`},
		{"nil slice and map", []any{[]string(nil), map[string]int(nil)}, JSONStyle{}, `[null, null]`},
		{"unsigned", uint64(math.MaxUint64), JSONStyle{}, `18446744073709551615`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			WriteJSON(&b, tc.v, tc.style)
			assert.Equal(t, tc.want, b.String())
		})
	}
}
