package dspy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/durable-dspy/durable-dspy/internal/coerce"
	"github.com/durable-dspy/durable-dspy/internal/loosejson"
	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// This file reads typed values out of LM replies the way DSPy's parse_value
// does: text fields as they are, Enum members by value or name, Literal
// choices tolerant of quoting, and every other type through a lenient JSON
// reading (repaired, or read as a Python literal) followed by pydantic-style
// coercion.

// parseTextValue reads one output field's text into a value of type t.
func parseTextValue(text string, t Type) (any, error) {
	if isToolCallsType(t) {
		return ParseToolCalls(text)
	}
	switch t.Kind {
	case KindString:
		return text, nil
	case KindLiteral:
		return parseLiteralChoice(text, t.Choices)
	case KindEnum:
		return findEnumMember(text, t)
	}
	return coerceValue(loosejson.Decode(text), t)
}

// parseJSONFieldValue reads a value already decoded from a JSON reply into
// type t. A text field takes the Python str() of whatever the LM sent; a JSON
// string is read as text would be, so "42" still fills an int field.
func parseJSONFieldValue(v any, t Type) (any, error) {
	if isToolCallsType(t) {
		if s, ok := v.(string); ok {
			return ParseToolCalls(s)
		}
		return toolCallsFromValue(v)
	}
	switch t.Kind {
	case KindString:
		return pyfmt.BuiltinStr(v), nil
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
		if slices.Contains(choices, s) {
			return s, nil
		}
		t := strings.TrimSpace(s)
		if (strings.HasPrefix(t, "Literal[") || strings.HasPrefix(t, "str[")) && strings.HasSuffix(t, "]") {
			t = t[strings.IndexByte(t, '[')+1 : len(t)-1]
		}
		if n := len(t); n > 1 && t[0] == t[n-1] && (t[0] == '"' || t[0] == '\'') {
			t = t[1 : n-1]
		}
		if slices.Contains(choices, t) {
			return t, nil
		}
	}
	return "", fmt.Errorf("%s is not one of the allowed values %s", pyfmt.Repr(pyfmt.BuiltinStr(v)), annotationName(LiteralOf(choices...)))
}

// coerceValue converts a JSON-like value to type t as pydantic's lax mode
// does: numeric strings fill number fields, "true"/"yes"/1 fill bool fields,
// integral floats fill int fields; anything else that does not fit is an error.
func coerceValue(v any, t Type) (any, error) {
	switch t.Kind {
	case KindString:
		return coerce.String(v)
	case KindInt:
		return coerce.Int(v)
	case KindFloat:
		return coerce.Float(v)
	case KindBool:
		return coerce.Bool(v)
	case KindLiteral:
		if s, ok := v.(string); ok && slices.Contains(t.Choices, s) {
			return s, nil
		}
		return nil, fmt.Errorf("%s is not one of the allowed values %s", coerce.Describe(v), annotationName(t))
	case KindEnum:
		return enumMemberByValue(v, t)
	case KindList:
		items, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("expected a list, got %s", coerce.Describe(v))
		}
		out := make([]any, len(items))
		for i, item := range items {
			if t.Elem == nil {
				out[i] = coerce.Numbers(item)
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
			return nil, fmt.Errorf("expected a JSON object, got %s", coerce.Describe(v))
		}
		if t.Schema == nil {
			return coerce.Numbers(v), nil
		}
		return coerce.Schema(v, t.Schema)
	}
	return coerce.Numbers(v), nil
}
