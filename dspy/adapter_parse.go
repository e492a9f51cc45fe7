package dspy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kaptinlin/jsonrepair"
)

// This file reads typed values out of LM replies the way DSPy's parse_value
// does: text fields as they are, Enum members by value or name, Literal
// choices tolerant of quoting, and every other type through a lenient JSON
// reading (repaired, or read as a Python literal) followed by pydantic-style
// coercion.

// parseTextValue reads one output field's text into a value of type t.
func parseTextValue(text string, t Type) (any, error) {
	switch t.Kind {
	case KindString:
		return text, nil
	case KindLiteral:
		return parseLiteralChoice(text, t.Choices)
	case KindEnum:
		return findEnumMember(text, t)
	}
	return coerceValue(looseDecode(text), t)
}

// parseJSONFieldValue reads a value already decoded from a JSON reply into
// type t. A text field takes the Python str() of whatever the LM sent; a JSON
// string is read as text would be, so "42" still fills an int field.
func parseJSONFieldValue(v any, t Type) (any, error) {
	switch t.Kind {
	case KindString:
		return pyBuiltinStr(v), nil
	case KindLiteral:
		return parseLiteralChoice(v, t.Choices)
	case KindEnum:
		return findEnumMember(v, t)
	}
	if s, ok := v.(string); ok {
		return parseTextValue(s, t)
	}
	return coerceValue(v, t)
}

// parseLiteralChoice accepts an exact choice, or one the LM wrapped in quotes
// or in "Literal[...]", as DSPy does.
func parseLiteralChoice(v any, choices []string) (string, error) {
	if s, ok := v.(string); ok {
		if containsString(choices, s) {
			return s, nil
		}
		t := strings.TrimSpace(s)
		if (strings.HasPrefix(t, "Literal[") || strings.HasPrefix(t, "str[")) && strings.HasSuffix(t, "]") {
			t = t[strings.IndexByte(t, '[')+1 : len(t)-1]
		}
		if n := len(t); n > 1 && t[0] == t[n-1] && (t[0] == '"' || t[0] == '\'') {
			t = t[1 : n-1]
		}
		if containsString(choices, t) {
			return t, nil
		}
	}
	return "", fmt.Errorf("%s is not one of the allowed values %s", PyRepr(pyBuiltinStr(v)), annotationName(LiteralOf(choices...)))
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// looseDecode turns field text into a JSON-like value as DSPy does with
// json_repair.loads and ast.literal_eval: valid JSON as is; text holding a
// bracket repaired from the first bracket on; otherwise a Python literal
// ('text', True, None, 1_000); failing all that, the text itself.
func looseDecode(text string) any {
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return text
	}
	if v, ok := decodeStrictJSON(trimmed); ok {
		return v
	}
	if start := strings.IndexAny(trimmed, "{["); start >= 0 {
		if v, ok := repairJSON(trimmed[start:]); ok {
			return v
		}
		if end, ok := balancedEnd(trimmed, start); ok {
			if v, ok := parsePythonLiteral(trimmed[start:end]); ok {
				return v
			}
		}
		return text
	}
	if v, ok := parsePythonLiteral(trimmed); ok {
		return v
	}
	return text
}

// decodeStrictJSON decodes text that is exactly one JSON value, keeping
// numbers as json.Number so integers and floats stay apart.
func decodeStrictJSON(text string) (any, bool) {
	if v, ok, known := decodeJSONScalar(text); known {
		return v, ok
	}
	if !json.Valid([]byte(text)) {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

// decodeJSONScalar decodes the scalars typed fields usually hold without the
// cost of a JSON decoder; known is false when text needs the full decoder.
func decodeJSONScalar(text string) (v any, ok, known bool) {
	switch text {
	case "true":
		return true, true, true
	case "false":
		return false, true, true
	case "null":
		return nil, true, true
	}
	if isJSONNumber(text) {
		return json.Number(text), true, true
	}
	if n := len(text); n >= 2 && text[0] == '"' && text[n-1] == '"' && !strings.ContainsAny(text[1:n-1], "\"\\") {
		for i := 1; i < n-1; i++ {
			if text[i] < 0x20 {
				return nil, false, true
			}
		}
		return text[1 : n-1], true, true
	}
	return nil, false, false
}

// isJSONNumber reports whether text is a number in JSON's grammar.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// repairJSON repairs broken JSON (single quotes, trailing commas, missing
// brackets, Python constants, code fences). When the text goes on after the
// value, only the first balanced value is repaired.
func repairJSON(text string) (any, bool) {
	repaired, err := jsonrepair.Repair(text)
	if err != nil {
		start := strings.IndexAny(text, "{[")
		if start < 0 {
			return nil, false
		}
		end, ok := balancedEnd(text, start)
		if !ok || (start == 0 && end == len(text)) {
			return nil, false
		}
		if repaired, err = jsonrepair.Repair(text[start:end]); err != nil {
			return nil, false
		}
	}
	return decodeStrictJSON(repaired)
}

// extractFirstObject returns the first balanced {...} in text, skipping braces
// inside JSON strings, so prose or code fences around a JSON reply are dropped.
// "First" is by opening position: an unclosed brace early in the text does not
// hide a complete object after it. One pass, so long replies stay cheap.
func extractFirstObject(text string) (string, bool) {
	var open []int
	bestStart, bestEnd := -1, -1
	inString, escaped := false, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
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

// maxObjectStarts bounds the slow retry of extractFirstObject, which is
// quadratic in the worst case.
const maxObjectStarts = 16

// balancedEnd returns the index just past the bracket that closes the one at
// start, ignoring brackets inside double-quoted strings.
func balancedEnd(text string, start int) (int, bool) {
	depth, inString, escaped := 0, false, false
	for i := start; i < len(text); i++ {
		c := text[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
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

// decodeJSONObject reads an LM reply as a JSON object, repairing it if needed.
func decodeJSONObject(text string) (map[string]any, bool) {
	v, ok := decodeStrictJSON(strings.TrimSpace(text))
	if !ok {
		if v, ok = repairJSON(text); !ok {
			return nil, false
		}
	}
	obj, ok := v.(map[string]any)
	return obj, ok
}

// coerceValue converts a JSON-like value to type t as pydantic's lax mode
// does: numeric strings fill number fields, "true"/"yes"/1 fill bool fields,
// integral floats fill int fields; anything else that does not fit is an error.
func coerceValue(v any, t Type) (any, error) {
	switch t.Kind {
	case KindString:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, fmt.Errorf("expected a string, got %s", describeValue(v))
	case KindInt:
		return coerceInt(v)
	case KindFloat:
		return coerceFloat(v)
	case KindBool:
		return coerceBool(v)
	case KindLiteral:
		if s, ok := v.(string); ok && containsString(t.Choices, s) {
			return s, nil
		}
		return nil, fmt.Errorf("%s is not one of the allowed values %s", describeValue(v), annotationName(t))
	case KindEnum:
		return enumMemberByValue(v, t)
	case KindList:
		items, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("expected a list, got %s", describeValue(v))
		}
		out := make([]any, len(items))
		for i, item := range items {
			if t.Elem == nil {
				out[i] = normalizeNumbers(item)
				continue
			}
			c, err := coerceValue(item, *t.Elem)
			if err != nil {
				return nil, fmt.Errorf("list item %d: %w", i, err)
			}
			out[i] = c
		}
		return out, nil
	case KindObject:
		if _, ok := v.(map[string]any); !ok {
			return nil, fmt.Errorf("expected a JSON object, got %s", describeValue(v))
		}
		if t.Schema == nil {
			return normalizeNumbers(v), nil
		}
		return coerceSchema(v, t.Schema, t.Schema, 0)
	}
	return normalizeNumbers(v), nil
}

func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return "the text " + PyRepr(truncateForError(x))
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case bool:
		return pyStr(x)
	}
	return fmt.Sprintf("the value %v", v)
}

func truncateForError(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

func coerceInt(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case float64:
		return intFromFloat(x)
	case json.Number:
		return intFromText(string(x))
	case string:
		return intFromText(strings.TrimSpace(x))
	}
	return nil, fmt.Errorf("expected an int, got %s", describeValue(v))
}

// intFromText reads "42", "-7" or "42.0": pydantic accepts a zero fraction.
func intFromText(s string) (any, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return int(i), nil
	}
	if whole, frac, ok := strings.Cut(s, "."); ok && strings.Trim(frac, "0") == "" {
		if i, err := strconv.ParseInt(whole, 10, 64); err == nil {
			return int(i), nil
		}
	}
	return nil, fmt.Errorf("expected an int, got %s", describeValue(s))
}

func intFromFloat(f float64) (any, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return nil, fmt.Errorf("expected an int, got the fractional or unbounded number %s", pyFloatStr(f))
	}
	return int(f), nil
}

func coerceFloat(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1.0, nil
		}
		return 0.0, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	case json.Number:
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return f, nil
		}
	case string:
		s := strings.TrimSpace(x)
		if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xXpP_") {
			return f, nil
		}
	}
	return nil, fmt.Errorf("expected a float, got %s", describeValue(v))
}

func coerceBool(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case float64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case json.Number:
		if f, err := strconv.ParseFloat(string(x), 64); err == nil && (f == 0 || f == 1) {
			return f == 1, nil
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "1", "on", "t", "true", "y", "yes":
			return true, nil
		case "0", "off", "f", "false", "n", "no":
			return false, nil
		}
	}
	return nil, fmt.Errorf("expected True or False, got %s", describeValue(v))
}

// maxSchemaDepth bounds $ref chasing, so a self-referencing schema cannot loop.
const maxSchemaDepth = 64

// coerceSchema converts v to the shape a JSON schema describes, the way
// pydantic validates a model: properties are coerced by their own schemas,
// required properties must be present, missing ones take their default, and
// unknown keys are dropped unless the schema allows extra properties.
func coerceSchema(v any, schema, root map[string]any, depth int) (any, error) {
	if depth > maxSchemaDepth {
		return nil, errors.New("the JSON schema nests too deeply")
	}
	if ref, ok := schema["$ref"].(string); ok {
		target, err := resolveSchemaRef(ref, root)
		if err != nil {
			return nil, err
		}
		return coerceSchema(v, target, root, depth+1)
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if options, ok := schema[key].([]any); ok {
			var firstErr error
			for _, o := range options {
				if os, ok := o.(map[string]any); ok {
					out, err := coerceSchema(v, os, root, depth+1)
					if err == nil {
						return out, nil
					}
					if firstErr == nil {
						firstErr = err
					}
				}
			}
			if firstErr == nil {
				firstErr = errors.New("no schema option matches")
			}
			return nil, firstErr
		}
	}
	if all, ok := schema["allOf"].([]any); ok && len(all) == 1 {
		if s, ok := all[0].(map[string]any); ok {
			return coerceSchema(v, s, root, depth+1)
		}
	}
	out, err := coerceSchemaType(v, schema, root, depth)
	if err != nil {
		return nil, err
	}
	if enum, ok := schema["enum"].([]any); ok && !jsonIn(out, enum) {
		return nil, fmt.Errorf("%s is not one of the allowed values", describeValue(out))
	}
	return out, nil
}

func coerceSchemaType(v any, schema, root map[string]any, depth int) (any, error) {
	types := schemaTypes(schema)
	if len(types) == 0 {
		if _, ok := schema["properties"]; ok {
			types = []string{"object"}
		}
	}
	if len(types) == 0 {
		return normalizeNumbers(v), nil
	}
	var firstErr error
	for _, typ := range types {
		out, err := coerceSchemaKind(v, typ, schema, root, depth)
		if err == nil {
			return out, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

func schemaTypes(schema map[string]any) []string {
	switch t := schema["type"].(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func coerceSchemaKind(v any, typ string, schema, root map[string]any, depth int) (any, error) {
	switch typ {
	case "string":
		return coerceValue(v, StringType)
	case "integer":
		return coerceInt(v)
	case "number":
		return coerceFloat(v)
	case "boolean":
		return coerceBool(v)
	case "null":
		if v == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("expected None, got %s", describeValue(v))
	case "array":
		items, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("expected a list, got %s", describeValue(v))
		}
		itemSchema, _ := schema["items"].(map[string]any)
		out := make([]any, len(items))
		for i, item := range items {
			if itemSchema == nil {
				out[i] = normalizeNumbers(item)
				continue
			}
			c, err := coerceSchema(item, itemSchema, root, depth+1)
			if err != nil {
				return nil, fmt.Errorf("list item %d: %w", i, err)
			}
			out[i] = c
		}
		return out, nil
	case "object":
		return coerceSchemaObject(v, schema, root, depth)
	}
	return normalizeNumbers(v), nil
}

func coerceSchemaObject(v any, schema, root map[string]any, depth int) (any, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("expected a JSON object, got %s", describeValue(v))
	}
	props, _ := schema["properties"].(map[string]any)
	extra := schema["additionalProperties"]
	extraSchema, _ := extra.(map[string]any)
	keepExtra := props == nil || extra == true
	out := make(map[string]any, len(obj))
	for k, val := range obj {
		ps, declared := props[k].(map[string]any)
		switch {
		case declared:
			c, err := coerceSchema(val, ps, root, depth+1)
			if err != nil {
				return nil, fmt.Errorf("property %q: %w", k, err)
			}
			out[k] = c
		case extraSchema != nil:
			c, err := coerceSchema(val, extraSchema, root, depth+1)
			if err != nil {
				return nil, fmt.Errorf("property %q: %w", k, err)
			}
			out[k] = c
		case keepExtra:
			out[k] = normalizeNumbers(val)
		}
	}
	if required, ok := schema["required"].([]any); ok {
		for _, r := range required {
			if name, ok := r.(string); ok {
				if _, present := out[name]; !present {
					return nil, fmt.Errorf("missing required property %q", name)
				}
			}
		}
	}
	for k, p := range props {
		if ps, ok := p.(map[string]any); ok {
			if def, has := ps["default"]; has {
				if _, present := out[k]; !present {
					out[k] = normalizeNumbers(def)
				}
			}
		}
	}
	return out, nil
}

func resolveSchemaRef(ref string, root map[string]any) (map[string]any, error) {
	for _, prefix := range []string{"#/$defs/", "#/definitions/"} {
		if name, ok := strings.CutPrefix(ref, prefix); ok {
			defs, _ := root[strings.Trim(prefix[1:], "/")].(map[string]any)
			if target, ok := defs[name].(map[string]any); ok {
				return target, nil
			}
		}
	}
	if ref == "#" {
		return root, nil
	}
	return nil, fmt.Errorf("unresolvable schema reference %q", ref)
}

// jsonIn reports whether v equals one of the enum values, comparing through
// their JSON encoding so 1 and 1.0 match as they do in JSON.
func jsonIn(v any, enum []any) bool {
	for _, e := range enum {
		if jsonEqual(v, e) {
			return true
		}
	}
	return false
}

func jsonEqual(a, b any) bool {
	if fa, ok := jsonFloat(a); ok {
		fb, ok := jsonFloat(b)
		return ok && fa == fb
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

func jsonFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// parsePythonLiteral reads text as Python's ast.literal_eval would, for the
// literals an LM writes: quoted strings, numbers (1_000, 0x1f), True, False,
// None, and lists, tuples, sets and dicts of them. Tuples and sets become
// lists; numbers become json.Number, like decoded JSON.
func parsePythonLiteral(text string) (any, bool) {
	p := pyLiteralParser{s: text}
	v, ok := p.value(0)
	if !ok {
		return nil, false
	}
	p.skipSpace()
	return v, p.i == len(p.s)
}

type pyLiteralParser struct {
	s string
	i int
}

func (p *pyLiteralParser) skipSpace() {
	for p.i < len(p.s) && strings.IndexByte(" \t\n\r\f\v", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyLiteralParser) value(depth int) (any, bool) {
	if depth > maxSchemaDepth {
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

func (p *pyLiteralParser) identAt(i int) bool {
	if i >= len(p.s) {
		return false
	}
	c := p.s[i]
	return c == '_' || (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// sequence reads items up to the closing bracket; it reports whether the last
// item was followed by a comma, which makes "(1,)" a tuple.
func (p *pyLiteralParser) sequence(closing byte, depth int) ([]any, bool, bool) {
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

func (p *pyLiteralParser) dictOrSet(depth int) (any, bool) {
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
		obj[pyStr(key)] = val
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

func (p *pyLiteralParser) str() (any, bool) {
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
func (p *pyLiteralParser) escape(b *strings.Builder) bool {
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

func (p *pyLiteralParser) number() (any, bool) {
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
	return json.Number(pyFloatRepr(f)), true
}
