package simlm

import (
	"sort"
	"strings"
)

// DSPy's XMLAdapter asks for each output field wrapped in tags and writes the
// inputs the same way. The simulator reads those inputs and answers in kind:
// "<name>\nvalue\n</name>" per field, lists as <item> elements and objects as
// one element per key, as the adapter's demos show them.

// xmlTrailer opens the XMLAdapter's reminder at the end of the user message.
const xmlTrailer = "Respond with the corresponding output fields wrapped in XML tags"

// isXMLPrompt reports whether the final user message is an XMLAdapter's.
func isXMLPrompt(last string) bool { return strings.Contains(last, xmlTrailer) }

// splitXMLBlocks reads "<name>\nvalue\n</name>" input sections.
func splitXMLBlocks(text string) []kv {
	var out []kv
	for {
		open := strings.IndexByte(text, '<')
		if open < 0 {
			return out
		}
		end := strings.IndexByte(text[open:], '>')
		if end < 0 {
			return out
		}
		name := text[open+1 : open+end]
		rest := text[open+end+1:]
		closeTag := "</" + name + ">"
		stop := strings.Index(rest, closeTag)
		if name == "" || strings.ContainsAny(name, " /<") || stop < 0 {
			text = rest
			continue
		}
		out = append(out, kv{name: name, value: strings.TrimSpace(rest[:stop])})
		text = rest[stop+len(closeTag):]
	}
}

// renderXML writes the output fields as XMLAdapter replies carry them.
func renderXML(fields []outputField, vals []any) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteString("\n\n")
		}
		if j, ok := vals[i].(jsonValue); ok {
			switch j.v.(type) {
			case []any, map[string]any:
				writeXMLValue(&b, f.name, j.v)
				continue
			}
		}
		b.WriteString("<" + f.name + ">\n")
		b.WriteString(xmlEscaper.Replace(chatText(vals[i])))
		b.WriteString("\n</" + f.name + ">")
	}
	return b.String()
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func writeXMLValue(b *strings.Builder, tag string, v any) {
	b.WriteString("<" + tag + ">")
	switch x := v.(type) {
	case []any:
		for _, item := range x {
			writeXMLValue(b, "item", item)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			writeXMLValue(b, k, x[k])
		}
	case nil:
	default:
		b.WriteString(xmlEscaper.Replace(chatText(x)))
	}
	b.WriteString("</" + tag + ">")
}
