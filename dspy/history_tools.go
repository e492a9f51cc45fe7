package dspy

// A History turn may hold the tool calls its step made (a ToolCalls value,
// possibly with Results). DSPy's format_conversation_history shows such a
// turn in one of two ways. An adapter calling functions natively sends the
// turn's text outputs in an assistant message carrying the calls as
// tool_calls, then one "tool" message per result; that needs results
// answering every call by ID, and without them only the text outputs are
// sent. Any other adapter writes the calls as text among the outputs, then
// the results, when there are any, in a user message of their own.

// toolCallResultsField names the results in the user message that shows them.
const toolCallResultsField = "tool_call_results"

// turnToolCalls finds a turn's tool calls: the first value that is a
// ToolCalls, or an object with "tool_calls", as DSPy looks for them.
func turnToolCalls(turn Example) (string, ToolCalls, bool) {
	for _, k := range turn.keys {
		switch v := turn.values[k].(type) {
		case ToolCalls:
			return k, v, true
		case *ToolCalls:
			if v != nil {
				return k, *v, true
			}
		default:
			obj, ok := asObject(v)
			if !ok {
				continue
			}
			if _, has := obj.get("tool_calls"); !has {
				continue
			}
			if tc, err := toolCallsFromValue(v); err == nil {
				return k, tc, true
			}
		}
	}
	return "", ToolCalls{}, false
}

// historyToolTurn appends the messages of a turn holding tool calls.
func historyToolTurn(msgs []Message, sig Signature, turn Example, field string, tc ToolCalls, user func(Signature, Example, string, string) string, assistant func(Signature, Example, any) string, native bool) []Message {
	if u := user(sig, turn, "", ""); u != "" {
		msgs = append(msgs, Message{Role: "user", Content: u})
	}
	if native {
		// Only the outputs the turn has, and no ToolCalls, are written as text.
		content := sig
		for _, f := range sig.outputs {
			if v, ok := turn.values[f.Name]; !ok || v == nil || isToolCallsType(f.Type) {
				content = content.Without(f.Name)
			}
		}
		text := ""
		if len(content.outputs) > 0 {
			text = assistant(content, turn, nil)
		}
		answered := tc.Results != nil && tc.resultsMatchCalls()
		if text != "" || answered {
			m := Message{Role: "assistant", Content: text}
			if answered {
				m.ToolCalls = tc.lmToolCalls()
			}
			msgs = append(msgs, m)
		}
		if answered {
			for _, r := range tc.Results {
				msgs = append(msgs, Message{Role: "tool", ToolCallID: r.CallID, Name: r.Name, Content: toolResultContent(r.Value)})
			}
		}
		return msgs
	}
	values := turn
	if tc.Results != nil {
		values = turn.Set(field, ToolCalls{Calls: tc.Calls})
	}
	if a := assistant(sig, values, nil); a != "" {
		msgs = append(msgs, Message{Role: "assistant", Content: a})
	}
	if tc.Results != nil {
		msgs = append(msgs, Message{Role: "user", Content: "[[ ## " + toolCallResultsField + " ## ]]\n" + pythonJSON(tc.resultsObject())})
	}
	return msgs
}
