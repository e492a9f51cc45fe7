package loosejson

import "strings"

// FirstObject returns the first balanced {...} in text, skipping braces inside
// JSON strings, so prose or code fences around a JSON reply are dropped.
// "First" is by opening position: an unclosed brace early in the text does not
// hide a complete object after it. One pass, so long replies stay cheap.
func FirstObject(text string) (string, bool) {
	var open []int
	bestStart, bestEnd := -1, -1
	var q quotes
	for i := 0; i < len(text); i++ {
		c := text[i]
		if q.inString(c) {
			continue
		}
		switch c {
		case '{':
			open = append(open, i)
		case '}':
			if n := len(open); n > 0 {
				start := open[n-1]
				open = open[:n-1]
				if bestStart < 0 || start < bestStart {
					bestStart, bestEnd = start, i+1
				}
			}
		}
	}
	if bestStart >= 0 {
		return text[bestStart:bestEnd], true
	}
	// A stray double quote in the prose (5" screen) can flip the string state
	// for the rest of the text; retry from each of the first few braces.
	start := strings.IndexByte(text, '{')
	for tries := 0; start >= 0 && tries < maxObjectStarts; tries++ {
		if end, ok := balancedEnd(text, start); ok {
			return text[start:end], true
		}
		next := strings.IndexByte(text[start+1:], '{')
		if next < 0 {
			break
		}
		start += 1 + next
	}
	return "", false
}

// maxObjectStarts bounds the slow retry of FirstObject, which is quadratic in
// the worst case.
const maxObjectStarts = 16

// balancedEnd returns the index just past the bracket that closes the one at
// start, ignoring brackets inside double-quoted strings.
func balancedEnd(text string, start int) (int, bool) {
	depth := 0
	var q quotes
	for i := start; i < len(text); i++ {
		c := text[i]
		if q.inString(c) {
			continue
		}
		switch c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
	}
	return 0, false
}

// quotes follows double-quoted strings through JSON text, byte by byte, so
// brackets inside strings can be skipped.
type quotes struct {
	open, escaped bool
}

// inString reports whether c, the next byte, belongs to a string, its quotes
// included.
func (q *quotes) inString(c byte) bool {
	if !q.open {
		q.open = c == '"'
		return q.open
	}
	switch {
	case q.escaped:
		q.escaped = false
	case c == '\\':
		q.escaped = true
	case c == '"':
		q.open = false
	}
	return true
}
