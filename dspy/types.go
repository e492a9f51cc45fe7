package dspy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// Kind is the shape of a field's value.
type Kind int

// The kinds of field value. They mirror the Python annotations DSPy signatures use.
const (
	// KindString is Python's str: free text.
	KindString Kind = iota
	// KindInt is Python's int.
	KindInt
	// KindFloat is Python's float.
	KindFloat
	// KindBool is Python's bool.
	KindBool
	// KindList is list[Elem].
	KindList
	// KindLiteral is Literal['a', 'b']: exactly one of Choices.
	KindLiteral
	// KindObject is a JSON object (a dict or a pydantic model in DSPy), described by Schema.
	KindObject
	// KindAny is an unconstrained JSON value.
	KindAny
	// KindEnum is a Python enum.Enum class: one of Members, shown to the LM by
	// value and named Name in prompts. Parsed values are the member's Value.
	KindEnum
	// KindHistory is dspy.History: an input holding earlier turns of the
	// conversation, which adapters expand into user/assistant messages.
	KindHistory
	// KindImage is dspy.Image: an input holding an Image, sent to the LM as
	// an image content part.
	KindImage
)

// Type is the type of a signature field.
type Type struct {
	Kind Kind
	// Elem is the element type of a list.
	Elem *Type
	// Choices are the allowed values of a literal.
	Choices []string
	// Schema is the JSON schema of an object; nil means any object (dict[str, Any]).
	Schema map[string]any
	// Name names an object or enum type in prompts (DSPy shows the class name
	// of a pydantic model or an Enum).
	Name string
	// Members are an enum's members, in declaration order.
	Members []EnumMember
}

// Common types.
var (
	StringType = Type{Kind: KindString}
	IntType    = Type{Kind: KindInt}
	FloatType  = Type{Kind: KindFloat}
	BoolType   = Type{Kind: KindBool}
	// HistoryType is dspy.History, for an input field holding a History.
	HistoryType = Type{Kind: KindHistory}
)

// ListOf returns the type list[elem].
func ListOf(elem Type) Type { return Type{Kind: KindList, Elem: &elem} }

// LiteralOf returns the type Literal[choices...].
func LiteralOf(choices ...string) Type {
	return Type{Kind: KindLiteral, Choices: append([]string(nil), choices...)}
}

// ObjectOf returns a JSON object type with the given name and JSON schema.
func ObjectOf(name string, schema map[string]any) Type {
	return Type{Kind: KindObject, Name: name, Schema: schema}
}

// String renders the type the way DSPy shows it in prompts: str, int, list[str],
// Literal['a', 'b'], dict[str, Any], History, or an object's or enum's name.
func (t Type) String() string {
	switch t.Kind {
	case KindString:
		return "str"
	case KindInt:
		return "int"
	case KindFloat:
		return "float"
	case KindBool:
		return "bool"
	case KindList:
		if t.Elem == nil {
			return "list"
		}
		return "list[" + t.Elem.String() + "]"
	case KindLiteral:
		quoted := make([]string, len(t.Choices))
		for i, c := range t.Choices {
			quoted[i] = pyfmt.Repr(c)
		}
		return "Literal[" + strings.Join(quoted, ", ") + "]"
	case KindObject:
		if t.Name != "" {
			return t.Name
		}
		return "dict[str, Any]"
	case KindAny:
		return "Any"
	case KindEnum:
		if t.Name != "" {
			return t.Name
		}
		return "Enum"
	case KindHistory:
		return "History"
	case KindImage:
		return "Image"
	}
	return fmt.Sprintf("Kind(%d)", int(t.Kind))
}

// JSONSchema returns the JSON schema of values of this type.
func (t Type) JSONSchema() map[string]any {
	switch t.Kind {
	case KindString:
		return map[string]any{"type": "string"}
	case KindInt:
		return map[string]any{"type": "integer"}
	case KindFloat:
		return map[string]any{"type": "number"}
	case KindBool:
		return map[string]any{"type": "boolean"}
	case KindList:
		s := map[string]any{"type": "array"}
		if t.Elem != nil {
			s["items"] = t.Elem.JSONSchema()
		}
		return s
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
	case KindEnum:
		return enumSchema(t)
	case KindHistory:
		return historySchema()
	case KindImage:
		return imageSchema()
	}
	return map[string]any{}
}

// MarshalJSON encodes a type as its DSPy spelling, e.g. "list[str]" or
// "History", when that spelling parses back to the same type. Types the
// spelling would lose are written as objects: a named or schema-described
// object as {"name", "schema"}, an enum as {"enum": name, "members": [{"name",
// "value"}]}, a list of such types as {"list": elem}, and a literal whose
// choices mix quote characters or hold backslashes as {"literal": [choices]}.
func (t Type) MarshalJSON() ([]byte, error) {
	if t.spellable() {
		return json.Marshal(t.String())
	}
	switch t.Kind {
	case KindList:
		return json.Marshal(map[string]any{"list": t.Elem})
	case KindLiteral:
		return json.Marshal(map[string]any{"literal": t.Choices})
	case KindEnum:
		return json.Marshal(map[string]any{"enum": t.Name, "members": t.Members})
	}
	return json.Marshal(map[string]any{"name": t.Name, "schema": t.Schema})
}

// spellable reports whether ParseType(t.String()) gives t back.
func (t Type) spellable() bool {
	switch t.Kind {
	case KindObject:
		return t.Schema == nil && t.Name == "" || isToolsType(t) || isToolCallsType(t)
	case KindEnum:
		return false
	case KindList:
		return t.Elem == nil || t.Elem.spellable()
	case KindLiteral:
		for _, c := range t.Choices {
			if strings.Contains(c, "\\") || strings.Contains(c, "'") && strings.Contains(c, "\"") {
				return false
			}
		}
	}
	return true
}

// UnmarshalJSON decodes what MarshalJSON writes: a type spelled as a string
// ("int", "list[str]", "Literal['a', 'b']", "History") or one of its object
// forms. A malformed enum (no members, repeated names or values) is an error.
func (t *Type) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		parsed, err := ParseType(s)
		if err != nil {
			return err
		}
		*t = parsed
		return nil
	}
	var obj struct {
		Name    string         `json:"name"`
		Schema  map[string]any `json:"schema"`
		List    *Type          `json:"list"`
		Literal []string       `json:"literal"`
		Enum    *string        `json:"enum"`
		Members []EnumMember   `json:"members"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("type must be a string like \"list[str]\" or an object {\"name\", \"schema\"}, {\"enum\", \"members\"}, {\"list\"} or {\"literal\"}: %w", err)
	}
	switch {
	case obj.List != nil:
		*t = ListOf(*obj.List)
	case obj.Literal != nil:
		*t = LiteralOf(obj.Literal...)
	case obj.Enum != nil:
		enum := EnumOf(*obj.Enum, obj.Members...)
		if err := enum.check(); err != nil {
			return fmt.Errorf("enum type {\"enum\": %q, \"members\": [...]}: %w", *obj.Enum, err)
		}
		*t = enum
	default:
		*t = ObjectOf(obj.Name, obj.Schema)
	}
	return nil
}

// ParseType parses a type annotation as written in a signature string:
// str, int, float, bool, list[T], Literal['a', 'b'] (or Literal["a", "b"]),
// dict, dict[str, Any], Any, History (or dspy.History). Names are
// case-insensitive where Python allows no ambiguity (List[str] equals
// list[str]). An Enum has no string spelling, since its members live in its
// class: build it with EnumOf or derive it from a Go type with SignatureOf.
func ParseType(s string) (Type, error) {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	switch lower {
	case "str", "string", "":
		return StringType, nil
	case "int", "integer":
		return IntType, nil
	case "float", "number":
		return FloatType, nil
	case "bool", "boolean":
		return BoolType, nil
	case "list":
		return ListOf(StringType), nil
	case "dict", "object", "json":
		return Type{Kind: KindObject}, nil
	case "any":
		return Type{Kind: KindAny}, nil
	case "history", "dspy.history":
		return HistoryType, nil
	case "image", "dspy.image":
		return ImageType, nil
	case "tool", "dspy.tool":
		return ToolType, nil
	case "toolcalls", "dspy.toolcalls":
		return ToolCallsType, nil
	}
	open := strings.IndexByte(s, '[')
	if open <= 0 || !strings.HasSuffix(s, "]") {
		return Type{}, fmt.Errorf("unknown type %q: use str, int, float, bool, list[T], Literal['a', 'b'], dict or History", s)
	}
	head, inner := strings.ToLower(strings.TrimSpace(s[:open])), s[open+1:len(s)-1]
	switch head {
	case "list":
		elem, err := ParseType(inner)
		if err != nil {
			return Type{}, fmt.Errorf("in %q: %w", s, err)
		}
		return ListOf(elem), nil
	case "literal":
		choices, err := splitLiteralChoices(inner)
		if err != nil {
			return Type{}, fmt.Errorf("in %q: %w", s, err)
		}
		return LiteralOf(choices...), nil
	case "dict":
		return Type{Kind: KindObject}, nil
	case "history", "dspy.history":
		return Type{}, fmt.Errorf("type %q: History takes no parameters; its turns are keyed by the signature's own fields, so write \"history: History\"", s)
	}
	return Type{}, fmt.Errorf("unknown type %q: use str, int, float, bool, list[T], Literal['a', 'b'], dict or History", s)
}

// check reports what makes a type unusable in a signature: an enum without
// members or with repeated member names or values (Python would turn a
// repeated value into an alias, hiding the member), or a History that is not
// a field's whole type.
func (t Type) check() error {
	switch t.Kind {
	case KindEnum:
		return checkEnum(t)
	case KindList:
		if t.Elem == nil {
			return nil
		}
		if t.Elem.Kind == KindHistory {
			return fmt.Errorf("%s: History must be a field's whole type, not a list element; one History holds every earlier turn", t)
		}
		return t.Elem.check()
	}
	return nil
}

// splitLiteralChoices splits 'a', "b", c into its unquoted values.
func splitLiteralChoices(inner string) ([]string, error) {
	var out []string
	for _, part := range splitTopLevel(inner, ',') {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if n := len(part); n >= 2 && (part[0] == '\'' || part[0] == '"') {
			if part[n-1] != part[0] {
				return nil, fmt.Errorf("unterminated quote in literal choice %s", part)
			}
			part = part[1 : n-1]
		}
		out = append(out, part)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("a Literal needs at least one choice")
	}
	return out, nil
}

// splitTopLevel splits s on sep, ignoring separators inside brackets or quotes.
func splitTopLevel(s string, sep byte) []string {
	var parts []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '[' || c == '(' || c == '{':
			depth++
		case c == ']' || c == ')' || c == '}':
			depth--
		case c == sep && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}
