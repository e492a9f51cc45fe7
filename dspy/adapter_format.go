package dspy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file renders what the adapters put in a prompt: type names, field
// descriptions, type notes and values, spelled exactly as DSPy 3.3 spells them
// so a program optimized here sends the same bytes as its Python original.

// Prompt strings shared by the adapters. They are part of DSPy's prompt format
// and must not be reworded.
const (
	structureIntro          = "All interactions will be structured in the following way, with the appropriate values filled in."
	objectiveIntro          = "In adhering to this structure, your objective is: "
	incompleteDemoPrefix    = "This is an example of the task, though some input or output fields are not supplied."
	missingDemoValue        = "Not supplied for this particular example. "
	completedMarker         = "[[ ## completed ## ]]"
	objectiveIndent         = "\n        "
	typeNoteIndent          = "        # note: the value you produce "
	pythonTypeHintPrefix    = " (must be formatted as a valid Python "
	structuredOutputsSchema = "DSPyProgramOutputs"
)

// annotationName spells a type as DSPy's get_annotation_name does. It differs
// from Type.String only in how Literal choices are quoted: DSPy picks the quote
// that avoids escaping and never escapes backslashes.
func annotationName(t Type) string {
	switch t.Kind {
	case KindList:
		if t.Elem == nil {
			return "list"
		}
		return "list[" + annotationName(*t.Elem) + "]"
	case KindLiteral:
		var b strings.Builder
		b.WriteString("Literal[")
		for i, c := range t.Choices {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteLiteralChoice(c))
		}
		b.WriteByte(']')
		return b.String()
	}
	return t.String()
}

func quoteLiteralChoice(s string) string {
	single, double := strings.Contains(s, "'"), strings.Contains(s, `"`)
	switch {
	case single && !double:
		return `"` + s + `"`
	case single && double:
		return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
	}
	return "'" + s + "'"
}

// writeFieldDescriptions writes DSPy's numbered field list, one line per field:
// "1. `question` (str): desc". The default "${name}" description is left out
// but the ": " stays, as in DSPy; the block's trailing space is trimmed, as
// DSPy strips the joined block.
func writeFieldDescriptions(b *strings.Builder, fields []Field) {
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(". `")
		b.WriteString(f.Name)
		b.WriteString("` (")
		b.WriteString(annotationName(f.Type))
		desc := ""
		if !f.HasDefaultDesc() {
			desc = f.Desc
		}
		// DSPy strips the joined list, which trims only the last field's text:
		// its constraints line if it has one, else its description.
		last := i == len(fields)-1
		if len(f.Constraints) > 0 {
			b.WriteString("): ")
			b.WriteString(desc)
			b.WriteString("\nConstraints: ")
			if c := constraintsText(f.Constraints); last {
				b.WriteString(pyStripRight(c))
			} else {
				b.WriteString(c)
			}
			continue
		}
		if last {
			desc = pyStripRight(desc)
			if desc == "" {
				b.WriteString("):")
				continue
			}
		}
		b.WriteString("): ")
		b.WriteString(desc)
	}
}

// writeFieldDescriptionBlock is DSPy's format_field_description: both
// numbered lists under their headings.
func writeFieldDescriptionBlock(b *strings.Builder, sig Signature) {
	b.WriteString("Your input fields are:\n")
	writeFieldDescriptions(b, sig.inputs)
	b.WriteString("\nYour output fields are:\n")
	writeFieldDescriptions(b, sig.outputs)
}

// writePlaceholderSections writes "[[ ## name ## ]]\n{name}" for each field,
// with type notes on outputs, separated by blank lines.
func writePlaceholderSections(b *strings.Builder, fields []Field, output bool) {
	for i, f := range fields {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString("[[ ## ")
		b.WriteString(f.Name)
		b.WriteString(" ## ]]\n")
		writeFieldPlaceholder(b, f, output)
	}
}

// writeFieldPlaceholder is DSPy's translate_field_type: "{name}", followed for
// output fields by a note on the value's type. Strings get no note.
func writeFieldPlaceholder(b *strings.Builder, f Field, output bool) {
	b.WriteByte('{')
	b.WriteString(f.Name)
	b.WriteByte('}')
	if !output {
		return
	}
	if note := typeNote(f.Type); note != "" {
		b.WriteString(typeNoteIndent)
		b.WriteString(note)
	}
}

func fieldPlaceholder(f Field, output bool) string {
	var b strings.Builder
	writeFieldPlaceholder(&b, f, output)
	return b.String()
}

func typeNote(t Type) string {
	switch t.Kind {
	case KindString:
		return ""
	case KindBool:
		return "must be True or False"
	case KindInt:
		return "must be a single int value"
	case KindFloat:
		return "must be a single float value"
	case KindLiteral:
		return "must exactly match (no extra characters) one of: " + strings.Join(t.Choices, "; ")
	case KindEnum:
		// DSPy lists str(member.value), joined like a Literal's choices.
		values := make([]string, len(t.Members))
		for i, m := range t.Members {
			values[i] = m.Value
		}
		return "must be one of: " + strings.Join(values, "; ")
	}
	var b bytes.Buffer
	b.WriteString("must adhere to the JSON schema: ")
	writePyJSON(&b, typeFirst(promptSchema(t)), pyJSONStyle{schemaNumbers: true})
	return b.String()
}

// promptSchema is the JSON schema pydantic generates for a field's type, which
// DSPy shows in type notes and builds structured-output requests from. As in
// pydantic, an enum inside another type is a "$ref" into a top-level "$defs".
func promptSchema(t Type) map[string]any {
	if t.Kind == KindEnum {
		return enumSchema(t)
	}
	defs := map[string]any{}
	s := promptSchemaIn(t, defs)
	if len(defs) == 0 {
		return s
	}
	// s may be an object type's own schema map, which must stay untouched.
	out := make(map[string]any, len(s)+1)
	for k, v := range s {
		out[k] = v
	}
	out["$defs"] = defs
	return out
}

func promptSchemaIn(t Type, defs map[string]any) map[string]any {
	switch t.Kind {
	case KindList:
		items := map[string]any{}
		if t.Elem != nil {
			items = promptSchemaIn(*t.Elem, defs)
		}
		return map[string]any{"type": "array", "items": items}
	case KindEnum:
		defs[t.String()] = enumSchema(t)
		return map[string]any{"$ref": "#/$defs/" + t.String()}
	case KindLiteral:
		enum := make([]any, len(t.Choices))
		for i, c := range t.Choices {
			enum[i] = c
		}
		return map[string]any{"type": "string", "enum": enum}
	case KindObject:
		if t.Schema != nil {
			return t.Schema
		}
		return map[string]any{"type": "object", "additionalProperties": true}
	case KindAny:
		return map[string]any{}
	}
	return t.JSONSchema()
}

// orderedObject is a JSON object whose keys keep a chosen order, for output
// where Go's unordered maps would lose the order Python keeps.
type orderedObject []orderedEntry

type orderedEntry struct {
	Key   string
	Value any
}

// typeFirst orders every object of a schema as DSPy does for readability: the
// "type" key first, the others alphabetically, recursively.
func typeFirst(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if (keys[i] == "type") != (keys[j] == "type") {
				return keys[i] == "type"
			}
			return keys[i] < keys[j]
		})
		out := make(orderedObject, len(keys))
		for i, k := range keys {
			out[i] = orderedEntry{Key: k, Value: typeFirst(x[k])}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = typeFirst(e)
		}
		return out
	}
	return v
}

// writeFieldSection writes one "[[ ## name ## ]]\nvalue" section, the unit of
// DSPy's format_field_with_value; callers separate sections by blank lines.
func writeFieldSection(b *strings.Builder, name, value string) {
	b.WriteString("[[ ## ")
	b.WriteString(name)
	b.WriteString(" ## ]]\n")
	b.WriteString(value)
}

// writeTaskDescription is DSPy's format_task_description: the instructions
// dedented, each line indented by eight spaces after the objective sentence.
func writeTaskDescription(b *strings.Builder, instructions string) {
	b.WriteString(objectiveIntro)
	text := pyDedent(instructions)
	for start := 0; start < len(text); {
		end, next := nextLineBreak(text, start)
		b.WriteString(objectiveIndent)
		b.WriteString(text[start:end])
		start = next
	}
}

// writePythonTypeHint writes the " (must be formatted as a valid Python int)"
// reminder the user message gives for every non-str output field.
func writePythonTypeHint(b *strings.Builder, t Type) {
	if t.Kind == KindString {
		return
	}
	b.WriteString(pythonTypeHintPrefix)
	b.WriteString(annotationName(t))
	b.WriteByte(')')
}

// formatFieldValue renders a value for a prompt as DSPy's format_field_value
// does: a list given to a str field becomes a numbered list of «blobs»; lists,
// maps and structs become JSON; everything else its Python str().
func formatFieldValue(f Field, v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if f.Type.Kind == KindString {
		if items, ok := listItems(v); ok {
			return formatTextList(items)
		}
	}
	return pyStr(v)
}

// listItems returns the elements of a Go slice or array (not []byte, which
// Python would see as bytes).
func listItems(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, true
	case nil, string, []byte:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// formatTextList numbers list items for a text field: "[1] «a»\n[2] «b»"; one
// item is shown alone and none as "N/A".
func formatTextList(items []any) string {
	switch len(items) {
	case 0:
		return "N/A"
	case 1:
		return formatBlob(pyStr(items[0]))
	}
	var b strings.Builder
	for i, item := range items {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString("] ")
		b.WriteString(formatBlob(pyStr(item)))
	}
	return b.String()
}

// formatBlob quotes one list item so the LM can tell items apart; multi-line
// items (or items containing the quote marks) are fenced and indented.
func formatBlob(s string) string {
	if !strings.ContainsAny(s, "\n«»") {
		return "«" + s + "»"
	}
	return "«««\n    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n»»»"
}

// pyStr renders a value as Python's str() would render its JSON-mode dump:
// strings as they are, True/False/None, floats in repr form, and containers
// or structs as JSON with Python's spacing (json.dumps, ensure_ascii=False).
func pyStr(v any) string {
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
		return pyFloatStr(x)
	case json.Number:
		return x.String()
	}
	j := toJSONValue(v)
	switch x := j.(type) {
	case string:
		return x
	case nil, bool, int, int64, uint64, float64, json.Number:
		return pyStr(x)
	}
	var b bytes.Buffer
	writePyJSON(&b, j, pyJSONStyle{})
	return b.String()
}

// pyFloatStr is Python's repr (and str) of a float: the shortest digits that
// round-trip, always with a decimal point or an exponent, in exponent form
// below 1e-4 and from 1e16 up.
func pyFloatStr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return pyFloatRepr(f)
}

func pyFloatRepr(f float64) string {
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	// Log10 can be off by one at exact powers of ten; the 'e' form is exact.
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	if i := strings.IndexByte(sci, 'e'); i >= 0 {
		if e, err := strconv.Atoi(sci[i+1:]); err == nil {
			exp = e
		}
	}
	if exp < -4 || exp >= 16 {
		return sci
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}

// pyJSONStyle selects among the json.dumps variants DSPy uses.
type pyJSONStyle struct {
	// indent > 0 pretty-prints with that many spaces per level (json.dumps indent=2).
	indent int
	// ensureASCII escapes every non-ASCII character, json.dumps's default.
	ensureASCII bool
	// schemaNumbers writes integral floats without ".0": schema numbers come
	// from JSON where 1 and 1.0 are the same, and pydantic writes ints.
	schemaNumbers bool
}

// toJSONValue reduces a Go value to the JSON data model (nil, bool, numbers,
// string, []any, map[string]any, orderedObject), as pydantic's dump in JSON
// mode does. Structs and json.Marshalers go through encoding/json so their
// tags are honoured, keeping their field order.
func toJSONValue(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int, int64, float64, json.Number, []any, map[string]any, orderedObject:
		return v
	case Example:
		out := make(orderedObject, len(x.keys))
		for i, k := range x.keys {
			out[i] = orderedEntry{Key: k, Value: x.values[k]}
		}
		return out
	case json.Marshaler:
		return marshalToJSONValue(v)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return toJSONValue(rv.Elem().Interface())
	case reflect.Bool:
		return rv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint()
	case reflect.Float32:
		// Shortest digits of the float32, as Python would have stored them.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(rv.Float(), 'g', -1, 32), 64)
		return f
	case reflect.Float64:
		return rv.Float()
	case reflect.String:
		return rv.String()
	case reflect.Slice:
		if rv.IsNil() {
			return nil
		}
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return marshalToJSONValue(v)
		}
		fallthrough
	case reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface()
		}
		return out
	case reflect.Map:
		if rv.IsNil() {
			return nil
		}
		out := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			out[fmt.Sprint(iter.Key().Interface())] = iter.Value().Interface()
		}
		return out
	case reflect.Struct:
		return marshalToJSONValue(v)
	}
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprint(v)
}

func marshalToJSONValue(v any) any {
	raw, err := marshalNoEscape(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	out, err := decodeOrderedJSON(raw)
	if err != nil {
		return string(raw)
	}
	return out
}

// decodeOrderedJSON decodes JSON keeping object key order and number text.
func decodeOrderedJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return decodeOrderedValue(dec)
}

func decodeOrderedValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		obj := orderedObject{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			val, err := decodeOrderedValue(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, orderedEntry{Key: kt.(string), Value: val})
		}
		_, err = dec.Token()
		return obj, err
	case '[':
		arr := []any{}
		for dec.More() {
			val, err := decodeOrderedValue(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, val)
		}
		_, err = dec.Token()
		return arr, err
	}
	return nil, fmt.Errorf("unexpected JSON delimiter %v", d)
}

// writePyJSON writes v as Python's json.dumps would: ", " and ": " separators
// (or newlines and indentation), Python float spelling, NaN/Infinity, and map
// keys sorted since Go maps have no order of their own.
func writePyJSON(b *bytes.Buffer, v any, style pyJSONStyle) {
	writePyJSONAt(b, v, style, 0)
}

func writePyJSONAt(b *bytes.Buffer, v any, style pyJSONStyle, depth int) {
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
		writePyJSONString(b, x, style.ensureASCII)
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case json.Number:
		b.WriteString(x.String())
	case float64:
		writePyJSONFloat(b, x, style.schemaNumbers)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, e := range x {
			writePyJSONSeparator(b, style, depth+1, i == 0)
			writePyJSONAt(b, e, style, depth+1)
		}
		writePyJSONClose(b, style, depth, ']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		obj := make(orderedObject, len(keys))
		for i, k := range keys {
			obj[i] = orderedEntry{Key: k, Value: x[k]}
		}
		writePyJSONAt(b, obj, style, depth)
	case orderedObject:
		if len(x) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i, e := range x {
			writePyJSONSeparator(b, style, depth+1, i == 0)
			writePyJSONString(b, e.Key, style.ensureASCII)
			b.WriteString(": ")
			writePyJSONAt(b, e.Value, style, depth+1)
		}
		writePyJSONClose(b, style, depth, '}')
	default:
		writePyJSONString(b, fmt.Sprint(x), style.ensureASCII)
	}
}

func writePyJSONSeparator(b *bytes.Buffer, style pyJSONStyle, depth int, first bool) {
	if style.indent > 0 {
		if !first {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
		b.WriteString(strings.Repeat(" ", style.indent*depth))
		return
	}
	if !first {
		b.WriteString(", ")
	}
}

func writePyJSONClose(b *bytes.Buffer, style pyJSONStyle, depth int, c byte) {
	if style.indent > 0 {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat(" ", style.indent*depth))
	}
	b.WriteByte(c)
}

func writePyJSONFloat(b *bytes.Buffer, f float64, schemaNumbers bool) {
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
		b.WriteString(pyFloatRepr(f))
	}
}

const hexDigits = "0123456789abcdef"

// writePyJSONString quotes s as json.dumps does: only quotes, backslashes and
// control characters are escaped, plus every non-ASCII character when
// ensureASCII is set (as \uXXXX, with surrogate pairs above the BMP).
func writePyJSONString(b *bytes.Buffer, s string, ensureASCII bool) {
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

// pyBuiltinStr is Python's str() of a parsed JSON value: strings as they are,
// containers in repr form ("['a', 1]", "{'k': True}"), as DSPy's parse_value
// turns a non-text JSON value into a str field.
func pyBuiltinStr(v any) string {
	switch v.(type) {
	case []any, map[string]any, orderedObject:
		var b strings.Builder
		writePyRepr(&b, v)
		return b.String()
	}
	return pyStr(v)
}

func writePyRepr(b *strings.Builder, v any) {
	switch x := toJSONValue(v).(type) {
	case string:
		writePyStringRepr(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyRepr(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyStringRepr(b, k)
			b.WriteString(": ")
			writePyRepr(b, x[k])
		}
		b.WriteByte('}')
	case orderedObject:
		b.WriteByte('{')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyStringRepr(b, e.Key)
			b.WriteString(": ")
			writePyRepr(b, e.Value)
		}
		b.WriteByte('}')
	default:
		b.WriteString(pyStr(x))
	}
}

// PyRepr renders a value as Python's repr() would: strings quoted and
// escaped, None, True/False, Python's number spelling, lists, and dicts (an
// Example keeps its order; Go maps are sorted, having no order of their own).
func PyRepr(v any) string {
	var b strings.Builder
	writePyRepr(&b, v)
	return b.String()
}

// writePyStringRepr quotes s as Python's str.__repr__ does: single quotes
// unless the text holds a single quote and no double quote; control and
// non-printable characters escaped.
func writePyStringRepr(b *strings.Builder, s string) {
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

// pySplitLines splits text at line boundaries as Python's str.splitlines does,
// without keeping the separators and without a trailing empty line.
func pySplitLines(s string) []string {
	var lines []string
	for start := 0; start < len(s); {
		end, next := nextLineBreak(s, start)
		lines = append(lines, s[start:end])
		start = next
	}
	return lines
}

// nextLineBreak finds the end of the line starting at start and where the next
// line begins, treating every separator Python's splitlines knows as a break.
func nextLineBreak(s string, start int) (end, next int) {
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

// pyDedent removes the indentation common to every non-blank line, as
// Python's textwrap.dedent does; lines of only spaces and tabs become empty.
func pyDedent(text string) string {
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

func anyLineIndented(text string) bool {
	for i := 0; i < len(text); i++ {
		if (text[i] == ' ' || text[i] == '\t') && (i == 0 || text[i-1] == '\n') {
			return true
		}
	}
	return false
}

// pyStripRight trims trailing whitespace as Python's str.rstrip() does.
func pyStripRight(s string) string {
	if s == "" || (!isPySpaceByte(s[len(s)-1]) && s[len(s)-1] < utf8.RuneSelf) {
		return s
	}
	return strings.TrimRightFunc(s, isPySpace)
}

// pyStrip trims what Python's str.strip() trims: Unicode whitespace plus the
// ASCII information separators Python also counts as space.
func pyStrip(s string) string {
	// Fast path: most values have no surrounding whitespace at all.
	if s == "" || (!isPySpaceByte(s[0]) && !isPySpaceByte(s[len(s)-1]) && s[0] < utf8.RuneSelf && s[len(s)-1] < utf8.RuneSelf) {
		return s
	}
	return strings.TrimFunc(s, isPySpace)
}

func isPySpaceByte(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)
}

func isPySpace(r rune) bool {
	if r < utf8.RuneSelf {
		return isPySpaceByte(byte(r))
	}
	return unicode.IsSpace(r)
}
