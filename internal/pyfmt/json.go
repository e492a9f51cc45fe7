package pyfmt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// JSONStyle selects among the json.dumps variants DSPy uses. The zero value
// is json.dumps(v, ensure_ascii=False).
type JSONStyle struct {
	// Indent > 0 pretty-prints with that many spaces per level (json.dumps indent=2).
	Indent int
	// EnsureASCII escapes every non-ASCII character, json.dumps's default.
	EnsureASCII bool
	// SchemaNumbers writes integral floats without ".0": schema numbers come
	// from JSON where 1 and 1.0 are the same, and pydantic writes ints.
	SchemaNumbers bool
}

// WriteJSON writes v as Python's json.dumps would: ", " and ": " separators
// (or newlines and indentation), Python float spelling, NaN/Infinity, and map
// keys sorted since Go maps have no order of their own.
func WriteJSON(b *bytes.Buffer, v any, style JSONStyle) {
	writeJSONAt(b, v, style, 0)
}

func writeJSONAt(b *bytes.Buffer, v any, style JSONStyle, depth int) {
	switch x := toJSONValue(v).(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		writeJSONString(b, x, style.EnsureASCII)
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case json.Number:
		b.WriteString(x.String())
	case float64:
		writeJSONFloat(b, x, style.SchemaNumbers)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, e := range x {
			writeJSONSeparator(b, style, depth+1, i == 0)
			writeJSONAt(b, e, style, depth+1)
		}
		writeJSONClose(b, style, depth, ']')
	case map[string]any:
		writeJSONAt(b, sortedObject(x), style, depth)
	case Object:
		if len(x) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i, e := range x {
			writeJSONSeparator(b, style, depth+1, i == 0)
			writeJSONString(b, e.Key, style.EnsureASCII)
			b.WriteString(": ")
			writeJSONAt(b, e.Value, style, depth+1)
		}
		writeJSONClose(b, style, depth, '}')
	default:
		writeJSONString(b, fmt.Sprint(x), style.EnsureASCII)
	}
}

func writeJSONSeparator(b *bytes.Buffer, style JSONStyle, depth int, first bool) {
	if style.Indent > 0 {
		if !first {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
		b.WriteString(strings.Repeat(" ", style.Indent*depth))
		return
	}
	if !first {
		b.WriteString(", ")
	}
}

func writeJSONClose(b *bytes.Buffer, style JSONStyle, depth int, c byte) {
	if style.Indent > 0 {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat(" ", style.Indent*depth))
	}
	b.WriteByte(c)
}

func writeJSONFloat(b *bytes.Buffer, f float64, schemaNumbers bool) {
	switch {
	case math.IsNaN(f):
		b.WriteString("NaN")
	case math.IsInf(f, 1):
		b.WriteString("Infinity")
	case math.IsInf(f, -1):
		b.WriteString("-Infinity")
	case schemaNumbers && f == math.Trunc(f) && math.Abs(f) < 1e16:
		b.WriteString(strconv.FormatInt(int64(f), 10))
	default:
		b.WriteString(finiteFloat(f))
	}
}

const hexDigits = "0123456789abcdef"

// writeJSONString quotes s as json.dumps does: only quotes, backslashes and
// control characters are escaped, plus every non-ASCII character when
// ensureASCII is set (as \uXXXX, with surrogate pairs above the BMP).
func writeJSONString(b *bytes.Buffer, s string, ensureASCII bool) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			default:
				if c < 0x20 {
					b.WriteString(`\u00`)
					b.WriteByte(hexDigits[c>>4])
					b.WriteByte(hexDigits[c&0xf])
				} else {
					b.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if !ensureASCII {
			if r == utf8.RuneError && size == 1 {
				b.WriteString("\ufffd")
			} else {
				b.WriteRune(r)
			}
			continue
		}
		if r > 0xffff {
			r -= 0x10000
			writeUnicodeEscape(b, 0xd800+(r>>10))
			writeUnicodeEscape(b, 0xdc00+(r&0x3ff))
		} else {
			writeUnicodeEscape(b, r)
		}
	}
	b.WriteByte('"')
}

func writeUnicodeEscape(b *bytes.Buffer, r rune) {
	b.WriteString(`\u`)
	for shift := 12; shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(r>>shift)&0xf])
	}
}
