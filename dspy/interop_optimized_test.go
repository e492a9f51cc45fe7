package dspy_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// The programs two optimizers compile, as DSPy 3.3.1 saves them.
//
// Ensemble: DSPy's Ensemble.compile(programs) returns an EnsembledProgram
// holding the members in a list attribute "programs", and Module.save names
// a list item's predictors "programs[i]" (a Predict member) or
// "programs[i].<path>", as EnsembleProgram does. DSPy writes nothing else:
// neither the member count, nor size, nor reduce_fn is state. So DSPy's file
// is ours without metadata "ensemble", the marker from which BuildProgram
// builds the ensemble around fresh instances of the program (Size, the
// members each call runs, and the Majority reduction). BuildProgram knows
// DSPy's file by its paths instead: every member runs and votes by
// Majority, DSPy's size and reduce_fn being code, not state.
//
// KNNFewShot: DSPy's compile returns student.reset_copy() with its forward
// replaced by one that looks the inputs' neighbours up in the trainset and
// bootstraps demos from them at every call. Its state is the student's with
// every predictor's demos emptied; the trainset, the vectorizer and k live
// in the optimizer object the new forward closes over and are never saved.
// Ours saves the same predictors, byte for byte, plus metadata "knn": k,
// the demo limits, and the training examples with their unit vectors and
// the demos their compile-time bootstrap runs left. DSPy ignores that key,
// so it loads our file into KNNFewShot(k, trainset, vectorizer).compile of
// the student and its predictors format as ours do. (DSPy's compiled
// forward then bootstraps the student object compile was given, not
// itself, so what a call sends keeps that object's instructions whatever
// state was loaded.) DSPy's file, lacking the index, loads here as the
// student at rest (no demos): a KNNProgram cannot be rebuilt from it, and
// BuildProgram gives the plain program.
var interopOptimizedCases = []interopCase{
	{
		kind: "ensemble",
		new: func(t *testing.T) dspy.Module {
			e := &optimize.EnsembleProgram{}
			for range 3 {
				cot, err := dspy.NewChainOfThought(dspy.MustSignature("question -> answer: int"))
				require.NoError(t, err)
				e.Programs = append(e.Programs, cot)
			}
			return e
		},
		saved: ensembleSaved,
		predictors: []interopPredictor{
			{
				path:         "programs[0].predict",
				instructions: "Think it through, then answer with a single integer.",
				demos: []dspy.Example{dspy.NewExample("question", "What is 3 * 3?", "reasoning", "3 times 3 is 9.",
					"answer", 9, "augmented", true)},
				inputs: dspy.NewExample("question", "What is 7 * 6?"),
			},
			{
				path:   "programs[1].predict",
				demos:  []dspy.Example{dspy.NewExample("question", "What is 10 - 4?", "answer", 6)},
				inputs: dspy.NewExample("question", "What is 7 * 6?"),
			},
			{
				path:         "programs[2].predict",
				instructions: "Answer with an integer; show your arithmetic.",
				inputs:       dspy.NewExample("question", "What is 7 * 6?"),
			},
		},
	},
	{
		// Members that are a single Predict sit at "programs[i]".
		kind: "ensemble_predict",
		new: func(*testing.T) dspy.Module {
			return &optimize.EnsembleProgram{Programs: []dspy.Module{
				dspy.NewPredict(dspy.MustSignature("question -> answer: int")),
				dspy.NewPredict(dspy.MustSignature("question -> answer: int")),
			}}
		},
		saved: ensembleSaved,
		predictors: []interopPredictor{
			{
				path:         "programs[0]",
				instructions: "Answer the arithmetic question with a single integer.",
				demos:        []dspy.Example{dspy.NewExample("question", "What is 2 + 3?", "answer", 5, "augmented", true)},
				inputs:       dspy.NewExample("question", "What is 6 * 7?"),
			},
			{
				path:   "programs[1]",
				demos:  []dspy.Example{dspy.NewExample("question", "What is 10 - 4?", "answer", 6)},
				inputs: dspy.NewExample("question", "What is 6 * 7?"),
			},
		},
	},
	{
		// The student as given to the optimizer: its instructions stay, its
		// demo goes, on both sides.
		kind: "knn_fewshot",
		new: func(t *testing.T) dspy.Module {
			cot, err := dspy.NewChainOfThought(dspy.MustSignature("question -> answer: int"))
			return mustModule(t, cot, err)
		},
		saved: knnSaved,
		predictors: []interopPredictor{{
			path:         "predict",
			instructions: "Think it through, then answer with a single integer.",
			demos: []dspy.Example{dspy.NewExample("question", "What is 3 * 3?", "reasoning", "3 times 3 is 9.",
				"answer", 9, "augmented", true)},
			inputs: dspy.NewExample("question", "What is 7 * 6?"),
		}},
	},
}

func init() { interopCases = append(interopCases, interopOptimizedCases...) }

// ensembleSaved is the state the Ensemble optimizer writes for the built
// ensemble: its members' states, every member run at each call.
func ensembleSaved(_ *testing.T, built dspy.Module) dspy.ProgramState {
	var members []dspy.ProgramState
	for _, m := range built.(*optimize.EnsembleProgram).Programs {
		members = append(members, dspy.StateOf(m))
	}
	return optimize.EnsembleState(members, 0)
}

// interopKNNTrainset is the trainset of the KNN case; the script gives
// DSPy's KNNFewShot the same.
var interopKNNTrainset = []dspy.Example{
	dspy.NewExample("question", "What is 2 + 3?", "answer", 5).WithInputs("question"),
	dspy.NewExample("question", "What is 12 - 4?", "answer", 8).WithInputs("question"),
	dspy.NewExample("question", "What is 6 * 7?", "answer", 42).WithInputs("question"),
}

// operatorEmbedder embeds a text by the arithmetic operators it holds, so
// questions of one kind are near.
var operatorEmbedder = dspy.EmbedderFunc(func(_ context.Context, texts []string) ([][]float32, dspy.Usage, error) {
	out := make([][]float32, len(texts))
	for i, text := range texts {
		out[i] = []float32{float32(strings.Count(text, "+")), float32(strings.Count(text, "-")), float32(strings.Count(text, "*")), 1}
	}
	return out, dspy.Usage{}, nil
})

// knnSaved compiles the built student with KNNFewShot (k 2, no bootstrapped
// demos, so the index depends on the trainset and the embedder alone) and
// returns the compiled program's state.
func knnSaved(t *testing.T, built dspy.Module) dspy.ProgramState {
	t.Helper()
	lm := &dspytest.FuncLM{Reply: func(context.Context, dspy.LMRequest) (string, error) {
		return dspytest.ChatReply("reasoning", "I compute it.", "answer", "5"), nil
	}}
	newProgram := func() (dspy.Module, error) {
		return dspy.NewChainOfThought(dspy.MustSignature("question -> answer: int"))
	}
	engine, err := optimize.NewLocalEngine(optimize.LocalOptions{
		Program: newProgram, Metric: evaluate.ExactMatch("answer"), TaskLM: lm, Embedder: operatorEmbedder, Concurrency: 1,
	})
	require.NoError(t, err)
	opt, err := optimize.New("knn_fewshot", json.RawMessage(`{"k": 2, "max_bootstrapped_demos": 0, "max_labeled_demos": 2}`))
	require.NoError(t, err)
	res, err := opt.Compile(context.Background(), engine, optimize.TaskFor(built, interopKNNTrainset, nil))
	require.NoError(t, err)
	return res.Program
}

// Every ensemble file rebuilds here from the file alone: ours by its
// marker, DSPy's by its paths. A KNN program saved here rebuilds from its
// file; DSPy's does not (see interopOptimizedCases).
func TestOptimizedProgramsRebuildFromTheirFiles(t *testing.T) {
	newCoT := func() (dspy.Module, error) {
		return dspy.NewChainOfThought(dspy.MustSignature("question -> answer: int"))
	}
	newPredict := func() (dspy.Module, error) {
		return dspy.NewPredict(dspy.MustSignature("question -> answer: int")), nil
	}
	members := func(n int) func(t *testing.T, m dspy.Module) {
		return func(t *testing.T, m dspy.Module) {
			e, ok := m.(*optimize.EnsembleProgram)
			require.True(t, ok, "%T", m)
			assert.Len(t, e.Programs, n)
		}
	}
	for _, tc := range []struct {
		file       string
		newProgram func() (dspy.Module, error)
		want       func(t *testing.T, m dspy.Module)
	}{
		{"go-saved-ensemble.json", newCoT, members(3)},
		{"dspy-saved-ensemble.json", newCoT, members(3)},
		{"go-saved-ensemble_predict.json", newPredict, members(2)},
		{"dspy-saved-ensemble_predict.json", newPredict, members(2)},
		{"go-saved-knn_fewshot.json", newCoT, func(t *testing.T, m dspy.Module) {
			assert.IsType(t, &optimize.KNNProgram{}, m)
		}},
		{"dspy-saved-knn_fewshot.json", newCoT, func(t *testing.T, m dspy.Module) {
			assert.IsType(t, &dspy.ChainOfThought{}, m)
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(interopDir + "/" + tc.file)
			require.NoError(t, err)
			var st dspy.ProgramState
			require.NoError(t, json.Unmarshal(raw, &st))
			m, err := optimize.BuildProgram(tc.newProgram, st)
			require.NoError(t, err)
			tc.want(t, m)
			require.NoError(t, dspy.LoadState(m, st))
		})
	}
}

// DSPy saves the predictors of a member its optimizers compiled (marked
// _compiled, as BootstrapFewShot and the optimizers built on it leave their
// program) nowhere: named_parameters skips a compiled sub-module, so an
// Ensemble of compiled ChainOfThought programs, the ensemble DSPy's
// documentation builds from a random search's candidates, saves only its
// metadata, and DSPy loads it as a no-op. This package refuses such a
// file rather than run members with no demos, naming what is missing.
func TestAnEnsembleOfCompiledMembersSavedByDSPyHoldsNoPredictors(t *testing.T) {
	path := interopDir + "/dspy-saved-ensemble_compiled.json"
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var st dspy.ProgramState
	require.NoError(t, json.Unmarshal(raw, &st))
	assert.Empty(t, st.Predictors)
	assert.Equal(t, "3.3.1", st.Metadata["dependency_versions"].(map[string]any)["dspy"])

	e := interopOptimizedCases[0].new(t)
	err = dspy.Load(e, path)
	require.ErrorContains(t, err, `saved program has no state for predictor "programs[0].predict"`)
}
