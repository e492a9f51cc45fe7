package dspy

import (
	"bytes"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// This file renders what the adapters put in a prompt: type names, field
// descriptions, type notes and values, spelled exactly as DSPy 3.3 spells them
// so a program optimized here sends the same bytes as its Python original.

// Prompt strings shared by the adapters. They are part of DSPy's prompt format
// and must not be reworded.
const (
	structureIntro          = "All interactions will be structured in the following way, with the appropriate values filled in."
	objectiveIntro          = "In adhering to this structure, your objective is: "
	incompleteDemoPrefix    = "This is an example of the task, though some input or output fields are not supplied."
	missingDemoValue        = "Not supplied for this particular example. "
	completedMarker         = "[[ ## completed ## ]]"
	objectiveIndent         = "\n        "
	typeNoteIndent          = "        # note: the value you produce "
	pythonTypeHintPrefix    = " (must be formatted as a valid Python "
	structuredOutputsSchema = "DSPyProgramOutputs"
)

// annotationName spells a type as DSPy's get_annotation_name does. It differs
// from Type.String only in how Literal choices are quoted: DSPy picks the quote
// that avoids escaping and never escapes backslashes.
func annotationName(t Type) string {
	switch t.Kind {
	case KindList:
		if t.Elem == nil {
			return "list"
		}
		return "list[" + annotationName(*t.Elem) + "]"
	case KindLiteral:
		var b strings.Builder
		b.WriteString("Literal[")
		for i, c := range t.Choices {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteLiteralChoice(c))
		}
		b.WriteByte(']')
		return b.String()
	}
	return t.String()
}

func quoteLiteralChoice(s string) string {
	single, double := strings.Contains(s, "'"), strings.Contains(s, `"`)
	switch {
	case single && !double:
		return `"` + s + `"`
	case single && double:
		return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
	}
	return "'" + s + "'"
}

// writeFieldDescriptions writes DSPy's numbered field list, one line per field:
// "1. `question` (str): desc". The default "${name}" description is left out
// but the ": " stays, as in DSPy; the block's trailing space is trimmed, as
// DSPy strips the joined block.
func writeFieldDescriptions(b *strings.Builder, fields []Field) {
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(". `")
		b.WriteString(f.Name)
		b.WriteString("` (")
		b.WriteString(annotationName(f.Type))
		desc := ""
		if !f.HasDefaultDesc() {
			desc = f.Desc
		}
		desc += typeDescription(f.Type)
		// DSPy strips the joined list, which trims only the last field's text:
		// its constraints line if it has one, else its description.
		last := i == len(fields)-1
		if len(f.Constraints) > 0 {
			b.WriteString("): ")
			b.WriteString(desc)
			b.WriteString("\nConstraints: ")
			if c := constraintsText(f.Constraints); last {
				b.WriteString(pyfmt.StripRight(c))
			} else {
				b.WriteString(c)
			}
			continue
		}
		if last {
			desc = pyfmt.StripRight(desc)
			if desc == "" {
				b.WriteString("):")
				continue
			}
		}
		b.WriteString("): ")
		b.WriteString(desc)
	}
}

// writeFieldDescriptionBlock is DSPy's format_field_description: both
// numbered lists under their headings.
func writeFieldDescriptionBlock(b *strings.Builder, sig Signature) {
	b.WriteString("Your input fields are:\n")
	writeFieldDescriptions(b, sig.inputs)
	b.WriteString("\nYour output fields are:\n")
	writeFieldDescriptions(b, sig.outputs)
}

// writePlaceholderSections writes "[[ ## name ## ]]\n{name}" for each field,
// with type notes on outputs, separated by blank lines.
func writePlaceholderSections(b *strings.Builder, fields []Field, output bool) {
	for i, f := range fields {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString("[[ ## ")
		b.WriteString(f.Name)
		b.WriteString(" ## ]]\n")
		writeFieldPlaceholder(b, f, output)
	}
}

// writeFieldPlaceholder is DSPy's translate_field_type: "{name}", followed for
// output fields by a note on the value's type. Strings get no note.
func writeFieldPlaceholder(b *strings.Builder, f Field, output bool) {
	b.WriteByte('{')
	b.WriteString(f.Name)
	b.WriteByte('}')
	if !output {
		return
	}
	if note := typeNote(f.Type); note != "" {
		b.WriteString(typeNoteIndent)
		b.WriteString(note)
	}
}

func fieldPlaceholder(f Field, output bool) string {
	var b strings.Builder
	writeFieldPlaceholder(&b, f, output)
	return b.String()
}

func typeNote(t Type) string {
	switch t.Kind {
	case KindString:
		return ""
	case KindBool:
		return "must be True or False"
	case KindInt:
		return "must be a single int value"
	case KindFloat:
		return "must be a single float value"
	case KindLiteral:
		return "must exactly match (no extra characters) one of: " + strings.Join(t.Choices, "; ")
	case KindEnum:
		// DSPy lists str(member.value), joined like a Literal's choices.
		values := make([]string, len(t.Members))
		for i, m := range t.Members {
			values[i] = m.Value
		}
		return "must be one of: " + strings.Join(values, "; ")
	}
	var b bytes.Buffer
	b.WriteString("must adhere to the JSON schema: ")
	pyfmt.WriteJSON(&b, typeFirst(promptSchema(t)), pyfmt.JSONStyle{SchemaNumbers: true})
	return b.String()
}

// promptSchema is the JSON schema pydantic generates for a field's type, which
// DSPy shows in type notes and builds structured-output requests from. As in
// pydantic, an enum inside another type is a "$ref" into a top-level "$defs".
func promptSchema(t Type) map[string]any {
	if t.Kind == KindEnum {
		return enumSchema(t)
	}
	defs := map[string]any{}
	s := promptSchemaIn(t, defs)
	if len(defs) == 0 {
		return s
	}
	// s may be an object type's own schema map, which must stay untouched.
	out := make(map[string]any, len(s)+1)
	for k, v := range s {
		out[k] = v
	}
	out["$defs"] = defs
	return out
}

func promptSchemaIn(t Type, defs map[string]any) map[string]any {
	switch t.Kind {
	case KindList:
		items := map[string]any{}
		if t.Elem != nil {
			items = promptSchemaIn(*t.Elem, defs)
		}
		return map[string]any{"type": "array", "items": items}
	case KindEnum:
		defs[t.String()] = enumSchema(t)
		return map[string]any{"$ref": "#/$defs/" + t.String()}
	case KindLiteral:
		enum := make([]any, len(t.Choices))
		for i, c := range t.Choices {
			enum[i] = c
		}
		return map[string]any{"type": "string", "enum": enum}
	case KindObject:
		if t.Schema != nil {
			return t.Schema
		}
		return map[string]any{"type": "object", "additionalProperties": true}
	case KindAny:
		return map[string]any{}
	}
	return t.JSONSchema()
}

// typeFirst orders every object of a schema as DSPy does for readability: the
// "type" key first, the others alphabetically, recursively.
func typeFirst(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if (keys[i] == "type") != (keys[j] == "type") {
				return keys[i] == "type"
			}
			return keys[i] < keys[j]
		})
		out := make(pyfmt.Object, len(keys))
		for i, k := range keys {
			out[i] = pyfmt.Entry{Key: k, Value: typeFirst(x[k])}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = typeFirst(e)
		}
		return out
	}
	return v
}

// writeFieldSection writes one "[[ ## name ## ]]\nvalue" section, the unit of
// DSPy's format_field_with_value; callers separate sections by blank lines.
func writeFieldSection(b *strings.Builder, name, value string) {
	b.WriteString("[[ ## ")
	b.WriteString(name)
	b.WriteString(" ## ]]\n")
	b.WriteString(value)
}

// writeTaskDescription is DSPy's format_task_description: the instructions
// dedented, each line indented by eight spaces after the objective sentence.
func writeTaskDescription(b *strings.Builder, instructions string) {
	b.WriteString(objectiveIntro)
	text := pyfmt.Dedent(instructions)
	for start := 0; start < len(text); {
		end, next := pyfmt.NextLineBreak(text, start)
		b.WriteString(objectiveIndent)
		b.WriteString(text[start:end])
		start = next
	}
}

// writePythonTypeHint writes the " (must be formatted as a valid Python int)"
// reminder the user message gives for every non-str output field.
func writePythonTypeHint(b *strings.Builder, t Type) {
	if t.Kind == KindString {
		return
	}
	if isToolCallsType(t) {
		b.WriteString(toolCallsHint)
		return
	}
	b.WriteString(pythonTypeHintPrefix)
	b.WriteString(annotationName(t))
	b.WriteByte(')')
}

// formatFieldValue renders a value for a prompt as DSPy's format_field_value
// does: a list given to a str field becomes a numbered list of «blobs»; lists,
// maps and structs become JSON; everything else its Python str().
func formatFieldValue(f Field, v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if f.Type.Kind == KindString {
		if items, ok := listItems(v); ok {
			return formatTextList(items)
		}
	}
	return pyfmt.Str(v)
}

// listItems returns the elements of a Go slice or array (not []byte, which
// Python would see as bytes).
func listItems(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, true
	case nil, string, []byte:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// formatTextList numbers list items for a text field: "[1] «a»\n[2] «b»"; one
// item is shown alone and none as "N/A".
func formatTextList(items []any) string {
	switch len(items) {
	case 0:
		return "N/A"
	case 1:
		return formatBlob(pyfmt.Str(items[0]))
	}
	var b strings.Builder
	for i, item := range items {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString("] ")
		b.WriteString(formatBlob(pyfmt.Str(item)))
	}
	return b.String()
}

// formatBlob quotes one list item so the LM can tell items apart; multi-line
// items (or items containing the quote marks) are fenced and indented.
func formatBlob(s string) string {
	if !strings.ContainsAny(s, "\n«»") {
		return "«" + s + "»"
	}
	return "«««\n    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n»»»"
}
