package coerce

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSchema_FollowsRefsAndUnions(t *testing.T) {
	schema := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"owner": map[string]any{"$ref": "#/$defs/Person"},
			"note":  map[string]any{"anyOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "null"}}},
			"kind":  map[string]any{"type": "string", "enum": []any{"a", "b"}},
		},
		"required": []any{"owner", "kind"},
		"$defs": map[string]any{"Person": map[string]any{
			"type": "object", "properties": map[string]any{"age": map[string]any{"type": "integer"}},
		}},
	}
	got, err := Schema(map[string]any{"owner": map[string]any{"age": "3"}, "note": nil, "kind": "a"}, schema)
	assert.NoError(t, err)
	assert.Equal(t, map[string]any{"owner": map[string]any{"age": 3}, "note": nil, "kind": "a"}, got)

	_, err = Schema(map[string]any{"owner": map[string]any{}, "kind": "c"}, schema)
	assert.ErrorContains(t, err, "kind")

	_, err = Schema(map[string]any{"kind": "a"}, schema)
	assert.ErrorContains(t, err, `missing required property "owner"`)
}

func TestSchema_ShapesObjectsAsPydanticDoes(t *testing.T) {
	schema := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"tags":  map[string]any{"type": "array", "items": map[string]any{"type": "number"}},
			"level": map[string]any{"type": "integer", "default": json.Number("2")},
			"any":   map[string]any{},
		},
	}
	got, err := Schema(map[string]any{"tags": []any{"1", json.Number("2.5")}, "any": json.Number("7"), "extra": 1}, schema)
	assert.NoError(t, err)
	assert.Equal(t, map[string]any{"tags": []any{1.0, 2.5}, "level": 2, "any": 7}, got,
		"defaults fill missing keys, untyped values lose json.Number, extra keys are dropped")

	open := map[string]any{"type": "object", "properties": map[string]any{}, "additionalProperties": map[string]any{"type": "boolean"}}
	got, err = Schema(map[string]any{"x": "yes"}, open)
	assert.NoError(t, err)
	assert.Equal(t, map[string]any{"x": true}, got)

	_, err = Schema(map[string]any{"x": "perhaps"}, open)
	assert.ErrorContains(t, err, `property "x"`)
}

func TestSchema_TypeListsEnumsAndRefs(t *testing.T) {
	got, err := Schema(json.Number("3"), map[string]any{"type": []any{"null", "integer"}})
	assert.NoError(t, err)
	assert.Equal(t, 3, got)

	got, err = Schema(json.Number("1.0"), map[string]any{"type": "number", "enum": []any{1}})
	assert.NoError(t, err, "1.0 matches the enum value 1, as in JSON")
	assert.Equal(t, 1.0, got)

	_, err = Schema("x", map[string]any{"$ref": "#/$defs/Missing"})
	assert.ErrorContains(t, err, "unresolvable schema reference")

	_, err = Schema("x", map[string]any{"anyOf": []any{}})
	assert.ErrorContains(t, err, "no schema option matches")

	selfRef := map[string]any{"$ref": "#"}
	_, err = Schema("x", selfRef)
	assert.ErrorContains(t, err, "nests too deeply")
}
