package dspy_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
)

// There are no golden files from Python for Enum fields, so the expected
// prompts below are derived by hand from DSPy 3.3's code; each case names the
// functions its bytes follow. The parts shared with every prompt (the system
// message layout, demo turns, the closing reminder) are pinned by the golden
// tests in adapter_chat_test.go.

// sentimentEnum is Python's
//
//	class Sentiment(Enum):
//	    POSITIVE = "positive"
//	    NEGATIVE = "negative"
//	    NEUTRAL = "neutral"
var sentimentEnum = dspy.EnumOf("Sentiment",
	dspy.EnumMember{Name: "POSITIVE", Value: "positive"},
	dspy.EnumMember{Name: "NEGATIVE", Value: "negative"},
	dspy.EnumMember{Name: "NEUTRAL", Value: "neutral"},
)

// mood is a Go enum type; a value of it in a demo stands for a Python Enum
// member, which DSPy's serialize_for_json dumps as its value.
type mood string

func enumSig(t *testing.T, inputs, outputs []dspy.Field) dspy.Signature {
	t.Helper()
	sig, err := dspy.NewSignature(inputs, outputs, "")
	require.NoError(t, err)
	return sig
}

type promptCase struct {
	name   string
	sig    dspy.Signature
	demos  []dspy.Example
	inputs dspy.Example
	want   []dspy.Message
}

func runPromptCases(t *testing.T, adapter dspy.Adapter, cases []promptCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := adapter.Format(tt.sig, tt.demos, tt.inputs)
			require.NoError(t, err)
			require.Len(t, got, len(tt.want))
			for i := range tt.want {
				assert.Equal(t, tt.want[i].Role, got[i].Role, "message %d role", i)
				assert.Equal(t, tt.want[i].Content, got[i].Content, "message %d content", i)
			}
		})
	}
}

func TestChatAdapter_FormatsEnumFieldsAsDSPy(t *testing.T) {
	text := dspy.NewField("text", dspy.StringType)
	sentimentOut := dspy.NewField("sentiment", sentimentEnum)
	runPromptCases(t, &dspy.ChatAdapter{}, []promptCase{{
		// get_annotation_name gives the class name, "(Sentiment)";
		// translate_field_type notes "must be one of: " and the members'
		// str(value) joined by "; " (a Literal would say "must exactly match (no
		// extra characters) one of: "); user_message_output_requirements adds
		// "(must be formatted as a valid Python Sentiment)"; the demo's value is
		// format_field_value of the member, its value.
		name:   "enum output with a demo",
		sig:    enumSig(t, []dspy.Field{text}, []dspy.Field{sentimentOut}),
		demos:  []dspy.Example{dspy.NewExample("text", "Awful service.", "sentiment", "negative")},
		inputs: dspy.NewExample("text", "I love it."),
		want: []dspy.Message{
			{Role: "system", Content: "Your input fields are:\n1. `text` (str):\nYour output fields are:\n1. `sentiment` (Sentiment):\n" +
				"All interactions will be structured in the following way, with the appropriate values filled in.\n\n" +
				"[[ ## text ## ]]\n{text}\n\n" +
				"[[ ## sentiment ## ]]\n{sentiment}        # note: the value you produce must be one of: positive; negative; neutral\n\n" +
				"[[ ## completed ## ]]\n" +
				"In adhering to this structure, your objective is: \n        Given the fields `text`, produce the fields `sentiment`."},
			{Role: "user", Content: "[[ ## text ## ]]\nAwful service."},
			{Role: "assistant", Content: "[[ ## sentiment ## ]]\nnegative\n\n[[ ## completed ## ]]\n"},
			{Role: "user", Content: "[[ ## text ## ]]\nI love it.\n\n" +
				"Respond with the corresponding output fields, starting with the field `[[ ## sentiment ## ]]` (must be formatted as a valid Python Sentiment), and then ending with the marker for `[[ ## completed ## ]]`."},
		},
	}, {
		// translate_field_type gives inputs no note, so an Enum input shows
		// only its class name in the field list; format_field_value shows
		// values (a member's value, here also a Go enum value) as they are.
		name: "enum input and enum demo values",
		sig: enumSig(t,
			[]dspy.Field{dspy.NewField("sentiment", sentimentEnum), text},
			[]dspy.Field{dspy.NewField("reply", dspy.StringType)}),
		demos: []dspy.Example{
			dspy.NewExample("sentiment", mood("negative"), "text", "Awful service.", "reply", "Sorry to hear that."),
		},
		inputs: dspy.NewExample("sentiment", "positive", "text", "I love it."),
		want: []dspy.Message{
			{Role: "system", Content: "Your input fields are:\n1. `sentiment` (Sentiment): \n2. `text` (str):\nYour output fields are:\n1. `reply` (str):\n" +
				"All interactions will be structured in the following way, with the appropriate values filled in.\n\n" +
				"[[ ## sentiment ## ]]\n{sentiment}\n\n[[ ## text ## ]]\n{text}\n\n" +
				"[[ ## reply ## ]]\n{reply}\n\n" +
				"[[ ## completed ## ]]\n" +
				"In adhering to this structure, your objective is: \n        Given the fields `sentiment`, `text`, produce the fields `reply`."},
			{Role: "user", Content: "[[ ## sentiment ## ]]\nnegative\n\n[[ ## text ## ]]\nAwful service."},
			{Role: "assistant", Content: "[[ ## reply ## ]]\nSorry to hear that.\n\n[[ ## completed ## ]]\n"},
			{Role: "user", Content: "[[ ## sentiment ## ]]\npositive\n\n[[ ## text ## ]]\nI love it.\n\n" +
				"Respond with the corresponding output fields, starting with the field `[[ ## reply ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`."},
		},
	}, {
		// A list of enums falls to translate_field_type's JSON schema branch:
		// pydantic's TypeAdapter(list[Sentiment]).json_schema() puts the enum
		// in "$defs" and refers to it, and _get_json_schema moves "type"
		// first; the demo list is json.dumps of its values.
		name:   "list of enums",
		sig:    enumSig(t, []dspy.Field{text}, []dspy.Field{dspy.NewField("sentiments", dspy.ListOf(sentimentEnum))}),
		demos:  []dspy.Example{dspy.NewExample("text", "Good food, slow service.", "sentiments", []string{"positive", "negative"})},
		inputs: dspy.NewExample("text", "Fine."),
		want: []dspy.Message{
			{Role: "system", Content: "Your input fields are:\n1. `text` (str):\nYour output fields are:\n1. `sentiments` (list[Sentiment]):\n" +
				"All interactions will be structured in the following way, with the appropriate values filled in.\n\n" +
				"[[ ## text ## ]]\n{text}\n\n" +
				`[[ ## sentiments ## ]]` + "\n" + `{sentiments}        # note: the value you produce must adhere to the JSON schema: {"type": "array", "$defs": {"Sentiment": {"type": "string", "enum": ["positive", "negative", "neutral"], "title": "Sentiment"}}, "items": {"$ref": "#/$defs/Sentiment"}}` + "\n\n" +
				"[[ ## completed ## ]]\n" +
				"In adhering to this structure, your objective is: \n        Given the fields `text`, produce the fields `sentiments`."},
			{Role: "user", Content: "[[ ## text ## ]]\nGood food, slow service."},
			{Role: "assistant", Content: "[[ ## sentiments ## ]]\n[\"positive\", \"negative\"]\n\n[[ ## completed ## ]]\n"},
			{Role: "user", Content: "[[ ## text ## ]]\nFine.\n\n" +
				"Respond with the corresponding output fields, starting with the field `[[ ## sentiments ## ]]` (must be formatted as a valid Python list[Sentiment]), and then ending with the marker for `[[ ## completed ## ]]`."},
		},
	}})
}

func TestJSONAdapter_FormatsEnumFieldsAsDSPy(t *testing.T) {
	text := dspy.NewField("text", dspy.StringType)
	runPromptCases(t, &dspy.JSONAdapter{}, []promptCase{{
		// JSONAdapter.format_field_structure puts translate_field_type's
		// placeholder, note included, in a json.dumps(indent=2) object;
		// format_assistant_message_content dumps the demo's member by value;
		// user_message_output_requirements names the class.
		name:   "enum output with a demo",
		sig:    enumSig(t, []dspy.Field{text}, []dspy.Field{dspy.NewField("sentiment", sentimentEnum)}),
		demos:  []dspy.Example{dspy.NewExample("text", "Awful service.", "sentiment", mood("negative"))},
		inputs: dspy.NewExample("text", "I love it."),
		want: []dspy.Message{
			{Role: "system", Content: "Your input fields are:\n1. `text` (str):\nYour output fields are:\n1. `sentiment` (Sentiment):\n" +
				"All interactions will be structured in the following way, with the appropriate values filled in.\n\n" +
				"Inputs will have the following structure:\n\n[[ ## text ## ]]\n{text}\n\n" +
				"Outputs will be a JSON object with the following fields.\n\n" +
				"{\n  \"sentiment\": \"{sentiment}        # note: the value you produce must be one of: positive; negative; neutral\"\n}\n" +
				"In adhering to this structure, your objective is: \n        Given the fields `text`, produce the fields `sentiment`."},
			{Role: "user", Content: "[[ ## text ## ]]\nAwful service."},
			{Role: "assistant", Content: "{\n  \"sentiment\": \"negative\"\n}"},
			{Role: "user", Content: "[[ ## text ## ]]\nI love it.\n\n" +
				"Respond with a JSON object in the following order of fields: `sentiment` (must be formatted as a valid Python Sentiment)."},
		},
	}, {
		name: "enum input",
		sig: enumSig(t,
			[]dspy.Field{dspy.NewField("sentiment", sentimentEnum), text},
			[]dspy.Field{dspy.NewField("reply", dspy.StringType)}),
		inputs: dspy.NewExample("sentiment", mood("positive"), "text", "I love it."),
		want: []dspy.Message{
			{Role: "system", Content: "Your input fields are:\n1. `sentiment` (Sentiment): \n2. `text` (str):\nYour output fields are:\n1. `reply` (str):\n" +
				"All interactions will be structured in the following way, with the appropriate values filled in.\n\n" +
				"Inputs will have the following structure:\n\n[[ ## sentiment ## ]]\n{sentiment}\n\n[[ ## text ## ]]\n{text}\n\n" +
				"Outputs will be a JSON object with the following fields.\n\n" +
				"{\n  \"reply\": \"{reply}\"\n}\n" +
				"In adhering to this structure, your objective is: \n        Given the fields `sentiment`, `text`, produce the fields `reply`."},
			{Role: "user", Content: "[[ ## sentiment ## ]]\npositive\n\n[[ ## text ## ]]\nI love it.\n\n" +
				"Respond with a JSON object in the following order of fields: `reply`."},
		},
	}})
}

func TestAdapters_ParseEnumByValueThenName(t *testing.T) {
	sig := enumSig(t, []dspy.Field{dspy.NewField("text", dspy.StringType)}, []dspy.Field{dspy.NewField("sentiment", sentimentEnum)})
	tests := []struct {
		name    string
		adapter dspy.Adapter
		reply   string
		want    string
	}{
		{"chat by value", &dspy.ChatAdapter{}, "[[ ## sentiment ## ]]\nnegative\n\n[[ ## completed ## ]]", "negative"},
		{"chat by name", &dspy.ChatAdapter{}, "[[ ## sentiment ## ]]\nNEUTRAL\n\n[[ ## completed ## ]]", "neutral"},
		{"chat value on the marker line", &dspy.ChatAdapter{}, "[[ ## sentiment ## ]] positive", "positive"},
		{"json by value", &dspy.JSONAdapter{}, `{"sentiment": "positive"}`, "positive"},
		{"json by name", &dspy.JSONAdapter{}, `{"sentiment": "NEGATIVE"}`, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.adapter.Parse(sig, tt.reply)
			require.NoError(t, err)
			got, _ := out.Get("sentiment")
			assert.Equal(t, tt.want, got, "a parsed Enum is its member's value")
		})
	}
}

func TestAdapters_RejectEnumRepliesThatNameNoMember(t *testing.T) {
	sig := enumSig(t, []dspy.Field{dspy.NewField("text", dspy.StringType)}, []dspy.Field{dspy.NewField("sentiment", sentimentEnum)})
	tests := []struct {
		name    string
		adapter dspy.Adapter
		reply   string
		quoted  string
	}{
		{"chat unknown word", &dspy.ChatAdapter{}, "[[ ## sentiment ## ]]\ngreat", "'great'"},
		// find_enum_member compares exactly: no case folding, and unlike a
		// Literal no stripping of quotes.
		{"chat wrong case", &dspy.ChatAdapter{}, "[[ ## sentiment ## ]]\nPositive", "'Positive'"},
		{"chat quoted value", &dspy.ChatAdapter{}, "[[ ## sentiment ## ]]\n'positive'", `"'positive'"`},
		{"json number", &dspy.JSONAdapter{}, `{"sentiment": 1}`, "'1'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.adapter.Parse(sig, tt.reply)
			var perr *dspy.ParseError
			require.True(t, errors.As(err, &perr), "got %v", err)
			assert.Equal(t, "sentiment", perr.Field)
			assert.Contains(t, err.Error(), `field "sentiment"`)
			assert.Contains(t, err.Error(), tt.quoted+" is not a value or member name of the enum Sentiment")
			assert.Contains(t, err.Error(), "the values are 'positive', 'negative', 'neutral' (member names POSITIVE, NEGATIVE, NEUTRAL)")
		})
	}
}

func TestAdapters_ParseEnumListsByValueOnly(t *testing.T) {
	// Inside a list DSPy leaves the enum to pydantic, which validates values.
	sig := enumSig(t, []dspy.Field{dspy.NewField("text", dspy.StringType)}, []dspy.Field{dspy.NewField("sentiments", dspy.ListOf(sentimentEnum))})
	out, err := (&dspy.ChatAdapter{}).Parse(sig, "[[ ## sentiments ## ]]\n[\"positive\", \"neutral\"]")
	require.NoError(t, err)
	got, _ := out.Get("sentiments")
	assert.Equal(t, []any{"positive", "neutral"}, got)

	_, err = (&dspy.ChatAdapter{}).Parse(sig, "[[ ## sentiments ## ]]\n[\"POSITIVE\"]")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `list item 0: the text 'POSITIVE' is not a value of the enum Sentiment: the values are 'positive', 'negative', 'neutral'`)
}

func TestJSONAdapter_RequestsEnumsAsSchemaDefs(t *testing.T) {
	// _get_structured_outputs_response_format: pydantic puts each Enum class
	// in "$defs" and gives an enum-typed property only its "$ref".
	sig := enumSig(t, []dspy.Field{dspy.NewField("text", dspy.StringType)}, []dspy.Field{
		dspy.NewField("sentiment", sentimentEnum),
		dspy.NewField("also", dspy.ListOf(sentimentEnum)),
	})
	lm := dspytest.ScriptedLM(`{"sentiment": "positive", "also": ["neutral"]}`)
	res, err := (&dspy.JSONAdapter{}).Call(context.Background(), lm, dspy.LMRequest{}, sig, nil, dspy.NewExample("text", "x"))
	require.NoError(t, err)

	got, err := json.Marshal(lm.Requests()[0].ResponseFormat.Schema)
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"type": "object", "title": "DSPyProgramOutputs", "additionalProperties": false, "required": ["sentiment", "also"],
		"properties": {
			"sentiment": {"$ref": "#/$defs/Sentiment"},
			"also": {"type": "array", "title": "Also", "items": {"$ref": "#/$defs/Sentiment"}}
		},
		"$defs": {"Sentiment": {"type": "string", "title": "Sentiment", "enum": ["positive", "negative", "neutral"]}}
	}`, string(got))
	v, _ := res.Outputs[0].Get("sentiment")
	assert.Equal(t, "positive", v)
}
