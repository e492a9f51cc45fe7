package workerlib_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/worker/devserver"
	"github.com/durable-dspy/durable-dspy/worker/lmconfig"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
	"github.com/durable-dspy/durable-dspy/worker/workerlib"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// startTimeout is generous: the tests may run on a loaded two-core machine.
const startTimeout = 2 * time.Minute

// offline makes sure no test reaches a real LM, whatever the environment holds.
func offline(t *testing.T) {
	t.Setenv(lm.EnvAPIKey, "")
	t.Setenv(lm.EnvBaseURL, "")
	t.Setenv(temporalconn.EnvAPIKey, "")
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// devOptions is a dev worker that leaves nothing behind but files in t's
// temporary directory.
func devOptions(t *testing.T) workerlib.Options {
	dir := t.TempDir()
	return workerlib.Options{
		Temporal: temporalconn.Options{Dev: true, DevDB: filepath.Join(dir, "temporal", "dev.db"), DevUIPort: devserver.NoUI},
		LM:       lmconfig.Options{CacheDir: filepath.Join(dir, "cache"), MaxRetries: 3},
		Logger:   testLogger(t),
	}
}

func startWorker(t *testing.T, o workerlib.Options) *workerlib.Worker {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	w, err := workerlib.Start(ctx, o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.Stop() })
	return w
}

func arithmeticExamples(n int) []dspy.Example {
	var out []dspy.Example
	for _, ex := range simlm.ArithmeticDataset(1, n) {
		out = append(out, dspy.NewExample("question", ex.Question, "answer", ex.Answer))
	}
	return out
}

func TestDevWorkerRunsEvaluateWorkflowOnSimulatedLM(t *testing.T) {
	offline(t)
	o := devOptions(t)
	w := startWorker(t, o)

	assert.Equal(t, temporalconn.DefaultNamespace, w.Namespace())
	assert.Equal(t, temporalconn.DefaultTaskQueue, w.TaskQueue())
	assert.NotEqual(t, temporalconn.DefaultAddress, w.Address(), "a dev worker dials its own server on a free port")
	assert.Empty(t, w.UIURL(), "the UI was disabled")
	assert.Regexp(t, `^simulated LM at http://127\.0\.0\.1:\d+/v1 \(seed 0\)$`, w.LMDescription())

	const n = 6
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	run, err := w.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue()},
		workflows.EvaluateWorkflowName, workflows.EvaluateInput{
			Program: activities.ProgramRef{Spec: spec.Program{Module: "predict", Signature: "question -> answer"}.JSON()},
			Dataset: activities.DatasetRef{Examples: arithmeticExamples(n)},
			Metric:  "exact_match",
		})
	require.NoError(t, err)
	var res workflows.EvaluateResult
	require.NoError(t, run.Get(ctx, &res))

	assert.Equal(t, n, res.Total)
	assert.Zero(t, res.Errors, "the simulator answers every well-formed request")
	assert.Equal(t, localScore(t, arithmeticExamples(n)), res.Score,
		"the workflow scores what the same program scores in-process on the same simulator")
	assert.Equal(t, n, w.LMUsage().Calls, "one task-LM call per example")

	require.NoError(t, w.Stop())
	select {
	case <-w.Done():
	default:
		t.Fatal("Done is not closed after Stop")
	}
	assert.NoError(t, w.Err())
	assert.NoError(t, w.Stop(), "a second Stop returns the first one's result")

	entries, err := os.ReadDir(o.LM.CacheDir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "the LM disk cache file is written")
	assert.FileExists(t, o.Temporal.DevDB, "the dev database is created with its directory")
}

// localScore evaluates the predict program on examples in this process,
// against a simulated LM configured as the dev worker's (seed 0).
func localScore(t *testing.T, examples []dspy.Example) float64 {
	t.Helper()
	_, client := testkit.SimLM(t, simlm.Config{}, lm.Options{Model: simlm.DefaultModel})
	program, err := spec.Program{Module: "predict", Signature: "question -> answer"}.Build(nil)
	require.NoError(t, err)
	inputs := make([]dspy.Example, len(examples))
	for i, ex := range examples {
		inputs[i] = ex.WithInputs("question")
	}
	res, err := evaluate.Evaluate(dspy.WithLM(t.Context(), client), program, inputs, evaluate.ExactMatch("answer"), evaluate.Options{})
	require.NoError(t, err)
	return res.Score
}

func TestDevWorkerKeepsWorkflowsAcrossRestartOnTheSameDatabase(t *testing.T) {
	offline(t)
	o := devOptions(t)
	first := startWorker(t, o)
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	run, err := first.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: first.TaskQueue()},
		workflows.EvaluateWorkflowName, workflows.EvaluateInput{
			Program: activities.ProgramRef{Spec: spec.Program{Module: "predict", Signature: "question -> answer"}.JSON()},
			Dataset: activities.DatasetRef{Examples: arithmeticExamples(2)},
			Metric:  "exact_match",
		})
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))
	require.NoError(t, first.Stop())

	second := startWorker(t, o)
	desc, err := second.Client().DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
	require.NoError(t, err)
	assert.Equal(t, "Completed", desc.GetWorkflowExecutionInfo().GetStatus().String())
}

func TestStartWhenTemporalIsUnreachableNamesTheAddressAndHowToStartOne(t *testing.T) {
	offline(t)
	addr := closedAddress(t)
	_, err := workerlib.Start(t.Context(), workerlib.Options{
		Temporal: temporalconn.Options{Address: addr, DialTimeout: 5 * time.Second},
		LM:       lmconfig.Options{BaseURL: lmconfig.SimulatedBaseURL},
		Logger:   testLogger(t),
	})
	require.Error(t, err)
	assert.ErrorIs(t, err, temporalconn.ErrUnreachable)
	assert.Contains(t, err.Error(), "cannot reach Temporal at "+addr)
	assert.Contains(t, err.Error(), "--address")
	assert.Contains(t, err.Error(), "worker --dev")
}

func TestStartAgainstAServerWithoutSearchAttributesSaysHowToCreateThem(t *testing.T) {
	offline(t)
	srv := startDevServer(t, nil)
	_, err := workerlib.Start(t.Context(), workerlib.Options{
		Temporal: temporalconn.Options{Address: srv.FrontendAddress()},
		LM:       lmconfig.Options{BaseURL: lmconfig.SimulatedBaseURL},
		Logger:   testLogger(t),
	})
	require.Error(t, err)
	for name, typ := range temporalconn.SearchAttributes() {
		assert.Contains(t, err.Error(), "--name "+name+" --type "+typ.String())
	}
}

func TestStartAgainstAnExistingServerRunsTheWorker(t *testing.T) {
	offline(t)
	srv := startDevServer(t, temporalconn.SearchAttributes())
	w := startWorker(t, workerlib.Options{
		Temporal: temporalconn.Options{Address: srv.FrontendAddress(), TaskQueue: "external"},
		LM:       lmconfig.Options{BaseURL: lmconfig.SimulatedBaseURL},
		Logger:   testLogger(t),
	})
	assert.Equal(t, srv.FrontendAddress(), w.Address())
	assert.Equal(t, "external", w.TaskQueue())
	assert.Empty(t, w.UIURL(), "only a dev worker has a UI of its own")
	require.NoError(t, w.Stop())
}

func TestStartReportsEveryInvalidOptionByFlag(t *testing.T) {
	_, err := workerlib.Start(t.Context(), workerlib.Options{
		Temporal:    temporalconn.Options{TLSCertFile: "client.pem"},
		Concurrency: -1,
		LM:          lmconfig.Options{MaxRetries: -2, RequestsPerSecond: -1},
	})
	require.Error(t, err)
	for _, flag := range []string{"--tls-key-file", "--concurrency", "--lm-max-retries", "--lm-rps"} {
		assert.Contains(t, err.Error(), flag)
	}
}

func TestStartLeavesNothingRunningWhenTheLMCacheIsLocked(t *testing.T) {
	offline(t)
	dir := t.TempDir()
	o := workerlib.Options{
		Temporal: temporalconn.Options{Dev: true, DevUIPort: devserver.NoUI},
		LM:       lmconfig.Options{CacheDir: dir},
		Logger:   testLogger(t),
	}
	startWorker(t, o)
	simulators := runningSimulators()
	require.Equal(t, 1, simulators, "the first worker's simulated LM serves")

	_, err := workerlib.Start(t.Context(), o)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--lm-cache-dir "+dir)
	// The failed Start had started its own simulated LM before it found the
	// cache locked; it must have stopped it again.
	assert.Eventually(t, func() bool { return runningSimulators() == simulators }, 10*time.Second, 10*time.Millisecond,
		"the failed Start's simulated LM is still serving")
}

// runningSimulators counts the simulated LM servers serving in this process,
// by the goroutine each one's Start leaves accepting connections.
func runningSimulators() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return strings.Count(string(buf), "created by github.com/durable-dspy/durable-dspy/simlm.(*Server).Start")
}

// startDevServer runs an in-memory server with the given search attributes
// registered, for tests of a worker against an existing Temporal.
func startDevServer(t *testing.T, attrs map[string]enums.IndexedValueType) *devserver.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{UIPort: devserver.NoUI, SearchAttributes: attrs, Logger: testLogger(t), LogLevel: "error"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

// closedAddress is a loopback address nothing listens on.
func closedAddress(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
