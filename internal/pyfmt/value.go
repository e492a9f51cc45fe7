package pyfmt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
)

// dicts are the conversions RegisterDict added.
var dicts []func(v any) (Object, bool)

// RegisterDict adds a conversion for a record type of another package that
// renders as a Python dict in its own key order, as a DSPy Example does: dict
// returns the record's entries and true, or false for a value it does not
// handle. A registered type is matched before encoding/json would be used, so
// its values render as they are rather than through their JSON encoding.
// Call it from an init function: conversions are read without locking.
func RegisterDict(dict func(v any) (Object, bool)) {
	dicts = append(dicts, dict)
}

// toJSONValue reduces a Go value to the JSON data model (nil, bool, numbers,
// string, []any, map[string]any, Object), as pydantic's dump in JSON mode
// does. Structs and json.Marshalers go through encoding/json so their tags are
// honoured, keeping their field order. Only the top level is reduced; callers
// reduce each element as they reach it.
func toJSONValue(v any) any {
	switch v.(type) {
	case nil, bool, string, int, int64, float64, json.Number, []any, map[string]any, Object:
		return v
	}
	for _, dict := range dicts {
		if obj, ok := dict(v); ok {
			return obj
		}
	}
	if _, ok := v.(json.Marshaler); ok {
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

// marshalToJSONValue reduces v through its JSON encoding. HTML escaping is
// harmless here: decoding undoes it.
func marshalToJSONValue(v any) any {
	raw, err := json.Marshal(v)
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
		obj := Object{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			val, err := decodeOrderedValue(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, Entry{Key: kt.(string), Value: val})
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

// JSONValue reduces the top level of a Go value to the JSON data model, as
// Str does before rendering: callers that walk a value themselves (to write
// it as something other than JSON) call it again on each element.
func JSONValue(v any) any { return toJSONValue(v) }
