package workflows_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

var arithmeticSpec = spec.Program{Module: "predict", Signature: "question -> answer"}

// optimizerCase is a small run of one optimizer: parameters and data sizes
// chosen so each run takes well under a second on the simulated LM, while
// still going through every phase of the optimizer (bootstrapping, proposing,
// searching, reflecting, merging).
type optimizerCase struct {
	name       string
	params     string
	train, val int
}

// optimizerCases lists every optimizer the project ships; the tests skip a
// name that is not registered yet, naming it.
var optimizerCases = []optimizerCase{
	{name: "labeled_fewshot", params: `{"k": 3}`, train: 6, val: 4},
	{name: "bootstrap_fewshot", params: `{"max_bootstrapped_demos": 8, "max_labeled_demos": 3}`, train: 8, val: 6},
	{name: "bootstrap_random_search", params: `{"num_candidate_programs": 2, "max_bootstrapped_demos": 2, "max_labeled_demos": 3}`, train: 8, val: 8},
	{name: "copro", params: `{"breadth": 2, "depth": 2}`, train: 6, val: 6},
	{name: "miprov2", params: `{"auto": "none", "num_candidates": 2, "num_trials": 3, "minibatch_size": 4, "minibatch_full_eval_steps": 2, "max_bootstrapped_demos": 2, "max_labeled_demos": 2}`, train: 8, val: 8},
	{name: "gepa", params: `{"max_metric_calls": 40, "reflection_minibatch_size": 2, "seed": 1}`, train: 6, val: 6},
	{name: "simba", params: `{"bsize": 4, "num_candidates": 2, "max_steps": 2, "max_demos": 2, "seed": 3}`, train: 8, val: 4},
	{name: "ensemble", params: `{"num_programs": 3, "size": 2, "max_bootstrapped_demos": 2, "max_labeled_demos": 2}`, train: 6, val: 6},
	{name: "infer_rules", params: `{"num_candidates": 2, "num_rules": 3, "max_bootstrapped_demos": 2, "max_labeled_demos": 2}`, train: 6, val: 6},
	{name: "knn_fewshot", params: `{"k": 2, "max_bootstrapped_demos": 1, "max_labeled_demos": 2}`, train: 6, val: 4},
}

// requireRegistered skips the test when the optimizer is not registered yet.
func requireRegistered(t *testing.T, name string) {
	t.Helper()
	if !slices.Contains(optimize.Names(), name) {
		t.Skipf("optimizer %q is not registered in package optimize yet", name)
	}
}

func (c optimizerCase) data() (train, val []dspy.Example) {
	return testkit.Arithmetic(1, c.train), testkit.Arithmetic(2, c.val)
}

// input is the workflow input for the case, with its data inline.
func (c optimizerCase) input() workflows.OptimizeInput {
	train, val := c.data()
	return workflows.OptimizeInput{
		Optimizer: c.name, Params: json.RawMessage(c.params),
		Program:  activities.ProgramRef{Spec: arithmeticSpec.JSON()},
		Trainset: activities.DatasetRef{Examples: train}, Valset: &activities.DatasetRef{Examples: val},
		Metric:    "exact_match",
		Execution: workflows.Execution{BatchSize: 3, MaxParallelActivities: 4},
	}
}

// fastLM are client options for tests: quick timeouts and backoffs, so
// injected hangs and rate limits cost milliseconds.
func fastLM(maxRetries int) lm.Options {
	return lm.Options{
		MaxRetries: maxRetries, Timeout: 2 * time.Second,
		InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
	}
}

// workerConfig runs the real activities on client, with no programs
// registered beyond inline specs and the built-in metrics.
func workerConfig(client dspy.LM) workflows.Config {
	return workflows.Config{TaskLM: client, Concurrency: 4, Embedder: numbersEmbedder}
}

// newEnv returns the SDK's test environment with the workflows and the real
// activities registered.
func newEnv(t *testing.T, cfg workflows.Config) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	// The activities' expected failures (injected faults, unparseable
	// replies) would otherwise flood the output; results are asserted.
	ts.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := ts.NewTestWorkflowEnvironment()
	env.SetTestTimeout(2 * time.Minute)
	require.NoError(t, workflows.Register(env, cfg))
	return env
}

// runDurable runs an optimization in the SDK's test environment with the real
// activities on the simulated LM.
func runDurable(t *testing.T, client dspy.LM, in workflows.OptimizeInput) workflows.OptimizeResult {
	t.Helper()
	env := newEnv(t, workerConfig(client))
	env.ExecuteWorkflow(workflows.OptimizeWorkflowName, in)
	return resultOf(t, env)
}

func resultOf(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.OptimizeResult {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out workflows.OptimizeResult
	require.NoError(t, env.GetWorkflowResult(&out))
	return out
}

// runLocal runs the same optimization in process, on the LocalEngine.
func runLocal(t *testing.T, client dspy.LM, name string, params json.RawMessage, train, val []dspy.Example) optimize.Result {
	t.Helper()
	opt, err := optimize.New(name, params)
	require.NoError(t, err)
	eng, err := optimize.NewLocalEngine(optimize.LocalOptions{
		Program: func() (dspy.Module, error) { return arithmeticSpec.Build(nil) },
		Metric:  evaluate.ExactMatch("answer"), TaskLM: client, Concurrency: 8, Embedder: numbersEmbedder,
	})
	require.NoError(t, err)
	program, err := arithmeticSpec.Build(nil)
	require.NoError(t, err)
	res, err := opt.Compile(context.Background(), eng, optimize.TaskFor(program, train, val))
	require.NoError(t, err)
	return res
}

// localResult runs the case in process on its own fault-free simulated LM.
func (c optimizerCase) localResult(t *testing.T, seed int64) optimize.Result {
	t.Helper()
	_, client := testkit.SimLM(t, simlm.Config{Seed: seed}, fastLM(3))
	train, val := c.data()
	return runLocal(t, client, c.name, json.RawMessage(c.params), train, val)
}

// recordingLM counts the requests sent through it, by their JSON encoding.
type recordingLM struct {
	dspy.LM
	mu       sync.Mutex
	requests map[string]int
}

func newRecordingLM(lm dspy.LM) *recordingLM {
	return &recordingLM{LM: lm, requests: map[string]int{}}
}

func (r *recordingLM) Call(ctx context.Context, req dspy.LMRequest) (dspy.LMResponse, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return dspy.LMResponse{}, err
	}
	r.mu.Lock()
	r.requests[string(b)]++
	r.mu.Unlock()
	return r.LM.Call(ctx, req)
}

// encoded is a program state's canonical bytes, for byte-for-byte comparison.
func encoded(t *testing.T, st dspy.ProgramState) string {
	t.Helper()
	b, err := st.Encode()
	require.NoError(t, err)
	return string(b)
}

func caseNamed(t *testing.T, name string) optimizerCase {
	t.Helper()
	for _, c := range optimizerCases {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no test case for optimizer %q", name)
	return optimizerCase{}
}
