package dspy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParse_CoercesLikePydanticLaxMode(t *testing.T) {
	tests := []struct {
		name  string
		v     any
		typ   Type
		want  any
		fails bool
	}{
		{"int from bool", true, IntType, 1, false},
		{"int from numeric text", " 7 ", IntType, 7, false},
		{"int rejects fraction", 1.5, IntType, nil, true},
		{"float from text", "1e3", FloatType, 1000.0, false},
		{"bool from 0", json.Number("0"), BoolType, false, false},
		{"bool from off", "OFF", BoolType, false, false},
		{"bool rejects 2", json.Number("2"), BoolType, nil, true},
		{"str rejects number", json.Number("1"), StringType, nil, true},
		{"literal exact only when nested", "'a'", LiteralOf("a"), nil, true},
		{"list items coerced", []any{"1", json.Number("2")}, ListOf(FloatType), []any{1.0, 2.0}, false},
		{"object required", []any{}, Type{Kind: KindObject}, nil, true},
		{"any normalizes numbers", []any{json.Number("1"), json.Number("1.5")}, Type{Kind: KindAny}, []any{1, 1.5}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := coerceValue(tc.v, tc.typ)
			if tc.fails {
				assert.Error(t, err)
				return
			}
			assert.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParse_ObjectFieldsFollowTheirSchema(t *testing.T) {
	schema := map[string]any{
		"type":       "object",
		"properties": map[string]any{"age": map[string]any{"type": "integer"}},
		"required":   []any{"age"},
	}
	got, err := coerceValue(map[string]any{"age": "3"}, ObjectOf("T", schema))
	assert.NoError(t, err)
	assert.Equal(t, map[string]any{"age": 3}, got)

	_, err = coerceValue(map[string]any{}, ObjectOf("T", schema))
	assert.ErrorContains(t, err, "age")
}

func TestParse_SurvivesAdversarialReplies(t *testing.T) {
	inputs := []string{
		"[", "{", "]]]]", "{{{{", `{"a": "unterminated`, "[1, 2, {\"x\": [}", "\x00\x01", "«»", "é",
		strings.Repeat("[", 300), strings.Repeat("{\"a\":", 200), "'''", `"\u12"`, "0x", "-", "1e", "(((1)))",
		"```json\n", "{'a': {'b': [1, 2, (3, 4)]}}", "\"\\ud800\"",
	}
	sig := Signature{outputs: []Field{NewField("out", ListOf(IntType))}}
	for _, in := range inputs {
		assert.NotPanics(t, func() {
			_, _ = parseJSONReply(sig, in)
			_, _ = parseChatReply(sig, "[[ ## out ## ]]\n"+in)
		}, in)
	}
}
