// Package loosejson reads JSON-like values out of LM replies as leniently as
// DSPy does with json_repair and ast.literal_eval: strict JSON as it is,
// broken JSON repaired, Python literals read as Python would, and the first
// object picked out of prose or code fences around it. Whatever an LM sends,
// it returns a value or reports failure; it never panics.
//
// Values come back in the JSON data model with numbers as json.Number, so the
// caller decides between int and float when it coerces them to a type.
package loosejson
