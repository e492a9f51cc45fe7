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

// The interop files: a program as this package saves it, and what DSPy 3.3.1
// made of that file (scripts/golden/load_go_saved.py loads it into
// dspy.ChainOfThought and formats a call with its ChatAdapter).
const (
	goSavedProgram   = "testdata/interop/go-saved-cot.json"
	dspyLoadedResult = "testdata/interop/go-saved-cot.dspy.json"
	// envUpdateInterop rewrites goSavedProgram from the program below; rerun
	// the script afterwards.
	envUpdateInterop = "DSPY_UPDATE_INTEROP"
)

// interopProgram is an optimized program as an optimizer leaves it: new
// instructions, a bootstrapped demo with its reasoning and a labeled demo
// without, typed inputs and outputs.
func interopProgram(t *testing.T) *dspy.ChainOfThought {
	t.Helper()
	sig := dspy.MustSignature("context: list[str], question -> answer: int",
		"Read the context, then solve the word problem. Answer with a single integer.")
	cot, err := dspy.NewChainOfThought(sig)
	require.NoError(t, err)
	cot.Predict.Demos = []dspy.Example{
		dspy.NewExample("context", []any{"Ann has 3 apples.", "Bob gives her 4 more."}, "question", "How many apples does Ann have?",
			"reasoning", "Ann starts with 3 and receives 4, so 3 + 4 = 7.", "answer", 7, "augmented", true),
		dspy.NewExample("context", []any{"A box holds 12 eggs."}, "question", "How many eggs are in 2 boxes?", "answer", 24),
	}
	return cot
}

// interopInputs is the call both sides format.
var interopInputs = dspy.NewExample("context", []any{"Tom reads 5 pages a day."}, "question", "How many pages does Tom read in 6 days?")

// A program saved here is the file the committed interop case holds, so what
// DSPy was shown is what this package writes.
func TestSavedProgramIsTheInteropFile(t *testing.T) {
	got, err := dspy.StateOf(interopProgram(t)).Encode()
	require.NoError(t, err)
	if os.Getenv(envUpdateInterop) != "" {
		require.NoError(t, os.MkdirAll(filepath.Dir(goSavedProgram), 0o755))
		require.NoError(t, os.WriteFile(goSavedProgram, got, 0o644))
	}
	want, err := os.ReadFile(goSavedProgram)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

// DSPy 3.3.1 loads a program saved here and sends the model the very
// messages this package sends for the same call: instructions, both demos and
// the typed fields survive the round trip through DSPy.
func TestDSPyLoadsAProgramSavedHereAndFormatsTheSameMessages(t *testing.T) {
	raw, err := os.ReadFile(dspyLoadedResult)
	require.NoError(t, err)
	var fromDSPy struct {
		DSPyVersion  string         `json:"dspy_version"`
		Instructions string         `json:"instructions"`
		Demos        int            `json:"demos"`
		Messages     []dspy.Message `json:"messages"`
	}
	require.NoError(t, json.Unmarshal(raw, &fromDSPy))
	require.Equal(t, "3.3.1", fromDSPy.DSPyVersion)

	cot, err := dspy.NewChainOfThought(dspy.MustSignature("context: list[str], question -> answer: int"))
	require.NoError(t, err)
	require.NoError(t, dspy.Load(cot, goSavedProgram))
	assert.Equal(t, fromDSPy.Instructions, cot.Signature().Instructions())
	assert.Len(t, cot.Predict.Demos, fromDSPy.Demos)

	lm := dspytest.ScriptedLM(dspytest.ChatReply("reasoning", "5 pages for 6 days is 30.", "answer", "30"))
	_, err = cot.Call(dspy.WithLM(context.Background(), lm), interopInputs)
	require.NoError(t, err)
	sent := lm.Requests()
	require.Len(t, sent, 1)
	require.Len(t, sent[0].Messages, len(fromDSPy.Messages))
	for i, m := range fromDSPy.Messages {
		assert.Equal(t, m.Role, sent[0].Messages[i].Role, "message %d role", i)
		assert.Equal(t, m.Content, sent[0].Messages[i].Content, "message %d content", i)
	}
}
