package dspy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Field is one named input or output of a signature.
type Field struct {
	Name string `json:"name"`
	Type Type   `json:"type"`
	// Desc describes the field to the LM; DSPy's default is "${name}", which
	// prompts leave out.
	Desc string `json:"desc,omitempty"`
	// Prefix is the label DSPy's older prompt formats used ("Question:"); it is
	// saved with the program and shown by some adapters.
	Prefix string `json:"prefix,omitempty"`
	// Constraints bound the field's values (see Constraint).
	Constraints []Constraint `json:"constraints,omitempty"`
}

// NewField returns a field with DSPy's default description and prefix.
func NewField(name string, t Type) Field {
	return Field{Name: name, Type: t, Desc: "${" + name + "}", Prefix: InferPrefix(name) + ":"}
}

// WithDesc returns a copy of the field with a description.
func (f Field) WithDesc(desc string) Field { f.Desc = desc; return f }

// WithPrefix returns a copy of the field with a prefix.
func (f Field) WithPrefix(prefix string) Field { f.Prefix = prefix; return f }

// HasDefaultDesc reports whether the description is DSPy's placeholder "${name}".
func (f Field) HasDefaultDesc() bool { return f.Desc == "" || f.Desc == "${"+f.Name+"}" }

func (f Field) withDefaults() Field {
	if f.Desc == "" {
		f.Desc = "${" + f.Name + "}"
	}
	if f.Prefix == "" {
		f.Prefix = InferPrefix(f.Name) + ":"
	}
	return f
}

// Signature declares what a predictor takes and produces: ordered input fields,
// ordered output fields, and instructions. A Signature is immutable: every edit
// returns a new value, so a signature can be shared between goroutines and
// programs without copying.
type Signature struct {
	inputs       []Field
	outputs      []Field
	instructions string
	// customInstructions is false while the instructions are DSPy's generated
	// default, so edits to the fields do not change them (as in DSPy).
	customInstructions bool
}

// NewSignature builds a signature from fields. Empty instructions get DSPy's
// default text ("Given the fields `a`, produce the fields `b`.").
func NewSignature(inputs, outputs []Field, instructions string) (Signature, error) {
	s := Signature{}
	seen := map[string]bool{}
	for _, group := range [][]Field{inputs, outputs} {
		for _, f := range group {
			if !validFieldName(f.Name) {
				return Signature{}, fmt.Errorf("signature field %q: a field name must be a Python-style identifier (letters, digits, _)", f.Name)
			}
			if seen[f.Name] {
				return Signature{}, fmt.Errorf("signature field %q appears twice", f.Name)
			}
			seen[f.Name] = true
		}
	}
	if len(outputs) == 0 {
		return Signature{}, fmt.Errorf("signature needs at least one output field")
	}
	if err := checkFieldTypes(inputs, outputs); err != nil {
		return Signature{}, err
	}
	for _, f := range inputs {
		s.inputs = append(s.inputs, f.withDefaults())
	}
	for _, f := range outputs {
		s.outputs = append(s.outputs, f.withDefaults())
	}
	if strings.TrimSpace(instructions) == "" {
		s.instructions = s.defaultInstructions()
	} else {
		s.instructions, s.customInstructions = instructions, true
	}
	return s, nil
}

// MustSignature is ParseSignature that panics on error, for signatures written
// as constants in code.
func MustSignature(spec string, instructions ...string) Signature {
	s, err := ParseSignature(spec, instructions...)
	if err != nil {
		panic(err)
	}
	return s
}

// ParseSignature parses DSPy's string form, "context, question -> answer" or with
// types, "question -> answer: int, confidence: float"; "history: History" makes
// an input that carries earlier turns of a conversation (see History). The
// optional instructions replace DSPy's default text.
func ParseSignature(spec string, instructions ...string) (Signature, error) {
	left, right, ok := strings.Cut(spec, "->")
	if !ok || strings.Contains(right, "->") {
		return Signature{}, fmt.Errorf("signature %q: want exactly one \"->\" between inputs and outputs, as in \"question -> answer\"", spec)
	}
	inputs, err := parseFieldList(left)
	if err != nil {
		return Signature{}, fmt.Errorf("signature %q inputs: %w", spec, err)
	}
	outputs, err := parseFieldList(right)
	if err != nil {
		return Signature{}, fmt.Errorf("signature %q outputs: %w", spec, err)
	}
	if len(outputs) == 0 {
		return Signature{}, fmt.Errorf("signature %q: needs at least one output field after \"->\"", spec)
	}
	s, err := NewSignature(inputs, outputs, strings.Join(instructions, "\n"))
	if err != nil {
		return Signature{}, fmt.Errorf("signature %q: %w", spec, err)
	}
	return s, nil
}

func parseFieldList(s string) ([]Field, error) {
	var fields []Field
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, part := range splitTopLevel(s, ',') {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("empty field name (a stray comma?)")
		}
		name, typ := part, StringType
		if n, t, ok := strings.Cut(part, ":"); ok {
			name = strings.TrimSpace(n)
			parsed, err := ParseType(t)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", name, err)
			}
			typ = parsed
		}
		if !validFieldName(name) {
			return nil, fmt.Errorf("field %q: a field name must be a Python-style identifier (letters, digits, _)", name)
		}
		fields = append(fields, NewField(name, typ))
	}
	return fields, nil
}

// checkFieldTypes rejects field types no adapter can format: malformed enums,
// constraints that do not fit their field's type, and History anywhere but as
// the type of one input field, where DSPy's adapters look for it.
func checkFieldTypes(inputs, outputs []Field) error {
	for _, f := range append(append([]Field(nil), inputs...), outputs...) {
		for _, c := range f.Constraints {
			if err := c.checkFits(f.Type); err != nil {
				return fmt.Errorf("signature field %q: %w", f.Name, err)
			}
		}
	}
	histories := 0
	for _, f := range inputs {
		if err := f.Type.check(); err != nil {
			return fmt.Errorf("signature field %q: %w", f.Name, err)
		}
		if f.Type.Kind == KindHistory {
			if histories++; histories > 1 {
				return fmt.Errorf("signature field %q: a signature takes at most one History input, since the adapter expands one conversation; merge the turns into one History", f.Name)
			}
		}
	}
	for _, f := range outputs {
		if err := f.Type.check(); err != nil {
			return fmt.Errorf("signature field %q: %w", f.Name, err)
		}
		if f.Type.Kind == KindHistory {
			return fmt.Errorf("signature field %q: History is an input type (the adapter expands it into earlier turns), so it cannot be an output", f.Name)
		}
	}
	return nil
}

func validFieldName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		if r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r)) {
			continue
		}
		return false
	}
	return true
}

// Inputs returns the input fields in order. The slice is a copy.
func (s Signature) Inputs() []Field { return append([]Field(nil), s.inputs...) }

// Outputs returns the output fields in order. The slice is a copy.
func (s Signature) Outputs() []Field { return append([]Field(nil), s.outputs...) }

// InputNames returns the input field names in order.
func (s Signature) InputNames() []string { return fieldNames(s.inputs) }

// OutputNames returns the output field names in order.
func (s Signature) OutputNames() []string { return fieldNames(s.outputs) }

// Fields returns inputs then outputs, the order DSPy saves them in.
func (s Signature) Fields() []Field {
	return append(s.Inputs(), s.outputs...)
}

// Field returns the named field and whether it is an input.
func (s Signature) Field(name string) (f Field, isInput bool, ok bool) {
	for _, f := range s.inputs {
		if f.Name == name {
			return f, true, true
		}
	}
	for _, f := range s.outputs {
		if f.Name == name {
			return f, false, true
		}
	}
	return Field{}, false, false
}

// Instructions returns the task description given to the LM.
func (s Signature) Instructions() string { return s.instructions }

// IsZero reports whether s is the zero Signature (no fields).
func (s Signature) IsZero() bool { return len(s.inputs) == 0 && len(s.outputs) == 0 }

// WithInstructions returns a copy with new instructions.
func (s Signature) WithInstructions(instructions string) Signature {
	s.inputs, s.outputs = s.Inputs(), s.Outputs()
	s.instructions, s.customInstructions = instructions, true
	return s
}

// Append returns a copy with f added after the other fields of its side.
func (s Signature) Append(f Field, input bool) (Signature, error) {
	return s.insert(f, input, false)
}

// Prepend returns a copy with f added before the other fields of its side, as
// ChainOfThought does with "reasoning".
func (s Signature) Prepend(f Field, input bool) (Signature, error) {
	return s.insert(f, input, true)
}

// WithField returns a copy where the named field is replaced by f (keeping its place).
func (s Signature) WithField(name string, f Field) (Signature, error) {
	if f.Name != name {
		if !validFieldName(f.Name) {
			return Signature{}, fmt.Errorf("field %q: a field name must be a Python-style identifier", f.Name)
		}
		if _, _, exists := s.Field(f.Name); exists {
			return Signature{}, fmt.Errorf("signature already has a field %q", f.Name)
		}
	}
	s.inputs, s.outputs = s.Inputs(), s.Outputs()
	for _, group := range [][]Field{s.inputs, s.outputs} {
		for i := range group {
			if group[i].Name == name {
				group[i] = f.withDefaults()
				if err := checkFieldTypes(s.inputs, s.outputs); err != nil {
					return Signature{}, err
				}
				return s, nil
			}
		}
	}
	return Signature{}, fmt.Errorf("signature has no field %q", name)
}

// Without returns a copy without the named field.
func (s Signature) Without(name string) Signature {
	s.inputs = removeField(s.inputs, name)
	s.outputs = removeField(s.outputs, name)
	return s
}

func removeField(fields []Field, name string) []Field {
	out := make([]Field, 0, len(fields))
	for _, f := range fields {
		if f.Name != name {
			out = append(out, f)
		}
	}
	return out
}

func (s Signature) insert(f Field, input, front bool) (Signature, error) {
	if _, _, exists := s.Field(f.Name); exists {
		return Signature{}, fmt.Errorf("signature already has a field %q", f.Name)
	}
	if !validFieldName(f.Name) {
		return Signature{}, fmt.Errorf("field %q: a field name must be a Python-style identifier", f.Name)
	}
	f = f.withDefaults()
	s.inputs, s.outputs = s.Inputs(), s.Outputs()
	side := &s.outputs
	if input {
		side = &s.inputs
	}
	if front {
		*side = append([]Field{f}, *side...)
	} else {
		*side = append(*side, f)
	}
	if err := checkFieldTypes(s.inputs, s.outputs); err != nil {
		return Signature{}, err
	}
	return s, nil
}

func (s Signature) defaultInstructions() string {
	quote := func(fs []Field) string {
		names := make([]string, len(fs))
		for i, f := range fs {
			names[i] = "`" + f.Name + "`"
		}
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("Given the fields %s, produce the fields %s.", quote(s.inputs), quote(s.outputs))
}

// String renders the signature in DSPy's string form with types, e.g.
// "question -> answer: int".
func (s Signature) String() string {
	render := func(fs []Field) string {
		parts := make([]string, len(fs))
		for i, f := range fs {
			parts[i] = f.Name
			if f.Type.Kind != KindString {
				parts[i] += ": " + f.Type.String()
			}
		}
		return strings.Join(parts, ", ")
	}
	return render(s.inputs) + " -> " + render(s.outputs)
}

// Equal reports whether two signatures have the same fields and instructions.
func (s Signature) Equal(o Signature) bool {
	a, _ := json.Marshal(s)
	b, _ := json.Marshal(o)
	return string(a) == string(b)
}

type signatureJSON struct {
	Instructions string  `json:"instructions"`
	Inputs       []Field `json:"inputs"`
	Outputs      []Field `json:"outputs"`
}

// MarshalJSON encodes the full signature (fields with types); this is the
// project's own spec format, richer than DSPy's saved state.
func (s Signature) MarshalJSON() ([]byte, error) {
	return json.Marshal(signatureJSON{Instructions: s.instructions, Inputs: s.inputs, Outputs: s.outputs})
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (s *Signature) UnmarshalJSON(b []byte) error {
	var raw signatureJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw.Inputs) == 0 && len(raw.Outputs) == 0 && raw.Instructions == "" {
		*s = Signature{} // the zero signature round-trips, as in optional fields
		return nil
	}
	parsed, err := NewSignature(raw.Inputs, raw.Outputs, raw.Instructions)
	if err != nil {
		return err
	}
	*s = parsed
	return nil
}

func fieldNames(fs []Field) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return names
}

var (
	camelWordRe   = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	camelLowerRe  = regexp.MustCompile(`([a-z0-9])([A-Z])`)
	letterDigitRe = regexp.MustCompile(`([a-zA-Z])(\d)`)
	digitLetterRe = regexp.MustCompile(`(\d)([a-zA-Z])`)
)

// InferPrefix turns a field name into DSPy's label: "snake_case" → "Snake Case",
// "camelCase" → "Camel Case"; all-caps words are kept.
func InferPrefix(name string) string {
	s := camelWordRe.ReplaceAllString(name, "${1}_${2}")
	s = camelLowerRe.ReplaceAllString(s, "${1}_${2}")
	s = letterDigitRe.ReplaceAllString(s, "${1}_${2}")
	s = digitLetterRe.ReplaceAllString(s, "${1}_${2}")
	words := strings.Split(s, "_")
	for i, w := range words {
		if w != strings.ToUpper(w) || strings.ToUpper(w) == strings.ToLower(w) {
			words[i] = pyCapitalize(w)
		}
	}
	return strings.Join(words, " ")
}

// pyCapitalize upper-cases the first rune and lower-cases the rest, as Python's str.capitalize.
func pyCapitalize(w string) string {
	if w == "" {
		return w
	}
	r := []rune(strings.ToLower(w))
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
