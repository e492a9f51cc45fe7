package dspy

import (
	"encoding/json"
	"fmt"
)

// History is the conversation before the current call, as DSPy's
// dspy.History: earlier turns of the same signature, oldest first. Declare an
// input field of type History ("question, history: History -> answer", or a
// struct field of type dspy.History) and pass one as that input; the adapter
// shows each turn as a user message (the turn's input fields) and an
// assistant message (its output fields), between the demos and the current
// input. The history field itself is listed in the system message, as DSPy
// lists it, but never shown as a value of the current request. TwoStepAdapter
// is the exception, as in DSPy: its main prompt holds the History as one
// "history: messages=[...]" line.
//
// A turn may lack fields: a missing input is left out of its user message and
// a missing output is shown as None (JSON null with JSONAdapter), as in DSPy.
// An empty or absent History adds no messages. A turn holding a ToolCalls
// value shows its calls, and their Results when set, as DSPy does: as
// assistant tool_calls and "tool" messages when the adapter calls functions
// natively, as text otherwise.
type History struct {
	// Messages are the earlier turns, each keyed by the signature's field names.
	Messages []Example
}

// NewHistory returns a history of the given turns.
func NewHistory(turns ...Example) History {
	return History{Messages: append([]Example(nil), turns...)}
}

// Append returns a copy with turns added after the others, so a conversation
// is carried forward without changing the History an earlier call saw:
//
//	history = history.Append(inputs.Merge(pred.Example))
func (h History) Append(turns ...Example) History {
	out := make([]Example, 0, len(h.Messages)+len(turns))
	return History{Messages: append(append(out, h.Messages...), turns...)}
}

type historyJSON struct {
	Messages []Example `json:"messages"`
}

// MarshalJSON writes {"messages": [...]}, pydantic's dump of a dspy.History, so
// a History in a saved demo reads the same in Python; no turns is [].
func (h History) MarshalJSON() ([]byte, error) {
	// Turns are written as their fields alone, as pydantic dumps their dicts.
	msgs := make([]Example, len(h.Messages))
	for i, m := range h.Messages {
		msgs[i] = m.Unmarked()
	}
	return marshalNoEscape(historyJSON{Messages: msgs})
}

// UnmarshalJSON reads what MarshalJSON writes, keeping each turn's field order.
func (h *History) UnmarshalJSON(b []byte) error {
	var raw historyJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("a History must be a JSON object {\"messages\": [{...}, ...]}: %w", err)
	}
	h.Messages = raw.Messages
	return nil
}

// historySchema is the schema pydantic gives dspy.History.
func historySchema() map[string]any {
	return map[string]any{
		"type":  "object",
		"title": "History",
		"properties": map[string]any{
			"messages": map[string]any{
				"type":  "array",
				"title": "Messages",
				"items": map[string]any{"type": "object", "additionalProperties": true},
			},
		},
		"required":             []any{"messages"},
		"additionalProperties": false,
	}
}

// historyField returns the signature's History input, which DSPy finds by
// type. NewSignature allows at most one.
func (s Signature) historyField() (string, bool) {
	for _, f := range s.inputs {
		if f.Type.Kind == KindHistory {
			return f.Name, true
		}
	}
	return "", false
}

// historyTurns reads the value passed for a History input. Besides a History
// it accepts the {"messages": [...]} object a History becomes in JSON (in a
// dataset file or a loaded demo); nil means no history.
func historyTurns(field string, v any) ([]Example, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case History:
		return x.Messages, nil
	case *History:
		if x == nil {
			return nil, nil
		}
		return x.Messages, nil
	case map[string]any:
		return historyTurnsFromJSON(field, x)
	}
	return nil, fmt.Errorf("input %q is a History field: pass a dspy.History (dspy.NewHistory(turns...)), not %T", field, v)
}

func historyTurnsFromJSON(field string, obj map[string]any) ([]Example, error) {
	raw, ok := obj["messages"]
	if !ok || len(obj) != 1 {
		return nil, fmt.Errorf("input %q is a History field: its JSON form is {\"messages\": [...]}, got an object with keys %q", field, ExampleFromMap(obj).Keys())
	}
	var items []any
	switch x := raw.(type) {
	case nil:
		return nil, nil
	case []any:
		items = x
	case []map[string]any:
		for _, m := range x {
			items = append(items, m)
		}
	default:
		return nil, fmt.Errorf("input %q: History messages must be a list of objects, got %T", field, raw)
	}
	turns := make([]Example, len(items))
	for i, item := range items {
		switch m := item.(type) {
		case map[string]any:
			turns[i] = ExampleFromMap(m)
		case Example:
			turns[i] = m
		default:
			return nil, fmt.Errorf("input %q: History message %d must be an object keyed by field names, got %T", field, i, item)
		}
	}
	return turns, nil
}
