package dspy

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

func TestFormat_ExamplesRenderAsOrderedDicts(t *testing.T) {
	ex := NewExample("z", 1, "a", "é", "f", 1.0)
	assert.Equal(t, `{"z": 1, "a": "é", "f": 1.0}`, pyfmt.Str(ex))
	assert.Equal(t, `[{"z": 1, "a": "é", "f": 1.0}]`, pyfmt.Str([]Example{ex}))
	assert.Equal(t, `{'z': 1, 'a': 'é', 'f': 1.0}`, pyfmt.Repr(ex))
}

func TestFormat_LiteralNamesQuoteAsDSPy(t *testing.T) {
	assert.Equal(t, `Literal['a', "it's", 'say "hi"', 'both \' and "']`,
		annotationName(LiteralOf("a", "it's", `say "hi"`, `both ' and "`)))
	assert.Equal(t, "list[Literal['x']]", annotationName(ListOf(LiteralOf("x"))))
}

func TestFormat_BlobsFenceMultilineText(t *testing.T) {
	assert.Equal(t, "«x»", formatBlob("x"))
	assert.Equal(t, "«««\n    a «b»\n»»»", formatBlob("a «b»"))
	assert.Equal(t, "«««\n    a\n    b\n»»»", formatBlob("a\nb"))
}

func TestFormat_FieldTitlesFollowPydantic(t *testing.T) {
	assert.Equal(t, "Final Answer", pyFieldTitle("final_answer"))
	assert.Equal(t, "Answer2X", pyFieldTitle("answer2x"))
	assert.Equal(t, "Camelcase", pyFieldTitle("camelCase"))
}
