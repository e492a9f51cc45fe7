package dspy

import (
	"strings"
	"unicode/utf8"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// This file follows an adapter's reply while it streams in and reports each
// output field's text as soon as it is settled, as DSPy's StreamListener
// does: it recognises where a field starts, holds back text that may be the
// start of the next field's marker (or of the closing tag, or the end of a
// JSON string), and marks a field's last piece.
//
// Unlike DSPy, which counts chunks ("keep the last ten tokens") and so
// depends on how the provider split the reply, these readers work rune by
// rune: however the reply is cut into chunks, the pieces of a field join to
// the same text, and that text is what the adapter's own parser reads for the
// field: for ChatAdapter the section's text with its surrounding whitespace
// stripped and its line breaks made "\n"; for JSONAdapter a string value's
// decoded content, or another value's JSON text; for XMLAdapter the text
// between <field> and </field>, stripped, entities and nested tags as sent.
// DSPy also leaves the line break after a marker in the first piece and,
// for JSON, the quotes and the next key's opening in the pieces; these
// readers do not.

// fieldEmit receives a field's settled text; last marks the field's end.
type fieldEmit func(field, text string, last bool)

// fieldReader reads one streamed reply in one adapter's format.
type fieldReader interface {
	// feed reads the next piece of the reply.
	feed(s string)
	// finish ends the reply: a field still open ends with it.
	finish()
	// open names the field being read, or "" between fields.
	open() string
}

// newFieldReader returns the reader for format, or nil when the format
// cannot be streamed.
func newFieldReader(format streamFormat, outputs []string, emit fieldEmit) fieldReader {
	switch format {
	case streamChat:
		return &chatFieldReader{out: fieldOut{emit: emit}, outputs: outputs, seen: make([]bool, len(outputs)), lineStart: true}
	case streamJSON:
		return &jsonFieldReader{out: fieldOut{emit: emit}, outputs: outputs, seen: make([]bool, len(outputs))}
	case streamXML:
		maxName := 0
		for _, o := range outputs {
			maxName = max(maxName, len(o))
		}
		return &xmlFieldReader{out: fieldOut{emit: emit}, outputs: outputs, seen: make([]bool, len(outputs)), maxTag: maxName + 2}
	}
	return nil
}

// runeSplitter hands over whole runes, keeping a rune cut between two
// pieces until its remaining bytes arrive.
type runeSplitter struct{ carry string }

func (rs *runeSplitter) each(s string, final bool, fn func(r rune, raw string)) {
	if rs.carry != "" {
		s = rs.carry + s
		rs.carry = ""
	}
	for i := 0; i < len(s); {
		if !final && !utf8.FullRuneInString(s[i:]) {
			rs.carry = s[i:]
			return
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		fn(r, s[i:i+n])
		i += n
	}
}

// fieldOut collects the text of the field being read and hands it over at
// the end of each piece. With strip set, whitespace is held until more text
// follows, so a field's leading and trailing whitespace never goes out.
type fieldOut struct {
	emit    fieldEmit
	field   string // "" between fields
	strip   bool
	started bool
	pending strings.Builder
	buf     strings.Builder
}

func (o *fieldOut) open(field string, strip bool) {
	o.field, o.strip, o.started = field, strip, false
	o.pending.Reset()
	o.buf.Reset()
}

// space adds whitespace, held when stripping.
func (o *fieldOut) space(s string) {
	switch {
	case o.field == "":
	case !o.strip:
		o.buf.WriteString(s)
	case o.started:
		o.pending.WriteString(s)
	}
}

// text adds other text, after any whitespace held before it.
func (o *fieldOut) text(s string) {
	if o.field == "" {
		return
	}
	if o.pending.Len() > 0 {
		o.buf.WriteString(o.pending.String())
		o.pending.Reset()
	}
	o.buf.WriteString(s)
	o.started = true
}

func (o *fieldOut) dropPending() { o.pending.Reset() }

// flush hands over what the piece added to the field.
func (o *fieldOut) flush() {
	if o.field != "" && o.buf.Len() > 0 {
		o.emit(o.field, o.buf.String(), false)
		o.buf.Reset()
	}
}

// close ends the field, handing over its last text (possibly none).
func (o *fieldOut) close() {
	if o.field == "" {
		return
	}
	o.emit(o.field, o.buf.String(), true)
	o.buf.Reset()
	o.pending.Reset()
	o.field = ""
}

func (o *fieldOut) content(r rune, raw string) {
	if pyfmt.IsSpace(r) {
		o.space(raw)
	} else {
		o.text(raw)
	}
}

func outputIndex(outputs []string, name string) int {
	for i, o := range outputs {
		if o == name {
			return i
		}
	}
	return -1
}

// isLineBreak matches the line boundaries of Python's str.splitlines, which
// ChatAdapter splits replies on.
func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// chatFieldReader reads "[[ ## field ## ]]" replies as parseChatReply does:
// a marker counts at the start of a line (after spaces); the text after it
// on its line and the lines up to the next marker are the field's; a marker
// of a field already seen, or of no output field, ends the current one.
type chatFieldReader struct {
	rs      runeSplitter
	out     fieldOut
	outputs []string
	seen    []bool
	// lineStart is set while the current line may still be a marker; its
	// text so far is held in line.
	lineStart  bool
	line       strings.Builder
	headerLine bool // on the marker line of the field being read
	afterCR    bool
}

func (c *chatFieldReader) open() string { return c.out.field }

func (c *chatFieldReader) feed(s string) {
	c.rs.each(s, false, c.rune)
	c.out.flush()
}

func (c *chatFieldReader) finish() {
	c.rs.each("", true, c.rune)
	if c.lineStart {
		c.flushLine()
	}
	c.out.close()
}

func (c *chatFieldReader) rune(r rune, raw string) {
	if c.afterCR {
		c.afterCR = false
		if r == '\n' {
			return // the second half of "\r\n"
		}
	}
	if isLineBreak(r) {
		if c.lineStart {
			c.flushLine()
		}
		if c.headerLine {
			// The marker line's own text is stripped on its own.
			c.out.dropPending()
			c.headerLine = false
		}
		c.out.space("\n")
		c.lineStart, c.afterCR = true, r == '\r'
		return
	}
	if !c.lineStart {
		c.out.content(r, raw)
		return
	}
	c.line.WriteString(raw)
	name, state := chatMarkerState(c.line.String())
	switch state {
	case markerPossible:
	case markerComplete:
		c.line.Reset()
		c.lineStart = false
		c.out.close()
		c.headerLine = false
		if i := outputIndex(c.outputs, name); i >= 0 && !c.seen[i] {
			c.seen[i] = true
			c.out.open(name, true)
			c.headerLine = true
		}
	default:
		c.flushLine()
	}
}

// flushLine gives the held start of a line, no marker after all, to the field.
func (c *chatFieldReader) flushLine() {
	line := c.line.String()
	c.line.Reset()
	c.lineStart = false
	for len(line) > 0 {
		r, n := utf8.DecodeRuneInString(line)
		c.out.content(r, line[:n])
		line = line[n:]
	}
}

type markerState uint8

const (
	markerImpossible markerState = iota
	markerPossible
	markerComplete
)

// chatMarkerState tells whether the start of a line is, may become, or
// cannot be a "[[ ## name ## ]]" marker as matchFieldHeader reads one.
func chatMarkerState(line string) (string, markerState) {
	const open, close = "[[ ## ", " ## ]]"
	t := strings.TrimLeftFunc(line, pyfmt.IsSpace)
	if len(t) <= len(open) {
		if strings.HasPrefix(open, t) {
			return "", markerPossible
		}
		return "", markerImpossible
	}
	if !strings.HasPrefix(t, open) {
		return "", markerImpossible
	}
	s := t[len(open):]
	n := len(s)
	for i, r := range s {
		if !isWordRune(r) {
			n = i
			break
		}
	}
	switch {
	case n == len(s):
		return "", markerPossible
	case n == 0:
		return "", markerImpossible
	}
	rest := s[n:]
	if len(rest) < len(close) {
		if strings.HasPrefix(close, rest) {
			return "", markerPossible
		}
		return "", markerImpossible
	}
	if strings.HasPrefix(rest, close) {
		return s[:n], markerComplete
	}
	return "", markerImpossible
}

// jsonFieldReader reads the first JSON object of a reply: each top-level key
// naming an output field (its first occurrence) streams its value, a string
// decoded, anything else as its JSON text.
type jsonFieldReader struct {
	rs      runeSplitter
	out     fieldOut
	outputs []string
	seen    []bool
	state   jsonState
	key     strings.Builder
	str     jsonStringDecoder
	depth   int // nesting inside a non-string value
	inStr   bool
	esc     bool
}

type jsonState uint8

const (
	jsonBefore jsonState = iota
	jsonMember           // expecting a key, a comma or the closing brace
	jsonKey
	jsonColon
	jsonValue
	jsonString
	jsonRaw
	jsonDone
)

func (j *jsonFieldReader) open() string { return j.out.field }

func (j *jsonFieldReader) feed(s string) {
	j.rs.each(s, false, j.rune)
	j.out.flush()
}

func (j *jsonFieldReader) finish() {
	j.rs.each("", true, j.rune)
	if j.state == jsonString {
		j.out.text(j.str.end())
	}
	j.out.close()
}

func (j *jsonFieldReader) rune(r rune, raw string) {
	switch j.state {
	case jsonBefore:
		if r == '{' {
			j.state = jsonMember
		}
	case jsonMember:
		switch r {
		case '"':
			j.key.Reset()
			j.str = jsonStringDecoder{}
			j.state = jsonKey
		case '}':
			j.state = jsonDone
		}
	case jsonKey:
		text, done := j.str.step(r, raw)
		j.key.WriteString(text)
		if done {
			j.state = jsonColon
		}
	case jsonColon:
		if r == ':' {
			j.state = jsonValue
		}
	case jsonValue:
		if pyfmt.IsSpace(r) {
			return
		}
		target := ""
		if i := outputIndex(j.outputs, j.key.String()); i >= 0 && !j.seen[i] {
			j.seen[i] = true
			target = j.outputs[i]
		}
		if r == '"' {
			j.out.open(target, false)
			j.str = jsonStringDecoder{}
			j.state = jsonString
			return
		}
		j.out.open(target, true)
		j.depth, j.inStr, j.esc = 0, false, false
		j.state = jsonRaw
		j.raw(r, raw)
	case jsonString:
		text, done := j.str.step(r, raw)
		j.out.text(text)
		if done {
			j.out.close()
			j.state = jsonMember
		}
	case jsonRaw:
		j.raw(r, raw)
	}
}

// raw reads a non-string value: it ends after its closing bracket, or
// before the comma or brace that follows a scalar.
func (j *jsonFieldReader) raw(r rune, raw string) {
	if j.inStr {
		switch {
		case j.esc:
			j.esc = false
		case r == '\\':
			j.esc = true
		case r == '"':
			j.inStr = false
		}
		j.out.content(r, raw)
		return
	}
	switch r {
	case '"':
		j.inStr = true
	case '{', '[':
		j.depth++
	case '}', ']':
		if j.depth == 0 {
			j.out.close()
			j.state = jsonMember
			if r == '}' {
				j.state = jsonDone
			}
			return
		}
		j.depth--
		if j.depth == 0 {
			j.out.text(raw)
			j.out.close()
			j.state = jsonMember
			return
		}
	case ',':
		if j.depth == 0 {
			j.out.close()
			j.state = jsonMember
			return
		}
	}
	j.out.content(r, raw)
}

// jsonStringDecoder decodes a JSON string's content rune by rune, as
// encoding/json would: escapes resolved, a lone surrogate as U+FFFD.
type jsonStringDecoder struct {
	esc  bool
	hex  []byte // the digits of a \u escape being read; nil when none
	high rune   // a high surrogate waiting for its low half
}

// step reads one rune of the string and returns the text it settles and
// whether the string ended with it.
func (d *jsonStringDecoder) step(r rune, raw string) (string, bool) {
	if d.hex != nil {
		if !isHexDigit(r) {
			bad := `\u` + string(d.hex)
			d.hex = nil
			text, done := d.step(r, raw)
			return d.lone() + bad + text, done
		}
		d.hex = append(d.hex, byte(r))
		if len(d.hex) < 4 {
			return "", false
		}
		var code rune
		for _, h := range d.hex {
			code = code<<4 | rune(hexValue(h))
		}
		d.hex = nil
		switch {
		case code >= 0xd800 && code < 0xdc00:
			prev := d.lone()
			d.high = code
			return prev, false
		case code >= 0xdc00 && code < 0xe000:
			if d.high != 0 {
				pair := (d.high-0xd800)<<10 | (code - 0xdc00) + 0x10000
				d.high = 0
				return string(pair), false
			}
			return string(utf8.RuneError), false
		}
		return d.lone() + string(code), false
	}
	if d.esc {
		d.esc = false
		if r == 'u' {
			d.hex = make([]byte, 0, 4)
			return "", false
		}
		prev := d.lone()
		switch r {
		case '"', '\\', '/':
			return prev + raw, false
		case 'b':
			return prev + "\b", false
		case 'f':
			return prev + "\f", false
		case 'n':
			return prev + "\n", false
		case 'r':
			return prev + "\r", false
		case 't':
			return prev + "\t", false
		}
		return prev + `\` + raw, false
	}
	if r == '\\' {
		d.esc = true
		return "", false
	}
	prev := d.lone()
	if r == '"' {
		return prev, true
	}
	return prev + raw, false
}

// lone gives up on a high surrogate that no low half followed.
func (d *jsonStringDecoder) lone() string {
	if d.high == 0 {
		return ""
	}
	d.high = 0
	return string(utf8.RuneError)
}

// end settles what an unterminated string still holds.
func (d *jsonStringDecoder) end() string {
	text := d.lone()
	if d.hex != nil {
		text += `\u` + string(d.hex)
		d.hex = nil
	}
	if d.esc {
		text += `\`
		d.esc = false
	}
	return text
}

func isHexDigit(r rune) bool {
	return (r >= '0' && r <= '9') || (r|0x20 >= 'a' && r|0x20 <= 'f')
}

func hexValue(b byte) byte {
	if b <= '9' {
		return b - '0'
	}
	return b | 0x20 - 'a' + 10
}

// xmlFieldReader reads "<field>...</field>" replies: the first <field> tag
// of each output field opens it and the next </field> closes it.
type xmlFieldReader struct {
	rs      runeSplitter
	out     fieldOut
	outputs []string
	seen    []bool
	maxTag  int // longest opening tag worth holding
	inTag   bool
	tag     strings.Builder
	closing string // "</field>" while inside a field
}

func (x *xmlFieldReader) open() string { return x.out.field }

func (x *xmlFieldReader) feed(s string) {
	x.rs.each(s, false, x.rune)
	x.out.flush()
}

func (x *xmlFieldReader) finish() {
	x.rs.each("", true, x.rune)
	if x.out.field != "" && x.inTag {
		x.contentString(x.tag.String())
	}
	x.inTag = false
	x.tag.Reset()
	x.out.close()
}

func (x *xmlFieldReader) rune(r rune, raw string) {
	if x.out.field == "" {
		if !x.inTag {
			if r == '<' {
				x.inTag = true
				x.tag.WriteString(raw)
			}
			return
		}
		if r == '<' {
			x.tag.Reset()
			x.tag.WriteString(raw)
			return
		}
		x.tag.WriteString(raw)
		s := x.tag.String()
		if r == '>' {
			x.inTag = false
			x.tag.Reset()
			name := s[1 : len(s)-1]
			if i := outputIndex(x.outputs, name); i >= 0 && !x.seen[i] {
				x.seen[i] = true
				x.out.open(name, true)
				x.closing = "</" + name + ">"
			}
			return
		}
		if len(s) > x.maxTag {
			x.inTag = false
			x.tag.Reset()
		}
		return
	}
	if !x.inTag {
		if r == '<' {
			x.inTag = true
			x.tag.WriteString(raw)
			return
		}
		x.out.content(r, raw)
		return
	}
	x.tag.WriteString(raw)
	s := x.tag.String()
	if s == x.closing {
		x.inTag = false
		x.tag.Reset()
		x.out.close()
		return
	}
	if strings.HasPrefix(x.closing, s) {
		return
	}
	// Not the closing tag: what was held is the field's text, and the rune
	// that broke the match may start the tag itself.
	x.inTag = false
	x.tag.Reset()
	x.contentString(s[:len(s)-len(raw)])
	x.rune(r, raw)
}

func (x *xmlFieldReader) contentString(s string) {
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		x.out.content(r, s[:n])
		s = s[n:]
	}
}
