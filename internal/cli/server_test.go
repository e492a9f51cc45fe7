package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// serverQueue is the task queue the in-process worker polls.
const serverQueue = "cli-test"

// cliServer is an in-memory Temporal server with a worker on the simulated
// LM, for running the CLI in-process against real workflows.
type cliServer struct {
	t  *testing.T
	ts *temporaltest.TestServer
}

// startCLIServer starts the server, registers durable-dspy's search
// attributes and starts a worker.
func startCLIServer(t *testing.T) *cliServer {
	t.Helper()
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := ts.GetDefaultClient().OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: ts.GetDefaultNamespace(),
		SearchAttributes: map[string]enumspb.IndexedValueType{
			workflows.SearchAttrOptimizer.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
			workflows.SearchAttrProgram.GetName():   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
			workflows.SearchAttrStatus.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
			workflows.SearchAttrBestScore.GetName(): enumspb.INDEXED_VALUE_TYPE_DOUBLE,
		},
	})
	require.NoError(t, err)
	_, lmClient := testkit.SimLM(t, simlm.Config{Seed: 3}, lm.Options{MaxRetries: 2, Timeout: 5 * time.Second, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	ts.NewWorker(serverQueue, func(r worker.Registry) {
		require.NoError(t, workflows.Register(r, workflows.Config{TaskLM: lmClient, Concurrency: 4}))
	})
	return &cliServer{t: t, ts: ts}
}

// run runs the CLI in-process against the server, in its namespace and on
// the worker's task queue.
func (s *cliServer) run(args ...string) result {
	s.t.Helper()
	s.t.Setenv("OPENAI_API_KEY", "")
	s.t.Setenv("OPENAI_BASE_URL", "")
	s.t.Setenv(EnvUIURL, "")
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a := newApp(Options{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Dial: func(context.Context, temporalconn.Options, *slog.Logger) (client.Client, error) {
			return s.ts.NewClientWithOptions(client.Options{Namespace: s.ts.GetDefaultNamespace()}), nil
		},
	})
	a.pollEvery = 50 * time.Millisecond
	all := append([]string{"--namespace", s.ts.GetDefaultNamespace(), "--task-queue", serverQueue}, args...)
	code := a.run(ctx, all)
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// arithmeticData writes n examples of the simulated LM's arithmetic task as
// JSONL and returns the file's path.
func arithmeticData(t *testing.T, dir, name string, seed int64, n int) string {
	t.Helper()
	var b strings.Builder
	for _, ex := range simlm.ArithmeticDataset(seed, n) {
		line, err := json.Marshal(map[string]string{"question": ex.Question, "answer": ex.Answer})
		require.NoError(t, err)
		b.Write(line)
		b.WriteByte('\n')
	}
	return writeFile(t, dir, name, b.String())
}

// optimizeArgs are the arguments of a small optimization with optimizer
// and params, on fresh arithmetic data.
func optimizeArgs(t *testing.T, id, optimizer, params string) []string {
	dir := t.TempDir()
	specPath := writeFile(t, dir, "qa.yaml", qaSpec)
	return []string{"optimize", "--spec", specPath,
		"--trainset", arithmeticData(t, dir, "train.jsonl", 1, 8),
		"--valset", arithmeticData(t, dir, "val.jsonl", 2, 6),
		"--optimizer", optimizer, "--params", params, "--id", id, "--wait"}
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
