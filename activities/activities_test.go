package activities_test

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
)

var arithmeticSpec = spec.Program{Module: "predict", Signature: "question -> answer"}

func newActivities(t *testing.T, client dspy.LM) *activities.Activities {
	t.Helper()
	acts, err := activities.New(activities.Config{TaskLM: client, Concurrency: 2})
	require.NoError(t, err)
	return acts
}

// activityEnv is the SDK's activity test environment with acts registered.
func activityEnv(acts *activities.Activities) *testsuite.TestActivityEnvironment {
	var ts testsuite.WorkflowTestSuite
	// Expected failures would flood the output; results are asserted.
	ts.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := ts.NewTestActivityEnvironment()
	acts.Register(env)
	return env
}

// fastLM keeps a test's retries quick; zero retries leaves them to Temporal.
func fastLM(maxRetries int) lm.Options {
	return lm.Options{MaxRetries: maxRetries, Timeout: 2 * time.Second, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
}

func batchInput(examples []dspy.Example) activities.RunBatchInput {
	ids := make([]int, len(examples))
	for i := range ids {
		ids[i] = 10 + i
	}
	return activities.RunBatchInput{
		Program: activities.ProgramRef{Spec: arithmeticSpec.JSON()}, Metric: "exact_match",
		InputKeys: []string{"question"},
		Batch:     optimize.Batch{Candidate: startState(), Examples: examples, IDs: ids, Label: "test batch"},
	}
}

func startState() dspy.ProgramState {
	p, err := arithmeticSpec.Build(nil)
	if err != nil {
		panic(err)
	}
	return dspy.StateOf(p)
}

func runBatch(t *testing.T, env *testsuite.TestActivityEnvironment, in activities.RunBatchInput) (activities.RunBatchOutput, error) {
	t.Helper()
	v, err := env.ExecuteActivity(activities.RunBatchName, in)
	if err != nil {
		return activities.RunBatchOutput{}, err
	}
	var out activities.RunBatchOutput
	require.NoError(t, v.Get(&out))
	return out, nil
}

func TestRunBatchScoresEveryExampleInOrder(t *testing.T) {
	srv, client := testkit.SimLM(t, simlm.Config{Seed: 2}, fastLM(0))
	data := testkit.Arithmetic(3, 6)
	out, err := runBatch(t, activityEnv(newActivities(t, client)), batchInput(data))
	require.NoError(t, err)

	require.Len(t, out.Outcomes, 6)
	for i, o := range out.Outcomes {
		assert.Equal(t, 10+i, o.ID)
		assert.Empty(t, o.Error)
		right := o.Prediction.GetString("answer") == data[i].GetString("answer")
		assert.Equal(t, right, o.Score == 1, "example %d", i)
		assert.Equal(t, 1, o.Usage.Calls)
	}
	assert.EqualValues(t, 6, srv.Stats().Requests)
}

// A retried batch picks up the outcomes its previous attempt heartbeated and
// runs only the examples that attempt did not finish.
func TestRunBatchResumesFromHeartbeatDetails(t *testing.T) {
	srv, client := testkit.SimLM(t, simlm.Config{Seed: 2}, fastLM(0))
	data := testkit.Arithmetic(3, 6)
	in := batchInput(data)
	// Outcomes the worker cannot have produced, so a rerun would show.
	prior := []optimize.Outcome{
		{ID: 11, Score: 0.25, Feedback: "from the previous attempt", Prediction: dspy.NewExample("answer", "x")},
		{ID: 13, Score: 0.75, Feedback: "from the previous attempt", Prediction: dspy.NewExample("answer", "y")},
	}
	env := activityEnv(newActivities(t, client))
	env.SetHeartbeatDetails(prior)
	out, err := runBatch(t, env, in)
	require.NoError(t, err)

	assert.EqualValues(t, 4, srv.Stats().Requests, "examples finished before the retry ran again")
	require.Len(t, out.Outcomes, 6)
	for i, o := range out.Outcomes {
		assert.Equal(t, 10+i, o.ID, "outcomes keep the batch's order")
	}
	assert.Equal(t, prior[0], out.Outcomes[1])
	assert.Equal(t, prior[1], out.Outcomes[3])
	for _, i := range []int{0, 2, 4, 5} {
		assert.NotEqual(t, "from the previous attempt", out.Outcomes[i].Feedback)
		assert.Equal(t, 1, out.Outcomes[i].Usage.Calls)
	}
}

// A rate limit that outlasts the client's retries fails the batch as
// retryable, asking Temporal to wait as long as the server said, and what
// finished is heartbeated for the retry.
func TestRunBatchFailsRetryablyOnATransientLMErrorWithTheServersRetryAfter(t *testing.T) {
	srv, client := testkit.SimLM(t, simlm.Config{Seed: 2, Faults: simlm.Faults{
		RateLimit: 0.5, RetryAfter: 7 * time.Second, MaxConsecutive: 100,
	}}, fastLM(0))
	env := activityEnv(newActivities(t, client))
	var heartbeats [][]optimize.Outcome
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		var outs []optimize.Outcome
		require.NoError(t, details.Get(&outs))
		heartbeats = append(heartbeats, outs)
	})
	_, err := runBatch(t, env, batchInput(testkit.Arithmetic(3, 8)))
	require.Error(t, err)

	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%T: %v", err, err)
	assert.Equal(t, "LMrate_limit", appErr.Type())
	assert.False(t, appErr.NonRetryable())
	assert.Equal(t, 7*time.Second, appErr.NextRetryDelay())
	st := srv.Stats()
	require.Positive(t, st.RateLimited)
	require.Positive(t, st.Succeeded, "with half the calls limited some examples finish")
	require.NotEmpty(t, heartbeats)
	assert.Len(t, heartbeats[len(heartbeats)-1], int(st.Succeeded), "every finished example is heartbeated")
}

// A reply that does not parse is the example's answer, scored as a failure
// with the raw reply kept; the batch succeeds.
func TestRunBatchRecordsAnUnparseableReplyAsAFailedOutcome(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 2, Faults: simlm.Faults{Garbage: 1, MaxConsecutive: 100}}, fastLM(3))
	in := batchInput(testkit.Arithmetic(3, 3))
	in.FailureScore = -1
	out, err := runBatch(t, activityEnv(newActivities(t, client)), in)
	require.NoError(t, err)

	require.Len(t, out.Outcomes, 3)
	for _, o := range out.Outcomes {
		assert.True(t, o.Failed())
		assert.Contains(t, o.Error, "could not parse")
		assert.NotEmpty(t, o.Raw)
		assert.Equal(t, -1.0, o.Score)
	}
}

func requireConfigError(t *testing.T, err error, contains ...string) {
	t.Helper()
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%T: %v", err, err)
	assert.Equal(t, activities.ErrTypeConfig, appErr.Type())
	assert.True(t, appErr.NonRetryable())
	for _, s := range contains {
		assert.Contains(t, appErr.Error(), s)
	}
}

func TestRunBatchRejectsAnUnknownProgramOrMetricAsAConfigError(t *testing.T) {
	catalog, err := activities.NewCatalog(map[string]activities.ProgramFactory{
		"qa": func() (dspy.Module, error) { return arithmeticSpec.Build(nil) },
	}, nil, nil)
	require.NoError(t, err)
	srv, client := testkit.SimLM(t, simlm.Config{}, fastLM(0))
	acts, err := activities.New(activities.Config{Catalog: catalog, TaskLM: client})
	require.NoError(t, err)
	env := activityEnv(acts)

	in := batchInput(testkit.Arithmetic(3, 2))
	in.Program = activities.ProgramRef{Name: "rag"}
	_, err = runBatch(t, env, in)
	requireConfigError(t, err, `unknown program "rag"`, "this worker registers qa")

	in = batchInput(testkit.Arithmetic(3, 2))
	in.Metric = "accuracy"
	_, err = runBatch(t, env, in)
	requireConfigError(t, err, `unknown metric "accuracy"`, "exact_match")
	assert.Zero(t, srv.Stats().Requests)
}

func TestDescribeProgramReturnsSignaturesStateAndInputKeys(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{}, fastLM(0))
	env := activityEnv(newActivities(t, client))
	v, err := env.ExecuteActivity(activities.DescribeProgramName, activities.ProgramRef{
		Spec: spec.Program{Module: "predict", Signature: "context, question -> answer"}.JSON(),
	})
	require.NoError(t, err)
	var desc activities.ProgramDescription
	require.NoError(t, v.Get(&desc))
	assert.Equal(t, []string{"context", "question"}, desc.InputKeys)
	require.Len(t, desc.Signatures, 1)
	require.Len(t, desc.Student.Predictors, 1)
	assert.Equal(t, desc.Signatures[0].Name, desc.Student.Predictors[0].Name)

	_, err = env.ExecuteActivity(activities.DescribeProgramName, activities.ProgramRef{Name: "missing"})
	requireConfigError(t, err, `unknown program "missing"`, "no programs")
}

func loadDataset(t *testing.T, ref activities.DatasetRef) (activities.LoadDatasetOutput, error) {
	t.Helper()
	_, client := testkit.SimLM(t, simlm.Config{}, fastLM(0))
	v, err := activityEnv(newActivities(t, client)).ExecuteActivity(activities.LoadDatasetName, ref)
	if err != nil {
		return activities.LoadDatasetOutput{}, err
	}
	var out activities.LoadDatasetOutput
	require.NoError(t, v.Get(&out))
	return out, nil
}

// With no input keys named, a dataset's inputs are the program's input
// fields that the data has.
func TestLoadDatasetTakesTheProgramInputsPresentInTheData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qa.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(
		`{"question": "What is 2+3?", "answer": "5", "source": "book"}`+"\n"+
			`{"question": "What is 4+4?", "answer": "8", "source": "web"}`+"\n"), 0o644))
	out, err := loadDataset(t, activities.DatasetRef{Path: path, ProgramInputs: []string{"context", "question"}})
	require.NoError(t, err)

	assert.Equal(t, []string{"question"}, out.InputKeys)
	require.Len(t, out.Examples, 2)
	assert.Equal(t, "What is 4+4?", out.Examples[1].GetString("question"))
	assert.Len(t, out.SHA256, 64)

	inline, err := loadDataset(t, activities.DatasetRef{
		Examples:      []dspy.Example{dspy.NewExample("question", "q", "answer", "a")},
		ProgramInputs: []string{"context", "question"},
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"question"}, inline.InputKeys)

	_, err = loadDataset(t, activities.DatasetRef{Path: path, ProgramInputs: []string{"context"}})
	requireConfigError(t, err, "none of the program's input fields", `"context"`)
}

func TestLoadDatasetNamesTheFileAndLineOfAMalformedExample(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(
		`{"question": "What is 2+3?", "answer": "5"}`+"\n"+
			`{"question": "What is 4+4?", "answer": 8`+"\n"), 0o644))
	_, err := loadDataset(t, activities.DatasetRef{Path: path, ProgramInputs: []string{"question"}})
	requireConfigError(t, err, path+" line 2")
}

func TestLoadDatasetRefusesAFileThatChangedSinceTheRunStarted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qa.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(`{"question": "q", "answer": "a"}`+"\n"), 0o644))
	_, err := loadDataset(t, activities.DatasetRef{Path: path, ProgramInputs: []string{"question"}, SHA256: "0123"})
	requireConfigError(t, err, path+" changed", "expected 0123")
}

func TestPromptReturnsTheCompletionsAndWhatTheyCost(t *testing.T) {
	srv, client := testkit.SimLM(t, simlm.Config{Seed: 4}, fastLM(0))
	env := activityEnv(newActivities(t, client))
	v, err := env.ExecuteActivity(activities.PromptName, activities.PromptInput{Call: optimize.PromptCall{
		Signature: dspy.MustSignature("question -> answer"),
		Inputs:    dspy.NewExample("question", "A theater has 14 rows with 18 seats in each row. How many seats does the theater have?"),
		Label:     "test prompt",
	}})
	require.NoError(t, err)
	var out activities.PromptOutput
	require.NoError(t, v.Get(&out))

	require.Len(t, out.Outputs, 1)
	assert.NotEmpty(t, out.Outputs[0].GetString("answer"))
	assert.Equal(t, 1, out.Usage.Calls)
	assert.Positive(t, out.Usage.PromptTokens)
	assert.Positive(t, out.Usage.CompletionTokens)
	assert.EqualValues(t, 1, srv.Stats().Requests)
}

// A prompt call that hits a rate limit fails once, for Temporal's policy to
// retry after the server's Retry-After.
func TestPromptFailsRetryablyOnARateLimit(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 4, Faults: simlm.Faults{
		RateLimit: 1, RetryAfter: 3 * time.Second, MaxConsecutive: 100,
	}}, fastLM(0))
	env := activityEnv(newActivities(t, client))
	_, err := env.ExecuteActivity(activities.PromptName, activities.PromptInput{Call: optimize.PromptCall{
		Signature: dspy.MustSignature("question -> answer"),
		Inputs:    dspy.NewExample("question", "What is 2+3?"),
	}})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%T: %v", err, err)
	assert.False(t, appErr.NonRetryable())
	assert.Equal(t, 3*time.Second, appErr.NextRetryDelay())
}
