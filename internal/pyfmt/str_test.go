package pyfmt

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStr_MatchesPython(t *testing.T) {
	assert.Equal(t, "None", Str(nil))
	assert.Equal(t, "False", Str(false))
	assert.Equal(t, "7", Str(uint8(7)))
	assert.Equal(t, "0.5", Str(float32(0.5)))
	assert.Equal(t, "0.1", Str(float32(0.1)), "a float32 keeps its own shortest digits")
	assert.Equal(t, `{"a": 1}`, Str(map[string]int{"a": 1}))
	assert.Equal(t, "None", Str((*int)(nil)))
	assert.Equal(t, "3", Str(new(3)))
	assert.Equal(t, "['a', \"it's\", 1, True, None]", BuiltinStr([]any{"a", "it's", 1, true, nil}))
	assert.Equal(t, "{'k': [1.5]}", BuiltinStr(map[string]any{"k": []any{1.5}}))
	assert.Equal(t, "text", BuiltinStr("text"))
}

func TestRepr_QuotesAndEscapesAsPython(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{"plain", `'plain'`},
		{"it's", `"it's"`},
		{`both ' and "`, `'both \' and "'`},
		{"back\\slash", `'back\\slash'`},
		{"a\nb\tc\rd", `'a\nb\tc\rd'`},
		{"\x00\x7f", `'\x00\x7f'`},
		{"\u00a0\u200b\U000e0001", `'\xa0\u200b\U000e0001'`},
		{"é😀", `'é😀'`},
		{[]any{"a", 1, 2.0, true, nil}, `['a', 1, 2.0, True, None]`},
		{map[string]any{"b": 1, "a": "x"}, `{'a': 'x', 'b': 1}`},
		{Object{{"b", 1}, {"a", "x"}}, `{'b': 1, 'a': 'x'}`},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, Repr(tc.in), "%q", tc.in)
	}
}

func TestShortRepr_CutsLongText(t *testing.T) {
	assert.Equal(t, `'short'`, ShortRepr("short"))
	long := strings.Repeat("x", 100)
	assert.Equal(t, "'"+strings.Repeat("x", 77)+"...'", ShortRepr(long))
	assert.Equal(t, "'"+strings.Repeat("x", 80)+"'", ShortRepr(long[:80]))
}

type tagged struct{ n int }

func TestRegisterDict_RendersRecordsInTheirOrder(t *testing.T) {
	RegisterDict(func(v any) (Object, bool) {
		x, ok := v.(tagged)
		if !ok {
			return nil, false
		}
		return Object{{"n", x.n}, {"f", 1.0}}, true
	})
	assert.Equal(t, `{"n": 2, "f": 1.0}`, Str(tagged{2}))
	assert.Equal(t, `[{'n': 2, 'f': 1.0}]`, Repr([]tagged{{2}}))
	assert.Equal(t, `{"a": 1}`, Str(struct {
		A int `json:"a"`
	}{1}), "other structs still go through encoding/json")
}

type modelled struct{ name string }

func TestRegisterRepr_WritesModelsAsPythonReprsThem(t *testing.T) {
	RegisterRepr(func(v any) (string, bool) {
		x, ok := v.(modelled)
		if !ok {
			return "", false
		}
		return "Model(name=" + Repr(x.name) + ")", true
	})
	assert.Equal(t, `[Model(name='a'), {'k': Model(name="it's")}]`, Repr([]any{modelled{"a"}, Object{{"k", modelled{"it's"}}}}))
	assert.Equal(t, `[Model(name='a')]`, BuiltinStr([]any{modelled{"a"}}))
	assert.Equal(t, `{}`, Str(modelled{"a"}), "Str writes JSON, which has no reprs")
}
