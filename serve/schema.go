package serve

import (
	"encoding/json"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// objectSchema is the JSON schema of a request or response body: one property
// per field, each the schema dspy gives the field's type (the one the JSON
// adapter describes to the model), with every nested "$defs" gathered at the
// top so "#/$defs/..." references resolve from the body's schema.
func objectSchema(fields []dspy.Field, closed bool) map[string]any {
	props := map[string]any{}
	defs := map[string]any{}
	required := []any{}
	for _, f := range fields {
		s := hoistDefs(deepCopy(f.Type.JSONSchema()), defs).(map[string]any)
		if !f.HasDefaultDesc() {
			s["description"] = f.Desc
		}
		props[f.Name] = s
		if f.Type.Kind != dspy.KindHistory {
			required = append(required, f.Name)
		}
	}
	out := map[string]any{"type": "object", "properties": props, "required": required}
	if closed {
		out["additionalProperties"] = false
	}
	if len(defs) > 0 {
		out["$defs"] = defs
	}
	return out
}

// hoistDefs moves "$defs" and "definitions" found anywhere in v into defs and
// points their references at "#/$defs/<name>".
func hoistDefs(v any, defs map[string]any) any {
	switch x := v.(type) {
	case map[string]any:
		for _, key := range []string{"$defs", "definitions"} {
			if nested, ok := x[key].(map[string]any); ok {
				delete(x, key)
				for name, d := range nested {
					defs[name] = hoistDefs(d, defs)
				}
			}
		}
		for k, sub := range x {
			if k == "$ref" {
				if ref, ok := sub.(string); ok {
					x[k] = strings.Replace(ref, "#/definitions/", "#/$defs/", 1)
				}
				continue
			}
			x[k] = hoistDefs(sub, defs)
		}
		return x
	case []any:
		for i := range x {
			x[i] = hoistDefs(x[i], defs)
		}
		return x
	}
	return v
}

// rebaseRefs returns a copy of v whose "#/$defs/<name>" references read
// ref(name), for schemas moved into an OpenAPI document's components.
func rebaseRefs(v any, ref func(name string) string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, sub := range x {
			if s, ok := sub.(string); ok && k == "$ref" && strings.HasPrefix(s, "#/$defs/") {
				out[k] = ref(strings.TrimPrefix(s, "#/$defs/"))
				continue
			}
			out[k] = rebaseRefs(sub, ref)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = rebaseRefs(x[i], ref)
		}
		return out
	}
	return v
}

// deepCopy copies a JSON-like value, so schemas built from a shared type are
// never changed in place.
func deepCopy(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return map[string]any{}
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return map[string]any{}
	}
	return out
}
