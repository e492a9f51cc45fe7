package simlm

import (
	"encoding/json"
	"regexp"
	"strings"
)

// The simulator reads the prompts DSPy's ChatAdapter and JSONAdapter write:
//
//	system:    "Your input fields are:" / "Your output fields are:" lists with
//	           types, the [[ ## field ## ]] structure with type notes, and the
//	           instructions after "In adhering to this structure, your objective is: "
//	user/asst: demo pairs (inputs, then outputs as marker blocks or a JSON object)
//	user:      the current inputs as marker blocks, then "Respond with …"
//
// GEPA's reflection prompt is a single plain user message and is recognised by
// its opening sentence.

const (
	hdrInputs     = "Your input fields are:"
	hdrOutputs    = "Your output fields are:"
	hdrStructure  = "All interactions will be structured in the following way"
	hdrObjective  = "In adhering to this structure, your objective is:"
	hdrReflection = "I provided an assistant with the following instructions to perform a task for me:"
	notSupplied   = "Not supplied for this particular example."
	noteLead      = "# note: the value you produce "
)

// trailers start the output reminder DSPy appends to the current user message.
var trailers = []string{
	"Respond with the corresponding output fields",
	"Respond with a JSON object in the following order of fields",
}

// fieldKind is how an output value must be typed to parse.
type fieldKind uint8

const (
	kindString fieldKind = iota
	kindInt
	kindFloat
	kindBool
	kindChoice // Literal or Enum: one of choices
	kindJSON   // lists, dicts, models: JSON, shaped by schema when known
)

type outputField struct {
	name     string
	typeName string
	kind     fieldKind
	choices  []string
	schema   any
}

type kv struct{ name, value string }

func lookup(kvs []kv, name string) (string, bool) {
	for _, f := range kvs {
		if f.name == name {
			return f.value, true
		}
	}
	return "", false
}

type demo struct{ inputs, outputs []kv }

// prompt is what the simulator understands of one request.
type prompt struct {
	instructions string
	outputs      []outputField
	demos        []demo
	inputs       []kv
	json         bool
	// reflection holds GEPA's reflection prompt, when that is what was sent.
	reflection string
	// last is the final user message verbatim, for prompts with no structure.
	last string
}

func parsePrompt(req *chatRequest) *prompt {
	p := &prompt{json: req.wantsJSON()}
	msgs := req.Messages
	lastUser := -1
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			lastUser = i
			break
		}
	}
	start := 0
	for i, m := range msgs {
		if m.Role == "system" || m.Role == "developer" {
			p.parseSystem(string(m.Content))
			start = i + 1
			break
		}
	}
	if lastUser < 0 {
		return p
	}
	for _, m := range msgs[:lastUser+1] {
		if m.Role == "user" && strings.Contains(string(m.Content), hdrReflection) {
			p.reflection = string(m.Content)
			return p
		}
	}
	for i := start; i+1 < lastUser+1; i++ {
		if msgs[i].Role == "user" && msgs[i+1].Role == "assistant" {
			p.demos = append(p.demos, demo{
				inputs:  splitBlocks(string(msgs[i].Content)),
				outputs: parseAssistant(string(msgs[i+1].Content)),
			})
			i++
		}
	}
	p.last = string(msgs[lastUser].Content)
	body, trailer := cutTrailer(p.last)
	p.inputs = splitBlocks(body)
	if len(p.inputs) == 0 && isXMLPrompt(trailer) {
		p.inputs = splitXMLBlocks(body)
	}
	if len(p.outputs) == 0 {
		p.outputs = outputsFromTrailer(trailer)
	}
	if rf := req.ResponseFormat; rf != nil && rf.JSONSchema != nil && len(rf.JSONSchema.Schema) > 0 {
		p.applyResponseSchema(rf.JSONSchema.Schema)
	}
	return p
}

// parseSystem reads field lists, type notes and instructions.
func (p *prompt) parseSystem(sys string) {
	if strings.Contains(sys, "Outputs will be a JSON object") {
		p.json = true
	}
	if i := strings.Index(sys, hdrObjective); i >= 0 {
		p.instructions = dedent(sys[i+len(hdrObjective):])
		sys = sys[:i]
	}
	structure := ""
	if i := strings.Index(sys, hdrStructure); i >= 0 {
		structure = sys[i:]
		sys = sys[:i]
	}
	if i := strings.Index(sys, hdrOutputs); i >= 0 {
		p.outputs = parseFieldList(sys[i+len(hdrOutputs):])
	}
	notes := parseTypeNotes(structure)
	for i := range p.outputs {
		if n, ok := notes[p.outputs[i].name]; ok {
			p.outputs[i].applyNote(n)
		}
	}
}

// dedent undoes DSPy's eight-space indentation of instruction lines.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "        ")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

var fieldLineRE = regexp.MustCompile("^\\d+\\. `([^`]+)` \\(")

// parseFieldList reads "1. `name` (type): desc" entries.
func parseFieldList(s string) []outputField {
	var out []outputField
	for _, line := range strings.Split(s, "\n") {
		m := fieldLineRE.FindStringSubmatchIndex(line)
		if m == nil {
			continue
		}
		f := outputField{name: line[m[2]:m[3]]}
		// The type may itself hold parentheses or brackets; read to the
		// parenthesis that balances the one opening it.
		depth, rest := 1, line[m[1]:]
		end := len(rest)
		for i, r := range rest {
			if r == '(' {
				depth++
			} else if r == ')' {
				if depth--; depth == 0 {
					end = i
					break
				}
			}
		}
		f.typeName = rest[:end]
		f.applyTypeName()
		out = append(out, f)
	}
	return out
}

func (f *outputField) applyTypeName() {
	t := strings.TrimSpace(f.typeName)
	lower := strings.ToLower(t)
	switch {
	case lower == "str" || lower == "reasoning":
		f.kind = kindString
	case lower == "int":
		f.kind = kindInt
	case lower == "float":
		f.kind = kindFloat
	case lower == "bool":
		f.kind = kindBool
	case strings.HasPrefix(t, "Literal["):
		f.kind = kindChoice
		f.choices = splitLiteral(strings.TrimSuffix(strings.TrimPrefix(t, "Literal["), "]"))
	case strings.HasPrefix(lower, "list") || strings.HasPrefix(lower, "dict") ||
		strings.HasPrefix(lower, "tuple") || strings.HasPrefix(lower, "set"):
		f.kind = kindJSON
	default:
		f.kind = kindString
	}
}

func splitLiteral(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.Trim(strings.TrimSpace(part), `'"`)
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

// parseTypeNotes maps field names to the text after "# note: the value you
// produce ". ChatAdapter writes the note on a "{name}" line; JSONAdapter
// writes the same text inside a JSON string, so those lines are decoded first.
func parseTypeNotes(structure string) map[string]string {
	notes := map[string]string{}
	for _, line := range strings.Split(structure, "\n") {
		if !strings.Contains(line, noteLead) {
			continue
		}
		text := strings.TrimSpace(line)
		if strings.HasPrefix(text, `"`) {
			var kv map[string]string
			if json.Unmarshal([]byte("{"+strings.TrimSuffix(text, ",")+"}"), &kv) != nil {
				continue
			}
			for _, v := range kv {
				text = v
			}
		}
		if !strings.HasPrefix(text, "{") {
			continue
		}
		name, rest, ok := strings.Cut(text[1:], "}")
		if !ok {
			continue
		}
		if _, note, ok := strings.Cut(rest, noteLead); ok {
			notes[name] = strings.TrimSpace(note)
		}
	}
	return notes
}

func (f *outputField) applyNote(note string) {
	switch {
	case strings.HasPrefix(note, "must be True or False"):
		f.kind = kindBool
	case strings.HasPrefix(note, "must be a single int value"):
		f.kind = kindInt
	case strings.HasPrefix(note, "must be a single float value"):
		f.kind = kindFloat
	case strings.HasPrefix(note, "must exactly match (no extra characters) one of:"):
		f.kind, f.choices = kindChoice, splitChoices(strings.TrimPrefix(note, "must exactly match (no extra characters) one of:"))
	case strings.HasPrefix(note, "must be one of:"):
		f.kind, f.choices = kindChoice, splitChoices(strings.TrimPrefix(note, "must be one of:"))
	case strings.HasPrefix(note, "must adhere to the JSON schema:"):
		var schema any
		if json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(note, "must adhere to the JSON schema:"))), &schema) == nil {
			f.kind, f.schema = kindJSON, schema
		}
	}
}

func splitChoices(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ";") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// applyResponseSchema uses a json_schema response format: its properties are
// the output fields, and their schemas type the values.
func (p *prompt) applyResponseSchema(raw json.RawMessage) {
	var root struct {
		Properties map[string]any `json:"properties"`
		Required   []string       `json:"required"`
		Defs       map[string]any `json:"$defs"`
	}
	if json.Unmarshal(raw, &root) != nil || len(root.Properties) == 0 {
		return
	}
	wrap := func(s any) any {
		// Keep $defs reachable so $ref inside a property still resolves.
		if m, ok := s.(map[string]any); ok && root.Defs != nil {
			c := make(map[string]any, len(m)+1)
			for k, v := range m {
				c[k] = v
			}
			c["$defs"] = root.Defs
			return c
		}
		return s
	}
	known := map[string]bool{}
	for i := range p.outputs {
		f := &p.outputs[i]
		known[f.name] = true
		if s, ok := root.Properties[f.name]; ok && f.kind == kindString && !isStringSchema(s) {
			f.kind, f.schema = kindJSON, wrap(s)
		}
	}
	// Fields the prompt did not list come in "required" order, the order
	// DSPy's structured-output schema declares them in.
	for _, name := range root.Required {
		if s, ok := root.Properties[name]; ok && !known[name] {
			known[name] = true
			f := outputField{name: name, kind: kindJSON, schema: wrap(s)}
			if isStringSchema(s) {
				f.kind, f.schema = kindString, nil
			}
			p.outputs = append(p.outputs, f)
		}
	}
}

func isStringSchema(s any) bool {
	m, ok := s.(map[string]any)
	return ok && m["type"] == "string" && m["enum"] == nil
}

// splitBlocks splits text at [[ ## name ## ]] header lines. Text before the
// first header is dropped; text after a header on the same line is kept.
func splitBlocks(text string) []kv {
	var out []kv
	var cur *kv
	var buf strings.Builder
	flush := func() {
		if cur != nil {
			cur.value = strings.TrimSpace(buf.String())
			out = append(out, *cur)
		}
		buf.Reset()
	}
	for _, line := range strings.Split(text, "\n") {
		if name, rest, ok := markerLine(line); ok {
			flush()
			cur = &kv{name: name}
			if rest != "" {
				buf.WriteString(rest)
				buf.WriteByte('\n')
			}
			continue
		}
		if cur != nil {
			buf.WriteString(line)
			buf.WriteByte('\n')
		}
	}
	flush()
	kept := out[:0]
	for _, f := range out {
		if f.name != "completed" {
			kept = append(kept, f)
		}
	}
	return kept
}

// markerLine recognises a "[[ ## name ## ]]" header at the start of a line.
func markerLine(line string) (name, rest string, ok bool) {
	t := strings.TrimSpace(line)
	if !strings.HasPrefix(t, "[[ ## ") {
		return "", "", false
	}
	name, rest, ok = strings.Cut(t[len("[[ ## "):], " ## ]]")
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return "", "", false
	}
	return name, strings.TrimSpace(rest), true
}

// parseAssistant reads a demo reply: marker blocks, or a JSON object.
func parseAssistant(text string) []kv {
	if blocks := splitBlocks(text); len(blocks) > 0 {
		return blocks
	}
	var obj map[string]any
	if json.Unmarshal([]byte(strings.TrimSpace(text)), &obj) != nil {
		return nil
	}
	out := make([]kv, 0, len(obj))
	for k, v := range obj {
		if s, ok := v.(string); ok {
			out = append(out, kv{k, s})
			continue
		}
		b, _ := json.Marshal(v)
		out = append(out, kv{k, string(b)})
	}
	return out
}

// cutTrailer splits the current user message into its inputs and DSPy's
// "Respond with …" output reminder.
func cutTrailer(s string) (body, trailer string) {
	at := -1
	for _, t := range trailers {
		if i := strings.LastIndex(s, t); i > at {
			at = i
		}
	}
	if at < 0 {
		return s, ""
	}
	return s[:at], s[at:]
}

var trailerFieldRE = regexp.MustCompile("`(?:\\[\\[ ## )?(\\w+)(?: ## \\]\\])?`")

// outputsFromTrailer recovers output names from the reminder when there is no
// system message to read them from.
func outputsFromTrailer(trailer string) []outputField {
	var out []outputField
	for _, m := range trailerFieldRE.FindAllStringSubmatch(trailer, -1) {
		if m[1] != "completed" {
			out = append(out, outputField{name: m[1]})
		}
	}
	return out
}
