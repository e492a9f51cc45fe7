package dspy_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// The expected prompts below are derived by hand from DSPy 3.3's
// Adapter.format, format_conversation_history and format_demos, as there are
// no golden files from Python for History. What they pin:
//
//   - The system message is built from the whole signature, so the history
//     field is listed ("2. `history` (History):") and has a "{history}"
//     placeholder, and the default instructions name it.
//   - format_conversation_history turns each message into a user message
//     (format_user_message_content of the signature without the history
//     field: the turn's inputs that are present) and an assistant message
//     (format_assistant_message_content with no missing-field placeholder, so
//     a missing output is str(None) in ChatAdapter and null in JSONAdapter).
//   - The turns come after the demos; the current request is formatted with
//     the signature without the history field. An empty History adds nothing,
//     exactly like an absent one.
//   - format_demos checks completeness against the whole signature, so a demo
//     without a history value is "incomplete" and gets the partial-example
//     prefix; a demo that has one shows it as json.dumps of the model dump.

const (
	historyChatSystem = "Your input fields are:\n1. `question` (str): \n2. `history` (History):\nYour output fields are:\n1. `answer` (str):\n" +
		"All interactions will be structured in the following way, with the appropriate values filled in.\n\n" +
		"[[ ## question ## ]]\n{question}\n\n[[ ## history ## ]]\n{history}\n\n" +
		"[[ ## answer ## ]]\n{answer}\n\n" +
		"[[ ## completed ## ]]\n" +
		"In adhering to this structure, your objective is: \n        Given the fields `question`, `history`, produce the fields `answer`."
	historyJSONSystem = "Your input fields are:\n1. `question` (str): \n2. `history` (History):\nYour output fields are:\n1. `answer` (str):\n" +
		"All interactions will be structured in the following way, with the appropriate values filled in.\n\n" +
		"Inputs will have the following structure:\n\n[[ ## question ## ]]\n{question}\n\n[[ ## history ## ]]\n{history}\n\n" +
		"Outputs will be a JSON object with the following fields.\n\n" +
		"{\n  \"answer\": \"{answer}\"\n}\n" +
		"In adhering to this structure, your objective is: \n        Given the fields `question`, `history`, produce the fields `answer`."
	chatAskItaly = "[[ ## question ## ]]\nAnd Italy?\n\n" +
		"Respond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`."
	jsonAskItaly = "[[ ## question ## ]]\nAnd Italy?\n\n" +
		"Respond with a JSON object in the following order of fields: `answer`."
	partialDemo = "This is an example of the task, though some input or output fields are not supplied.\n\n"
)

var (
	historySig = dspy.MustSignature("question, history: History -> answer")
	twoTurns   = dspy.NewHistory(
		dspy.NewExample("question", "What is the capital of France?", "answer", "Paris"),
		// Keys the signature lacks are ignored, as DSPy formats by field.
		dspy.NewExample("question", "And Germany?", "answer", "Berlin", "reasoning", "It is Berlin."),
	)
	partialTurns = dspy.NewHistory(
		dspy.NewExample("question", "Hi"),
		dspy.NewExample("answer", "Welcome back."),
	)
)

func chatReply(answer string) string {
	return "[[ ## answer ## ]]\n" + answer + "\n\n[[ ## completed ## ]]\n"
}

func TestChatAdapter_ExpandsHistoryAsDSPy(t *testing.T) {
	ask := dspy.NewExample("question", "And Italy?")
	runPromptCases(t, &dspy.ChatAdapter{}, []promptCase{{
		name:   "absent history",
		sig:    historySig,
		inputs: ask,
		want:   []dspy.Message{{Role: "system", Content: historyChatSystem}, {Role: "user", Content: chatAskItaly}},
	}, {
		name:   "empty history",
		sig:    historySig,
		inputs: ask.Set("history", dspy.NewHistory()),
		want:   []dspy.Message{{Role: "system", Content: historyChatSystem}, {Role: "user", Content: chatAskItaly}},
	}, {
		name:   "two turns",
		sig:    historySig,
		inputs: ask.Set("history", twoTurns),
		want: []dspy.Message{
			{Role: "system", Content: historyChatSystem},
			{Role: "user", Content: "[[ ## question ## ]]\nWhat is the capital of France?"},
			{Role: "assistant", Content: chatReply("Paris")},
			{Role: "user", Content: "[[ ## question ## ]]\nAnd Germany?"},
			{Role: "assistant", Content: chatReply("Berlin")},
			{Role: "user", Content: chatAskItaly},
		},
	}, {
		name:   "turns missing an output or an input",
		sig:    historySig,
		inputs: ask.Set("history", partialTurns),
		want: []dspy.Message{
			{Role: "system", Content: historyChatSystem},
			{Role: "user", Content: "[[ ## question ## ]]\nHi"},
			{Role: "assistant", Content: chatReply("None")},
			{Role: "user", Content: ""},
			{Role: "assistant", Content: chatReply("Welcome back.")},
			{Role: "user", Content: chatAskItaly},
		},
	}, {
		name: "demos come first; a demo without history is partial, one with history shows it",
		sig:  historySig,
		demos: []dspy.Example{
			dspy.NewExample("question", "2+2?", "answer", "4"),
			dspy.NewExample("question", "And Spain?", "history", dspy.NewHistory(dspy.NewExample("question", "Capital of France?", "answer", "Paris")), "answer", "Madrid"),
		},
		inputs: ask.Set("history", dspy.NewHistory(dspy.NewExample("question", "Capital of Germany?", "answer", "Berlin"))),
		want: []dspy.Message{
			{Role: "system", Content: historyChatSystem},
			{Role: "user", Content: partialDemo + "[[ ## question ## ]]\n2+2?"},
			{Role: "assistant", Content: chatReply("4")},
			{Role: "user", Content: "[[ ## question ## ]]\nAnd Spain?\n\n[[ ## history ## ]]\n" +
				`{"messages": [{"question": "Capital of France?", "answer": "Paris"}]}`},
			{Role: "assistant", Content: chatReply("Madrid")},
			{Role: "user", Content: "[[ ## question ## ]]\nCapital of Germany?"},
			{Role: "assistant", Content: chatReply("Berlin")},
			{Role: "user", Content: chatAskItaly},
		},
	}})
}

func TestJSONAdapter_ExpandsHistoryAsDSPy(t *testing.T) {
	ask := dspy.NewExample("question", "And Italy?")
	runPromptCases(t, &dspy.JSONAdapter{}, []promptCase{{
		name:   "empty history",
		sig:    historySig,
		inputs: ask.Set("history", dspy.NewHistory()),
		want:   []dspy.Message{{Role: "system", Content: historyJSONSystem}, {Role: "user", Content: jsonAskItaly}},
	}, {
		// JSONAdapter's format_field_with_value writes user turns as
		// "[[ ## field ## ]]" sections and assistant turns as json.dumps(indent=2).
		name:   "two turns",
		sig:    historySig,
		inputs: ask.Set("history", twoTurns),
		want: []dspy.Message{
			{Role: "system", Content: historyJSONSystem},
			{Role: "user", Content: "[[ ## question ## ]]\nWhat is the capital of France?"},
			{Role: "assistant", Content: "{\n  \"answer\": \"Paris\"\n}"},
			{Role: "user", Content: "[[ ## question ## ]]\nAnd Germany?"},
			{Role: "assistant", Content: "{\n  \"answer\": \"Berlin\"\n}"},
			{Role: "user", Content: jsonAskItaly},
		},
	}, {
		name:   "turns missing an output or an input",
		sig:    historySig,
		inputs: ask.Set("history", partialTurns),
		want: []dspy.Message{
			{Role: "system", Content: historyJSONSystem},
			{Role: "user", Content: "[[ ## question ## ]]\nHi"},
			{Role: "assistant", Content: "{\n  \"answer\": null\n}"},
			{Role: "user", Content: ""},
			{Role: "assistant", Content: "{\n  \"answer\": \"Welcome back.\"\n}"},
			{Role: "user", Content: jsonAskItaly},
		},
	}})
}

func TestAdapters_ReadHistoryFromItsJSONForm(t *testing.T) {
	// A History read back from JSON (a dataset file, a loaded demo) is a
	// {"messages": [...]} object; it formats like the History it came from.
	raw, err := json.Marshal(twoTurns)
	require.NoError(t, err)
	assert.JSONEq(t, `{"messages": [
		{"question": "What is the capital of France?", "answer": "Paris"},
		{"question": "And Germany?", "answer": "Berlin", "reasoning": "It is Berlin."}]}`, string(raw))
	var decoded dspy.Example
	require.NoError(t, json.Unmarshal([]byte(`{"question": "And Italy?", "history": `+string(raw)+`}`), &decoded))

	want, err := (&dspy.ChatAdapter{}).Format(historySig, nil, dspy.NewExample("question", "And Italy?", "history", twoTurns))
	require.NoError(t, err)
	got, err := (&dspy.ChatAdapter{}).Format(historySig, nil, decoded)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	ptr := twoTurns
	got, err = (&dspy.JSONAdapter{}).Format(historySig, nil, dspy.NewExample("question", "And Italy?", "history", &ptr))
	require.NoError(t, err)
	assert.Len(t, got, 6, "a *History works too")
}

func TestAdapters_RejectHistoryInputsOfTheWrongShape(t *testing.T) {
	tests := []struct {
		name    string
		value   any
		wantErr string
	}{
		{"a plain list", []dspy.Example{dspy.NewExample("question", "q")}, `input "history" is a History field: pass a dspy.History (dspy.NewHistory(turns...)), not []dspy.Example`},
		{"an object without messages", map[string]any{"turns": []any{}}, `its JSON form is {"messages": [...]}, got an object with keys ["turns"]`},
		{"messages that are not objects", map[string]any{"messages": []any{"hi"}}, `History message 0 must be an object keyed by field names, got string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, adapter := range []dspy.Adapter{&dspy.ChatAdapter{}, &dspy.JSONAdapter{}} {
				_, err := adapter.Format(historySig, nil, dspy.NewExample("question", "q", "history", tt.value))
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			}
		})
	}
}
