package dspy_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
)

const goldenTwoStepAdapter = "testdata/golden/two-step-adapter.json"

// twoStepGoldenFile holds the cases DSPy 3.3.1's TwoStepAdapter produced
// (scripts/golden/two_step_adapter.py).
type twoStepGoldenFile struct {
	Format []struct {
		Name         string          `json:"name"`
		Instructions string          `json:"instructions"`
		InputFields  json.RawMessage `json:"input_fields"`
		OutputFields json.RawMessage `json:"output_fields"`
		// Tools define the tools that Tool and list[Tool] values name.
		Tools              map[string]goldenToolDefinition `json:"tools"`
		Demos              []json.RawMessage               `json:"demos"`
		Inputs             json.RawMessage                 `json:"inputs"`
		Messages           []goldenMessage                 `json:"messages"`
		MainReply          string                          `json:"main_reply"`
		ExtractionReply    string                          `json:"extraction_reply"`
		ExtractionMessages []goldenMessage                 `json:"extraction_messages"`
		Parsed             json.RawMessage                 `json:"parsed"`
	} `json:"format"`
	Parse []struct {
		Name      string `json:"name"`
		Signature struct {
			Inputs  []string        `json:"inputs"`
			Outputs json.RawMessage `json:"outputs"`
		} `json:"signature"`
		Inputs            json.RawMessage `json:"inputs"`
		Completion        string          `json:"completion"`
		ExtractionReplies []string        `json:"extraction_replies"`
		ExtractionCalls   int             `json:"extraction_calls"`
		OK                bool            `json:"ok"`
		Parsed            json.RawMessage `json:"parsed"`
	} `json:"parse"`
}

func loadTwoStepGolden(t testing.TB) twoStepGoldenFile {
	t.Helper()
	raw, err := os.ReadFile(goldenTwoStepAdapter)
	require.NoError(t, err)
	var g twoStepGoldenFile
	require.NoError(t, json.Unmarshal(raw, &g))
	require.GreaterOrEqual(t, len(g.Format), 6)
	require.GreaterOrEqual(t, len(g.Parse), 6)
	return g
}

// assertParsed checks got holds the golden values, in the golden order.
func assertParsed(t *testing.T, raw json.RawMessage, got dspy.Example) {
	t.Helper()
	var want dspy.Example
	require.NoError(t, json.Unmarshal(raw, &want))
	assert.Equal(t, want.Keys(), got.Keys())
	for _, k := range want.Keys() {
		w, _ := want.Get(k)
		g, _ := got.Get(k)
		assert.Equal(t, w, g, "field %s", k)
	}
}

// The main LM is sent DSPy's free-form prompt, and the extraction LM, given
// the main LM's reply, DSPy's extraction prompt; what it answers is parsed
// as DSPy parses it.
func TestTwoStepAdapter_FormatMatchesDSPyGolden(t *testing.T) {
	for _, tc := range loadTwoStepGolden(t).Format {
		t.Run(tc.Name, func(t *testing.T) {
			sig, err := dspy.NewSignature(typedGoldenFields(t, tc.InputFields), typedGoldenFields(t, tc.OutputFields), tc.Instructions)
			require.NoError(t, err)
			demos := make([]dspy.Example, len(tc.Demos))
			for i, d := range tc.Demos {
				demos[i] = withGoldenTools(t, sig, tc.Tools, withImages(t, sig, orderedExample(t, sig, d)))
			}
			inputs := withGoldenTools(t, sig, tc.Tools, withImages(t, sig, orderedExample(t, sig, tc.Inputs)))
			main, extraction := dspytest.ScriptedLM(tc.MainReply), dspytest.ScriptedLM(tc.ExtractionReply)
			res, err := dspy.NewTwoStepAdapter(extraction).Call(context.Background(), main, dspy.LMRequest{}, sig, demos, inputs)
			require.NoError(t, err)

			formatted, err := dspy.NewTwoStepAdapter(extraction).Format(sig, demos, inputs)
			require.NoError(t, err)
			assertSameMessages(t, tc.Messages, formatted)
			require.Len(t, main.Requests(), 1)
			assertSameMessages(t, tc.Messages, main.Requests()[0].Messages)
			require.Len(t, extraction.Requests(), 1)
			assertSameMessages(t, tc.ExtractionMessages, extraction.Requests()[0].Messages)
			require.Len(t, res.Outputs, 1)
			if tc.Tools != nil {
				assert.Equal(t, canonicalJSON(t, tc.Parsed), goldenParsed(t, res.Outputs[0]))
			} else {
				assertParsed(t, tc.Parsed, res.Outputs[0])
			}
			assert.Equal(t, []string{tc.MainReply}, res.Raw)
		})
	}
}

// withGoldenTools turns the golden form of tool values into Go values: a
// Tool or list[Tool] value names tools of defs, and ToolCalls values, in the
// example and in its History's turns, become ToolCalls.
func withGoldenTools(t testing.TB, sig dspy.Signature, defs map[string]goldenToolDefinition, e dspy.Example) dspy.Example {
	t.Helper()
	if defs == nil {
		return e
	}
	g := toolCallsGoldenFile{ToolDefinitions: defs}
	toolCalls := func(e dspy.Example) dspy.Example {
		for _, k := range e.Keys() {
			if f, _, ok := sig.Field(k); ok && f.Type.String() == "ToolCalls" {
				v, _ := e.Get(k)
				raw, err := json.Marshal(v)
				require.NoError(t, err)
				var tc dspy.ToolCalls
				require.NoError(t, json.Unmarshal(raw, &tc))
				e = e.Set(k, tc)
			}
		}
		return e
	}
	e = toolCalls(e)
	for _, k := range e.Keys() {
		f, _, ok := sig.Field(k)
		if !ok {
			continue
		}
		v, _ := e.Get(k)
		switch {
		case f.Type.String() == "Tool":
			e = e.Set(k, goldenTools(t, g, []string{v.(string)})[0])
		case f.Type.String() == "list[Tool]":
			var names []string
			for _, n := range v.([]any) {
				names = append(names, n.(string))
			}
			e = e.Set(k, goldenTools(t, g, names))
		case f.Type.Kind == dspy.KindHistory:
			h := v.(dspy.History)
			for i, turn := range h.Messages {
				h.Messages[i] = toolCalls(turn)
			}
			e = e.Set(k, h)
		}
	}
	return e
}

func TestTwoStepAdapter_ParseMatchesDSPyGolden(t *testing.T) {
	for _, tc := range loadTwoStepGolden(t).Parse {
		t.Run(tc.Name, func(t *testing.T) {
			sig := xmlGoldenSignature(t, tc.Signature.Inputs, tc.Signature.Outputs).WithInstructions("Answer it.")
			var inputs dspy.Example
			require.NoError(t, json.Unmarshal(tc.Inputs, &inputs))
			main, extraction := dspytest.ScriptedLM(tc.Completion), dspytest.ScriptedLM(tc.ExtractionReplies...)
			ctx, tracker := dspy.TrackUsage(context.Background())
			res, err := dspy.NewTwoStepAdapter(extraction).Call(ctx, main, dspy.LMRequest{}, sig, nil, inputs)
			assert.Len(t, extraction.Requests(), tc.ExtractionCalls, "extraction calls")
			assert.Equal(t, 1+tc.ExtractionCalls, tracker.Usage().Calls, "calls counted")
			assert.Equal(t, 1+tc.ExtractionCalls, res.Usage.Calls, "calls in the result")
			if !tc.OK {
				var pe *dspy.ParseError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, "TwoStepAdapter", pe.Adapter)
				assert.Equal(t, tc.Completion, pe.Raw)
				assert.Contains(t, sig.OutputNames(), pe.Field)
				return
			}
			require.NoError(t, err)
			require.Len(t, res.Outputs, 1)
			assertParsed(t, tc.Parsed, res.Outputs[0])
		})
	}
}

// A reply the extraction cannot read names the field at fault.
func TestTwoStepAdapter_ExtractionFailureNamesTheField(t *testing.T) {
	sig := dspy.MustSignature("question -> answer, confidence: float")
	extraction := dspytest.ScriptedLM(dspytest.ChatReply("answer", "Paris", "confidence", "very"), `{"answer": "Paris", "confidence": "very"}`)
	_, err := dspy.NewTwoStepAdapter(extraction).Call(context.Background(), dspytest.ScriptedLM("Paris, surely."), dspy.LMRequest{}, sig, nil, dspy.NewExample("question", "q"))
	var pe *dspy.ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "confidence", pe.Field)
	assert.Contains(t, err.Error(), `TwoStepAdapter could not parse the LM reply (field "confidence")`)
}

// An extraction LM that fails is reported as it failed, not as a reply that
// did not parse, so retry policies see it.
func TestTwoStepAdapter_ExtractionLMErrorIsReturnedAsItIs(t *testing.T) {
	lmErr := &dspy.LMError{Kind: dspy.ErrKindRateLimit, StatusCode: 429}
	extraction := &dspytest.FuncLM{Reply: func(context.Context, dspy.LMRequest) (string, error) { return "", lmErr }}
	_, err := dspy.NewTwoStepAdapter(extraction).Call(context.Background(), dspytest.ScriptedLM("Paris."), dspy.LMRequest{}, dspy.MustSignature("question -> answer"), nil, dspy.NewExample("question", "q"))
	require.ErrorIs(t, err, lmErr)
	var pe *dspy.ParseError
	assert.False(t, errors.As(err, &pe))
}

// Without its own extraction LM the adapter asks the main LM's client for
// the extraction model by name, with the main request's settings left out,
// as DSPy calls the extraction LM with its own settings.
func TestTwoStepAdapter_ExtractionModelUsesTheMainClient(t *testing.T) {
	main := dspytest.ScriptedLM("It is Paris.", dspytest.ChatReply("answer", "Paris"))
	temp := 0.7
	res, err := (&dspy.TwoStepAdapter{ExtractionModel: "small"}).Call(context.Background(), main, dspy.LMRequest{Temperature: &temp, N: 1},
		dspy.MustSignature("question -> answer"), nil, dspy.NewExample("question", "q"))
	require.NoError(t, err)
	assert.Equal(t, "Paris", res.Outputs[0].GetString("answer"))
	reqs := main.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "", reqs[0].Model)
	assert.Equal(t, &temp, reqs[0].Temperature)
	assert.Equal(t, "small", reqs[1].Model)
	assert.Nil(t, reqs[1].Temperature)

	_, err = (&dspy.TwoStepAdapter{}).Call(context.Background(), dspytest.ScriptedLM("x"), dspy.LMRequest{}, dspy.MustSignature("question -> answer"), nil, dspy.NewExample("question", "q"))
	assert.ErrorContains(t, err, "no extraction LM")
}

// A History input is one line of the main prompt, however it is given: as a
// History, a *History, or the {"messages": [...]} form a dataset file holds;
// no value is None, as str(None) in DSPy. Anything else is an error, as in
// the other adapters.
func TestTwoStepAdapter_HistoryInputIsOneLine(t *testing.T) {
	sig := dspy.MustSignature("question, history: History -> answer")
	turn := dspy.NewExample("question", "1+1?", "answer", "2")
	const want = "question: and 3?\n\nhistory: messages=[{'question': '1+1?', 'answer': '2'}]"
	h := dspy.NewHistory(turn)
	for name, v := range map[string]any{
		"History":   h,
		"pointer":   &h,
		"JSON form": map[string]any{"messages": []any{map[string]any{"question": "1+1?", "answer": "2"}}},
	} {
		msgs, err := dspy.NewTwoStepAdapter(dspytest.ScriptedLM()).Format(sig, nil, dspy.NewExample("question", "and 3?", "history", v))
		require.NoError(t, err, name)
		require.Len(t, msgs, 2, name)
		if name == "JSON form" {
			// A Go map has no order of its own: its keys come sorted.
			assert.Equal(t, "question: and 3?\n\nhistory: messages=[{'answer': '2', 'question': '1+1?'}]", msgs[1].Content, name)
			continue
		}
		assert.Equal(t, want, msgs[1].Content, name)
	}

	msgs, err := dspy.NewTwoStepAdapter(dspytest.ScriptedLM()).Format(sig, nil, dspy.NewExample("question", "q", "history", nil))
	require.NoError(t, err)
	assert.Equal(t, "question: q\n\nhistory: None", msgs[1].Content)

	_, err = dspy.NewTwoStepAdapter(dspytest.ScriptedLM()).Format(sig, []dspy.Example{dspy.NewExample("question", "q", "history", "earlier", "answer", "a")}, dspy.NewExample("question", "q"))
	assert.ErrorContains(t, err, `input "history" is a History field`)
}
