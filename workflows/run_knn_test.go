package workflows_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// A compiled KNNFewShot program, compiled durably, runs durably as it runs
// in process: its inputs embedded by an activity, then the program with its
// neighbours' demos.
func TestRunProgramRunsACompiledKNNProgram(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(3))
	c := caseNamed(t, "knn_fewshot")
	compiled := runDurable(t, client, c.input())
	require.Contains(t, compiled.Program.Metadata, "knn")

	in := runProgramInput(json.RawMessage(arithmeticSpec.JSON()), "What is 12 + 30?")
	in.State = &compiled.Program
	local, err := optimize.BuildProgram(func() (dspy.Module, error) { return arithmeticSpec.Build(nil) }, compiled.Program)
	require.NoError(t, err)
	require.NoError(t, dspy.LoadState(local, compiled.Program))
	ctx := dspy.WithEmbedder(dspy.WithLM(context.Background(), client), numbersEmbedder)
	want, err := local.Call(ctx, in.Inputs)
	require.NoError(t, err)

	got, err := runProgram(t, newEnv(t, workerConfig(client)), in)
	require.NoError(t, err)
	assert.Equal(t, want.Example.Map(), got.Outputs.Map())
	assert.Equal(t, want.Usage.Calls, got.Usage.Calls, "the same calls durably, the embedding included")
	assert.Equal(t, want.Usage.PromptTokens, got.Usage.PromptTokens, "the embedding's tokens count")
}
