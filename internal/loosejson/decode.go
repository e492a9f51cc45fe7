package loosejson

import (
	"encoding/json"
	"strings"

	"github.com/kaptinlin/jsonrepair"

	"github.com/durable-dspy/durable-dspy/internal/pyliteral"
)

// Decode turns field text into a JSON-like value as DSPy does with
// json_repair.loads and ast.literal_eval: valid JSON as is; text holding a
// bracket repaired from the first bracket on; otherwise a Python literal
// ('text', True, None, 1_000); failing all that, the text itself.
func Decode(text string) any {
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return text
	}
	if v, ok := decodeStrict(trimmed); ok {
		return v
	}
	if start := strings.IndexAny(trimmed, "{["); start >= 0 {
		if v, ok := repair(trimmed[start:]); ok {
			return v
		}
		if end, ok := balancedEnd(trimmed, start); ok {
			if v, ok := pyliteral.Parse(trimmed[start:end]); ok {
				return v
			}
		}
		return text
	}
	if v, ok := pyliteral.Parse(trimmed); ok {
		return v
	}
	return text
}

// DecodeObject reads an LM reply as a JSON object, repairing it if needed.
func DecodeObject(text string) (map[string]any, bool) {
	v, ok := decodeStrict(strings.TrimSpace(text))
	if !ok {
		if v, ok = repair(text); !ok {
			return nil, false
		}
	}
	obj, ok := v.(map[string]any)
	return obj, ok
}

// decodeStrict decodes text that is exactly one JSON value, keeping numbers as
// json.Number so integers and floats stay apart.
func decodeStrict(text string) (any, bool) {
	if v, ok, known := decodeScalar(text); known {
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

// decodeScalar decodes the scalars typed fields usually hold without the cost
// of a JSON decoder; known is false when text needs the full decoder.
func decodeScalar(text string) (v any, ok, known bool) {
	switch text {
	case "true":
		return true, true, true
	case "false":
		return false, true, true
	case "null":
		return nil, true, true
	}
	if isNumber(text) {
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

// isNumber reports whether text is a number in JSON's grammar.
func isNumber(s string) bool {
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

// repair repairs broken JSON (single quotes, trailing commas, missing
// brackets, Python constants, code fences). When the text goes on after the
// value, only the first balanced value is repaired.
func repair(text string) (any, bool) {
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
	return decodeStrict(repaired)
}
