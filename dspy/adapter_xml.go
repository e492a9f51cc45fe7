package dspy

import (
	"context"
	"sort"
	"strings"
	"unicode"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// XMLAdapter asks the LM to wrap each output field in XML tags, as DSPy 3.3's
// XMLAdapter does: "<answer>\n...\n</answer>" for scalar fields, and nested
// tags ("<person><name>...</name></person>", "<tags><item>...</item></tags>")
// for list, dict and object outputs. The system message, demos and the reply
// reminder are byte-identical to DSPy's; replies are read as XML and each
// field's value is typed following its JSON schema.
//
// The zero value is ready to use and safe for concurrent calls.
type XMLAdapter struct {
	// DisableJSONFallback stops Call from retrying with the JSON adapter when
	// a reply cannot be parsed. DSPy's XMLAdapter inherits ChatAdapter's
	// fallback, on by default, which costs a second LM call.
	DisableJSONFallback bool
	// JSON is the adapter the fallback uses; nil means a zero JSONAdapter.
	JSON *JSONAdapter
}

// Format builds the chat messages: the system message, the demos (those with
// missing fields first, marked as partial), the turns of the History input if
// the signature has one, then the current inputs with the list of tags to
// answer with and the nested structure of list, dict and object outputs.
func (a *XMLAdapter) Format(sig Signature, demos []Example, inputs Example) ([]Message, error) {
	return formatMessages(sig, demos, inputs, xmlSystemMessage(sig), xmlUserContent, xmlAssistantContent, xmlOutputRequirements(sig), false)
}

// Parse reads the reply as XML and each output field from the first element
// named after it; list, dict and object fields are read from nested elements
// (or from JSON text inside the element). A reply that is not well-formed
// XML, or that lacks a field, or whose field does not fit its type, yields a
// *ParseError.
func (a *XMLAdapter) Parse(sig Signature, completion string) (Example, error) {
	return parseXMLReply(sig, completion)
}

// Call formats, calls the LM and parses every completion. When the LM answered
// but a reply does not parse, the call is made again through the JSON adapter,
// as DSPy does; the usage of both calls is counted, and errors are reported as
// ChatAdapter.Call reports them.
func (a *XMLAdapter) Call(ctx context.Context, lm LM, req LMRequest, sig Signature, demos []Example, inputs Example) (AdapterResult, error) {
	ctx = streamingAs(ctx, streamXML, sig)
	msgs, err := a.Format(sig, demos, inputs)
	if err != nil {
		return AdapterResult{}, err
	}
	res, err := callAndParse(ctx, lm, req, msgs, func(text string) (Example, error) { return parseXMLReply(sig, text) })
	if a.DisableJSONFallback {
		return res, err
	}
	return withJSONFallback(ctx, lm, req, sig, demos, inputs, a.JSON, res, err)
}

// usesNestedXML reports whether a field's values are written as nested tags:
// DSPy does so for lists, dicts and pydantic models.
func usesNestedXML(t Type) bool {
	return t.Kind == KindList || t.Kind == KindObject
}

// xmlSystemMessage is DSPy's XMLAdapter system message.
func xmlSystemMessage(sig Signature) string {
	var b strings.Builder
	b.Grow(systemMessageSize(sig))
	writeFieldDescriptionBlock(&b, sig)
	b.WriteByte('\n')
	b.WriteString(structureIntro)
	for g, group := range [2][]Field{sig.inputs, sig.outputs} {
		output := g == 1
		b.WriteString("\n\n")
		for i, f := range group {
			if i > 0 {
				b.WriteString("\n\n")
			}
			if output && usesNestedXML(f.Type) {
				b.WriteString(xmlSchemaOf(f.Name, f.Type))
				continue
			}
			writeXMLField(&b, f.Name, fieldPlaceholder(f, output))
		}
	}
	b.WriteByte('\n')
	writeTaskDescription(&b, sig.instructions)
	return b.String()
}

func writeXMLField(b *strings.Builder, name, value string) {
	b.WriteByte('<')
	b.WriteString(name)
	b.WriteString(">\n")
	b.WriteString(value)
	b.WriteString("\n</")
	b.WriteString(name)
	b.WriteByte('>')
}

// xmlUserContent writes the input fields present in values as tagged
// sections, after an optional prefix and before optional output requirements.
func xmlUserContent(sig Signature, values Example, prefix, requirements string) string {
	var fields strings.Builder
	for _, f := range sig.inputs {
		v, ok := values.values[f.Name]
		if !ok {
			continue
		}
		if fields.Len() > 0 {
			fields.WriteString("\n\n")
		}
		writeXMLField(&fields, f.Name, formatFieldValue(f, v))
	}
	parts := []string{prefix, fields.String()}
	if requirements != "" {
		parts = append(parts, requirements)
	}
	return pyfmt.Strip(strings.Join(append(parts, ""), "\n\n"))
}

// xmlAssistantContent writes a demo's outputs as the reply the LM should give.
func xmlAssistantContent(sig Signature, values Example, missing any) string {
	var b strings.Builder
	for i, f := range sig.outputs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		v, ok := values.values[f.Name]
		if !ok {
			v = missing
		}
		if usesNestedXML(f.Type) {
			switch j := pyfmt.JSONValue(v); j.(type) {
			case []any, map[string]any, pyfmt.Object:
				s := promptSchema(f.Type)
				writeValueXML(&b, j, f.Name, nil, s, schemaDefs(nil, s))
				continue
			}
		}
		text := formatFieldValue(f, v)
		if f.Type.Kind == KindString {
			text = escapeXMLText(text)
		}
		writeXMLField(&b, f.Name, text)
	}
	return pyfmt.Strip(b.String())
}

// xmlOutputRequirements is the reminder closing the user message.
func xmlOutputRequirements(sig Signature) string {
	var b strings.Builder
	b.WriteString("Respond with the corresponding output fields wrapped in XML tags ")
	var schemas []string
	for i, f := range sig.outputs {
		if i > 0 {
			b.WriteString(", then ")
		}
		b.WriteString("`<")
		b.WriteString(f.Name)
		b.WriteString(">`")
		if usesNestedXML(f.Type) {
			schemas = append(schemas, xmlSchemaOf(f.Name, f.Type))
		}
	}
	b.WriteByte('.')
	if len(schemas) > 0 {
		b.WriteString(" Use this nested XML structure: ")
		b.WriteString(strings.Join(schemas, " "))
	}
	return b.String()
}

// escapeXMLText escapes what would end or break an element's text; DSPy
// leaves ">" alone, as XML allows.
func escapeXMLText(s string) string {
	if !strings.ContainsAny(s, "&<") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "&", "&amp;"), "<", "&lt;")
}

// quoteAttrEscaper holds the escapes of Python's quoteattr.
var quoteAttrEscaper = strings.NewReplacer("&", "&amp;", ">", "&gt;", "<", "&lt;", "\n", "&#10;", "\r", "&#13;", "\t", "&#9;")

// quoteXMLAttr is Python's xml.sax.saxutils.quoteattr: escaped, and quoted
// with whichever quote the value does not contain.
func quoteXMLAttr(s string) string {
	s = quoteAttrEscaper.Replace(s)
	if strings.Contains(s, `"`) {
		if strings.Contains(s, "'") {
			return `"` + strings.ReplaceAll(s, `"`, "&quot;") + `"`
		}
		return "'" + s + "'"
	}
	return `"` + s + `"`
}

// writeValueXML writes a JSON-like value as nested tags: list items as
// <item>, dict keys as tags, or as <entry key="..."> when a key is no valid
// tag name; None and empty lists as self-closing tags.
func writeValueXML(b *strings.Builder, v any, tag string, key *string, schema, defs map[string]any) {
	schema, defs = resolveSchema(schema, defs)
	open := func() {
		b.WriteByte('<')
		b.WriteString(tag)
		if key != nil {
			b.WriteString(" key=")
			b.WriteString(quoteXMLAttr(*key))
		}
	}
	closeTag := func() {
		b.WriteString("</")
		b.WriteString(tag)
		b.WriteByte('>')
	}
	switch x := pyfmt.JSONValue(v).(type) {
	case nil:
		open()
		b.WriteString(" />")
	case []any:
		open()
		if len(x) == 0 {
			b.WriteString(" />")
			return
		}
		b.WriteByte('>')
		items, _ := schema["items"].(map[string]any)
		for _, item := range x {
			writeValueXML(b, item, "item", nil, items, defs)
		}
		closeTag()
	case map[string]any, pyfmt.Object:
		open()
		b.WriteByte('>')
		props, _ := schema["properties"].(map[string]any)
		extra, _ := schema["additionalProperties"].(map[string]any)
		for _, e := range orderedEntries(x, schema) {
			child, ok := props[e.Key].(map[string]any)
			if !ok {
				child = extra
			}
			if isXMLTagName(e.Key) {
				writeValueXML(b, e.Value, e.Key, nil, child, defs)
			} else {
				name := e.Key
				writeValueXML(b, e.Value, "entry", &name, child, defs)
			}
		}
		closeTag()
	default:
		open()
		b.WriteByte('>')
		b.WriteString(escapeXMLText(pyfmt.Str(x)))
		closeTag()
	}
}

// orderedEntries lists an object's entries. A Go map has no order, so its
// keys follow the schema's "required" list (pydantic lists a model's fields
// there in declaration order), then sorted.
func orderedEntries(v any, schema map[string]any) pyfmt.Object {
	if obj, ok := v.(pyfmt.Object); ok {
		return obj
	}
	m := v.(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	obj := make(pyfmt.Object, 0, len(m))
	for _, k := range schemaPropertyOrder(schema, keys) {
		obj = append(obj, pyfmt.Entry{Key: k, Value: m[k]})
	}
	return obj
}

// schemaPropertyOrder orders names as the schema declares them: those in its
// "required" list first, in that order, then the others sorted.
func schemaPropertyOrder(schema map[string]any, names []string) []string {
	rank := map[string]int{}
	if req, ok := schema["required"].([]any); ok {
		for i, r := range req {
			if s, ok := r.(string); ok {
				if _, dup := rank[s]; !dup {
					rank[s] = i
				}
			}
		}
	}
	out := append([]string(nil), names...)
	sort.Slice(out, func(i, j int) bool {
		ri, iok := rank[out[i]]
		rj, jok := rank[out[j]]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		}
		return out[i] < out[j]
	})
	return out
}

// isXMLTagName is DSPy's test for writing a key as a tag: a Python identifier
// once dashes and dots after the first character count as underscores.
func isXMLTagName(s string) bool {
	for i, r := range s {
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && (r == '-' || r == '.' || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc)):
		default:
			return false
		}
	}
	return s != ""
}

// xmlSchemaOf shows the nested tags a list, dict or object value takes, with
// "..." where a value goes.
func xmlSchemaOf(tag string, t Type) string {
	var b strings.Builder
	s := promptSchema(t)
	writeSchemaXML(&b, tag, s, schemaDefs(nil, s), nil)
	return b.String()
}

// schemaDefs adds the "$defs" a schema carries to those already known.
// pydantic puts them at the top; a Go object type keeps them in its own
// schema, which may sit inside a list.
func schemaDefs(defs, schema map[string]any) map[string]any {
	own, ok := schema["$defs"].(map[string]any)
	if !ok || len(own) == 0 {
		return defs
	}
	out := make(map[string]any, len(defs)+len(own))
	for k, v := range defs {
		out[k] = v
	}
	for k, v := range own {
		out[k] = v
	}
	return out
}

// resolveSchema follows a "$ref" into the known definitions.
func resolveSchema(schema, defs map[string]any) (map[string]any, map[string]any) {
	defs = schemaDefs(defs, schema)
	if ref, ok := schema["$ref"].(string); ok {
		if d, ok := defs[ref[strings.LastIndexByte(ref, '/')+1:]].(map[string]any); ok {
			return d, schemaDefs(defs, d)
		}
	}
	return schema, defs
}

func writeSchemaXML(b *strings.Builder, tag string, schema, defs map[string]any, seen []string) {
	defs = schemaDefs(defs, schema)
	if ref, ok := schema["$ref"].(string); ok {
		name := ref[strings.LastIndexByte(ref, '/')+1:]
		d, found := defs[name].(map[string]any)
		if !found || containsString(seen, name) {
			b.WriteString("<" + tag + ">...</" + tag + ">")
			return
		}
		writeSchemaXML(b, tag, d, defs, append(seen[:len(seen):len(seen)], name))
		return
	}
	if choices, ok := schema["anyOf"].([]any); ok && len(choices) > 0 {
		pick, _ := choices[0].(map[string]any)
		for _, c := range choices {
			if s, ok := c.(map[string]any); ok && s["type"] != "null" {
				pick = s
				break
			}
		}
		writeSchemaXML(b, tag, pick, defs, seen)
		return
	}
	b.WriteString("<" + tag + ">")
	if schema["type"] == "array" {
		items, _ := schema["items"].(map[string]any)
		writeSchemaXML(b, "item", items, defs, seen)
	} else if props, ok := schema["properties"].(map[string]any); ok && len(props) > 0 {
		names := make([]string, 0, len(props))
		for k := range props {
			names = append(names, k)
		}
		for _, name := range schemaPropertyOrder(schema, names) {
			child, _ := props[name].(map[string]any)
			writeSchemaXML(b, name, child, defs, seen)
		}
	} else {
		b.WriteString("...")
	}
	b.WriteString("</" + tag + ">")
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
