package workflows_test

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
)

var nativeReactSpec = json.RawMessage(`{"module":"react","signature":"question -> answer","tools":["lookup"],"max_iters":4,"native_tool_calls":true}`)

// nativeReactQuestion is one the simulated agent answers with two tool
// calls in its first turn.
const nativeReactQuestion = "What is 7 + 8?"

// A ReAct run with native tool calls sends the tools in the requests, runs
// every call of a turn as an activity of its own, and answers as the same
// program does in-process.
func TestRunProgramRunsNativeToolCalls(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(0))
	question := dspy.NewExample("question", nativeReactQuestion).WithInputs("question")
	var local, durable atomic.Int64
	localLM := newRecordingLM(client)
	want := runInProcess(t, localLM, nativeReactSpec, spec.Tools{"lookup": lookupTool(t, &local)}, nil, question)
	v, _ := want.Get("trajectory")
	calls, _ := v.(dspy.Example).Get("tool_calls_0")
	require.GreaterOrEqual(t, len(calls.(dspy.ToolCalls).Calls), 2, "the simulated agent made one call in its first turn; pick another question")
	withTools := 0
	for req := range localLM.requests {
		if strings.Contains(req, `"tools":[`) {
			withTools++
		}
	}
	assert.Positive(t, withTools, "the react steps send their tools natively")

	durableLM := newRecordingLM(client)
	cfg := workerConfig(durableLM)
	cfg.Tools = []*dspy.Tool{lookupTool(t, &durable)}
	env := newEnv(t, cfg)
	got, err := runProgram(t, env, runProgramInput(nativeReactSpec, nativeReactQuestion))
	require.NoError(t, err)
	assert.Equal(t, localLM.requests, durableLM.requests)
	for _, field := range []string{"answer", "reasoning"} {
		w, _ := want.Example.Get(field)
		g, _ := got.Outputs.Get(field)
		assert.Equal(t, w, g, field)
	}
	assert.Equal(t, local.Load(), durable.Load())
	assert.GreaterOrEqual(t, got.ToolCalls, 2)
	assert.Equal(t, int(durable.Load()), got.ToolCalls)
}
