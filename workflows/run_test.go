package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// lookupTool is the tool the react runs use; calls counts its runs.
func lookupTool(t *testing.T, calls *atomic.Int64) *dspy.Tool {
	t.Helper()
	schema := &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{"topic": {Type: "string"}}}
	tool, err := dspy.NewToolWithSchema("lookup", "Looks a topic up.", schema, func(_ context.Context, args map[string]any) (any, error) {
		calls.Add(1)
		return map[string]any{"topic": args["topic"], "facts": []any{"two plus two is four", 4}}, nil
	})
	require.NoError(t, err)
	return tool
}

var reactSpec = json.RawMessage(`{"module":"react","signature":"question -> answer","tools":["lookup"],"max_iters":4}`)

func runProgramInput(programSpec json.RawMessage, question string) workflows.RunProgramInput {
	return workflows.RunProgramInput{
		Program: activities.ProgramRef{Spec: programSpec},
		Inputs:  dspy.NewExample("question", question).WithInputs("question"),
	}
}

func runProgram(t *testing.T, env *testsuite.TestWorkflowEnvironment, in workflows.RunProgramInput) (workflows.RunProgramOutput, error) {
	t.Helper()
	env.ExecuteWorkflow(workflows.RunProgramWorkflowName, in)
	require.True(t, env.IsWorkflowCompleted())
	if err := env.GetWorkflowError(); err != nil {
		return workflows.RunProgramOutput{}, err
	}
	var out workflows.RunProgramOutput
	require.NoError(t, env.GetWorkflowResult(&out))
	return out, nil
}

// runInProcess runs a spec as serving in-process does, for comparison.
func runInProcess(t *testing.T, lm dspy.LM, programSpec json.RawMessage, tools spec.Tools, state *dspy.ProgramState, inputs dspy.Example) dspy.Prediction {
	t.Helper()
	var p spec.Program
	require.NoError(t, json.Unmarshal(programSpec, &p))
	m, err := p.Build(tools)
	require.NoError(t, err)
	if state != nil {
		require.NoError(t, dspy.LoadState(m, *state))
	}
	pred, err := m.Call(dspy.WithLM(context.Background(), lm), inputs)
	require.NoError(t, err)
	return pred
}

// A durable run of a predictor with compiled demos answers what the same
// program answers in-process, with one activity per LM call and the same
// usage.
func TestRunProgramAnswersAsInProcess(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(0))
	predictSpec := json.RawMessage(`{"module":"chain_of_thought","signature":"question -> answer: int"}`)
	var p spec.Program
	require.NoError(t, json.Unmarshal(predictSpec, &p))
	compiled, err := p.Build(nil)
	require.NoError(t, err)
	compiled.Predictors()[0].Predictor.Demos = []dspy.Example{dspy.NewExample("question", "What is 2 + 3?", "reasoning", "Add them.", "answer", 5)}
	state := dspy.StateOf(compiled)
	in := runProgramInput(predictSpec, "What is 12 + 30?")
	in.State = &state

	want := runInProcess(t, client, predictSpec, nil, &state, in.Inputs)

	env := newEnv(t, workerConfig(client))
	var lmActivities int
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == activities.CallLMName {
			lmActivities++
		}
	})
	got, err := runProgram(t, env, in)
	require.NoError(t, err)
	assert.Equal(t, want.Example.Map(), got.Outputs.Map())
	assert.Equal(t, 1, got.Usage.Calls)
	assert.Equal(t, 1, lmActivities)
	assert.Positive(t, got.Usage.PromptTokens)
}

// A ReAct run calls its tools as activities on the worker: each tool call
// runs once, the model is sent exactly the requests an in-process run sends,
// and it answers the same. (The trajectory keeps each observation as the
// text the model was shown.)
func TestRunProgramCallsToolsAsActivities(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(0))
	question := dspy.NewExample("question", "What is 7 + 8?").WithInputs("question")
	var local, durable atomic.Int64
	localLM := newRecordingLM(client)
	want := runInProcess(t, localLM, reactSpec, spec.Tools{"lookup": lookupTool(t, &local)}, nil, question)
	require.Positive(t, local.Load(), "the simulated agent never called the tool; pick another question")

	durableLM := newRecordingLM(client)
	cfg := workerConfig(durableLM)
	cfg.Tools = []*dspy.Tool{lookupTool(t, &durable)}
	env := newEnv(t, cfg)
	got, err := runProgram(t, env, runProgramInput(reactSpec, "What is 7 + 8?"))
	require.NoError(t, err)
	assert.Equal(t, localLM.requests, durableLM.requests)
	for _, field := range []string{"answer", "reasoning"} {
		w, _ := want.Example.Get(field)
		g, _ := got.Outputs.Get(field)
		assert.Equal(t, w, g, field)
	}
	assert.Equal(t, local.Load(), durable.Load())
	assert.Equal(t, int(durable.Load()), got.ToolCalls)
	assert.Equal(t, len(durableLM.requests), got.Usage.Calls)
}

// A reply that never parses fails the run with the raw reply and what the
// calls cost; a predictor holding its own LM is refused before any call.
func TestRunProgramFailures(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(0))
	garbled := &dspytest.FuncLM{Reply: func(context.Context, dspy.LMRequest) (string, error) { return "no fields here", nil }}
	env := newEnv(t, workerConfig(garbled))
	_, err := runProgram(t, env, runProgramInput(json.RawMessage(`{"module":"predict","signature":"question -> answer: int"}`), "What is 1 + 1?"))
	require.Error(t, err)
	failure, errType, ok := workflows.RunFailureOf(err)
	require.True(t, ok)
	assert.Equal(t, workflows.ErrTypeParse, errType)
	assert.Equal(t, "no fields here", failure.Raw)
	assert.Equal(t, 2, failure.Usage.Calls, "the chat call and the JSON fallback")

	env = newEnv(t, workerConfig(client))
	_, err = runProgram(t, env, runProgramInput(reactSpec, "What is 1 + 1?"))
	require.Error(t, err)
	_, errType, _ = workflows.RunFailureOf(err)
	assert.Equal(t, activities.ErrTypeConfig, errType)
	assert.Contains(t, err.Error(), "lookup")

	own := &dspytest.FuncLM{Reply: func(context.Context, dspy.LMRequest) (string, error) { return "", errors.New("never called") }}
	program := func() (dspy.Module, error) {
		p := dspy.NewPredict(dspy.MustSignature("question -> answer"))
		p.LM = own
		return p, nil
	}
	cfg := workerConfig(client)
	cfg.Programs = map[string]activities.ProgramFactory{"own-lm": program}
	env = newEnv(t, cfg)
	in := runProgramInput(nil, "What is 1 + 1?")
	in.Program = activities.ProgramRef{Name: "own-lm"}
	_, err = runProgram(t, env, in)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "leave Predict.LM unset")
	assert.Empty(t, own.Requests())
}

// runHistoriesDir holds recorded RunProgram histories; they replay with the
// worker's tools registered, so they live apart from the optimizers'.
const runHistoriesDir = historiesDir + "/run"

// runHistoryCases are the runs recorded for the replay test.
var runHistoryCases = map[string]workflows.RunProgramInput{
	"chain_of_thought": runProgramInput(json.RawMessage(`{"module":"chain_of_thought","signature":"question -> answer: int"}`), "What is 12 + 30?"),
	"react":            runProgramInput(reactSpec, "What is 7 + 8?"),
	"react_native":     runProgramInput(nativeReactSpec, nativeReactQuestion),
}

// replayRegistrar lets Register fill a replayer, which runs no activities.
type replayRegistrar struct{ worker.WorkflowReplayer }

func (replayRegistrar) RegisterActivityWithOptions(any, activity.RegisterOptions) {}

// TestRecordRunHistories records the RunProgram histories, as
// TestRecordHistories does the optimizers':
//
//	DSPY_RECORD_HISTORIES=1 go test ./workflows/ -run TestRecordRunHistories
func TestRecordRunHistories(t *testing.T) {
	if os.Getenv("DSPY_RECORD_HISTORIES") != "1" {
		t.Skip("set DSPY_RECORD_HISTORIES=1 to record the replay test's histories")
	}
	_, lmClient := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(0))
	var calls atomic.Int64
	cfg := workerConfig(lmClient)
	cfg.Tools = []*dspy.Tool{lookupTool(t, &calls)}
	_, tc := startServer(t, cfg)
	require.NoError(t, os.MkdirAll(runHistoriesDir, 0o755))
	for name, in := range runHistoryCases {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "record-run-" + name, TaskQueue: taskQueue}, workflows.RunProgramWorkflowName, in)
		require.NoError(t, err)
		require.NoError(t, run.Get(ctx, nil))
		cancel()
		writeHistory(t, tc, "record-run-"+name, filepath.Join(runHistoriesDir, name+".json"))
	}
}

// Recorded RunProgram histories replay on today's code, and a run whose
// program changed (other inputs, so other LM requests) does not.
func TestRunHistoriesReplay(t *testing.T) {
	var calls atomic.Int64
	cfg := workflows.Config{TaskLM: &dspytest.FuncLM{}, Tools: []*dspy.Tool{lookupTool(t, &calls)}}
	replayer := worker.NewWorkflowReplayer()
	require.NoError(t, workflows.Register(replayRegistrar{replayer}, cfg))
	for name := range runHistoryCases {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(quietLogger, filepath.Join(runHistoriesDir, name+".json")))
		})
	}
	assert.Zero(t, calls.Load(), "replay runs no tool")

	changed := worker.NewWorkflowReplayer()
	changed.RegisterWorkflowWithOptions(func(ctx workflow.Context, in workflows.RunProgramInput) (workflows.RunProgramOutput, error) {
		var out workflows.RunProgramOutput
		in.Inputs = in.Inputs.Set("question", "What is 1 + 1?")
		err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute}),
			activities.CallToolName, activities.CallToolInput{Tool: "lookup"}).Get(ctx, nil)
		return out, err
	}, workflow.RegisterOptions{Name: workflows.RunProgramWorkflowName})
	err := changed.ReplayWorkflowHistoryFromJSONFile(quietLogger, filepath.Join(runHistoriesDir, "chain_of_thought.json"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TMPRL1100")
}
