package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// FieldError is one input field's problem, as listed in a 422 body.
type FieldError struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

// errMalformed marks a body that is not one JSON object: a 400, where a
// well-formed object with wrong fields is a 422.
var errMalformed = errors.New("malformed request body")

// inputDecoder turns a request body into a signature's typed inputs. It is
// compiled once per program version.
type inputDecoder struct {
	fields []inputField
	byName map[string]int
}

type inputField struct {
	name     string
	optional bool
	check    checker
}

// checker validates one JSON value against a field type and returns it in the
// form the adapters format (an integral int, a dspy.History, ...).
type checker func(v any) (any, error)

func newInputDecoder(sig dspy.Signature) (*inputDecoder, error) {
	d := &inputDecoder{byName: map[string]int{}}
	for _, f := range sig.Inputs() {
		c, err := compileChecker(f.Type)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", f.Name, err)
		}
		d.byName[f.Name] = len(d.fields)
		d.fields = append(d.fields, inputField{name: f.Name, optional: f.Type.Kind == dspy.KindHistory, check: c})
	}
	return d, nil
}

// decode reads body as a JSON object of input fields. A body that is not one
// JSON object is errMalformed; otherwise every missing, unknown or mistyped
// field is listed, sorted by name.
func (d *inputDecoder) decode(body []byte) (dspy.Example, []FieldError, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return dspy.Example{}, nil, fmt.Errorf("%w: %s", errMalformed, jsonProblem(err))
	}
	if raw == nil {
		return dspy.Example{}, nil, fmt.Errorf("%w: want a JSON object of input fields, got null", errMalformed)
	}
	if _, err := dec.Token(); err != io.EOF {
		return dspy.Example{}, nil, fmt.Errorf("%w: unexpected data after the JSON object", errMalformed)
	}
	var problems []FieldError
	for name := range raw {
		if _, ok := d.byName[name]; !ok {
			problems = append(problems, FieldError{Field: name, Problem: "unknown field: the program takes " + d.names()})
		}
	}
	kv := make([]any, 0, 2*len(d.fields))
	for _, f := range d.fields {
		v, ok := raw[f.name]
		if !ok {
			if !f.optional {
				problems = append(problems, FieldError{Field: f.name, Problem: "missing"})
			}
			continue
		}
		cv, err := f.check(v)
		if err != nil {
			problems = append(problems, FieldError{Field: f.name, Problem: err.Error()})
			continue
		}
		kv = append(kv, f.name, cv)
	}
	if problems != nil {
		sort.Slice(problems, func(i, j int) bool { return problems[i].Field < problems[j].Field })
		return dspy.Example{}, problems, nil
	}
	return dspy.NewExample(kv...), nil, nil
}

func (d *inputDecoder) names() string {
	var b bytes.Buffer
	for i, f := range d.fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.name)
	}
	return b.String()
}

// jsonProblem describes a decode error without echoing the body.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return "want a JSON object of input fields, got " + typ.Value
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is empty or cut short"
	}
	return "invalid JSON"
}

// maxExactInt is the largest integer a float64 (what JSON numbers decode to)
// holds exactly.
const maxExactInt = 1 << 53

func compileChecker(t dspy.Type) (checker, error) {
	switch t.Kind {
	case dspy.KindString:
		return func(v any) (any, error) {
			if s, ok := v.(string); ok {
				return s, nil
			}
			return nil, mistyped("a string", v)
		}, nil
	case dspy.KindInt:
		return func(v any) (any, error) {
			f, ok := v.(float64)
			if !ok {
				return nil, mistyped("an integer", v)
			}
			if f != math.Trunc(f) || math.Abs(f) > maxExactInt {
				return nil, fmt.Errorf("want an integer, got %v", f)
			}
			return int(f), nil
		}, nil
	case dspy.KindFloat:
		return func(v any) (any, error) {
			if f, ok := v.(float64); ok {
				return f, nil
			}
			return nil, mistyped("a number", v)
		}, nil
	case dspy.KindBool:
		return func(v any) (any, error) {
			if b, ok := v.(bool); ok {
				return b, nil
			}
			return nil, mistyped("true or false", v)
		}, nil
	case dspy.KindLiteral:
		return oneOf(t.Choices), nil
	case dspy.KindEnum:
		values := make([]string, len(t.Members))
		for i, m := range t.Members {
			values[i] = m.Value
		}
		return oneOf(values), nil
	case dspy.KindList:
		elem := checker(func(v any) (any, error) { return v, nil })
		if t.Elem != nil {
			var err error
			if elem, err = compileChecker(*t.Elem); err != nil {
				return nil, err
			}
		}
		return func(v any) (any, error) {
			items, ok := v.([]any)
			if !ok {
				return nil, mistyped("a list", v)
			}
			out := make([]any, len(items))
			for i, item := range items {
				c, err := elem(item)
				if err != nil {
					return nil, fmt.Errorf("item %d: %w", i, err)
				}
				out[i] = c
			}
			return out, nil
		}, nil
	case dspy.KindObject:
		return objectChecker(t.Schema)
	case dspy.KindHistory:
		return func(v any) (any, error) {
			b, err := json.Marshal(v)
			if err != nil {
				return nil, mistyped(`an object {"messages": [...]}`, v)
			}
			var h dspy.History
			if err := json.Unmarshal(b, &h); err != nil {
				return nil, mistyped(`an object {"messages": [...]}`, v)
			}
			return h, nil
		}, nil
	}
	return func(v any) (any, error) { return v, nil }, nil
}

func oneOf(choices []string) checker {
	return func(v any) (any, error) {
		if s, ok := v.(string); ok {
			for _, c := range choices {
				if s == c {
					return s, nil
				}
			}
		}
		b, _ := json.Marshal(choices)
		return nil, fmt.Errorf("want one of %s", b)
	}
}

// objectChecker checks an object against its JSON schema, when it has one.
func objectChecker(schema map[string]any) (checker, error) {
	var resolved *jsonschema.Resolved
	if schema != nil {
		b, err := json.Marshal(schema)
		if err != nil {
			return nil, err
		}
		var s jsonschema.Schema
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("object schema: %w", err)
		}
		if resolved, err = s.Resolve(nil); err != nil {
			return nil, fmt.Errorf("object schema: %w", err)
		}
	}
	return func(v any) (any, error) {
		if _, ok := v.(map[string]any); !ok {
			return nil, mistyped("an object", v)
		}
		if resolved != nil {
			if err := resolved.Validate(v); err != nil {
				return nil, fmt.Errorf("does not match the field's schema: %v", err)
			}
		}
		return v, nil
	}, nil
}

func mistyped(want string, v any) error {
	return fmt.Errorf("want %s, got %s", want, jsonKind(v))
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
