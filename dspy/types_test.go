package dspy_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

func TestTypeStringUsesDSPySpelling(t *testing.T) {
	tests := []struct {
		name string
		typ  dspy.Type
		want string
	}{
		{"str", dspy.StringType, "str"},
		{"int", dspy.IntType, "int"},
		{"float", dspy.FloatType, "float"},
		{"bool", dspy.BoolType, "bool"},
		{"list", dspy.ListOf(dspy.StringType), "list[str]"},
		{"nested list", dspy.ListOf(dspy.ListOf(dspy.IntType)), "list[list[int]]"},
		{"literal", dspy.LiteralOf("a", "b c"), "Literal['a', 'b c']"},
		{"literal with apostrophe uses double quotes", dspy.LiteralOf("it's"), `Literal["it's"]`},
		{"open object", dspy.Type{Kind: dspy.KindObject}, "dict[str, Any]"},
		{"named object", dspy.ObjectOf("Detail", map[string]any{"type": "object"}), "Detail"},
		{"list of named objects", dspy.ListOf(dspy.ObjectOf("Detail", nil)), "list[Detail]"},
		{"any", dspy.Type{Kind: dspy.KindAny}, "Any"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.typ.String())
		})
	}
}

func TestParseTypeAcceptsPythonAnnotations(t *testing.T) {
	tests := []struct {
		in   string
		want dspy.Type
	}{
		{"str", dspy.StringType},
		{" int ", dspy.IntType},
		{"float", dspy.FloatType},
		{"bool", dspy.BoolType},
		{"list[str]", dspy.ListOf(dspy.StringType)},
		{"List[int]", dspy.ListOf(dspy.IntType)},
		{"list[list[float]]", dspy.ListOf(dspy.ListOf(dspy.FloatType))},
		{"Literal['yes', 'no']", dspy.LiteralOf("yes", "no")},
		{`Literal["yes", "no"]`, dspy.LiteralOf("yes", "no")},
		{"Literal['a, b', 'c']", dspy.LiteralOf("a, b", "c")},
		{"list[Literal['x', 'y']]", dspy.ListOf(dspy.LiteralOf("x", "y"))},
		{"dict", dspy.Type{Kind: dspy.KindObject}},
		{"dict[str, Any]", dspy.Type{Kind: dspy.KindObject}},
		{"Any", dspy.Type{Kind: dspy.KindAny}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := dspy.ParseType(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseTypeRejectsUnknownTypesNamingThem(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"tensor", `unknown type "tensor"`},
		{"list[tensor]", `unknown type "tensor"`},
		{"Set[str]", `unknown type "Set[str]"`},
		{"Literal[]", "at least one choice"},
		{"Literal['a]", "unterminated quote"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := dspy.ParseType(tt.in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestTypeJSONRoundTripsEveryShape(t *testing.T) {
	detail := dspy.ObjectOf("Detail", map[string]any{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}},
	})
	tests := []struct {
		name     string
		typ      dspy.Type
		wantJSON string
	}{
		{"str", dspy.StringType, `"str"`},
		{"list", dspy.ListOf(dspy.IntType), `"list[int]"`},
		{"literal", dspy.LiteralOf("a", "b"), `"Literal['a', 'b']"`},
		{"open object", dspy.Type{Kind: dspy.KindObject}, `"dict[str, Any]"`},
		{"schema object", detail, `{"name":"Detail","schema":{"properties":{"city":{"type":"string"}},"type":"object"}}`},
		{"named object without schema", dspy.ObjectOf("Detail", nil), `{"name":"Detail","schema":null}`},
		{"list of schema objects", dspy.ListOf(detail), `{"list":{"name":"Detail","schema":{"properties":{"city":{"type":"string"}},"type":"object"}}}`},
		{"literal mixing quotes", dspy.LiteralOf(`it's "x"`, `a\b`), `{"literal":["it's \"x\"","a\\b"]}`},
		{"enum", sentimentEnum, `{"enum": "Sentiment", "members": [
			{"name": "POSITIVE", "value": "positive"}, {"name": "NEGATIVE", "value": "negative"}, {"name": "NEUTRAL", "value": "neutral"}]}`},
		{"list of enums", dspy.ListOf(dspy.EnumOf("Yes", dspy.EnumMember{Name: "Y", Value: "y"})), `{"list": {"enum": "Yes", "members": [{"name": "Y", "value": "y"}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.typ)
			require.NoError(t, err)
			assert.JSONEq(t, tt.wantJSON, string(b))

			var back dspy.Type
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, tt.typ, back)
		})
	}
}

func TestTypeUnmarshalRejectsUnknownSpelling(t *testing.T) {
	var typ dspy.Type
	err := json.Unmarshal([]byte(`"tensor"`), &typ)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tensor")

	err = json.Unmarshal([]byte(`42`), &typ)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "list[str]")
}

func TestTypeJSONSchemaDescribesValues(t *testing.T) {
	assert.Equal(t, map[string]any{"type": "integer"}, dspy.IntType.JSONSchema())
	assert.Equal(t,
		map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": []any{"a", "b"}}},
		dspy.ListOf(dspy.LiteralOf("a", "b")).JSONSchema())
	assert.Equal(t,
		map[string]any{"type": "object", "additionalProperties": true},
		dspy.Type{Kind: dspy.KindObject}.JSONSchema())
}
