package dspy

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/durable-dspy/durable-dspy/internal/coerce"
	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// This file holds DSPy's Enum field type: a Python enum.Enum class, which
// prompts name by its class and list by its members' values, and which a
// reply may answer by value or by member name.

// EnumMember is one member of an Enum type: Python's member name (POSITIVE)
// and its value ("positive"). Prompts show the value; a reply may give either.
type EnumMember struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// EnumOf returns the type of a Python Enum class called name with the given
// members, in order. Unlike a Literal, DSPy lists an enum's values in the
// output note without "exactly match", and reads a reply by value or by
// member name. NewSignature reports an enum without members, or with repeated
// names or values.
func EnumOf(name string, members ...EnumMember) Type {
	return Type{Kind: KindEnum, Name: name, Members: append([]EnumMember(nil), members...)}
}

// Enum is implemented by a Go type that stands for a Python Enum class, so
// SignatureOf makes its fields Enum-typed (see EnumOf). EnumMembers is called
// on the type's zero value and lists the members in declaration order.
type Enum interface {
	EnumMembers() []EnumMember
}

// enumOfGo builds the Enum type a Go type declares with EnumMembers, named
// after the Go type as DSPy names an Enum after its class.
func enumOfGo(t reflect.Type) (Type, error) {
	if t.Kind() != reflect.String {
		return Type{}, fmt.Errorf("type %s has an EnumMembers method but is not a string type; an Enum's values are its members' value strings, so declare it as `type %s string`", t, t.Name())
	}
	members := reflect.New(t).Interface().(Enum).EnumMembers()
	enum := EnumOf(t.Name(), members...)
	if err := enum.check(); err != nil {
		return Type{}, fmt.Errorf("type %s: %w", t, err)
	}
	return enum, nil
}

// enumSchema is the schema pydantic gives an Enum whose values are strings.
// A Python enum with a docstring would add it as "description"; Go types
// have none.
func enumSchema(t Type) map[string]any {
	values := make([]any, len(t.Members))
	for i, m := range t.Members {
		values[i] = m.Value
	}
	return map[string]any{"type": "string", "title": t.String(), "enum": values}
}

// checkEnum is Type.check for an enum.
func checkEnum(t Type) error {
	if !validFieldName(t.Name) {
		return fmt.Errorf("enum name %q must be a Python-style identifier (letters, digits, _), as it names the Enum class in prompts", t.Name)
	}
	if len(t.Members) == 0 {
		return fmt.Errorf("enum %s has no members: give EnumOf at least one EnumMember{Name, Value}", t.Name)
	}
	names := make(map[string]bool, len(t.Members))
	values := make(map[string]string, len(t.Members))
	for _, m := range t.Members {
		if !validFieldName(m.Name) {
			return fmt.Errorf("enum %s: member name %q must be a Python-style identifier (letters, digits, _)", t.Name, m.Name)
		}
		if names[m.Name] {
			return fmt.Errorf("enum %s: member name %s appears twice", t.Name, m.Name)
		}
		names[m.Name] = true
		if first, dup := values[m.Value]; dup {
			return fmt.Errorf("enum %s: members %s and %s share the value %q; give each member its own value", t.Name, first, m.Name, m.Value)
		}
		values[m.Value] = m.Name
	}
	return nil
}

// findEnumMember reads an output field of Enum type as DSPy's
// find_enum_member does: the text must equal a member's value or, failing
// that, a member's name, with no trimming or case folding. The result is the
// member's value.
func findEnumMember(v any, t Type) (string, error) {
	if s, ok := v.(string); ok {
		for _, m := range t.Members {
			if m.Value == s {
				return m.Value, nil
			}
		}
		for _, m := range t.Members {
			if m.Name == s {
				return m.Value, nil
			}
		}
	}
	names := make([]string, len(t.Members))
	for i, m := range t.Members {
		names[i] = m.Name
	}
	return "", fmt.Errorf("%s is not a value or member name of the enum %s: the values are %s (member names %s)",
		pyfmt.Repr(pyfmt.BuiltinStr(v)), t, enumValues(t), strings.Join(names, ", "))
}

// enumMemberByValue reads an enum nested in another type (list[Sentiment]),
// which DSPy leaves to pydantic: only values are accepted there.
func enumMemberByValue(v any, t Type) (string, error) {
	if s, ok := v.(string); ok {
		for _, m := range t.Members {
			if m.Value == s {
				return s, nil
			}
		}
	}
	return "", fmt.Errorf("%s is not a value of the enum %s: the values are %s", coerce.Describe(v), t, enumValues(t))
}

// enumValues lists an enum's values, quoted, for error messages.
func enumValues(t Type) string {
	values := make([]string, len(t.Members))
	for i, m := range t.Members {
		values[i] = pyfmt.Repr(m.Value)
	}
	return strings.Join(values, ", ")
}
