package dspy

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/google/jsonschema-go/jsonschema"
)

// SignatureOf builds a signature from a Go struct, the typed counterpart of a
// DSPy class-based signature. Each field tagged `dspy:"input"` or
// `dspy:"output"` becomes a signature field, in declaration order:
//
//	type QA struct {
//		Context   []string `dspy:"input" desc:"facts that may help"`
//		Question  string   `dspy:"input"`
//		Answer    string   `dspy:"output" desc:"often 1-5 words" prefix:"Answer:"`
//		Sentiment string   `dspy:"output" enum:"positive,negative,neutral"`
//	}
//
// A field is named by its `json` tag when it has one, otherwise by the snake_case
// form of its Go name (DSPy field names are snake_case), so Example.Decode and
// ExampleFrom agree with the signature. Go types map to DSPy's: string → str,
// integers → int, floats → float, bool → bool, slices and arrays → list[elem],
// structs and string-keyed maps → objects described by a JSON schema (a struct
// keeps its type name, as DSPy shows a pydantic model's class name),
// interfaces → Any, dspy.History → History (an input holding earlier turns);
// pointers are followed. `desc` and `prefix` tags replace DSPy's default
// description and prefix. A `constraints:"ge=0, le=5"` tag bounds the field's
// values as pydantic Field arguments do in DSPy (see Constraint). Fields
// without a dspy tag are left out, so the same struct can carry other data.
//
// DSPy has two kinds of closed choice, and each has its Go spelling. An
// `enum:"a,b"` tag makes a string field (or the elements of a string slice) a
// Literal['a', 'b']. A Go type with an EnumMembers method (the Enum interface)
// is a Python Enum class: a field of that type, or a slice of it, becomes an
// Enum named after the Go type, whose members the method lists. The type must
// be a string type, since a value of it is a member's value string:
//
//	type Sentiment string
//
//	func (Sentiment) EnumMembers() []dspy.EnumMember {
//		return []dspy.EnumMember{{Name: "POSITIVE", Value: "positive"}, {Name: "NEGATIVE", Value: "negative"}}
//	}
//
//	type Classify struct {
//		Text      string    `dspy:"input"`
//		Sentiment Sentiment `dspy:"output"` // shown as (Sentiment), "must be one of: positive; negative"
//	}
//
// The two differ in prompts and parsing as in DSPy: an Enum's note reads "must
// be one of" where a Literal's reads "must exactly match (no extra characters)
// one of", and a reply may name an Enum member by value or by name.
//
// The instructions are, in order of preference: the instructions argument, the
// result of an Instructions() string method on the struct (DSPy's class
// docstring), and DSPy's default "Given the fields ..." text. v may be a struct
// or a pointer to one; only its type is used.
func SignatureOf(v any, instructions ...string) (Signature, error) {
	t, err := structType(v)
	if err != nil {
		return Signature{}, fmt.Errorf("dspy.SignatureOf: %w", err)
	}
	var inputs, outputs []Field
	for _, sf := range reflect.VisibleFields(t) {
		role, tagged := sf.Tag.Lookup("dspy")
		if !tagged || role == "-" {
			continue
		}
		f, err := structField(sf)
		if err != nil {
			return Signature{}, fmt.Errorf("dspy.SignatureOf(%s): field %s: %w", t, sf.Name, err)
		}
		switch strings.TrimSpace(role) {
		case "input":
			inputs = append(inputs, f)
		case "output":
			outputs = append(outputs, f)
		default:
			return Signature{}, fmt.Errorf("dspy.SignatureOf(%s): field %s: tag dspy:%q must be \"input\" or \"output\"", t, sf.Name, role)
		}
	}
	if len(outputs) == 0 {
		return Signature{}, fmt.Errorf("dspy.SignatureOf(%s): no output field: tag at least one field `dspy:\"output\"`", t)
	}
	instr := strings.Join(instructions, "\n")
	if strings.TrimSpace(instr) == "" {
		instr = structInstructions(t)
	}
	sig, err := NewSignature(inputs, outputs, instr)
	if err != nil {
		return Signature{}, fmt.Errorf("dspy.SignatureOf(%s): %w", t, err)
	}
	return sig, nil
}

// MustSignatureOf is SignatureOf that panics on error, for signatures declared
// once at package level, where a bad tag is a programming error.
func MustSignatureOf(v any, instructions ...string) Signature {
	s, err := SignatureOf(v, instructions...)
	if err != nil {
		panic(err)
	}
	return s
}

// instructionsProvider is the optional method a signature struct implements to
// give its instructions, as a DSPy signature class does with its docstring.
type instructionsProvider interface{ Instructions() string }

// structInstructions calls t's Instructions method on a zero value, whether it
// is declared on the value or the pointer receiver.
func structInstructions(t reflect.Type) string {
	if p, ok := reflect.New(t).Interface().(instructionsProvider); ok {
		return p.Instructions()
	}
	return ""
}

// structType returns the struct type of v, following pointers.
func structType(v any) (reflect.Type, error) {
	t := reflect.TypeOf(v)
	if t == nil {
		return nil, fmt.Errorf("want a struct or a pointer to one, got nil")
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("want a struct or a pointer to one, got %s", reflect.TypeOf(v))
	}
	return t, nil
}

// structField turns one tagged struct field into a signature field.
func structField(sf reflect.StructField) (Field, error) {
	if !sf.IsExported() {
		return Field{}, fmt.Errorf("a signature field must be exported")
	}
	name, ok := fieldKey(sf)
	if !ok {
		return Field{}, fmt.Errorf("json:\"-\" hides the field; remove the dspy tag or the json tag")
	}
	if !validFieldName(name) {
		return Field{}, fmt.Errorf("name %q is not a Python-style identifier (letters, digits, _); set a json tag", name)
	}
	typ, err := typeOfGo(sf.Type)
	if err != nil {
		return Field{}, err
	}
	if enum, ok := sf.Tag.Lookup("enum"); ok {
		if typ, err = applyEnum(typ, enum); err != nil {
			return Field{}, err
		}
	}
	f := NewField(name, typ)
	if desc, ok := sf.Tag.Lookup("desc"); ok && desc != "" {
		f.Desc = desc
	}
	if prefix, ok := sf.Tag.Lookup("prefix"); ok && prefix != "" {
		f.Prefix = prefix
	}
	if tag, ok := sf.Tag.Lookup("constraints"); ok {
		cs, err := ParseConstraints(tag)
		if err != nil {
			return Field{}, err
		}
		f.Constraints = cs
	}
	return f, nil
}

// applyEnum narrows a str (or list[str]) type to the tag's comma-separated choices.
func applyEnum(t Type, tag string) (Type, error) {
	if t.Kind == KindEnum || t.Kind == KindList && t.Elem != nil && t.Elem.Kind == KindEnum {
		return Type{}, fmt.Errorf("type %s is an Enum already (it has an EnumMembers method); remove the enum tag, which makes a plain string field a Literal", t)
	}
	var choices []string
	for _, c := range strings.Split(tag, ",") {
		if c = strings.TrimSpace(c); c != "" {
			choices = append(choices, c)
		}
	}
	if len(choices) == 0 {
		return Type{}, fmt.Errorf("enum tag %q has no choices", tag)
	}
	switch {
	case t.Kind == KindString:
		return LiteralOf(choices...), nil
	case t.Kind == KindList && t.Elem != nil && t.Elem.Kind == KindString:
		return ListOf(LiteralOf(choices...)), nil
	}
	return Type{}, fmt.Errorf("an enum tag needs a string or []string field, not %s", t)
}

var (
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	enumInterfaceType = reflect.TypeFor[Enum]()
	historyGoType     = reflect.TypeFor[History]()
	imageGoType       = reflect.TypeFor[Image]()
)

// typeOfGo maps a Go type to the signature type of values of that type.
func typeOfGo(t reflect.Type) (Type, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == historyGoType {
		return HistoryType, nil
	}
	if t == imageGoType {
		return ImageType, nil
	}
	if implements(t, enumInterfaceType) {
		return enumOfGo(t)
	}
	// encoding/json writes a TextMarshaler (net.IP, a named enum type, ...) as a
	// string, whatever its Go shape, unless it marshals itself as JSON.
	if implements(t, textMarshalerType) && !implements(t, jsonMarshalerType) {
		return StringType, nil
	}
	switch t.Kind() {
	case reflect.String:
		return StringType, nil
	case reflect.Bool:
		return BoolType, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return IntType, nil
	case reflect.Float32, reflect.Float64:
		return FloatType, nil
	case reflect.Interface:
		return Type{Kind: KindAny}, nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return Type{}, fmt.Errorf("%s is encoded as base64 text; use string", t)
		}
		elem, err := typeOfGo(t.Elem())
		if err != nil {
			return Type{}, err
		}
		return ListOf(elem), nil
	case reflect.Map, reflect.Struct:
		if t.Kind() == reflect.Map && t.Key().Kind() != reflect.String {
			return Type{}, fmt.Errorf("%s: an object's keys must be strings", t)
		}
		schema, err := schemaOf(t)
		if err != nil {
			return Type{}, err
		}
		// Structs with their own JSON form, such as time.Time, are strings.
		if schema["type"] == "string" {
			return StringType, nil
		}
		name := ""
		if t.Kind() == reflect.Struct {
			name = t.Name()
		}
		return ObjectOf(name, schema), nil
	}
	return Type{}, fmt.Errorf("type %s has no JSON form an LM could produce", t)
}

// implements reports whether t or *t implements iface, since encoding/json
// uses pointer-receiver marshalers of addressable values.
func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || reflect.PointerTo(t).Implements(iface)
}

// schemaOf infers the JSON schema of t and returns it in the generic form
// Type.Schema holds.
func schemaOf(t reflect.Type) (map[string]any, error) {
	s, err := jsonschema.ForType(t, nil)
	if err != nil {
		return nil, fmt.Errorf("JSON schema of %s: %w", t, err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("JSON schema of %s: %w", t, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("JSON schema of %s: %w", t, err)
	}
	return m, nil
}

// embeddedStruct reports whether sf embeds a struct (or a pointer to one)
// without a dspy tag of its own: its promoted fields stand in for it.
func embeddedStruct(sf reflect.StructField) bool {
	if !sf.Anonymous || sf.Tag.Get("dspy") != "" {
		return false
	}
	t := sf.Type
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
}

// fieldKey is the name a struct field has in signatures and examples: its json
// tag name, else its Go name in snake_case. ok is false for json:"-".
func fieldKey(sf reflect.StructField) (name string, ok bool) {
	if tag, has := sf.Tag.Lookup("json"); has {
		if tag == "-" {
			return "", false
		}
		if n, _, _ := strings.Cut(tag, ","); n != "" {
			return n, true
		}
	}
	return snakeCase(sf.Name), true
}

// snakeCase converts a Go identifier to snake_case, keeping initialisms whole:
// "Question" → "question", "UserID" → "user_id", "HTMLParser" → "html_parser".
func snakeCase(s string) string {
	r := []rune(s)
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 {
			prev := r[i-1]
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// ExampleFrom builds an example from a struct's exported fields, in declaration
// order and named as SignatureOf names them. Values are kept as they are; a
// field whose json tag says omitempty is left out when it holds its zero value,
// and fields tagged `dspy:"input"` are marked as the example's inputs. v may be
// a struct or a non-nil pointer to one.
func ExampleFrom(v any) (Example, error) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return Example{}, fmt.Errorf("dspy.ExampleFrom: nil %s", rv.Type())
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return Example{}, fmt.Errorf("dspy.ExampleFrom: want a struct or a pointer to one, got %T", v)
	}
	e := Example{values: map[string]any{}}
	var inputs []string
	for _, sf := range reflect.VisibleFields(rv.Type()) {
		if !sf.IsExported() || embeddedStruct(sf) {
			continue
		}
		if sf.Tag.Get("dspy") == "-" {
			continue
		}
		name, ok := fieldKey(sf)
		if !ok {
			continue
		}
		fv, err := rv.FieldByIndexErr(sf.Index)
		if err != nil {
			// A field promoted through a nil embedded pointer has no value.
			continue
		}
		if fv.IsZero() && strings.Contains(sf.Tag.Get("json"), ",omitempty") {
			continue
		}
		e.set(name, fv.Interface())
		if strings.TrimSpace(sf.Tag.Get("dspy")) == "input" {
			inputs = append(inputs, name)
		}
	}
	if inputs != nil {
		e.inputKeys = inputs
	}
	return e, nil
}

// Decode stores the example's fields in the struct into points to, matching
// struct fields by the names SignatureOf gives them. Each value is converted
// through JSON, so a prediction's parsed values (float64 numbers, []any lists,
// map objects) land in typed fields: pred.Decode(&qa). Struct fields the example
// lacks are left unchanged; example fields the struct lacks are ignored.
func (e Example) Decode(into any) error {
	rv := reflect.ValueOf(into)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("dspy: Decode needs a non-nil pointer to a struct, got %T", into)
	}
	sv := rv.Elem()
	for _, sf := range reflect.VisibleFields(sv.Type()) {
		if !sf.IsExported() || embeddedStruct(sf) {
			continue
		}
		name, ok := fieldKey(sf)
		if !ok {
			continue
		}
		val, present := e.values[name]
		if !present {
			continue
		}
		fv, err := sv.FieldByIndexErr(sf.Index)
		if err != nil {
			return fmt.Errorf("dspy: decode %q into %s.%s: embedded pointer is nil", name, sv.Type(), sf.Name)
		}
		b, err := marshalNoEscape(val)
		if err != nil {
			return fmt.Errorf("dspy: decode %q into %s.%s: %w", name, sv.Type(), sf.Name, err)
		}
		target := reflect.New(fv.Type())
		if err := json.Unmarshal(b, target.Interface()); err != nil {
			return fmt.Errorf("dspy: decode %q (%s) into %s.%s (%s): %w", name, clipValue(string(b)), sv.Type(), sf.Name, fv.Type(), err)
		}
		fv.Set(target.Elem())
	}
	return nil
}

// clipValue shortens a value quoted in an error message, since LM
// outputs can be long.
func clipValue(s string) string {
	const limit = 80
	r := []rune(s)
	if len(r) <= limit {
		return s
	}
	return string(r[:limit]) + "…"
}
