package pyfmt

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestObject_MarshalsInOrderWithoutHTMLEscaping(t *testing.T) {
	raw, err := json.Marshal(map[string]any{"schema": Object{
		{"z", "<b>"},
		{"a", Object{{"y", []any{1, 2.5}}, {"x", nil}}},
	}})
	require.NoError(t, err)
	// The outer json.Marshal escapes HTML again; the order inside is ours.
	assert.Equal(t, `{"schema":{"z":"\u003cb\u003e","a":{"y":[1,2.5],"x":null}}}`, string(raw))

	raw, err = Object{{"z", "<b>&"}, {"a", 1}}.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"z":"<b>&","a":1}`, string(raw))

	_, err = Object{{"bad", math.NaN()}}.MarshalJSON()
	assert.ErrorContains(t, err, `key "bad"`)
}
