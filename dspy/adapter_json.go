package dspy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/durable-dspy/durable-dspy/internal/coerce"
	"github.com/durable-dspy/durable-dspy/internal/loosejson"
	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// JSONAdapter asks the LM for a JSON object holding the output fields, as
// DSPy 3.3's JSONAdapter does: inputs keep the "[[ ## field ## ]]" sections,
// outputs are described (and shown in demos) as indented JSON, and the request
// carries a response_format so providers that support it constrain the reply.
// ChatAdapter falls back to it when a reply cannot be parsed.
//
// The zero value asks for structured outputs (a JSON schema built from the
// output fields) and is safe for concurrent calls.
type JSONAdapter struct {
	// NoResponseFormat sends no response_format at all, for endpoints that
	// reject the parameter (DSPy skips it when litellm reports no support).
	NoResponseFormat bool
	// NoStructuredOutputs asks for a plain JSON object ({"type": "json_object"})
	// instead of a schema, for models with JSON mode but no schema support.
	NoStructuredOutputs bool
	// NoNativeToolCalls turns native function calling off. Unlike the chat
	// adapter, DSPy's JSON adapter calls functions natively by default: a
	// signature with a tools input (list[Tool]) and a ToolCalls output sends
	// the tools in the request's "tools" field, and the reply's tool calls
	// fill the ToolCalls output. With it off, the calls are asked for as JSON
	// in the reply (with a plain JSON-object response format, as DSPy does).
	NoNativeToolCalls bool
}

// Format builds the chat messages: the system message describing the JSON
// reply, the demos (replies as JSON), the turns of the History input if the
// signature has one (replies as JSON, a missing output as null), then the
// current inputs with the order of fields to answer in.
func (a *JSONAdapter) Format(sig Signature, demos []Example, inputs Example) ([]Message, error) {
	return formatMessages(sig, demos, inputs, jsonSystemMessage(sig), userMessageContent, jsonAssistantContent, jsonOutputRequirements(sig), !a.NoNativeToolCalls)
}

// Parse reads the first JSON object in the reply (repairing it if needed),
// keeps the output fields and types their values. A reply without an object,
// or missing an output field, yields a *ParseError.
func (a *JSONAdapter) Parse(sig Signature, completion string) (Example, error) {
	return parseJSONReply(sig, completion)
}

// Call formats, calls the LM with a response_format and parses every
// completion. Structured outputs are requested unless some output is an
// open-ended object, which a strict schema cannot describe; if the endpoint
// rejects the schema as a bad request, the call is repeated asking for a plain
// JSON object, as DSPy does. Other LM errors are returned as they are.
func (a *JSONAdapter) Call(ctx context.Context, lm LM, req LMRequest, sig Signature, demos []Example, inputs Example) (AdapterResult, error) {
	plan, err := planNativeTools(!a.NoNativeToolCalls, sig, inputs)
	if err != nil {
		return AdapterResult{}, err
	}
	original := sig
	sig = plan.formatSignature(sig)
	ctx = streamingAs(ctx, streamJSON, sig)
	msgs, err := a.Format(sig, demos, inputs)
	if err != nil {
		return AdapterResult{}, err
	}
	parse := func(text string) (Example, error) { return parseJSONReply(sig, text) }
	structured := false
	switch {
	case a.NoResponseFormat:
		req.ResponseFormat = nil
	case a.NoStructuredOutputs || !structuredOutputsFit(sig):
		req.ResponseFormat = &ResponseFormat{Type: "json_object"}
	default:
		req.ResponseFormat = structuredResponseFormat(sig)
		structured = true
	}
	res, err := plan.callAndParse(ctx, lm, req, original, msgs, "JSONAdapter", parse)
	var lmErr *LMError
	if structured && errors.As(err, &lmErr) && lmErr.Kind == ErrKindBadRequest {
		req.ResponseFormat = &ResponseFormat{Type: "json_object"}
		retry, err := plan.callAndParse(ctx, lm, req, original, msgs, "JSONAdapter", parse)
		retry.Usage = res.Usage.Add(retry.Usage)
		return retry, err
	}
	return res, err
}

// jsonSystemMessage is DSPy's JSONAdapter system message.
func jsonSystemMessage(sig Signature) string {
	var b strings.Builder
	b.Grow(systemMessageSize(sig) + 64)
	writeFieldDescriptionBlock(&b, sig)
	b.WriteByte('\n')
	b.WriteString(structureIntro)
	b.WriteString("\n\nInputs will have the following structure:\n\n")
	writePlaceholderSections(&b, sig.inputs, false)
	b.WriteString("\n\nOutputs will be a JSON object with the following fields.\n\n")
	placeholders := make(pyfmt.Object, len(sig.outputs))
	for i, f := range sig.outputs {
		placeholders[i] = pyfmt.Entry{Key: f.Name, Value: fieldPlaceholder(f, true)}
	}
	b.WriteString(indentedJSON(placeholders))
	b.WriteByte('\n')
	writeTaskDescription(&b, sig.instructions)
	return b.String()
}

// jsonAssistantContent writes a demo's outputs as the JSON reply the LM
// should give.
func jsonAssistantContent(sig Signature, values Example, missing any) string {
	obj := make(pyfmt.Object, len(sig.outputs))
	for i, f := range sig.outputs {
		v, ok := values.values[f.Name]
		if !ok {
			v = missing
		}
		obj[i] = pyfmt.Entry{Key: f.Name, Value: v}
	}
	return indentedJSON(obj)
}

// indentedJSON is Python's json.dumps(v, indent=2): ASCII-only, as DSPy leaves
// ensure_ascii at its default there.
func indentedJSON(v any) string {
	var b bytes.Buffer
	pyfmt.WriteJSON(&b, v, pyfmt.JSONStyle{Indent: 2, EnsureASCII: true})
	return b.String()
}

// jsonOutputRequirements is the reminder closing the user message.
func jsonOutputRequirements(sig Signature) string {
	var b strings.Builder
	b.WriteString("Respond with a JSON object in the following order of fields: ")
	for i, f := range sig.outputs {
		if i > 0 {
			b.WriteString(", then ")
		}
		b.WriteByte('`')
		b.WriteString(f.Name)
		b.WriteByte('`')
		writePythonTypeHint(&b, f.Type)
	}
	b.WriteByte('.')
	return b.String()
}

// parseJSONReply implements JSONAdapter.Parse.
func parseJSONReply(sig Signature, reply string) (Example, error) {
	text := reply
	if obj, ok := loosejson.FirstObject(reply); ok {
		text = obj
	}
	fields, ok := loosejson.DecodeObject(text)
	if !ok {
		return Example{}, &ParseError{Adapter: "JSONAdapter", Raw: reply,
			Err: errors.New("the LM reply holds no JSON object")}
	}
	out := Example{keys: make([]string, 0, len(sig.outputs)), values: make(map[string]any, len(sig.outputs))}
	seen := make([]bool, len(sig.outputs))
	firstMissing := ""
	for i, f := range sig.outputs {
		raw, present := fields[f.Name]
		if !present {
			if firstMissing == "" {
				firstMissing = f.Name
			}
			continue
		}
		v, err := parseJSONFieldValue(raw, f.Type)
		if err == nil {
			err = checkConstraints(f, v)
		}
		if err != nil {
			return Example{}, &ParseError{Adapter: "JSONAdapter", Field: f.Name, Raw: reply,
				Err: fmt.Errorf("cannot read field %q: %w", f.Name, err)}
		}
		seen[i] = true
		out.keys = append(out.keys, f.Name)
		out.values[f.Name] = v
	}
	if firstMissing != "" {
		return Example{}, missingFieldsError("JSONAdapter", sig, seen, firstMissing, reply)
	}
	return out, nil
}

// structuredOutputsFit reports whether a strict JSON schema can describe every
// output. Open-ended objects (dict[str, Any], Any, or schema objects without
// properties) cannot be: strict mode would force them to be empty.
func structuredOutputsFit(sig Signature) bool {
	for _, f := range sig.outputs {
		if !typeFitsStrictSchema(f.Type) {
			return false
		}
	}
	return true
}

func typeFitsStrictSchema(t Type) bool {
	switch t.Kind {
	case KindAny:
		return false
	case KindList:
		return t.Elem == nil || typeFitsStrictSchema(*t.Elem)
	case KindObject:
		return t.Schema != nil && schemaFitsStrict(t.Schema, 0)
	}
	return true
}

// schemaFitsStrict walks the subschemas a value can take and rejects any that
// leaves an object's keys (or a value's type) open.
func schemaFitsStrict(schema map[string]any, depth int) bool {
	if depth > coerce.MaxSchemaDepth || len(schema) == 0 {
		return false
	}
	if _, isRef := schema["$ref"]; !isRef && schema["type"] == "object" {
		if _, ok := schema["properties"].(map[string]any); !ok {
			return false
		}
	}
	fits := func(v any) bool {
		s, ok := v.(map[string]any)
		return !ok || schemaFitsStrict(s, depth+1)
	}
	for _, key := range []string{"properties", "$defs", "definitions"} {
		if m, ok := schema[key].(map[string]any); ok {
			for _, sub := range m {
				if !fits(sub) {
					return false
				}
			}
		}
	}
	for _, key := range []string{"anyOf", "oneOf", "allOf"} {
		if list, ok := schema[key].([]any); ok {
			for _, sub := range list {
				if !fits(sub) {
					return false
				}
			}
		}
	}
	return fits(schema["items"])
}

// structuredResponseFormat builds the response_format DSPy derives from the
// output fields: a strict "DSPyProgramOutputs" object whose properties follow
// the signature's order, every property required, no extra properties.
func structuredResponseFormat(sig Signature) *ResponseFormat {
	defs := map[string]any{}
	props := make(pyfmt.Object, len(sig.outputs))
	required := make([]any, len(sig.outputs))
	for i, f := range sig.outputs {
		s := strictSchema(f.Type, defs)
		if _, isRef := s["$ref"]; !isRef {
			s["title"] = pyFieldTitle(f.Name)
		}
		props[i] = pyfmt.Entry{Key: f.Name, Value: s}
		required[i] = f.Name
	}
	schema := map[string]any{
		"type":                 "object",
		"title":                structuredOutputsSchema,
		"properties":           props,
		"required":             required,
		"additionalProperties": false,
	}
	if len(defs) > 0 {
		schema["$defs"] = defs
	}
	return &ResponseFormat{Type: "json_schema", Name: structuredOutputsSchema, Schema: schema, Strict: true}
}

// strictSchema is the schema of one output type with DSPy's strict-mode rules
// applied. Named object types and enums become $defs entries referenced by
// $ref, as pydantic lays out nested models and Enum classes.
func strictSchema(t Type, defs map[string]any) map[string]any {
	switch t.Kind {
	case KindList:
		items := map[string]any{}
		if t.Elem != nil {
			items = strictSchema(*t.Elem, defs)
		}
		return map[string]any{"type": "array", "items": items}
	case KindObject:
		if t.Schema == nil {
			break
		}
		s := enforceStrict(deepCopyJSON(t.Schema).(map[string]any))
		for _, key := range []string{"$defs", "definitions"} {
			if nested, ok := s[key].(map[string]any); ok {
				for name, d := range nested {
					defs[name] = d
				}
				delete(s, key)
			}
		}
		name := t.Name
		if name == "" {
			name = "Object"
		}
		defs[name] = s
		return map[string]any{"$ref": "#/$defs/" + name}
	case KindEnum:
		// pydantic gives an enum-typed property only a "$ref", with no title.
		defs[t.String()] = enumSchema(t)
		return map[string]any{"$ref": "#/$defs/" + t.String()}
	}
	return promptSchema(t)
}

// enforceStrict applies OpenAI's strict-mode rules recursively, as DSPy's
// enforce_required does: every object lists all its properties as required
// and forbids others.
func enforceStrict(s map[string]any) map[string]any {
	if s["type"] == "object" {
		props, ok := s["properties"].(map[string]any)
		if !ok {
			props = map[string]any{}
			s["properties"] = props
		}
		names := make([]string, 0, len(props))
		for name, p := range props {
			names = append(names, name)
			if ps, ok := p.(map[string]any); ok {
				enforceStrict(ps)
			}
		}
		sort.Strings(names)
		required := make([]any, len(names))
		for i, n := range names {
			required[i] = n
		}
		s["required"] = required
		s["additionalProperties"] = false
	}
	if s["type"] == "array" {
		if items, ok := s["items"].(map[string]any); ok {
			enforceStrict(items)
		}
	}
	for _, key := range []string{"$defs", "definitions"} {
		if defs, ok := s[key].(map[string]any); ok {
			for _, d := range defs {
				if ds, ok := d.(map[string]any); ok {
					enforceStrict(ds)
				}
			}
		}
	}
	return s
}

func deepCopyJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopyJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopyJSON(e)
		}
		return out
	}
	return v
}

// pyFieldTitle is the title pydantic gives a field in a JSON schema: Python's
// str.title() with underscores as spaces ("final_answer" → "Final Answer").
func pyFieldTitle(name string) string {
	var b strings.Builder
	prevCased := false
	for _, r := range name {
		cased := unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r)
		switch {
		case r == '_':
			b.WriteByte(' ')
		case cased && !prevCased:
			b.WriteRune(unicode.ToTitle(r))
		case cased:
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
		prevCased = cased
	}
	return strings.TrimSpace(b.String())
}
