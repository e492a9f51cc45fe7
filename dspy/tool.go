package dspy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// Tool is a function an agent such as ReAct may call. The LM sees its name,
// description and the JSON schema of its arguments; it answers with arguments
// as a JSON object, which the tool validates against the schema before running.
// A Tool is immutable and safe for concurrent use as long as its function is.
type Tool struct {
	name   string
	desc   string
	schema *jsonschema.Schema
	// args are the arguments in prompt order, each with its schema as the
	// LM reads it.
	args []toolArg
	// resolved validates arguments; nil when the schema constrains nothing.
	resolved *jsonschema.Resolved
	// strictArgs rejects argument names the schema does not list, with the
	// message DSPy uses, before schema validation sees them.
	strictArgs bool
	// builtin marks a tool a module adds itself (ReAct's finish): its
	// function only returns a constant, so it runs in place even under a
	// ToolRunner, which knows only the tools a user registers.
	builtin bool
	fn      ToolFunc
}

// ToolFunc is the untyped form of a tool's function: it receives the arguments
// the LM chose, already validated against the tool's schema.
type ToolFunc func(ctx context.Context, args map[string]any) (any, error)

var (
	toolCtxType = reflect.TypeFor[context.Context]()
	toolErrType = reflect.TypeFor[error]()
)

// NewTool makes a tool from a typed Go function of the form
//
//	func(ctx context.Context, args A) (R, error)
//
// where A is a struct (or pointer to one) whose exported fields are the tool's
// arguments. The argument schema is inferred from A: JSON names come from
// `json` tags, descriptions from `jsonschema` tags, and fields without
// omitempty are required. The LM's arguments are validated against the schema
// and decoded into A; R becomes the observation the agent sees.
func NewTool(name, desc string, fn any) (*Tool, error) {
	if err := checkToolName(name); err != nil {
		return nil, err
	}
	switch fn.(type) {
	case ToolFunc, func(context.Context, map[string]any) (any, error):
		return nil, fmt.Errorf("tool %q: a func(ctx, map[string]any) has no argument types to infer a schema from; use NewToolWithSchema", name)
	}
	if fn == nil {
		return nil, fmt.Errorf("tool %q: nil function", name)
	}
	v := reflect.ValueOf(fn)
	t := v.Type()
	if t.Kind() != reflect.Func || t.NumIn() != 2 || t.NumOut() != 2 ||
		t.In(0) != toolCtxType || t.Out(1) != toolErrType {
		return nil, fmt.Errorf("tool %q: want a func(context.Context, ArgsStruct) (Result, error), got %T", name, fn)
	}
	argType := t.In(1)
	structType := argType
	if structType.Kind() == reflect.Pointer {
		structType = structType.Elem()
	}
	if structType.Kind() != reflect.Struct {
		return nil, fmt.Errorf("tool %q: the argument type %s must be a struct whose fields are the tool's arguments", name, argType)
	}
	schema, err := jsonschema.ForType(structType, nil)
	if err != nil {
		return nil, fmt.Errorf("tool %q: infer argument schema: %w", name, err)
	}
	call := func(ctx context.Context, args map[string]any) (any, error) {
		ptr := reflect.New(structType)
		if err := decodeToolArgs(args, ptr.Interface()); err != nil {
			return nil, err
		}
		arg := ptr
		if argType.Kind() != reflect.Pointer {
			arg = ptr.Elem()
		}
		out := v.Call([]reflect.Value{reflect.ValueOf(ctx), arg})
		if e, _ := out[1].Interface().(error); e != nil {
			return nil, e
		}
		return out[0].Interface(), nil
	}
	return newTool(name, desc, schema, nil, true, call)
}

// NewToolWithSchema makes a tool from an untyped function and an explicit JSON
// schema of its arguments object (nil means it takes none). Use it for tools
// whose arguments are only known at run time, such as tools proxied from a
// remote server. A *jsonschema.Schema keeps no key order but PropertyOrder:
// the LM sees the arguments in that order (the others sorted) and each
// argument's keys in the order the jsonschema package writes them; to keep
// the order of a schema written as JSON text, use NewToolWithJSONSchema.
func NewToolWithSchema(name, desc string, schema *jsonschema.Schema, fn ToolFunc) (*Tool, error) {
	if err := checkToolName(name); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, fmt.Errorf("tool %q: nil function", name)
	}
	if schema == nil {
		schema = &jsonschema.Schema{Type: "object"}
	}
	if schema.Type != "" && schema.Type != "object" {
		return nil, fmt.Errorf("tool %q: the argument schema must describe a JSON object, not %q", name, schema.Type)
	}
	return newTool(name, desc, schema, nil, false, fn)
}

// MustTool is NewTool that panics on error, for tools declared at package level.
func MustTool(name, desc string, fn any) *Tool {
	t, err := NewTool(name, desc, fn)
	if err != nil {
		panic(err)
	}
	return t
}

// newTool makes a tool; args lists the arguments with their schema texts in
// the order they were given, or is nil to take both from schema.
func newTool(name, desc string, schema *jsonschema.Schema, args []toolArg, strict bool, fn ToolFunc) (*Tool, error) {
	if args == nil {
		args = schemaToolArgs(schema)
	}
	t := &Tool{name: name, desc: desc, schema: schema, args: args, strictArgs: strict, fn: fn}
	if len(schema.Properties) > 0 || len(schema.Required) > 0 || schema.AdditionalProperties != nil {
		rs, err := schema.Resolve(nil)
		if err != nil {
			return nil, fmt.Errorf("tool %q: invalid argument schema: %w", name, err)
		}
		t.resolved = rs
	}
	return t, nil
}

// checkToolName accepts any name an LM can repeat back verbatim in a literal:
// identifiers, and also the dashed names MCP servers use.
func checkToolName(name string) error {
	if name == "" || strings.ContainsFunc(name, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\'' || r == '"' || r == '\\'
	}) {
		return fmt.Errorf("tool name %q: use a name without spaces or quotes, such as get_weather", name)
	}
	return nil
}

// Name returns the name the LM calls the tool by.
func (t *Tool) Name() string { return t.name }

// Desc returns the tool's description.
func (t *Tool) Desc() string { return t.desc }

// Schema returns a copy of the JSON schema of the tool's arguments object.
func (t *Tool) Schema() *jsonschema.Schema { return t.schema.CloneSchemas() }

// ArgNames returns the argument names in the order the LM sees them: the
// order of the JSON text a tool was made from (NewToolWithJSONSchema), else
// the schema's PropertyOrder (a NewTool struct's field order), then the
// others sorted.
func (t *Tool) ArgNames() []string {
	names := make([]string, len(t.args))
	for i, a := range t.args {
		names[i] = a.name
	}
	return names
}

// Call validates args against the schema and runs the tool, or hands it to
// the context's ToolRunner when one is set. A panic in the tool's function is
// returned as an error, so one bad tool cannot crash an agent.
func (t *Tool) Call(ctx context.Context, args map[string]any) (result any, callErr error) {
	if end := streamToolStart(ctx, t, args); end != nil {
		defer func() { end(result, callErr) }()
	}
	if args == nil {
		args = map[string]any{}
	}
	if err := t.CheckArgs(args); err != nil {
		return nil, err
	}
	if r := ToolRunnerFromContext(ctx); r != nil && !t.builtin {
		return r.RunTool(ctx, t, args)
	}
	return t.Run(ctx, args)
}

// CheckArgs reports whether args fit the tool: no argument the tool does
// not take (for tools made by NewTool, in DSPy's words), and the argument
// schema satisfied.
func (t *Tool) CheckArgs(args map[string]any) error {
	if t.strictArgs {
		for _, k := range toolSortedKeys(args) {
			if _, ok := t.schema.Properties[k]; !ok {
				return fmt.Errorf("Arg %s is not in the tool's args.", k)
			}
		}
	}
	if t.resolved != nil {
		if err := t.resolved.Validate(toolJSONValue(args)); err != nil {
			return fmt.Errorf("invalid arguments: %w", t.argError(args, err))
		}
	}
	return nil
}

// argError names the first argument that breaks its own schema, as DSPy's
// "Arg x is invalid: ..." does; an error about the arguments as a whole (a
// required one missing, say) is returned as it is.
func (t *Tool) argError(args map[string]any, whole error) error {
	for _, k := range toolSortedKeys(args) {
		ps := t.schema.Properties[k]
		if ps == nil {
			continue
		}
		rs, err := ps.Resolve(nil)
		if err != nil {
			continue
		}
		if err := rs.Validate(toolJSONValue(args[k])); err != nil {
			return fmt.Errorf("Arg %s is invalid: %w", k, err)
		}
	}
	return whole
}

// Run runs the tool's function on args without checking them against the
// schema or asking a context's ToolRunner: it is what a ToolRunner calls
// once it has taken the call over. A panic in the function is returned as an
// error, so one bad tool cannot crash an agent.
func (t *Tool) Run(ctx context.Context, args map[string]any) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			result, err = nil, fmt.Errorf("tool %s panicked: %v", t.name, r)
		}
	}()
	return t.fn(ctx, args)
}

// ToolObservation renders a tool's result as ReAct shows it to the model in
// its trajectory. A runtime that records tool results (a durable one, say)
// keeps this text in place of the value, and the prompts stay the same.
func ToolObservation(result any) string {
	return formatFieldValue(NewField("observation", StringType), result)
}

// String renders the tool as DSPy lists it in ReAct's instructions:
// "name, whose description is <desc>...</desc>. It takes arguments {...}."
func (t *Tool) String() string {
	desc := "."
	if t.desc != "" {
		desc = strings.ReplaceAll(", whose description is <desc>"+t.desc+"</desc>.", "\n", "  ")
	}
	return t.name + desc + " It takes arguments " + t.argsRepr() + "."
}

// argsRepr renders the per-argument schemas as a Python dict literal, the way
// DSPy prints a tool's args, so prompts read the same as Python's: each
// schema's keys in the order the tool has them.
func (t *Tool) argsRepr() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, a := range t.args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(pyfmt.Repr(a.name))
		b.WriteString(": ")
		b.WriteString(pyLiteralFromJSON(a.schema))
	}
	b.WriteByte('}')
	return b.String()
}

// decodeToolArgs decodes validated JSON arguments into the tool's struct,
// rejecting names the struct does not have.
func decodeToolArgs(args map[string]any, dst any) error {
	raw, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("encode arguments: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("decode arguments: %w", err)
	}
	return nil
}

// toolJSONValue round-trips v through JSON so schema validation sees plain JSON
// values (float64, []any, map[string]any) whatever Go types the caller used.
func toolJSONValue(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return v
	}
	return out
}

func toolSortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// pyLiteralFromJSON rewrites JSON text as the equivalent Python literal
// (single-quoted strings, True/False/None), keeping key order.
func pyLiteralFromJSON(raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var b strings.Builder
	if err := writePyLiteral(dec, &b); err != nil {
		return string(raw)
	}
	return b.String()
}

func writePyLiteral(dec *json.Decoder, b *strings.Builder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch x := tok.(type) {
	case json.Delim:
		closer := "]"
		if x == '{' {
			closer = "}"
		}
		b.WriteString(string(x))
		for i := 0; dec.More(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			if x == '{' {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key, ok := k.(string)
				if !ok {
					return errors.New("object key is not a string")
				}
				b.WriteString(pyfmt.Repr(key) + ": ")
			}
			if err := writePyLiteral(dec, b); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		b.WriteString(closer)
	case string:
		b.WriteString(pyfmt.Repr(x))
	case json.Number:
		if _, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			b.WriteString(string(x))
		} else if f, err := x.Float64(); err == nil {
			b.WriteString(pyfmt.Float(f))
		} else {
			b.WriteString(string(x))
		}
	case bool:
		b.WriteString(ValueString(x))
	case nil:
		b.WriteString("None")
	}
	return nil
}
