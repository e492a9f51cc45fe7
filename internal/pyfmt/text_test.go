package pyfmt

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDedent_MatchesTextwrap(t *testing.T) {
	assert.Equal(t, "a\n  b\n\nc", Dedent("    a\n      b\n   \n    c"))
	assert.Equal(t, "a\n\tb", Dedent("a\n\tb"))
	assert.Equal(t, "a\nb", Dedent("\t a\n\t b"))
	assert.Equal(t, " a\n\t b", Dedent("\t a\n\t\t b"), "a tab and a space share only the tab")
	assert.Equal(t, "no indent", Dedent("no indent"))
}

func TestSplitLines_MatchesPython(t *testing.T) {
	assert.Equal(t, []string{"a", "b", "", "c", "d"}, SplitLines("a\r\nb\n\nc\u2028d\n"))
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, SplitLines("a\rb\u0085c\x1cd\ve"))
	assert.Nil(t, SplitLines(""))
}

func TestStrip_TrimsWhatPythonTrims(t *testing.T) {
	assert.Equal(t, "x", Strip(" \t\n\x1c\u3000x\u00a0\r\n"))
	assert.Equal(t, "x y", Strip("x y"))
	assert.Equal(t, "\u200bx", Strip("\u200bx"), "a zero-width space is not white space")
	assert.Equal(t, "  x", StripRight("  x \x1f\u2029"))
	assert.Equal(t, "x", StripRight("x"))
	assert.True(t, IsSpace('\x1e'))
	assert.False(t, IsSpace('x'))
}
