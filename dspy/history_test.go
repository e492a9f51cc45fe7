package dspy_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
)

func TestParseSignatureReadsHistoryFields(t *testing.T) {
	for _, spec := range []string{
		"question, history: History -> answer",
		"question, history: dspy.History -> answer",
	} {
		t.Run(spec, func(t *testing.T) {
			sig, err := dspy.ParseSignature(spec)
			require.NoError(t, err)
			f, isInput, ok := sig.Field("history")
			require.True(t, ok)
			assert.True(t, isInput)
			assert.Equal(t, dspy.HistoryType, f.Type)
			assert.Equal(t, "question, history: History -> answer", sig.String())
		})
	}
}

type chatTurn struct {
	Question string       `dspy:"input"`
	History  dspy.History `dspy:"input"`
	Answer   string       `dspy:"output"`
}

type chatTurnByPointer struct {
	Question string        `dspy:"input"`
	History  *dspy.History `dspy:"input" desc:"earlier turns"`
	Answer   string        `dspy:"output"`
}

func TestSignatureOfMakesHistoryFieldsHistory(t *testing.T) {
	want := dspy.MustSignature("question, history: History -> answer")
	assert.True(t, dspy.MustSignatureOf(chatTurn{}).Equal(want))

	sig := dspy.MustSignatureOf(chatTurnByPointer{})
	f, _, _ := sig.Field("history")
	assert.Equal(t, dspy.HistoryType, f.Type)
	assert.Equal(t, "earlier turns", f.Desc)
}

func TestSignaturesRejectMisplacedHistory(t *testing.T) {
	tests := []struct {
		spec    string
		wantErr string
	}{
		{"question -> history: History", `signature field "history": History is an input type (the adapter expands it into earlier turns), so it cannot be an output`},
		{"question, a: History, b: History -> answer", `signature field "b": a signature takes at most one History input`},
		{"question, turns: list[History] -> answer", `signature field "turns": list[History]: History must be a field's whole type, not a list element`},
		{"question, history: History[str] -> answer", `type "History[str]": History takes no parameters`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := dspy.ParseSignature(tt.spec)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}

	sig := dspy.MustSignature("question, history: History -> answer")
	_, err := sig.Append(dspy.NewField("more", dspy.HistoryType), true)
	assert.ErrorContains(t, err, "at most one History input")
	_, err = sig.WithField("answer", dspy.NewField("answer", dspy.HistoryType))
	assert.ErrorContains(t, err, "History is an input type")

	type historyOut struct {
		Question string       `dspy:"input"`
		History  dspy.History `dspy:"output"`
	}
	_, err = dspy.SignatureOf(historyOut{})
	assert.ErrorContains(t, err, `signature field "history": History is an input type`)
}

func TestHistoryTypeJSONRoundTrips(t *testing.T) {
	b, err := json.Marshal(dspy.HistoryType)
	require.NoError(t, err)
	assert.Equal(t, `"History"`, string(b))
	var back dspy.Type
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, dspy.HistoryType, back)

	sig := dspy.MustSignature("question, history: History -> answer")
	b, err = json.Marshal(sig)
	require.NoError(t, err)
	var sigBack dspy.Signature
	require.NoError(t, json.Unmarshal(b, &sigBack))
	assert.True(t, sig.Equal(sigBack), "%s", b)
}

func TestHistoryJSONRoundTripsKeepingTurnOrder(t *testing.T) {
	b, err := json.Marshal(dspy.History{})
	require.NoError(t, err)
	assert.Equal(t, `{"messages":[]}`, string(b), "no turns is [], as pydantic dumps an empty list")

	h := dspy.NewHistory(dspy.NewExample("question", "Q", "answer", "A"))
	b, err = json.Marshal(h)
	require.NoError(t, err)
	assert.Equal(t, `{"messages":[{"question":"Q","answer":"A"}]}`, string(b))
	var back dspy.History
	require.NoError(t, json.Unmarshal(b, &back))
	require.Len(t, back.Messages, 1)
	assert.Equal(t, []string{"question", "answer"}, back.Messages[0].Keys())

	assert.ErrorContains(t, json.Unmarshal([]byte(`[1]`), &back), `a History must be a JSON object {"messages": [{...}, ...]}`)
}

func TestHistoryAppendLeavesTheOriginalAlone(t *testing.T) {
	first := dspy.NewHistory(dspy.NewExample("question", "Q1", "answer", "A1"))
	second := first.Append(dspy.NewExample("question", "Q2", "answer", "A2"))
	assert.Len(t, first.Messages, 1)
	assert.Len(t, second.Messages, 2)
	third := first.Append(dspy.NewExample("question", "Q3"))
	assert.Equal(t, "Q2", second.Messages[1].GetString("question"), "appending to first never overwrites second")
	assert.Equal(t, "Q3", third.Messages[1].GetString("question"))
}

func TestPredictCallsWithoutAHistoryInput(t *testing.T) {
	lm := dspytest.ScriptedLM(dspytest.ChatReply("answer", "Paris"), dspytest.ChatReply("answer", "Berlin"))
	ctx := dspy.WithLM(context.Background(), lm)
	chat := dspy.NewPredict(dspy.MustSignature("question, history: History -> answer"))

	// The first turn of a conversation has no history: DSPy only warns about
	// a missing input, and formats a missing History as an empty one.
	first, err := chat.Call(ctx, dspy.NewExample("question", "Capital of France?"))
	require.NoError(t, err)
	assert.Len(t, lm.Requests()[0].Messages, 2)

	history := dspy.NewHistory(dspy.NewExample("question", "Capital of France?").Merge(first.Example))
	_, err = chat.Call(ctx, dspy.NewExample("question", "And Germany?", "history", history))
	require.NoError(t, err)
	msgs := lm.Requests()[1].Messages
	require.Len(t, msgs, 4)
	assert.Equal(t, "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]\n", msgs[2].Content)

	_, err = chat.Call(ctx, dspy.NewExample("history", history))
	var inputErr *dspy.InputError
	require.ErrorAs(t, err, &inputErr, "other inputs are still required")
	assert.Equal(t, []string{"question"}, inputErr.Missing)
}

func TestSaveThenLoadRestoresAHistoryAndEnumPredictor(t *testing.T) {
	newProgram := func() *dspy.Predict {
		sig, err := dspy.NewSignature(
			[]dspy.Field{dspy.NewField("question", dspy.StringType), dspy.NewField("history", dspy.HistoryType).WithDesc("the chat so far")},
			[]dspy.Field{dspy.NewField("answer", dspy.StringType), dspy.NewField("sentiment", sentimentEnum)},
			"Answer the user.")
		require.NoError(t, err)
		return dspy.NewPredict(sig)
	}
	program := newProgram()
	program.Demos = []dspy.Example{dspy.NewExample(
		"question", "And Spain?",
		"history", dspy.NewHistory(dspy.NewExample("question", "Capital of France?", "answer", "Paris")),
		"answer", "Madrid", "sentiment", mood("neutral"), "augmented", true)}

	path := filepath.Join(t.TempDir(), "program.json")
	require.NoError(t, dspy.Save(program, path))
	saved, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(saved), `"history": {
        "messages": [
          {
            "question": "Capital of France?",
            "answer": "Paris"
          }
        ]
      }`, "a History demo value is saved as DSPy dumps one")
	assert.Contains(t, string(saved), `"description": "the chat so far"`)

	fresh := newProgram()
	require.NoError(t, dspy.Load(fresh, path))
	assert.True(t, program.Signature.Equal(fresh.Signature))
	wantState, err := json.Marshal(dspy.StateOf(program))
	require.NoError(t, err)
	gotState, err := json.Marshal(dspy.StateOf(fresh))
	require.NoError(t, err)
	assert.JSONEq(t, string(wantState), string(gotState))

	// The loaded demo's history is the {"messages": [...]} object JSON gives
	// back, shown as JSON like the History it was saved from. Its turns are
	// Go maps now, so their keys come out sorted: Example keeps the order of
	// its own fields only, not of objects nested in them.
	want, err := (&dspy.ChatAdapter{}).Format(program.Signature, program.Demos, dspy.NewExample("question", "Q"))
	require.NoError(t, err)
	got, err := (&dspy.ChatAdapter{}).Format(fresh.Signature, fresh.Demos, dspy.NewExample("question", "Q"))
	require.NoError(t, err)
	require.Len(t, got, len(want))
	assert.Equal(t, "[[ ## question ## ]]\nAnd Spain?\n\n[[ ## history ## ]]\n"+
		`{"messages": [{"answer": "Paris", "question": "Capital of France?"}]}`, got[1].Content)
	for _, i := range []int{0, 2, 3} {
		assert.Equal(t, want[i], got[i])
	}
}
