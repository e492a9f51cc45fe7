package workflows_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// A compiled ensemble runs durably as it runs in process: every member's
// call, then the majority.
func TestRunProgramRunsACompiledEnsemble(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(0))
	programSpec := json.RawMessage(`{"module":"predict","signature":"question -> answer"}`)
	var p spec.Program
	require.NoError(t, json.Unmarshal(programSpec, &p))
	newProgram := func() (dspy.Module, error) { return p.Build(nil) }
	var members []dspy.ProgramState
	for _, demo := range []string{"What is 2 + 3?", "What is 7 - 4?", "What is 6 + 6?"} {
		m, err := newProgram()
		require.NoError(t, err)
		m.Predictors()[0].Predictor.Demos = []dspy.Example{dspy.NewExample("question", demo, "answer", "0")}
		members = append(members, dspy.StateOf(m))
	}
	state := optimize.EnsembleState(members, 0)
	in := runProgramInput(programSpec, "What is 12 + 30?")
	in.State = &state

	local, err := optimize.BuildProgram(newProgram, state)
	require.NoError(t, err)
	require.NoError(t, dspy.LoadState(local, state))
	want, err := local.Call(dspy.WithLM(context.Background(), client), in.Inputs)
	require.NoError(t, err)

	got, err := runProgram(t, newEnv(t, workerConfig(client)), in)
	require.NoError(t, err)
	assert.Equal(t, want.Example.Map(), got.Outputs.Map())
	assert.Equal(t, 3, got.Usage.Calls, "one call per member")
}
