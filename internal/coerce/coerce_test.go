package coerce

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestScalars_CoerceLikePydanticLaxMode(t *testing.T) {
	tests := []struct {
		name   string
		coerce func(any) (any, error)
		v      any
		want   any
		err    string
	}{
		{"int from bool", Int, true, 1, ""},
		{"int from int64", Int, int64(-3), -3, ""},
		{"int from numeric text", Int, " 7 ", 7, ""},
		{"int from zero fraction", Int, json.Number("42.00"), 42, ""},
		{"int from integral float", Int, 3.0, 3, ""},
		{"int rejects fraction", Int, 1.5, nil, "fractional or unbounded number 1.5"},
		{"int rejects infinity", Int, math.Inf(1), nil, "number inf"},
		{"int rejects words", Int, "seven", nil, "expected an int, got the text 'seven'"},
		{"float from text", Float, "1e3", 1000.0, ""},
		{"float from int", Float, 2, 2.0, ""},
		{"float from number", Float, json.Number("0.25"), 0.25, ""},
		{"float rejects hex", Float, "0x10", nil, "expected a float"},
		{"float rejects underscores", Float, "1_000", nil, "expected a float"},
		{"bool from 0", Bool, json.Number("0"), false, ""},
		{"bool from 1.0", Bool, 1.0, true, ""},
		{"bool from off", Bool, "OFF", false, ""},
		{"bool from y", Bool, " y ", true, ""},
		{"bool rejects 2", Bool, json.Number("2"), nil, "expected True or False, got the value 2"},
		{"bool rejects maybe", Bool, "maybe", nil, "expected True or False"},
		{"string as is", String, "x", "x", ""},
		{"string rejects number", String, json.Number("1"), nil, "expected a string, got the value 1"},
		{"string rejects None", String, nil, nil, "expected a string, got None"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.coerce(tc.v)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			assert.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestDescribe_NamesValuesAsPythonWould(t *testing.T) {
	assert.Equal(t, "None", Describe(nil))
	assert.Equal(t, "True", Describe(true))
	assert.Equal(t, "a list", Describe([]any{1}))
	assert.Equal(t, "an object", Describe(map[string]any{}))
	assert.Equal(t, `the text "it's"`, Describe("it's"))
	assert.Equal(t, "the text '"+strings.Repeat("x", 77)+"...'", Describe(strings.Repeat("x", 100)))
	assert.Equal(t, "the value 2.5", Describe(2.5))
}

func TestNumbers_TurnsJSONNumbersIntoGoNumbers(t *testing.T) {
	in := map[string]any{"a": []any{json.Number("1"), json.Number("1.5"), json.Number("1e400")}, "b": "2"}
	assert.Equal(t, map[string]any{"a": []any{1, 1.5, math.Inf(1)}, "b": "2"}, Numbers(in))
	assert.Equal(t, 1.5, Numbers(1.5))
}

func TestFloat64_ReadsEveryNumberForm(t *testing.T) {
	for _, v := range []any{2, int64(2), 2.0, json.Number("2")} {
		f, ok := Float64(v)
		assert.True(t, ok, "%T", v)
		assert.Equal(t, 2.0, f)
	}
	_, ok := Float64("2")
	assert.False(t, ok)
	_, ok = Float64(json.Number("x"))
	assert.False(t, ok)
}
