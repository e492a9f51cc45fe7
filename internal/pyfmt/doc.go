// Package pyfmt renders Go values as Python renders them, so that the text
// durable-dspy puts in prompts and error messages is the text DSPy 3.3 would
// produce: str() and repr() of values, the spelling of floats, json.dumps with
// Python's separators and ensure_ascii, and the str methods and
// textwrap.dedent that DSPy applies to prompt text.
//
// Values are read in the JSON data model pydantic dumps to: nil, bools,
// numbers, strings, lists, dicts (map[string]any, sorted since Go maps have no
// order, or an ordered Object). Other Go values are reduced to it first:
// structs and json.Marshalers through encoding/json, slices, arrays and maps
// by reflection.
package pyfmt
