package dspy

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/durable-dspy/durable-dspy/internal/coerce"
	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// ConstraintKind names a bound on a field's values, spelled as the pydantic
// Field argument a DSPy signature would carry it in (InputField(ge=0), ...).
type ConstraintKind string

// The bounds DSPy describes to the LM.
const (
	GreaterThan    ConstraintKind = "gt"
	GreaterOrEqual ConstraintKind = "ge"
	LessThan       ConstraintKind = "lt"
	LessOrEqual    ConstraintKind = "le"
	MinLength      ConstraintKind = "min_length"
	MaxLength      ConstraintKind = "max_length"
	MultipleOf     ConstraintKind = "multiple_of"
)

// constraintText is what DSPy's field.py writes for each kind in front of
// the bound, in the "Constraints:" line of a field's description.
var constraintText = map[ConstraintKind]string{
	GreaterThan:    "greater than: ",
	GreaterOrEqual: "greater than or equal to: ",
	LessThan:       "less than: ",
	LessOrEqual:    "less than or equal to: ",
	MinLength:      "minimum length: ",
	MaxLength:      "maximum length: ",
	MultipleOf:     "a multiple of the given number: ",
}

// Constraint is one bound on a field's values. The ChatAdapter and
// JSONAdapter describe a field's constraints to the LM in DSPy's words
// ("Constraints: greater than or equal to: 0, less than or equal to: 5"),
// and a parsed output that breaks one is a *ParseError, as pydantic's
// validation makes it in DSPy (whose 3.3 release only describes them).
// Numeric bounds apply to int and float fields; lengths to str, Literal,
// Enum and list fields, counted in characters or items.
type Constraint struct {
	Kind ConstraintKind `json:"kind"`
	// Value is the bound as it is written in the prompt, e.g. "0" or "2.5".
	Value string `json:"value"`
}

// String is the constraint as DSPy describes it to the LM.
func (c Constraint) String() string { return constraintText[c.Kind] + c.Value }

// WithConstraints returns a copy of the field with these constraints added,
// in the order given (the order the prompt lists them). NewSignature checks
// that they fit the field's type.
func (f Field) WithConstraints(cs ...Constraint) Field {
	f.Constraints = append(append([]Constraint(nil), f.Constraints...), cs...)
	return f
}

// ParseConstraints reads constraints written as "ge=0, le=5", the spelling
// of the `constraints` struct tag (see SignatureOf).
func ParseConstraints(s string) ([]Constraint, error) {
	var out []Constraint
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		kind, value, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("constraint %q: write kind=value, e.g. ge=0", part)
		}
		c := Constraint{Kind: ConstraintKind(strings.TrimSpace(kind)), Value: strings.TrimSpace(value)}
		if err := c.check(); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// check rejects an unknown kind or a bound that is not a number (a
// non-negative integer for lengths).
func (c Constraint) check() error {
	if _, ok := constraintText[c.Kind]; !ok {
		return fmt.Errorf("constraint %q: unknown kind; use gt, ge, lt, le, min_length, max_length or multiple_of", string(c.Kind))
	}
	if c.isLength() {
		if n, err := strconv.Atoi(c.Value); err != nil || n < 0 {
			return fmt.Errorf("constraint %s=%s: a length must be a non-negative integer", c.Kind, c.Value)
		}
		return nil
	}
	f, err := strconv.ParseFloat(c.Value, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("constraint %s=%s: the bound must be a finite number", c.Kind, c.Value)
	}
	if c.Kind == MultipleOf && f <= 0 {
		return fmt.Errorf("constraint %s=%s: the divisor must be positive", c.Kind, c.Value)
	}
	return nil
}

func (c Constraint) isLength() bool { return c.Kind == MinLength || c.Kind == MaxLength }

// checkFits rejects a constraint the field's type cannot be held to.
func (c Constraint) checkFits(t Type) error {
	if err := c.check(); err != nil {
		return err
	}
	switch {
	case c.isLength() && (t.Kind == KindString || t.Kind == KindLiteral || t.Kind == KindEnum || t.Kind == KindList):
		return nil
	case !c.isLength() && (t.Kind == KindInt || t.Kind == KindFloat):
		return nil
	case c.isLength():
		return fmt.Errorf("constraint %s applies to str, Literal, Enum and list fields, not %s", c.Kind, t)
	}
	return fmt.Errorf("constraint %s applies to int and float fields, not %s", c.Kind, t)
}

// constraintsText joins a field's constraints as DSPy's prompt shows them.
func constraintsText(cs []Constraint) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}

// checkConstraints holds a parsed output value to its field's constraints.
func checkConstraints(f Field, v any) error {
	for _, c := range f.Constraints {
		if err := c.holds(v); err != nil {
			return err
		}
	}
	return nil
}

// holds reports how v breaks the constraint, or nil.
func (c Constraint) holds(v any) error {
	if c.isLength() {
		var n int
		switch x := v.(type) {
		case string:
			n = utf8.RuneCountInString(x)
		case []any:
			n = len(x)
		default:
			return nil // a type the constraint was not checked against; NewSignature prevents it
		}
		bound, _ := strconv.Atoi(c.Value)
		if c.Kind == MinLength && n < bound || c.Kind == MaxLength && n > bound {
			return fmt.Errorf("length %d breaks the constraint %s=%s (%s)", n, c.Kind, c.Value, c)
		}
		return nil
	}
	x, ok := coerce.Float64(v)
	if !ok {
		return nil
	}
	bound, _ := strconv.ParseFloat(c.Value, 64)
	var broken bool
	switch c.Kind {
	case GreaterThan:
		broken = !(x > bound)
	case GreaterOrEqual:
		broken = !(x >= bound)
	case LessThan:
		broken = !(x < bound)
	case LessOrEqual:
		broken = !(x <= bound)
	case MultipleOf:
		// Floats rarely divide exactly; allow for rounding as pydantic does.
		q := x / bound
		broken = math.Abs(q-math.Round(q)) > 1e-9*math.Max(1, math.Abs(q))
	}
	if broken {
		return fmt.Errorf("%s breaks the constraint %s=%s (%s)", pyfmt.Repr(v), c.Kind, c.Value, c)
	}
	return nil
}
