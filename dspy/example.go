package dspy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/durable-dspy/durable-dspy/internal/coerce"
	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// Example is a record of named values that keeps its fields in insertion order,
// like DSPy's dspy.Example. Some keys may be marked as inputs (WithInputs); the
// others are labels. Examples are values: every edit returns a new Example and
// never changes the one it was called on, so examples can be shared freely.
type Example struct {
	keys   []string
	values map[string]any
	// inputKeys is nil until WithInputs is called.
	inputKeys []string
}

// NewExample builds an example from alternating keys and values:
// NewExample("question", "2+2?", "answer", "4"). It panics on an odd count or a
// non-string key, which are programming errors.
func NewExample(keyValues ...any) Example {
	if len(keyValues)%2 != 0 {
		panic("dspy.NewExample: want alternating keys and values")
	}
	e := Example{values: make(map[string]any, len(keyValues)/2)}
	for i := 0; i < len(keyValues); i += 2 {
		k, ok := keyValues[i].(string)
		if !ok {
			panic(fmt.Sprintf("dspy.NewExample: key %v is not a string", keyValues[i]))
		}
		e.set(k, keyValues[i+1])
	}
	return e
}

// ExampleFromMap builds an example from a map; keys named in order come first in
// that order, the rest follow sorted, so the result does not depend on map order.
func ExampleFromMap(m map[string]any, order ...string) Example {
	e := Example{values: make(map[string]any, len(m))}
	for _, k := range order {
		if v, ok := m[k]; ok {
			e.set(k, v)
		}
	}
	rest := make([]string, 0, len(m))
	for k := range m {
		if _, done := e.values[k]; !done {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		e.set(k, m[k])
	}
	return e
}

func (e *Example) set(k string, v any) {
	if e.values == nil {
		e.values = map[string]any{}
	}
	if _, exists := e.values[k]; !exists {
		e.keys = append(e.keys, k)
	}
	e.values[k] = v
}

func (e Example) clone() Example {
	c := Example{keys: append([]string(nil), e.keys...), values: make(map[string]any, len(e.values))}
	for k, v := range e.values {
		c.values[k] = v
	}
	if e.inputKeys != nil {
		c.inputKeys = append([]string{}, e.inputKeys...)
	}
	return c
}

// Get returns the value of key and whether it is present.
func (e Example) Get(key string) (any, bool) {
	v, ok := e.values[key]
	return v, ok
}

// Has reports whether key is present.
func (e Example) Has(key string) bool { _, ok := e.values[key]; return ok }

// GetString returns the value of key as text: strings as they are, other values
// formatted as DSPy would show them; "" when absent.
func (e Example) GetString(key string) string {
	v, ok := e.values[key]
	if !ok || v == nil {
		return ""
	}
	return ValueString(v)
}

// Keys returns the keys in order. The slice is a copy.
func (e Example) Keys() []string { return append([]string(nil), e.keys...) }

// Len is the number of fields.
func (e Example) Len() int { return len(e.keys) }

// Set returns a copy with key set to value (appended if new, in place if not).
func (e Example) Set(key string, value any) Example {
	c := e.clone()
	c.set(key, value)
	return c
}

// Merge returns a copy with every field of o set on it, in o's order.
func (e Example) Merge(o Example) Example {
	c := e.clone()
	for _, k := range o.keys {
		c.set(k, o.values[k])
	}
	return c
}

// Without returns a copy without the given keys.
func (e Example) Without(keys ...string) Example {
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	c := Example{values: map[string]any{}}
	for _, k := range e.keys {
		if !drop[k] {
			c.set(k, e.values[k])
		}
	}
	if e.inputKeys != nil {
		c.inputKeys = []string{}
		for _, k := range e.inputKeys {
			if !drop[k] {
				c.inputKeys = append(c.inputKeys, k)
			}
		}
	}
	return c
}

// Select returns a copy with only the given keys, in the given order (absent keys skipped).
func (e Example) Select(keys ...string) Example {
	c := Example{values: map[string]any{}}
	for _, k := range keys {
		if v, ok := e.values[k]; ok {
			c.set(k, v)
		}
	}
	return c
}

// WithInputs returns a copy with the given keys marked as inputs.
func (e Example) WithInputs(keys ...string) Example {
	c := e.clone()
	c.inputKeys = append([]string{}, keys...)
	return c
}

// InputKeys returns the keys marked as inputs, or nil when WithInputs was never called.
func (e Example) InputKeys() []string {
	if e.inputKeys == nil {
		return nil
	}
	return append([]string{}, e.inputKeys...)
}

// Inputs returns only the input fields, in the example's order. It returns an
// error when no inputs were marked, as DSPy does.
func (e Example) Inputs() (Example, error) {
	if e.inputKeys == nil {
		return Example{}, fmt.Errorf("example has no input keys: call WithInputs(\"question\", ...) first")
	}
	in := map[string]bool{}
	for _, k := range e.inputKeys {
		in[k] = true
	}
	c := Example{values: map[string]any{}}
	for _, k := range e.keys {
		if in[k] {
			c.set(k, e.values[k])
		}
	}
	return c, nil
}

// Labels returns the fields that are not inputs.
func (e Example) Labels() Example {
	in := map[string]bool{}
	for _, k := range e.inputKeys {
		in[k] = true
	}
	c := Example{values: map[string]any{}}
	for _, k := range e.keys {
		if !in[k] {
			c.set(k, e.values[k])
		}
	}
	return c
}

// Map returns the fields as a new map.
func (e Example) Map() map[string]any {
	m := make(map[string]any, len(e.values))
	for k, v := range e.values {
		m[k] = v
	}
	return m
}

// Unmarked returns a copy with no keys marked as inputs: the example as a
// plain record of fields, DSPy's toDict form. Its JSON is the fields alone,
// the form saved programs and dataset files hold.
func (e Example) Unmarked() Example {
	c := e.clone()
	c.inputKeys = nil
	return c
}

// Equal reports whether two examples hold the same keys in the same order with
// equal values (compared through their JSON encoding). Input marking is not
// compared.
func (e Example) Equal(o Example) bool {
	a, errA := json.Marshal(e.Unmarked())
	b, errB := json.Marshal(o.Unmarked())
	return errA == nil && errB == nil && bytes.Equal(a, b)
}

// inputKeysMember is the JSON member that carries an example's input keys. It
// is named after the attribute DSPy keeps them in (Example._input_keys), which
// DSPy also keeps apart from the fields. A field of that name could not be
// told from the marking, so it is refused: MarshalJSON fails on it and the
// dataset readers reject it.
const inputKeysMember = "_input_keys"

// MarshalJSON writes the fields as a JSON object in the example's key order
// and, when inputs are marked, their keys under "_input_keys", so an example
// keeps its marking through workflow and activity payloads. Use Unmarked for
// DSPy's form without the marking, as saved programs and datasets hold it.
func (e Example) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range e.keys {
		if k == inputKeysMember {
			return nil, fmt.Errorf("field %q: the name is reserved for an example's input keys", k)
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		vb, err := marshalNoEscape(e.values[k])
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		buf.Write(vb)
	}
	if e.inputKeys != nil {
		if len(e.keys) > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`"` + inputKeysMember + `":`)
		kb, err := marshalNoEscape(e.inputKeys)
		if err != nil {
			return nil, err
		}
		buf.Write(kb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads a JSON object, keeping its key order, and marks the
// inputs listed under "_input_keys". An object without that member, as
// payloads written before examples carried their marking and DSPy's own
// dicts are, gives an unmarked example. Integral numbers decode to int and the
// others to float64, so values compare as users expect.
func (e *Example) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("an example must be a JSON object, got %v", tok)
	}
	*e = Example{values: map[string]any{}}
	var marked bool
	var inputKeys []string
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		key := kt.(string)
		if key == inputKeysMember {
			var keys []string
			if err := dec.Decode(&keys); err != nil || keys == nil {
				return fmt.Errorf("%s must be a list of field names", inputKeysMember)
			}
			marked, inputKeys = true, keys
			continue
		}
		var raw any
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("field %q: %w", key, err)
		}
		v := coerce.Numbers(raw)
		if !finite(v) {
			return fmt.Errorf("field %q: a number is out of range", key)
		}
		e.set(key, v)
	}
	if marked {
		e.inputKeys = inputKeys
	}
	_, err = dec.Token()
	return err
}

// finite reports whether v holds no infinite number: coerce.Numbers turns a
// number too large for a float64 into an infinity, which JSON cannot write
// back, so an example holding one could not travel on.
func finite(v any) bool {
	switch x := v.(type) {
	case float64:
		return !math.IsInf(x, 0)
	case []any:
		for _, item := range x {
			if !finite(item) {
				return false
			}
		}
	case map[string]any:
		for _, item := range x {
			if !finite(item) {
				return false
			}
		}
	}
	return true
}

// String renders the example's fields as JSON, for logs and errors.
func (e Example) String() string {
	b, err := e.Unmarked().MarshalJSON()
	if err != nil {
		return fmt.Sprintf("Example(%v)", e.values)
	}
	return string(b)
}

// marshalNoEscape encodes v as JSON without HTML escaping, as Python's json.dumps does.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// ValueString renders a value as text the way DSPy puts it in a prompt: strings
// as they are, bools as True/False, None, numbers in Python's spelling, and
// lists, maps and structs as JSON with Python's spacing. A value with its own
// String method (other than an Example) renders through it, as Python's str()
// uses __str__.
func ValueString(v any) string {
	if s, ok := v.(fmt.Stringer); ok {
		switch v.(type) {
		case Example, *Example, Prediction, *Prediction:
		default:
			return s.String()
		}
	}
	return pyfmt.Str(v)
}
