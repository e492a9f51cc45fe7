package dspy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// cotSavedPath is a dspy.ChainOfThought("question -> answer") saved by Python
// DSPy 3.3.1, with one bootstrapped and one labeled demo.
var cotSavedPath = filepath.Join("testdata", "state", "cot-saved.json")

// stateCoTProgram builds the Go counterpart of the saved ChainOfThought: one
// predictor at DSPy's path "predict" with "reasoning" before "answer".
func stateCoTProgram(t *testing.T) (dspy.Module, *dspy.Predict) {
	t.Helper()
	sig, err := dspy.MustSignature("question -> answer").
		Prepend(dspy.NewField("reasoning", dspy.StringType), false)
	require.NoError(t, err)
	p := dspy.NewPredict(sig)
	return stateModule(dspy.NamedPredictor{Name: "predict", Predictor: p}), p
}

func stateModule(named ...dspy.NamedPredictor) dspy.Module {
	return dspy.ModuleFunc{
		Fn: func(context.Context, dspy.Example) (dspy.Prediction, error) {
			return dspy.Prediction{}, nil
		},
		Named: named,
	}
}

// splitAtMetadata returns a saved program's text before and from its
// "metadata" key.
func splitAtMetadata(t *testing.T, b []byte) (predictors, metadata []byte) {
	t.Helper()
	i := bytes.Index(b, []byte(`  "metadata": `))
	require.GreaterOrEqual(t, i, 0, "no metadata key in %s", b)
	return b[:i], b[i:]
}

func TestProgramStateReencodesADSPyFileByteForByte(t *testing.T) {
	golden, err := os.ReadFile(cotSavedPath)
	require.NoError(t, err)

	var st dspy.ProgramState
	require.NoError(t, json.Unmarshal(golden, &st))
	out, err := st.Encode()
	require.NoError(t, err)

	// Everything a predictor saves comes back byte for byte: key order, the
	// bootstrapped demo's "augmented" last, "lm": null, two-space indent.
	wantPredictors, wantMeta := splitAtMetadata(t, golden)
	gotPredictors, gotMeta := splitAtMetadata(t, out)
	assert.Equal(t, string(wantPredictors), string(gotPredictors))
	// Metadata is held as a Go map, which sorts its keys on the way out.
	assert.JSONEq(t, "{"+string(wantMeta), "{"+string(gotMeta))
	assert.True(t, bytes.HasSuffix(out, []byte("}\n")), "ends with a newline as DSPy's files do")
}

func TestLoadReadsDSPyStateIntoPredictor(t *testing.T) {
	m, p := stateCoTProgram(t)
	require.NoError(t, dspy.Load(m, cotSavedPath))

	assert.Equal(t, "Answer the question concisely.", p.Signature.Instructions())
	require.Len(t, p.Demos, 2)
	assert.Equal(t, []string{"question", "reasoning", "answer", "augmented"}, p.Demos[0].Keys())
	augmented, _ := p.Demos[0].Get("augmented")
	assert.Equal(t, true, augmented)
	assert.Equal(t, []string{"question", "answer"}, p.Demos[1].Keys())
	assert.Equal(t, "Rome", p.Demos[1].GetString("answer"))

	reasoning, _, _ := p.Signature.Field("reasoning")
	assert.Equal(t, "Reasoning:", reasoning.Prefix)
	assert.Equal(t, []string{"question"}, p.Signature.InputNames(), "loading never changes the field names")
	assert.Equal(t, []string{"reasoning", "answer"}, p.Signature.OutputNames())
}

func TestSaveThenLoadRestoresEveryPredictor(t *testing.T) {
	query := dspy.NewPredict(dspy.MustSignature("question -> search_query"))
	answer := dspy.NewPredict(dspy.MustSignature("context: list[str], question -> answer: int"))
	program := stateModule(
		dspy.NamedPredictor{Name: "generate_query", Predictor: query},
		dspy.NamedPredictor{Name: "generate_answer.predict", Predictor: answer},
	)

	query.Signature = query.Signature.WithInstructions("Write a search query.\nKeep it short.")
	var err error
	query.Signature, err = query.Signature.WithField("search_query",
		dspy.NewField("search_query", dspy.StringType).WithDesc("a web query").WithPrefix("Query:"))
	require.NoError(t, err)
	query.Demos = []dspy.Example{dspy.NewExample("question", "<b>Q</b> & A?", "search_query", "q & a", "augmented", true)}
	answer.Demos = []dspy.Example{dspy.NewExample("context", []any{"x", "y"}, "question", "How many?", "answer", 2)}

	path := filepath.Join(t.TempDir(), "program.json")
	require.NoError(t, dspy.Save(program, path))

	saved, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(saved), `"question": "<b>Q</b> & A?"`, "no HTML escaping, like Python's json")
	assert.Less(t, bytes.Index(saved, []byte(`"generate_query"`)), bytes.Index(saved, []byte(`"generate_answer.predict"`)), "program order")
	assert.Less(t, bytes.Index(saved, []byte(`"generate_answer.predict"`)), bytes.Index(saved, []byte(`"metadata"`)), "metadata last")

	freshQuery := dspy.NewPredict(dspy.MustSignature("question -> search_query"))
	freshAnswer := dspy.NewPredict(dspy.MustSignature("context: list[str], question -> answer: int"))
	fresh := stateModule(
		dspy.NamedPredictor{Name: "generate_query", Predictor: freshQuery},
		dspy.NamedPredictor{Name: "generate_answer.predict", Predictor: freshAnswer},
	)
	require.NoError(t, dspy.Load(fresh, path))

	assert.Equal(t, dspy.StateOf(program), dspy.StateOf(fresh))
	assert.True(t, query.Signature.Equal(freshQuery.Signature))
	assert.True(t, answer.Signature.Equal(freshAnswer.Signature))
	n, _ := freshAnswer.Demos[0].Get("answer")
	assert.Equal(t, 2, n, "numbers come back as the ints they were")
}

// stateFixedLM is an LM that is never called; state tests only need its name.
type stateFixedLM struct{ model string }

func (l stateFixedLM) Call(context.Context, dspy.LMRequest) (dspy.LMResponse, error) {
	return dspy.LMResponse{}, nil
}

func (l stateFixedLM) ModelName() string { return l.model }

func TestStateRecordsOnlyTheLMModelAndLoadKeepsThePredictorsLM(t *testing.T) {
	p := dspy.NewPredict(dspy.MustSignature("q -> a"))
	p.LM = stateFixedLM{model: "openai/gpt-4o-mini"}

	st := p.State()
	assert.Equal(t, map[string]any{"model": "openai/gpt-4o-mini"}, st.LM)

	other := stateFixedLM{model: "local/llama"}
	q := dspy.NewPredict(dspy.MustSignature("q -> a"))
	q.LM = other
	require.NoError(t, q.LoadState(st))
	assert.Equal(t, other, q.LM, "saved LM settings never replace the configured client")

	assert.Nil(t, dspy.NewPredict(dspy.MustSignature("q -> a")).State().LM, "no LM saves as null")
}

func TestStateOfWritesMetadataPythonDSPyCanLoad(t *testing.T) {
	m, _ := stateCoTProgram(t)
	b, err := dspy.StateOf(m).Encode()
	require.NoError(t, err)

	var raw map[string]any
	require.NoError(t, json.Unmarshal(b, &raw))
	meta, ok := raw["metadata"].(map[string]any)
	require.True(t, ok)
	versions, ok := meta["dependency_versions"].(map[string]any)
	require.True(t, ok)
	// Python's Module.load looks each key up in its own table of python, dspy
	// and cloudpickle versions; any other key raises KeyError there.
	for k := range versions {
		assert.Contains(t, []string{"python", "dspy", "cloudpickle"}, k)
	}
	assert.Equal(t, dspy.ImplementationVersion, meta["durable_dspy"])
}

func TestLoadStateErrorsExplainTheMismatch(t *testing.T) {
	golden, err := os.ReadFile(cotSavedPath)
	require.NoError(t, err)
	var cot dspy.ProgramState
	require.NoError(t, json.Unmarshal(golden, &cot))

	tests := []struct {
		name    string
		program func(t *testing.T) dspy.Module
		wantErr []string
	}{
		{
			name: "predictor missing from the file",
			program: func(t *testing.T) dspy.Module {
				_, p := stateCoTProgram(t)
				return stateModule(dspy.NamedPredictor{Name: "generate_answer.predict", Predictor: p})
			},
			wantErr: []string{`no state for predictor "generate_answer.predict"`, `"predict"`},
		},
		{
			name:    "file has a predictor the program lacks",
			program: func(*testing.T) dspy.Module { return stateModule() },
			wantErr: []string{`saved program has predictors ["predict"]`},
		},
		{
			name: "wrong field count",
			program: func(t *testing.T) dspy.Module {
				return stateModule(dspy.NamedPredictor{Name: "predict", Predictor: dspy.NewPredict(dspy.MustSignature("question -> answer"))})
			},
			wantErr: []string{`predictor "predict"`, "saved signature has 3 fields", "question -> answer has 2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := dspy.LoadState(tt.program(t), cot)
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestLoadRejectsFilesThatAreNotSavedPrograms(t *testing.T) {
	dir := t.TempDir()
	m, _ := stateCoTProgram(t)

	err := dspy.Load(m, filepath.Join(dir, "absent.json"))
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)

	notObject := filepath.Join(dir, "list.json")
	require.NoError(t, os.WriteFile(notObject, []byte(`[1, 2]`), 0o644))
	err = dspy.Load(m, notObject)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a saved DSPy program")
	assert.Contains(t, err.Error(), "keyed by predictor path")
}

func TestLoadStateLeavesPredictorUntouchedOnError(t *testing.T) {
	p := dspy.NewPredict(dspy.MustSignature("question -> answer"))
	before := p.State()
	err := p.LoadState(dspy.PredictorState{
		Demos:     []dspy.Example{dspy.NewExample("question", "q")},
		Signature: dspy.SignatureState{Instructions: "x", Fields: []dspy.FieldState{{Prefix: "Q:"}}},
	})
	require.Error(t, err)
	assert.Equal(t, before, p.State())
}

func TestProgramStateGetAndNames(t *testing.T) {
	golden, err := os.ReadFile(cotSavedPath)
	require.NoError(t, err)
	var st dspy.ProgramState
	require.NoError(t, json.Unmarshal(golden, &st))

	assert.Equal(t, []string{"predict"}, st.Names())
	ps, ok := st.Get("predict")
	require.True(t, ok)
	assert.Equal(t, "Answer the question concisely.", ps.Signature.Instructions)
	_, ok = st.Get("absent")
	assert.False(t, ok)
}

func TestLoadStateLeavesProgramUntouchedWhenAnyPredictorFails(t *testing.T) {
	first := dspy.NewPredict(dspy.MustSignature("question -> answer"))
	second := dspy.NewPredict(dspy.MustSignature("question -> answer"))
	program := stateModule(
		dspy.NamedPredictor{Name: "first", Predictor: first},
		dspy.NamedPredictor{Name: "second", Predictor: second},
	)
	good := dspy.PredictorState{
		Demos:     []dspy.Example{dspy.NewExample("question", "q", "answer", "a")},
		Signature: dspy.SignatureState{Instructions: "Loaded.", Fields: []dspy.FieldState{{Prefix: "Q:"}, {Prefix: "A:"}}},
	}
	bad := good
	bad.Signature.Fields = bad.Signature.Fields[:1]
	before := dspy.StateOf(program)

	err := dspy.LoadState(program, dspy.ProgramState{Predictors: []dspy.NamedState{{Name: "first", State: good}, {Name: "second", State: bad}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `predictor "second"`)
	assert.Equal(t, before, dspy.StateOf(program), "the first predictor must not be half loaded")

	require.NoError(t, dspy.LoadState(program, dspy.ProgramState{Predictors: []dspy.NamedState{{Name: "first", State: good}, {Name: "second", State: good}}}))
	assert.Equal(t, "Loaded.", first.Signature.Instructions())
	assert.Equal(t, "Loaded.", second.Signature.Instructions())
}

// Files this package wrote before it saved a single Predict flat hold the
// predictor under "self"; they load as they always did, into the same state.
func TestASinglePredictLoadsFromEitherLayout(t *testing.T) {
	program := dspy.NewPredict(dspy.MustSignature("question -> answer", "Answer briefly."))
	program.Demos = []dspy.Example{dspy.NewExample("question", "q", "answer", "a")}
	flat, err := dspy.StateOf(program).Encode()
	require.NoError(t, err)
	predictor, metadata := splitAtMetadata(t, flat)
	nested := "{\n  \"self\": " + strings.TrimSuffix(string(predictor), ",\n") + "\n  },\n" + string(metadata)

	for name, file := range map[string]string{"flat": string(flat), "self": nested} {
		var st dspy.ProgramState
		require.NoError(t, json.Unmarshal([]byte(file), &st), name)
		assert.Equal(t, []string{"self"}, st.Names(), name)
		fresh := dspy.NewPredict(dspy.MustSignature("question -> answer"))
		require.NoError(t, dspy.LoadState(fresh, st), name)
		assert.Equal(t, "Answer briefly.", fresh.Signature.Instructions(), name)
		assert.Equal(t, program.Demos, fresh.Demos, name)
	}
}

// A program whose predictors sit at paths named like a predictor's keys is
// still read as one predictor per path, not as a flat Predict.
func TestPredictorPathsNamedLikePredictorKeysStayNested(t *testing.T) {
	st := dspy.StateOf(stateModule(
		dspy.NamedPredictor{Name: "signature", Predictor: dspy.NewPredict(dspy.MustSignature("a -> b"))},
		dspy.NamedPredictor{Name: "demos", Predictor: dspy.NewPredict(dspy.MustSignature("b -> c"))},
	))
	b, err := st.Encode()
	require.NoError(t, err)
	var back dspy.ProgramState
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, []string{"signature", "demos"}, back.Names())
}
