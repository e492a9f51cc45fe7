package dspy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// toolArg is one argument of a tool and its JSON schema as the LM reads it in
// text, with the keys in the order the tool was given them. A Go map, and so
// a *jsonschema.Schema, has no key order, but DSPy prints a Python dict, which
// keeps the order of the schema it was built from.
type toolArg struct {
	name   string
	schema json.RawMessage
}

// NewToolWithJSONSchema makes a tool from an untyped function and the JSON
// schema of its arguments object given as JSON text, such as a tool
// definition read from a file or received from another process; empty text
// or null means the tool takes no arguments.
//
// Unlike NewToolWithSchema, whose *jsonschema.Schema holds no key order, the
// tool keeps the order of the text: its arguments are listed in the order
// "properties" lists them, and each argument's schema is shown to the LM with
// its keys in the order they were written. A tool given the schema DSPy
// derives from a Python function (its format_as_litellm_function_call
// "parameters") is thus described in text prompts, such as ReAct's tool list,
// byte for byte as DSPy describes it. Arguments are validated against the
// schema as with NewToolWithSchema.
func NewToolWithJSONSchema(name, desc string, schema []byte, fn ToolFunc) (*Tool, error) {
	text := bytes.TrimSpace(schema)
	if len(text) == 0 || string(text) == "null" {
		return NewToolWithSchema(name, desc, nil, fn)
	}
	if err := checkToolName(name); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, fmt.Errorf("tool %q: nil function", name)
	}
	s := &jsonschema.Schema{}
	if err := json.Unmarshal(text, s); err != nil {
		return nil, fmt.Errorf("tool %q: the argument schema is not a JSON schema: %w", name, err)
	}
	if s.Type != "" && s.Type != "object" {
		return nil, fmt.Errorf("tool %q: the argument schema must describe a JSON object, not %q", name, s.Type)
	}
	args, err := jsonToolArgs(text, s)
	if err != nil {
		return nil, fmt.Errorf("tool %q: the argument schema is not a JSON schema: %w", name, err)
	}
	s.PropertyOrder = make([]string, len(args))
	for i, a := range args {
		s.PropertyOrder[i] = a.name
	}
	return newTool(name, desc, s, args, false, fn)
}

// jsonToolArgs lists the properties of the schema text in the order it
// writes them, each with its schema text. A name written twice keeps its
// first place and its last schema, as Python's json.loads keeps it. The list
// holds exactly the properties decoded into s: the key is matched without
// regard to case, as encoding/json matched it, and any property the scan
// missed is added after the others, in s's own order.
func jsonToolArgs(text []byte, s *jsonschema.Schema) ([]toolArg, error) {
	var args []toolArg
	at := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(text))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return schemaToolArgs(s), err
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		if k, _ := key.(string); !strings.EqualFold(k, "properties") {
			continue
		}
		props := json.NewDecoder(bytes.NewReader(value))
		if tok, err := props.Token(); err != nil || tok != json.Delim('{') {
			continue
		}
		for props.More() {
			key, err := props.Token()
			if err != nil {
				return nil, err
			}
			var schema json.RawMessage
			if err := props.Decode(&schema); err != nil {
				return nil, err
			}
			name, _ := key.(string)
			if i, ok := at[name]; ok {
				args[i].schema = schema
				continue
			}
			at[name] = len(args)
			args = append(args, toolArg{name: name, schema: schema})
		}
	}
	kept := args[:0]
	for _, a := range args {
		if _, ok := s.Properties[a.name]; ok {
			kept = append(kept, a)
		}
	}
	for _, a := range schemaToolArgs(s) {
		if _, ok := at[a.name]; !ok {
			kept = append(kept, a)
		}
	}
	return kept, nil
}

// schemaToolArgs lists the properties of a *jsonschema.Schema in its
// PropertyOrder (a NewTool struct's field order), the others sorted, each
// schema's keys in the order the jsonschema package writes them.
func schemaToolArgs(s *jsonschema.Schema) []toolArg {
	names := schemaOrder(s)
	args := make([]toolArg, len(names))
	for i, n := range names {
		raw, err := json.Marshal(s.Properties[n])
		if err != nil {
			raw = []byte("{}")
		}
		args[i] = toolArg{name: n, schema: raw}
	}
	return args
}

// schemaOrder lists the properties of schema in its PropertyOrder, then
// the others sorted, having no order of their own in a Go map.
func schemaOrder(schema *jsonschema.Schema) []string {
	seen := map[string]bool{}
	var names []string
	for _, n := range schema.PropertyOrder {
		if _, ok := schema.Properties[n]; ok && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	var rest []string
	for n := range schema.Properties {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(names, rest...)
}
