package dspy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// defaultAdapter is what predictors use when neither they nor the context name one.
var defaultAdapter Adapter = &ChatAdapter{}

// ChatAdapter is DSPy's default prompt format. The system message lists the
// fields, shows the "[[ ## field ## ]]" structure a reply must follow and the
// instructions; demos become user/assistant turns, followed by the turns of a
// History input; the reply is split on the same markers. Its output is
// byte-identical to DSPy 3.3's ChatAdapter, so prompts optimized in either
// implementation carry over to the other.
//
// The zero value is ready to use and safe for concurrent calls.
type ChatAdapter struct {
	// DisableJSONFallback stops Call from retrying with the JSON adapter when
	// a reply cannot be parsed. DSPy retries by default
	// (use_json_adapter_fallback=True), which costs a second LM call.
	DisableJSONFallback bool
	// JSON is the adapter the fallback uses; nil means a JSONAdapter that
	// calls functions natively exactly when this one does.
	JSON *JSONAdapter
	// NativeToolCalls is DSPy's use_native_function_calling: when a
	// signature has a tools input (list[Tool]) and a ToolCalls output, the
	// tools go in the request's "tools" field instead of the prompt, and the
	// reply's tool calls fill the ToolCalls output. Off by default, as in DSPy.
	NativeToolCalls bool
}

// Format builds the chat messages: the system message, the demos (those with
// missing fields first, marked as partial), the turns of the History input if
// the signature has one, then the current inputs with a reminder of the
// output fields and their types. A History input holding anything but a
// History is an error.
func (a *ChatAdapter) Format(sig Signature, demos []Example, inputs Example) ([]Message, error) {
	return formatMessages(sig, demos, inputs, chatSystemMessage(sig), userMessageContent, chatAssistantContent, chatOutputRequirements(sig), a.NativeToolCalls)
}

// Parse splits a reply on "[[ ## name ## ]]" lines and reads each output field
// from its section; text after the marker on the same line belongs to the
// field, and when a field appears twice the first section wins. A reply
// missing an output field yields a *ParseError naming it.
func (a *ChatAdapter) Parse(sig Signature, completion string) (Example, error) {
	return parseChatReply(sig, completion)
}

// Call formats, calls the LM and parses every completion. When the LM answered
// but a reply does not parse, the whole call is made again through the JSON
// adapter, as DSPy does; the usage of both calls is counted. LM errors are
// returned untouched, never retried here. If the JSON attempt fails too, the
// chat attempt's *ParseError is returned, unless the JSON call itself failed
// in a way a retry may fix (a retryable *LMError or a cancelled context),
// which is returned so that the caller's retry policy applies.
func (a *ChatAdapter) Call(ctx context.Context, lm LM, req LMRequest, sig Signature, demos []Example, inputs Example) (AdapterResult, error) {
	plan, err := planNativeTools(a.NativeToolCalls, sig, inputs)
	if err != nil {
		return AdapterResult{}, err
	}
	fsig := plan.formatSignature(sig)
	ctx = streamingAs(ctx, streamChat, fsig)
	msgs, err := a.Format(fsig, demos, inputs)
	if err != nil {
		return AdapterResult{}, err
	}
	res, err := plan.callAndParse(ctx, lm, req, sig, msgs, "ChatAdapter", func(text string) (Example, error) { return parseChatReply(fsig, text) })
	if a.DisableJSONFallback {
		return res, err
	}
	jsonAdapter := a.JSON
	if jsonAdapter == nil {
		jsonAdapter = &JSONAdapter{NoNativeToolCalls: !a.NativeToolCalls}
	}
	return withJSONFallback(ctx, lm, req, sig, demos, inputs, jsonAdapter, res, err)
}

// withJSONFallback repeats a call whose reply did not parse through the JSON
// adapter (a zero one if jsonAdapter is nil), counting both calls' usage. res
// and err are the first attempt's; any error but a *ParseError is returned
// as it is. If the JSON attempt fails too, the first *ParseError is returned,
// unless the JSON call itself failed in a way a retry may fix.
func withJSONFallback(ctx context.Context, lm LM, req LMRequest, sig Signature, demos []Example, inputs Example, jsonAdapter *JSONAdapter, res AdapterResult, err error) (AdapterResult, error) {
	var parseErr *ParseError
	if err == nil || !errors.As(err, &parseErr) {
		return res, err
	}
	if jsonAdapter == nil {
		jsonAdapter = &JSONAdapter{}
	}
	jsonRes, jsonErr := jsonAdapter.Call(ctx, lm, req, sig, demos, inputs)
	usage := res.Usage.Add(jsonRes.Usage)
	if jsonErr == nil {
		jsonRes.Usage = usage
		return jsonRes, nil
	}
	res.Usage = usage
	if IsRetryableLMError(jsonErr) || ctx.Err() != nil {
		return res, jsonErr
	}
	return res, err
}

// callAndParse sends msgs to the LM and parses every completion. The result
// carries the usage and raw replies even when parsing fails, so callers can
// account for the call and keep what the LM said.
func callAndParse(ctx context.Context, lm LM, req LMRequest, msgs []Message, parse func(string) (Example, error)) (AdapterResult, error) {
	req.Messages = msgs
	resp, err := CallLM(ctx, lm, req)
	if err != nil {
		return AdapterResult{Messages: msgs, Usage: resp.Usage}, err
	}
	res := AdapterResult{Usage: resp.Usage, Messages: msgs, Raw: resp.Outputs}
	res.Outputs = make([]Example, 0, len(resp.Outputs))
	for _, text := range resp.Outputs {
		out, err := parse(text)
		if err != nil {
			return res, err
		}
		res.Outputs = append(res.Outputs, out)
	}
	return res, nil
}

// formatMessages assembles the messages every adapter of the chat family
// sends: system, demo turns, history turns, then the current request. It
// follows DSPy's Adapter.format: the system message and the demos use the
// whole signature, history field included (so a demo without a history value
// counts as incomplete, as in DSPy), while the history turns and the current
// request use the signature without it. user and assistant write one turn's
// inputs and outputs in the adapter's own markup; native says whether the
// adapter calls functions natively, which decides how a history turn's tool
// calls are shown (historyToolTurn).
func formatMessages(sig Signature, demos []Example, inputs Example, system string, user func(Signature, Example, string, string) string, assistant func(Signature, Example, any) string, requirements string, native bool) ([]Message, error) {
	var turns []Example
	request := sig
	if name, ok := sig.historyField(); ok {
		v, _ := inputs.Get(name)
		var err error
		if turns, err = historyTurns(name, v); err != nil {
			return nil, err
		}
		request = sig.Without(name)
	}
	msgs := make([]Message, 0, 2+2*len(demos)+2*len(turns))
	msgs = append(msgs, Message{Role: "system", Content: system})
	// DSPy shows the demos missing some field first, then the complete ones.
	for _, d := range demos {
		if !demoComplete(sig, d) && hasAnyField(d, sig.inputs) && hasAnyField(d, sig.outputs) {
			msgs = append(msgs,
				Message{Role: "user", Content: user(sig, d, incompleteDemoPrefix, "")},
				Message{Role: "assistant", Content: assistant(sig, d, missingDemoValue)})
		}
	}
	for _, d := range demos {
		if demoComplete(sig, d) {
			msgs = append(msgs,
				Message{Role: "user", Content: user(sig, d, "", "")},
				Message{Role: "assistant", Content: assistant(sig, d, missingDemoValue)})
		}
	}
	// DSPy's format_conversation_history passes no placeholder for a turn's
	// missing outputs, so they render as Python's None.
	for _, turn := range turns {
		if field, tc, ok := turnToolCalls(turn); ok {
			msgs = historyToolTurn(msgs, request, turn, field, tc, user, assistant, native)
			continue
		}
		msgs = append(msgs,
			Message{Role: "user", Content: user(request, turn, "", "")},
			Message{Role: "assistant", Content: assistant(request, turn, nil)})
	}
	return splitContentParts(append(msgs, Message{Role: "user", Content: user(request, inputs, "", requirements)}))
}

// demoComplete reports whether a demo has every field set and not None; DSPy
// keeps an incomplete demo only if it has at least one input and one output.
func demoComplete(sig Signature, d Example) bool {
	for _, group := range [2][]Field{sig.inputs, sig.outputs} {
		for _, f := range group {
			if v, ok := d.values[f.Name]; !ok || v == nil {
				return false
			}
		}
	}
	return true
}

func hasAnyField(d Example, fields []Field) bool {
	for _, f := range fields {
		if _, ok := d.values[f.Name]; ok {
			return true
		}
	}
	return false
}

// userMessageContent writes the input fields present in values, after an
// optional prefix and before optional output requirements, trimmed as DSPy
// trims the whole message.
func userMessageContent(sig Signature, values Example, prefix, requirements string) string {
	var b strings.Builder
	b.Grow(96 + len(prefix) + len(requirements))
	b.WriteString(prefix)
	last := -1
	if requirements == "" {
		for i, f := range sig.inputs {
			if _, ok := values.values[f.Name]; ok {
				last = i
			}
		}
	}
	for i, f := range sig.inputs {
		v, ok := values.values[f.Name]
		if !ok {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		writeFieldSectionTrimmed(&b, f.Name, formatFieldValue(f, v), i == last)
	}
	if requirements != "" {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(requirements)
	}
	return b.String()
}

// writeFieldSectionTrimmed writes a section; the message's last section loses
// its trailing whitespace, as DSPy strips the joined message.
func writeFieldSectionTrimmed(b *strings.Builder, name, value string, last bool) {
	if last {
		value = pyfmt.StripRight(value)
		if value == "" {
			b.WriteString("[[ ## ")
			b.WriteString(name)
			b.WriteString(" ## ]]")
			return
		}
	}
	writeFieldSection(b, name, value)
}

// chatAssistantContent writes a demo's outputs as the reply the LM should
// give, ending with the completed marker.
func chatAssistantContent(sig Signature, values Example, missing any) string {
	var b strings.Builder
	b.Grow(64 + 64*len(sig.outputs))
	for i, f := range sig.outputs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		v, ok := values.values[f.Name]
		if !ok {
			v = missing
		}
		writeFieldSectionTrimmed(&b, f.Name, formatFieldValue(f, v), i == len(sig.outputs)-1)
	}
	b.WriteString("\n\n")
	b.WriteString(completedMarker)
	b.WriteByte('\n')
	return b.String()
}

// chatSystemMessage is DSPy's ChatAdapter system message: field descriptions,
// the field structure with type notes, and the task description.
func chatSystemMessage(sig Signature) string {
	var b strings.Builder
	b.Grow(systemMessageSize(sig))
	writeFieldDescriptionBlock(&b, sig)
	b.WriteByte('\n')
	b.WriteString(structureIntro)
	b.WriteString("\n\n")
	writePlaceholderSections(&b, sig.inputs, false)
	b.WriteString("\n\n")
	writePlaceholderSections(&b, sig.outputs, true)
	b.WriteString("\n\n")
	b.WriteString(completedMarker)
	b.WriteByte('\n')
	writeTaskDescription(&b, sig.instructions)
	return b.String()
}

// systemMessageSize estimates a system message's length, so it is built
// without regrowing.
func systemMessageSize(sig Signature) int {
	n := 320 + 2*len(sig.instructions)
	for _, group := range [2][]Field{sig.inputs, sig.outputs} {
		for _, f := range group {
			n += 4*len(f.Name) + len(f.Desc) + 120
		}
	}
	return n
}

// chatOutputRequirements is the reminder closing the user message.
func chatOutputRequirements(sig Signature) string {
	var b strings.Builder
	b.Grow(140 + 60*len(sig.outputs))
	b.WriteString("Respond with the corresponding output fields, starting with the field ")
	for i, f := range sig.outputs {
		if i > 0 {
			b.WriteString(", then ")
		}
		b.WriteString("`[[ ## ")
		b.WriteString(f.Name)
		b.WriteString(" ## ]]`")
		writePythonTypeHint(&b, f.Type)
	}
	b.WriteString(", and then ending with the marker for `")
	b.WriteString(completedMarker)
	b.WriteString("`.")
	return b.String()
}

// chatSection accumulates one output field's section of a reply. The body is
// kept as offsets into the reply, so the common case copies nothing.
type chatSection struct {
	field     int
	head      string // text after the marker on the marker's own line
	bodyStart int
	bodyEnd   int
	lines     int
	// plainBreaks is false once two body lines were separated by anything but
	// "\n"; the body is then rebuilt with "\n" as DSPy joins lines.
	plainBreaks bool
}

func (s *chatSection) text(reply string) string {
	body := ""
	if s.lines > 0 {
		body = reply[s.bodyStart:s.bodyEnd]
		if !s.plainBreaks {
			body = strings.Join(pyfmt.SplitLines(body), "\n")
		}
	}
	switch {
	case s.head == "":
		return pyfmt.Strip(body)
	case s.lines == 0:
		return s.head
	}
	return pyfmt.Strip(s.head + "\n" + body)
}

// parseChatReply implements ChatAdapter.Parse.
func parseChatReply(sig Signature, reply string) (Example, error) {
	outputs := sig.outputs
	values := make([]any, len(outputs))
	var seenBuf [8]bool
	seen := seenBuf[:0]
	if len(outputs) <= len(seenBuf) {
		seen = seenBuf[:len(outputs)]
	} else {
		seen = make([]bool, len(outputs))
	}
	cur := chatSection{field: -1}
	finish := func() error {
		if cur.field < 0 {
			return nil
		}
		f := outputs[cur.field]
		text := cur.text(reply)
		v, err := parseTextValue(text, f.Type)
		if err == nil {
			err = checkConstraints(f, v)
		}
		if err != nil {
			return &ParseError{Adapter: "ChatAdapter", Field: f.Name, Raw: reply,
				Err: fmt.Errorf("cannot read field %q from %s: %w", f.Name, pyfmt.ShortRepr(text), err)}
		}
		values[cur.field] = v
		return nil
	}
	prevEnd := -1
	for start := 0; start < len(reply); {
		end, next := pyfmt.NextLineBreak(reply, start)
		line := reply[start:end]
		if name, rest, ok := matchFieldHeader(line); ok {
			if err := finish(); err != nil {
				return Example{}, err
			}
			cur = chatSection{field: -1}
			if i := fieldIndex(outputs, name); i >= 0 && !seen[i] {
				seen[i] = true
				cur = chatSection{field: i, head: rest, plainBreaks: true}
			}
		} else if cur.field >= 0 {
			if cur.lines == 0 {
				cur.bodyStart = start
			} else if reply[prevEnd:start] != "\n" {
				cur.plainBreaks = false
			}
			cur.bodyEnd = end
			cur.lines++
		}
		prevEnd = end
		start = next
	}
	if err := finish(); err != nil {
		return Example{}, err
	}
	for i, f := range outputs {
		if !seen[i] {
			return Example{}, missingFieldsError("ChatAdapter", sig, seen, f.Name, reply)
		}
	}
	out := Example{keys: make([]string, len(outputs)), values: make(map[string]any, len(outputs))}
	for i, f := range outputs {
		out.keys[i] = f.Name
		out.values[f.Name] = values[i]
	}
	return out, nil
}

// missingFieldsError reports the output fields a reply lacks, naming the first.
func missingFieldsError(adapter string, sig Signature, seen []bool, first, reply string) *ParseError {
	var found []string
	for i, f := range sig.outputs {
		if seen[i] {
			found = append(found, f.Name)
		}
	}
	err := fmt.Errorf("expected output fields %q, found %q", sig.OutputNames(), found)
	if pyfmt.Strip(reply) == "" {
		err = fmt.Errorf("the LM returned an empty reply; expected output fields %q", sig.OutputNames())
	}
	return &ParseError{Adapter: adapter, Field: first, Raw: reply, Err: err}
}

func fieldIndex(fields []Field, name string) int {
	for i := range fields {
		if fields[i].Name == name {
			return i
		}
	}
	return -1
}

// matchFieldHeader recognizes a line that starts (after spaces) with
// "[[ ## name ## ]]", where name is a run of word characters, and returns the
// name and the trimmed rest of the line.
func matchFieldHeader(line string) (name, rest string, ok bool) {
	const open, close = "[[ ## ", " ## ]]"
	s := strings.TrimLeftFunc(line, pyfmt.IsSpace)
	if !strings.HasPrefix(s, open) {
		return "", "", false
	}
	s = s[len(open):]
	n := len(s)
	for i, r := range s {
		if !isWordRune(r) {
			n = i
			break
		}
	}
	if n == 0 || !strings.HasPrefix(s[n:], close) {
		return "", "", false
	}
	return s[:n], pyfmt.Strip(s[n+len(close):]), true
}

// isWordRune matches Python's \w for str patterns: letters, digits, underscore.
func isWordRune(r rune) bool {
	if r < 0x80 {
		return r == '_' || (r >= '0' && r <= '9') || (r|0x20 >= 'a' && r|0x20 <= 'z')
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}
