// Package coerce converts decoded JSON values to the types a program declares,
// as pydantic's lax mode validates them for DSPy: numeric text fills number
// fields, "yes" and 1 fill bool fields, integral floats fill int fields, and
// values are checked against a JSON schema ($ref, anyOf, required properties,
// defaults, enums). Anything that does not fit is an error that describes the
// value the way a Python error would.
//
// Inputs are in the JSON data model with numbers as int, int64, float64 or
// json.Number; untyped parts of the output have their json.Numbers turned into
// int or float64, so callers never see json.Number.
package coerce

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// String accepts only a string: pydantic does not turn numbers into text.
func String(v any) (any, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return nil, fmt.Errorf("expected a string, got %s", Describe(v))
}

// Int accepts a bool, an integral number, or the text of one ("42", "42.0").
func Int(v any) (any, error) {
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
	return nil, fmt.Errorf("expected an int, got %s", Describe(v))
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
	return nil, fmt.Errorf("expected an int, got %s", Describe(s))
}

func intFromFloat(f float64) (any, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return nil, fmt.Errorf("expected an int, got the fractional or unbounded number %s", pyfmt.Float(f))
	}
	return int(f), nil
}

// Float accepts a bool, a number, or decimal text ("1e3"); not Go's hex or
// underscored spellings, which Python's float() rejects.
func Float(v any) (any, error) {
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
	return nil, fmt.Errorf("expected a float, got %s", Describe(v))
}

// Bool accepts a bool, 0 or 1, or the words pydantic knows ("yes", "off", "t").
func Bool(v any) (any, error) {
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
	return nil, fmt.Errorf("expected True or False, got %s", Describe(v))
}

// Describe names a value for an error message: None, a short repr of text,
// "a list", "an object", True/False, or the value itself.
func Describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return "the text " + pyfmt.ShortRepr(x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case bool:
		return pyfmt.Str(x)
	}
	return fmt.Sprintf("the value %v", v)
}

// Numbers turns json.Number into int (when integral) or float64, recursively,
// changing lists and maps in place.
func Numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = Numbers(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = Numbers(x[k])
		}
		return x
	}
	return v
}

// Float64 returns the value of a number in any of its decoded forms (int,
// int64, float64, json.Number), or false for anything else.
func Float64(v any) (float64, bool) {
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
