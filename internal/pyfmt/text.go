package pyfmt

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// SplitLines splits text at line boundaries as Python's str.splitlines does,
// without keeping the separators and without a trailing empty line.
func SplitLines(s string) []string {
	var lines []string
	for start := 0; start < len(s); {
		end, next := NextLineBreak(s, start)
		lines = append(lines, s[start:end])
		start = next
	}
	return lines
}

// NextLineBreak finds the end of the line starting at start and where the next
// line begins, treating every separator Python's splitlines knows as a break.
// Without a break it returns len(s) twice.
func NextLineBreak(s string, start int) (end, next int) {
	for i := start; i < len(s); i++ {
		switch c := s[i]; c {
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e:
			return i, i + 1
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				return i, i + 2
			}
			return i, i + 1
		case 0xc2: // U+0085 NEXT LINE
			if i+1 < len(s) && s[i+1] == 0x85 {
				return i, i + 2
			}
		case 0xe2: // U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR
			if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9) {
				return i, i + 3
			}
		}
	}
	return len(s), len(s)
}

// Dedent removes the indentation common to every non-blank line, as Python's
// textwrap.dedent does; lines of only spaces and tabs become empty.
func Dedent(text string) string {
	if !anyLineIndented(text) {
		return text
	}
	lines := strings.Split(text, "\n")
	margin, haveMargin := "", false
	for i, line := range lines {
		if strings.Trim(line, " \t") == "" {
			lines[i] = ""
			continue
		}
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		switch {
		case !haveMargin:
			margin, haveMargin = indent, true
		case strings.HasPrefix(indent, margin):
		case strings.HasPrefix(margin, indent):
			margin = indent
		default:
			n := 0
			for n < len(margin) && n < len(indent) && margin[n] == indent[n] {
				n++
			}
			margin = margin[:n]
		}
	}
	for i, line := range lines {
		lines[i] = strings.TrimPrefix(line, margin)
	}
	return strings.Join(lines, "\n")
}

// anyLineIndented is Dedent's fast path: most instructions have no indented
// line at all, and then there is nothing to remove.
func anyLineIndented(text string) bool {
	for i := 0; i < len(text); i++ {
		if (text[i] == ' ' || text[i] == '\t') && (i == 0 || text[i-1] == '\n') {
			return true
		}
	}
	return false
}

// StripRight trims trailing whitespace as Python's str.rstrip() does.
func StripRight(s string) string {
	if s == "" || (!isSpaceByte(s[len(s)-1]) && s[len(s)-1] < utf8.RuneSelf) {
		return s
	}
	return strings.TrimRightFunc(s, IsSpace)
}

// Strip trims what Python's str.strip() trims: Unicode whitespace plus the
// ASCII information separators Python also counts as space.
func Strip(s string) string {
	// Fast path: most values have no surrounding whitespace at all.
	if s == "" || (!isSpaceByte(s[0]) && !isSpaceByte(s[len(s)-1]) && s[0] < utf8.RuneSelf && s[len(s)-1] < utf8.RuneSelf) {
		return s
	}
	return strings.TrimFunc(s, IsSpace)
}

func isSpaceByte(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)
}

// IsSpace reports whether Strip trims r: Unicode whitespace plus the ASCII
// information separators 0x1c to 0x1f, which Python also counts as space.
func IsSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return isSpaceByte(byte(r))
	}
	return unicode.IsSpace(r)
}
