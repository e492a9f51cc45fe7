package dspy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// TwoStepAdapter is DSPy 3.3's TwoStepAdapter: the main LM gets a plain
// prompt (the task, then "name: value" lines) and answers in its own words;
// a second, usually smaller, extraction LM then reads that answer into the
// output fields through the Chat adapter, with a signature "text -> the
// original outputs". It suits reasoning models, which answer well but keep
// structured formats badly. The prompts of both calls are byte-identical to
// DSPy's, and the usage of both is counted.
//
// Demos shape the main LM's prompt only: as in DSPy, the extraction call has
// none. A History input is written into the main prompt as a line of text,
// not replayed as earlier messages, as DSPy's TwoStepAdapter does; tools and
// tool calls in the prompt read as Python's str() writes dspy.Tool and
// dspy.ToolCalls. Safe for concurrent calls.
type TwoStepAdapter struct {
	// Extraction is the LM that fills the output fields. When nil, the
	// extraction calls go to the main LM's client with ExtractionModel as
	// the model, which is how a program spec names it without holding an
	// endpoint or a key. One of the two is required.
	Extraction LM
	// ExtractionModel names the extraction model when Extraction is nil.
	ExtractionModel string
}

// NewTwoStepAdapter returns a two-step adapter whose extraction calls go to extraction.
func NewTwoStepAdapter(extraction LM) *TwoStepAdapter {
	return &TwoStepAdapter{Extraction: extraction}
}

// twoStepExtractionIntro starts the extraction signature's instructions;
// DSPy's source continues the line with a backslash, which keeps the next
// line's indentation inside the text.
const (
	twoStepExtractionIntro = "The input is a text that should contain all the necessary information to produce the fields "
	twoStepExtractionRest  = ".             Your job is to extract the fields from the text verbatim. Extract precisely the appropriate value (content) for each field."
)

// Format builds the main LM's messages: a system message describing the task
// and its fields, the demos as "name: value" turns (those with missing fields
// first, marked as partial), and the inputs. A History input is not turned
// into earlier messages here, as DSPy's TwoStepAdapter does not: it is one
// "history: messages=[...]" line, pydantic's text of a dspy.History.
func (a *TwoStepAdapter) Format(sig Signature, demos []Example, inputs Example) ([]Message, error) {
	msgs := make([]Message, 0, 2+2*len(demos))
	msgs = append(msgs, Message{Role: "system", Content: twoStepSystemMessage(sig)})
	turn := func(d Example, prefix string) error {
		user, err := twoStepFields(sig.inputs, d, prefix)
		if err != nil {
			return err
		}
		assistant, err := twoStepFields(sig.outputs, d, "")
		if err != nil {
			return err
		}
		msgs = append(msgs, Message{Role: "user", Content: user}, Message{Role: "assistant", Content: assistant})
		return nil
	}
	for _, d := range demos {
		if !demoComplete(sig, d) && hasAnyField(d, sig.inputs) && hasAnyField(d, sig.outputs) {
			if err := turn(d, incompleteDemoPrefix); err != nil {
				return nil, err
			}
		}
	}
	for _, d := range demos {
		if demoComplete(sig, d) {
			if err := turn(d, ""); err != nil {
				return nil, err
			}
		}
	}
	user, err := twoStepFields(sig.inputs, inputs, "")
	if err != nil {
		return nil, err
	}
	return splitContentParts(append(msgs, Message{Role: "user", Content: user}))
}

// Parse has the Extraction LM read a main LM reply into the output fields,
// with no deadline; Call does the same under its context, and is the only
// way to parse with ExtractionModel alone, which needs the main LM's client.
func (a *TwoStepAdapter) Parse(sig Signature, completion string) (Example, error) {
	out, _, err := a.extract(context.Background(), nil, sig, completion)
	return out, err
}

// Call sends the formatted messages to lm with req, then has the extraction
// LM read each completion into the output fields (with the Chat adapter and
// its JSON fallback, and the extraction LM's own settings, as DSPy does). A
// completion the extraction cannot read is a *ParseError naming the field at
// fault; an extraction LM that fails returns its error as it is.
func (a *TwoStepAdapter) Call(ctx context.Context, lm LM, req LMRequest, sig Signature, demos []Example, inputs Example) (AdapterResult, error) {
	msgs, err := a.Format(sig, demos, inputs)
	if err != nil {
		return AdapterResult{}, err
	}
	req.Messages = msgs
	resp, err := CallLM(ctx, lm, req)
	res := AdapterResult{Messages: msgs, Usage: resp.Usage, Raw: resp.Outputs}
	if err != nil {
		res.Raw = nil
		return res, err
	}
	res.Outputs = make([]Example, 0, len(resp.Outputs))
	for _, text := range resp.Outputs {
		out, usage, err := a.extract(ctx, lm, sig, text)
		res.Usage = res.Usage.Add(usage)
		if err != nil {
			return res, err
		}
		res.Outputs = append(res.Outputs, out)
	}
	return res, nil
}

// extract runs the extraction call on one completion. main is the main LM,
// whose client serves ExtractionModel when no Extraction LM is set.
func (a *TwoStepAdapter) extract(ctx context.Context, main LM, sig Signature, completion string) (Example, Usage, error) {
	if completion == "" {
		return Example{}, Usage{}, &ParseError{Adapter: "TwoStepAdapter", Field: firstOutputName(sig), Raw: completion,
			Err: errors.New("the LM returned an empty or null response")}
	}
	lm, req := a.Extraction, LMRequest{}
	if lm == nil {
		if a.ExtractionModel == "" || main == nil {
			return Example{}, Usage{}, errors.New("TwoStepAdapter: no extraction LM: set Extraction, or ExtractionModel to use the main LM's client")
		}
		lm, req.Model = main, a.ExtractionModel
	}
	extractor, err := twoStepExtractorSignature(sig)
	if err != nil {
		return Example{}, Usage{}, err
	}
	res, err := (&ChatAdapter{}).Call(ctx, lm, req, extractor, nil, NewExample("text", completion))
	if err != nil {
		var parseErr *ParseError
		if !errors.As(err, &parseErr) {
			return Example{}, res.Usage, err
		}
		return Example{}, res.Usage, &ParseError{Adapter: "TwoStepAdapter", Field: parseErr.Field, Raw: completion,
			Err: fmt.Errorf("failed to parse response from the original completion: %w", err)}
	}
	if len(res.Outputs) == 0 {
		return Example{}, res.Usage, &ParseError{Adapter: "TwoStepAdapter", Field: firstOutputName(sig), Raw: completion,
			Err: errors.New("the extraction LM returned no completion")}
	}
	return res.Outputs[0], res.Usage, nil
}

func firstOutputName(sig Signature) string {
	if len(sig.outputs) == 0 {
		return ""
	}
	return sig.outputs[0].Name
}

// twoStepExtractorSignature is "text -> the original outputs", with DSPy's
// extraction instructions.
func twoStepExtractorSignature(sig Signature) (Signature, error) {
	names := make([]string, len(sig.outputs))
	for i, f := range sig.outputs {
		names[i] = "`" + f.Name + "`"
	}
	return NewSignature([]Field{NewField("text", StringType)}, sig.outputs,
		twoStepExtractionIntro+strings.Join(names, ", ")+twoStepExtractionRest)
}

// twoStepSystemMessage is DSPy's TwoStepAdapter task description.
func twoStepSystemMessage(sig Signature) string {
	var b strings.Builder
	b.WriteString("You are a helpful assistant that can solve tasks based on user input.\nAs input, you will be provided with:\n")
	writeFieldDescriptions(&b, sig.inputs)
	b.WriteString("\nYour outputs must contain:\n")
	writeFieldDescriptions(&b, sig.outputs)
	b.WriteString("\nYou should lay out your outputs in detail so that your answer can be understood by another agent")
	if sig.instructions != "" {
		b.WriteString("\nSpecific instructions: ")
		b.WriteString(sig.instructions)
	}
	return b.String()
}

// twoStepFields writes "name: value" for each of fields present in values,
// the value as Python's str() renders it (tools, tool calls and histories
// as their pydantic text), after an optional prefix; the whole text is
// stripped, as DSPy strips it.
func twoStepFields(fields []Field, values Example, prefix string) (string, error) {
	parts := []string{prefix}
	for _, f := range fields {
		v, ok := values.values[f.Name]
		if !ok {
			continue
		}
		text := pythonStr(v)
		if f.Type.Kind == KindHistory {
			var err error
			if text, err = twoStepHistory(f.Name, v); err != nil {
				return "", err
			}
		}
		parts = append(parts, f.Name+": "+text)
	}
	if prefix == "" {
		parts = parts[1:]
	}
	return pyfmt.Strip(strings.Join(parts, "\n\n")), nil
}

// twoStepHistory is str() of a dspy.History, which pydantic writes as its
// fields, "messages=" and the repr of the turns; no value at all is None. The
// {"messages": [...]} form of a History reads as one, as in the other adapters.
func twoStepHistory(field string, v any) (string, error) {
	if h, ok := v.(*History); v == nil || ok && h == nil {
		return pyfmt.Str(nil), nil
	}
	turns, err := historyTurns(field, v)
	if err != nil {
		return "", err
	}
	return historyFields(turns), nil
}
