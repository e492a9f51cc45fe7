// Package pyliteral reads Python literals as ast.literal_eval does, for the
// values an LM writes in Python rather than JSON: quoted strings, numbers
// (1_000, 0x1f), True, False, None, and lists, tuples, sets and dicts of them.
// DSPy falls back to literal_eval when a reply is not JSON, so a Go program
// must accept the same replies.
package pyliteral

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// maxDepth bounds nesting, so a reply of ten thousand brackets cannot exhaust
// the stack.
const maxDepth = 64

// Parse reads text as one Python literal, with only white space around it. The
// result is in the JSON data model: tuples and sets become lists, dict keys
// their Python str(), and numbers json.Number (in Python's spelling), like
// decoded JSON. It reports false for anything literal_eval would reject.
func Parse(text string) (any, bool) {
	p := parser{s: text}
	v, ok := p.value(0)
	if !ok {
		return nil, false
	}
	p.skipSpace()
	return v, p.i == len(p.s)
}

type parser struct {
	s string
	i int
}

func (p *parser) skipSpace() {
	for p.i < len(p.s) && strings.IndexByte(" \t\n\r\f\v", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *parser) value(depth int) (any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	p.skipSpace()
	if p.i >= len(p.s) {
		return nil, false
	}
	switch c := p.s[p.i]; {
	case c == '\'' || c == '"':
		return p.str()
	case c == '[':
		p.i++
		items, _, ok := p.sequence(']', depth)
		return items, ok
	case c == '(':
		p.i++
		items, trailingComma, ok := p.sequence(')', depth)
		if ok && len(items) == 1 && !trailingComma {
			return items[0], true
		}
		return items, ok
	case c == '{':
		p.i++
		return p.dictOrSet(depth)
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		return p.number()
	}
	for word, v := range map[string]any{"True": true, "False": false, "None": nil} {
		if strings.HasPrefix(p.s[p.i:], word) && !p.identAt(p.i+len(word)) {
			p.i += len(word)
			return v, true
		}
	}
	return nil, false
}

func (p *parser) identAt(i int) bool {
	if i >= len(p.s) {
		return false
	}
	c := p.s[i]
	return c == '_' || (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// sequence reads items up to the closing bracket; it reports whether the last
// item was followed by a comma, which makes "(1,)" a tuple.
func (p *parser) sequence(closing byte, depth int) ([]any, bool, bool) {
	items := []any{}
	trailingComma := false
	for {
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == closing {
			p.i++
			return items, trailingComma, true
		}
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false, false
		}
		items = append(items, v)
		trailingComma = false
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			trailingComma = true
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == closing {
			continue
		}
		return nil, false, false
	}
}

func (p *parser) dictOrSet(depth int) (any, bool) {
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return map[string]any{}, true
	}
	first, ok := p.value(depth + 1)
	if !ok {
		return nil, false
	}
	p.skipSpace()
	if p.i < len(p.s) && (p.s[p.i] == ',' || p.s[p.i] == '}') {
		// A set literal, which pydantic accepts as a list.
		if p.s[p.i] == '}' {
			p.i++
			return []any{first}, true
		}
		p.i++
		rest, _, ok := p.sequence('}', depth)
		if !ok {
			return nil, false
		}
		return append([]any{first}, rest...), true
	}
	obj := map[string]any{}
	key := first
	for {
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, false
		}
		p.i++
		val, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		obj[pyfmt.Str(key)] = val
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			p.skipSpace()
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return obj, true
		}
		if key, ok = p.value(depth + 1); !ok {
			return nil, false
		}
	}
}

func (p *parser) str() (any, bool) {
	quote := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == quote:
			p.i++
			return b.String(), true
		case c == '\n':
			return nil, false
		case c == '\\' && p.i+1 < len(p.s):
			if !p.escape(&b) {
				return nil, false
			}
			continue
		default:
			b.WriteByte(c)
		}
		p.i++
	}
	return nil, false
}

// escape decodes the backslash escape at p.i and moves past it.
func (p *parser) escape(b *strings.Builder) bool {
	c := p.s[p.i+1]
	p.i += 2
	simple := map[byte]string{'n': "\n", 't': "\t", 'r': "\r", '0': "\x00", 'a': "\a", 'b': "\b",
		'f': "\f", 'v': "\v", '\\': "\\", '\'': "'", '"': "\"", '\n': ""}
	if s, ok := simple[c]; ok {
		b.WriteString(s)
		return true
	}
	width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
	if width == 0 {
		// Python keeps unknown escapes as written.
		b.WriteByte('\\')
		b.WriteByte(c)
		return true
	}
	if p.i+width > len(p.s) {
		return false
	}
	r, err := strconv.ParseUint(p.s[p.i:p.i+width], 16, 32)
	if err != nil {
		return false
	}
	p.i += width
	b.WriteRune(rune(r))
	return true
}

func (p *parser) number() (any, bool) {
	start := p.i
	if c := p.s[p.i]; c == '-' || c == '+' {
		p.i++
	}
	for p.i < len(p.s) {
		c := p.s[p.i]
		isExpSign := (c == '-' || c == '+') && p.i > start && (p.s[p.i-1]|0x20) == 'e' && !strings.ContainsAny(p.s[start:p.i], "xX")
		if !(c == '.' || c == '_' || isExpSign || (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')) {
			break
		}
		p.i++
	}
	text := p.s[start:p.i]
	sign, digits := "", strings.TrimLeft(text, "+")
	if strings.HasPrefix(digits, "-") {
		sign, digits = "-", digits[1:]
	}
	if strings.Contains(digits, "__") || strings.HasPrefix(digits, "_") || strings.HasSuffix(digits, "_") {
		return nil, false
	}
	if lower := strings.ToLower(digits); strings.HasPrefix(lower, "0x") || strings.HasPrefix(lower, "0o") || strings.HasPrefix(lower, "0b") {
		i, err := strconv.ParseInt(sign+digits, 0, 64)
		if err != nil {
			return nil, false
		}
		return json.Number(strconv.FormatInt(i, 10)), true
	}
	plain := strings.ReplaceAll(digits, "_", "")
	if i, err := strconv.ParseInt(sign+plain, 10, 64); err == nil {
		if len(plain) > 1 && plain[0] == '0' && i != 0 {
			return nil, false // Python rejects leading zeros such as 017.
		}
		return json.Number(strconv.FormatInt(i, 10)), true
	}
	f, err := strconv.ParseFloat(plain, 64)
	if err != nil || strings.ContainsAny(plain, "xXpPiInN") {
		return nil, false
	}
	if sign == "-" {
		f = -f
	}
	// Overflow and the inf and nan spellings were rejected: f is finite.
	return json.Number(pyfmt.Float(f)), true
}
