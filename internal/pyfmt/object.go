package pyfmt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Object is a JSON object (a Python dict) whose keys keep a chosen order, for
// output where Go's unordered maps would lose the order Python keeps.
type Object []Entry

// Entry is one key of an Object and its value.
type Entry struct {
	Key   string
	Value any
}

// sortedObject lists a map's entries by sorted key: Go maps have no order of
// their own, and a sorted one prints the same every time.
func sortedObject(m map[string]any) Object {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	obj := make(Object, len(keys))
	for i, k := range keys {
		obj[i] = Entry{Key: k, Value: m[k]}
	}
	return obj
}

// MarshalJSON writes the object with its keys in order, so a schema's
// properties reach an LM provider in signature order (providers generate keys
// in schema order, which matters for fields like reasoning before answer).
// Values are not HTML-escaped, as Python's json.dumps does not escape them.
func (o Object) MarshalJSON() ([]byte, error) {
	var b, val bytes.Buffer
	enc := json.NewEncoder(&val)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		key, err := json.Marshal(e.Key)
		if err != nil {
			return nil, err
		}
		b.Write(key)
		b.WriteByte(':')
		val.Reset()
		if err := enc.Encode(e.Value); err != nil {
			return nil, fmt.Errorf("key %q: %w", e.Key, err)
		}
		// Encode ends every value with a newline that JSON does not need.
		b.Write(bytes.TrimSuffix(val.Bytes(), []byte("\n")))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
