package workflows_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

const taskQueue = "dspy-test"

// startServer starts an in-memory Temporal server with durable-dspy's search
// attributes registered, and a worker running the workflows and the real
// activities on client.
func startServer(t *testing.T, cfg workflows.Config) (*temporaltest.TestServer, client.Client) {
	t.Helper()
	ts, c := newServer(t)
	ts.NewWorker(taskQueue, func(r worker.Registry) { require.NoError(t, workflows.Register(r, cfg)) })
	return ts, c
}

// newServer starts an in-memory Temporal server with durable-dspy's search
// attributes registered and no worker; opts add to temporaltest's options.
func newServer(t *testing.T, opts ...temporaltest.TestServerOption) (*temporaltest.TestServer, client.Client) {
	t.Helper()
	ts := temporaltest.NewServer(append([]temporaltest.TestServerOption{temporaltest.WithT(t)}, opts...)...)
	c := ts.GetDefaultClient()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: ts.GetDefaultNamespace(),
		SearchAttributes: map[string]enumspb.IndexedValueType{
			workflows.SearchAttrOptimizer.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
			workflows.SearchAttrProgram.GetName():   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
			workflows.SearchAttrStatus.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
			workflows.SearchAttrBestScore.GetName(): enumspb.INDEXED_VALUE_TYPE_DOUBLE,
		},
	})
	require.NoError(t, err)
	return ts, c
}

// optimizeOnServer runs an optimization to its end, following continue-as-new.
func optimizeOnServer(t *testing.T, c client.Client, id string, in workflows.OptimizeInput) workflows.OptimizeResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}, workflows.OptimizeWorkflowName, in)
	require.NoError(t, err)
	var out workflows.OptimizeResult
	require.NoError(t, run.Get(ctx, &out))
	return out
}

// On a real server, a MIPROv2 run whose history passes the threshold
// continues as new, keeps its search attributes, and compiles the program an
// uninterrupted in-process run compiles.
func TestContinueAsNewOnARealServerCompilesTheSameProgram(t *testing.T) {
	c := caseNamed(t, "miprov2")
	requireRegistered(t, c.name)
	want := c.localResult(t, 19)
	_, lmClient := testkit.SimLM(t, simlm.Config{Seed: 19}, fastLM(3))
	_, tc := startServer(t, workerConfig(lmClient))

	in := c.input()
	in.Execution.ContinueAsNewEvents = 60
	got := optimizeOnServer(t, tc, "miprov2-continued", in)

	assert.Equal(t, encoded(t, want.Program), encoded(t, got.Program))
	assert.Equal(t, want.Score, got.Score)
	assert.Equal(t, want.Trials, got.Trials)
	assert.Greater(t, got.Runs, 1, "the run never continued as new")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	desc, err := tc.DescribeWorkflowExecution(ctx, "miprov2-continued", "")
	require.NoError(t, err)
	info := desc.GetWorkflowExecutionInfo()
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, info.GetStatus())
	fields := info.GetSearchAttributes().GetIndexedFields()
	keyword := func(name string) string {
		var s string
		require.Contains(t, fields, name)
		require.NoError(t, converter.GetDefaultDataConverter().FromPayload(fields[name], &s))
		return s
	}
	assert.Equal(t, "miprov2", keyword(workflows.SearchAttrOptimizer.GetName()), "carried through continue-as-new")
	assert.Equal(t, "predict(question -> answer)", keyword(workflows.SearchAttrProgram.GetName()))
	assert.Equal(t, "completed", keyword(workflows.SearchAttrStatus.GetName()))
	var best float64
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(fields[workflows.SearchAttrBestScore.GetName()], &best))
	assert.Equal(t, got.Score, best)
}

// historiesDir holds one recorded history per optimizer, replayed by
// TestRecordedHistoriesReplay.
const historiesDir = "testdata/histories"

// TestRecordHistories records the histories the replay test checks, on a real
// in-memory server. It runs only with DSPY_RECORD_HISTORIES=1:
//
//	DSPY_RECORD_HISTORIES=1 go test ./workflows/ -run TestRecordHistories
//
// Record them again only when a change to the workflows is meant to break
// replay of runs started before it; otherwise old histories must keep
// replaying, and a failing replay test is the bug.
func TestRecordHistories(t *testing.T) {
	if os.Getenv("DSPY_RECORD_HISTORIES") != "1" {
		t.Skip("set DSPY_RECORD_HISTORIES=1 to record the replay test's histories")
	}
	_, lmClient := testkit.SimLM(t, simlm.Config{Seed: 23}, fastLM(3))
	_, tc := startServer(t, workerConfig(lmClient))
	require.NoError(t, os.MkdirAll(historiesDir, 0o755))
	for _, c := range optimizerCases {
		requireRegistered(t, c.name)
		id := "record-" + c.name
		optimizeOnServer(t, tc, id, c.input())
		writeHistory(t, tc, id, filepath.Join(historiesDir, c.name+".json"))
	}
	// A run that carries an optimizer's state in from an earlier one.
	in := caseNamed(t, "miprov2").input()
	in.Execution.ContinueAsNewEvents = 60
	res := optimizeOnServer(t, tc, "record-miprov2-continued", in)
	require.Greater(t, res.Runs, 1)
	writeHistory(t, tc, "record-miprov2-continued", filepath.Join(historiesDir, "miprov2_continued.json"))
}

// writeHistory writes the latest run of a workflow's history as JSON, the
// format the temporal CLI writes and the replayer reads.
func writeHistory(t *testing.T, c client.Client, id, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	iter := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, ev)
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: " "}.Marshal(&h)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o644))
	t.Log(fmt.Sprintf("%s: %d events, %d bytes", path, len(h.Events), len(b)))
}
