package serve

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// ensembleState is a compiled ensemble of three instances of qaSpec's
// program, told to answer "yes", "yes" and "no".
func ensembleState(t *testing.T) dspy.ProgramState {
	t.Helper()
	var members []dspy.ProgramState
	for _, say := range []string{"yes", "yes", "no"} {
		m, err := qaSpec().Build(nil)
		require.NoError(t, err)
		st := dspy.StateOf(m)
		st.Predictors[0].State.Signature.Instructions = "Say " + say + "."
		members = append(members, st)
	}
	return optimize.EnsembleState(members, 0)
}

// instructedLM answers what its prompt's instructions say, and records them.
func instructedLM() (*dspytest.FuncLM, func() []string) {
	var (
		mu   sync.Mutex
		seen []string
	)
	lm := &dspytest.FuncLM{Model: "func-model", Reply: func(_ context.Context, req dspy.LMRequest) (string, error) {
		system := req.Messages[0].Content
		say := system[strings.LastIndex(system, "Say ")+len("Say "):]
		say = say[:strings.IndexByte(say, '.')]
		mu.Lock()
		seen = append(seen, say)
		mu.Unlock()
		return "[[ ## answer ## ]]\n" + say + "\n\n[[ ## completed ## ]]", nil
	}}
	return lm, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// A state file holding a compiled ensemble serves the ensemble: every
// member runs with its own state and the majority answers.
func TestServeLoadsACompiledEnsembleFromAStateFile(t *testing.T) {
	st := ensembleState(t)
	b, err := st.Encode()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "ensemble.json")
	require.NoError(t, os.WriteFile(path, b, 0o600))

	lm, seen := instructedLM()
	_, srv := startHandler(t, Options{Programs: []Program{{
		Name: "qa", Source: SpecSource{Spec: qaSpec(), StateFile: path}, LM: lm,
	}}})
	r := post(t, srv.URL+"/v1/programs/qa", `{"question": "Is it?"}`)
	require.Equal(t, 200, r.status, string(r.body))
	assert.Equal(t, map[string]any{"answer": "yes"}, r.json(t))
	assert.Equal(t, "3", r.header.Get("X-LM-Calls"))
	assert.ElementsMatch(t, []string{"yes", "yes", "no"}, seen(), "each member runs with its own instructions")
}

// A source builds for a state fetched elsewhere (a run's) what the state
// needs: the ensemble for an ensemble's state, the program for a plain one.
func TestSourcesLoadWithAState(t *testing.T) {
	sig := dspy.MustSignature("question -> answer")
	for name, src := range map[string]StateSource{
		"spec":    SpecSource{Spec: qaSpec()},
		"factory": FactorySource{Signature: sig, New: func() (dspy.Module, error) { return dspy.NewPredict(sig), nil }},
	} {
		t.Run(name, func(t *testing.T) {
			loaded, err := src.LoadWithState(context.Background(), ensembleState(t))
			require.NoError(t, err)
			e, ok := loaded.Module.(*optimize.EnsembleProgram)
			require.True(t, ok, "got %T", loaded.Module)
			require.Len(t, e.Programs, 3)
			assert.Equal(t, "Say no.", e.Programs[2].Predictors()[0].Predictor.Signature.Instructions())
			require.NotNil(t, loaded.State)

			plain := dspy.StateOf(dspy.NewPredict(sig.WithInstructions("Be brief.")))
			loaded, err = src.LoadWithState(context.Background(), plain)
			require.NoError(t, err)
			require.Len(t, loaded.Module.Predictors(), 1)
			assert.Equal(t, "Be brief.", loaded.Module.Predictors()[0].Predictor.Signature.Instructions())
		})
	}
}
