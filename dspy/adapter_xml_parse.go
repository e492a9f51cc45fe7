package dspy

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// This file reads XMLAdapter replies the way DSPy's XMLAdapter.parse does:
// the reply is parsed as the children of one root element, and each output
// field's elements are turned into a JSON-like value guided by the field's
// JSON schema, then typed as any other adapter's values are.

// xmlElement is one parsed element, kept as Python's ElementTree keeps it:
// the text before its first child, and after each child that child's tail.
// tag is the name ElementTree gives it ("{uri}local" in a namespace); raw is
// the name as written, which the closing tag must repeat.
type xmlElement struct {
	tag      string
	raw      string
	ns       map[string]string // namespace declarations in scope
	owned    bool              // ns was copied for this element's own declarations
	attrs    []xml.Attr
	text     string
	tail     string
	children []*xmlElement
}

func (e *xmlElement) attr(name string) (string, bool) {
	for _, a := range e.attrs {
		if xmlName(a.Name) == name {
			return a.Value, true
		}
	}
	return "", false
}

func xmlName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// parseXMLTree parses text as the content of one element.
func parseXMLTree(text string) (*xmlElement, error) {
	dec := xml.NewDecoder(strings.NewReader("<dspy_root>" + text + "</dspy_root>"))
	dec.Strict = true
	var stack []*xmlElement
	var root *xmlElement
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			if root == nil || len(stack) > 0 {
				return nil, errors.New("unexpected end of the reply inside an element")
			}
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, errors.New("text after the reply's end")
			}
			var scope map[string]string
			if len(stack) > 0 {
				scope = stack[len(stack)-1].ns
			}
			el, err := newXMLElement(t, scope)
			if err != nil {
				return nil, err
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, el)
			} else {
				root = el
			}
			stack = append(stack, el)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].raw != xmlName(t.Name) {
				return nil, fmt.Errorf("mismatched closing tag </%s>", xmlName(t.Name))
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if strings.TrimSpace(string(t)) != "" {
					return nil, errors.New("text after the reply's end")
				}
				continue
			}
			top := stack[len(stack)-1]
			if n := len(top.children); n > 0 {
				top.children[n-1].tail += string(t)
			} else {
				top.text += string(t)
			}
		case xml.Directive:
			return nil, errors.New("a directive inside the reply")
		case xml.ProcInst:
			// Other processing instructions are dropped, as ElementTree drops them.
			if strings.EqualFold(t.Target, "xml") {
				return nil, errors.New("an XML declaration inside the reply")
			}
		}
	}
}

// newXMLElement names a start tag as ElementTree does, resolving namespace
// prefixes against the declarations in scope (extended by the tag's own); an
// undeclared prefix is an error, as in Python.
func newXMLElement(t xml.StartElement, scope map[string]string) (*xmlElement, error) {
	el := &xmlElement{raw: xmlName(t.Name), ns: scope}
	declare := func(prefix, uri string) {
		if !el.owned {
			el.ns = make(map[string]string, len(scope)+1)
			for k, v := range scope {
				el.ns[k] = v
			}
			el.owned = true
		}
		el.ns[prefix] = uri
	}
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "xmlns":
			declare(a.Name.Local, a.Value)
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			declare("", a.Value)
		default:
			el.attrs = append(el.attrs, a)
		}
	}
	resolve := func(n xml.Name, element bool) (string, error) {
		if n.Space == "" && !element {
			return n.Local, nil
		}
		if n.Space == "xml" {
			return "{http://www.w3.org/XML/1998/namespace}" + n.Local, nil
		}
		uri, ok := el.ns[n.Space]
		switch {
		case ok && uri != "":
			return "{" + uri + "}" + n.Local, nil
		case n.Space != "":
			return "", fmt.Errorf("unbound prefix %q", n.Space)
		}
		return n.Local, nil
	}
	var err error
	if el.tag, err = resolve(t.Name, true); err != nil {
		return nil, err
	}
	for i, a := range el.attrs {
		name, err := resolve(a.Name, false)
		if err != nil {
			return nil, err
		}
		el.attrs[i].Name = xml.Name{Local: name}
	}
	return el, nil
}

// groupXMLChildren groups an element's children by tag, or by key attribute
// for <entry key="..."> children, in order of first appearance.
func groupXMLChildren(e *xmlElement) ([]string, map[string][]*xmlElement) {
	var names []string
	groups := map[string][]*xmlElement{}
	for _, c := range e.children {
		name := c.tag
		if c.tag == "entry" {
			if k, ok := c.attr("key"); ok {
				name = k
			}
		}
		if _, ok := groups[name]; !ok {
			names = append(names, name)
		}
		groups[name] = append(groups[name], c)
	}
	return names, groups
}

// writeElementXML serializes an element as ElementTree's tostring does,
// tail included.
func writeElementXML(b *strings.Builder, e *xmlElement) {
	b.WriteByte('<')
	b.WriteString(e.tag)
	for _, a := range e.attrs {
		b.WriteByte(' ')
		b.WriteString(xmlName(a.Name))
		b.WriteString(`="`)
		b.WriteString(xmlAttrEscaper.Replace(a.Value))
		b.WriteByte('"')
	}
	if e.text == "" && len(e.children) == 0 {
		b.WriteString(" />")
	} else {
		b.WriteByte('>')
		b.WriteString(escapeXMLCharData(e.text))
		for _, c := range e.children {
			writeElementXML(b, c)
		}
		b.WriteString("</")
		b.WriteString(e.tag)
		b.WriteByte('>')
	}
	b.WriteString(escapeXMLCharData(e.tail))
}

// The escapes ElementTree's serializer applies to text and to attributes.
var (
	xmlTextEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	xmlAttrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "\r", "&#13;", "\n", "&#10;", "\t", "&#09;")
)

func escapeXMLCharData(s string) string { return xmlTextEscaper.Replace(s) }

// xmlElementsValue turns the elements standing for one value into JSON-like
// data, guided by the schema: a list from <item> children, repeated elements
// or JSON text; an object from child elements; text otherwise.
func xmlElementsValue(elements []*xmlElement, schema, defs map[string]any, depth int) any {
	if depth > maxXMLDepth {
		return strings.TrimSpace(elements[0].text)
	}
	schema, defs = resolveSchema(schema, defs)
	first := elements[0]
	if choices, ok := schema["anyOf"].([]any); ok && len(choices) > 0 {
		var nonNull []map[string]any
		nullable := false
		for _, c := range choices {
			s, _ := c.(map[string]any)
			if s["type"] == "null" && len(s) == 1 {
				nullable = true
			}
			if s["type"] != "null" {
				nonNull = append(nonNull, s)
			}
		}
		if nullable && len(first.children) == 0 && pyfmt.Strip(first.text) == "" {
			return nil
		}
		if len(nonNull) > 0 {
			schema = nonNull[0]
			if len(first.children) > 0 {
				for _, c := range nonNull {
					if c["type"] != "string" {
						schema = c
						break
					}
				}
			}
			schema, defs = resolveSchema(schema, defs)
		}
	}
	if schema["type"] == "array" {
		if len(elements) == 1 && len(first.children) == 0 {
			text := pyfmt.Strip(first.text)
			if text == "" {
				return []any{}
			}
			if strings.HasPrefix(text, "[") {
				return text
			}
		}
		if len(elements) == 1 {
			if _, groups := groupXMLChildren(first); len(groups["item"]) > 0 {
				elements = groups["item"]
			}
		}
		items, _ := schema["items"].(map[string]any)
		out := make([]any, len(elements))
		for i, e := range elements {
			out[i] = xmlElementsValue([]*xmlElement{e}, items, defs, depth+1)
		}
		return out
	}
	if schema["type"] == "string" && len(first.children) > 0 {
		var b strings.Builder
		b.WriteString(first.text)
		for _, c := range first.children {
			writeElementXML(&b, c)
		}
		return b.String()
	}
	names, groups := groupXMLChildren(first)
	if len(names) == 0 {
		if schema["type"] == "object" && pyfmt.Strip(first.text) == "" {
			return map[string]any{}
		}
		if len(elements) == 1 {
			return pyfmt.Strip(first.text)
		}
		values := make([]any, len(elements))
		for i, e := range elements {
			values[i] = pyfmt.Strip(e.text)
		}
		return values
	}
	props, _ := schema["properties"].(map[string]any)
	extra, _ := schema["additionalProperties"].(map[string]any)
	out := make(map[string]any, len(names))
	for _, name := range names {
		child, ok := props[name].(map[string]any)
		if !ok {
			child = extra
		}
		out[name] = xmlElementsValue(groups[name], child, defs, depth+1)
	}
	return out
}

// maxXMLDepth bounds how deep a reply's nesting is followed, so a hostile
// reply cannot exhaust the stack.
const maxXMLDepth = 256

// parseXMLReply implements XMLAdapter.Parse.
func parseXMLReply(sig Signature, reply string) (Example, error) {
	root, err := parseXMLTree(reply)
	if err != nil {
		return Example{}, &ParseError{Adapter: "XMLAdapter", Raw: reply,
			Err: fmt.Errorf("the reply is not well-formed XML: %w", err)}
	}
	_, groups := groupXMLChildren(root)
	out := Example{keys: make([]string, 0, len(sig.outputs)), values: make(map[string]any, len(sig.outputs))}
	seen := make([]bool, len(sig.outputs))
	firstMissing := ""
	for i, f := range sig.outputs {
		elements, ok := groups[f.Name]
		if !ok {
			if firstMissing == "" {
				firstMissing = f.Name
			}
			continue
		}
		schema := promptSchema(f.Type)
		raw := xmlElementsValue(elements, schema, schemaDefs(nil, schema), 0)
		v, err := parseJSONFieldValue(raw, f.Type)
		if err != nil {
			if coerced, cerr := coerceValue(raw, f.Type); cerr == nil {
				v, err = coerced, nil
			}
		}
		if err == nil {
			err = checkConstraints(f, v)
		}
		if err != nil {
			return Example{}, &ParseError{Adapter: "XMLAdapter", Field: f.Name, Raw: reply,
				Err: fmt.Errorf("cannot read field %q from %s: %w", f.Name, pyfmt.ShortRepr(pyfmt.BuiltinStr(raw)), err)}
		}
		seen[i] = true
		out.keys = append(out.keys, f.Name)
		out.values[f.Name] = v
	}
	if firstMissing != "" {
		return Example{}, missingFieldsError("XMLAdapter", sig, seen, firstMissing, reply)
	}
	return out, nil
}
