package pyfmt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Str renders a value as Python's str() would render its JSON-mode dump, which
// is how DSPy puts a value in a prompt: strings as they are, True/False/None,
// floats in repr form, and containers or structs as JSON with Python's spacing
// (json.dumps with ensure_ascii=False).
func Str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return Float(x)
	case json.Number:
		return x.String()
	}
	j := toJSONValue(v)
	switch x := j.(type) {
	case string:
		return x
	case nil, bool, int, int64, uint64, float64, json.Number:
		return Str(x)
	}
	var b bytes.Buffer
	WriteJSON(&b, j, JSONStyle{})
	return b.String()
}

// BuiltinStr is Python's str() of a parsed JSON value: strings as they are,
// containers in repr form ("['a', 1]", "{'k': True}"), as DSPy's parse_value
// turns a non-text JSON value into a str field.
func BuiltinStr(v any) string {
	switch v.(type) {
	case []any, map[string]any, Object:
		var b strings.Builder
		writeRepr(&b, v)
		return b.String()
	}
	return Str(v)
}

// Repr renders a value as Python's repr() would: strings quoted and escaped,
// None, True/False, Python's number spelling, lists, and dicts (an Object
// keeps its order; Go maps are sorted, having no order of their own).
func Repr(v any) string {
	var b strings.Builder
	writeRepr(&b, v)
	return b.String()
}

// maxShortRepr is how many bytes of a text ShortRepr keeps.
const maxShortRepr = 80

// ShortRepr is the Repr of s cut to 80 bytes, for error messages that quote
// an LM reply: enough to recognise it without pasting the whole reply.
func ShortRepr(s string) string {
	if len(s) > maxShortRepr {
		s = s[:maxShortRepr-3] + "..."
	}
	return Repr(s)
}

// reprs are the conversions RegisterRepr added.
var reprs []func(v any) (string, bool)

// RegisterRepr adds the Python repr() of a type of another package whose
// repr is not that of its JSON form, as a pydantic model's
// "Name(field=value, ...)" is not: repr returns the text and true, or false
// for a value it does not handle. Repr, and BuiltinStr inside containers, use
// it; Str does not. Call it from an init function: conversions are read
// without locking.
func RegisterRepr(repr func(v any) (string, bool)) {
	reprs = append(reprs, repr)
}

func writeRepr(b *strings.Builder, v any) {
	for _, repr := range reprs {
		if s, ok := repr(v); ok {
			b.WriteString(s)
			return
		}
	}
	switch x := toJSONValue(v).(type) {
	case string:
		writeStringRepr(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		writeRepr(b, sortedObject(x))
	case Object:
		b.WriteByte('{')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeStringRepr(b, e.Key)
			b.WriteString(": ")
			writeRepr(b, e.Value)
		}
		b.WriteByte('}')
	default:
		b.WriteString(Str(x))
	}
}

// writeStringRepr quotes s as Python's str.__repr__ does: single quotes
// unless the text holds a single quote and no double quote; control and
// non-printable characters escaped.
func writeStringRepr(b *strings.Builder, s string) {
	quote := '\''
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	b.WriteRune(quote)
	for _, c := range s {
		switch {
		case c == quote || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(b, `\x%02x`, c)
		case c > 0x7f && !unicode.IsPrint(c):
			switch {
			case c <= 0xff:
				fmt.Fprintf(b, `\x%02x`, c)
			case c <= 0xffff:
				fmt.Fprintf(b, `\u%04x`, c)
			default:
				fmt.Fprintf(b, `\U%08x`, c)
			}
		default:
			b.WriteRune(c)
		}
	}
	b.WriteRune(quote)
}
