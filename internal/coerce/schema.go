package coerce

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// MaxSchemaDepth bounds how deep a JSON schema is followed, so a
// self-referencing schema cannot loop.
const MaxSchemaDepth = 64

// Schema converts v to the shape a JSON schema describes, the way pydantic
// validates a model: properties are coerced by their own schemas, required
// properties must be present, missing ones take their default, and unknown
// keys are dropped unless the schema allows extra properties. References
// resolve against schema's own "$defs" (or "definitions").
func Schema(v any, schema map[string]any) (any, error) {
	return coerceSchema(v, schema, schema, 0)
}

func coerceSchema(v any, schema, root map[string]any, depth int) (any, error) {
	if depth > MaxSchemaDepth {
		return nil, errors.New("the JSON schema nests too deeply")
	}
	if ref, ok := schema["$ref"].(string); ok {
		target, err := resolveRef(ref, root)
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
		return nil, fmt.Errorf("%s is not one of the allowed values", Describe(out))
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
		return Numbers(v), nil
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
		return String(v)
	case "integer":
		return Int(v)
	case "number":
		return Float(v)
	case "boolean":
		return Bool(v)
	case "null":
		if v == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("expected None, got %s", Describe(v))
	case "array":
		items, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("expected a list, got %s", Describe(v))
		}
		itemSchema, _ := schema["items"].(map[string]any)
		out := make([]any, len(items))
		for i, item := range items {
			if itemSchema == nil {
				out[i] = Numbers(item)
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
	return Numbers(v), nil
}

func coerceSchemaObject(v any, schema, root map[string]any, depth int) (any, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("expected a JSON object, got %s", Describe(v))
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
			out[k] = Numbers(val)
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
					out[k] = Numbers(def)
				}
			}
		}
	}
	return out, nil
}

func resolveRef(ref string, root map[string]any) (map[string]any, error) {
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
	if fa, ok := Float64(a); ok {
		fb, ok := Float64(b)
		return ok && fa == fb
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}
