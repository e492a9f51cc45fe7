package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// runDurableCLI runs the CLI against an in-memory Temporal server whose
// worker has the simulated LM and a lookup tool.
func runDurableCLI(t *testing.T, toolCalls *atomic.Int64, args ...string) result {
	t.Helper()
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv(EnvUIURL, "")
	_, lmClient := testkit.SimLM(t, simlm.Config{Seed: 5}, lm.Options{Model: "sim"})
	schema := &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{"topic": {Type: "string"}}}
	tool, err := dspy.NewToolWithSchema("lookup", "Looks a topic up.", schema, func(context.Context, map[string]any) (any, error) {
		toolCalls.Add(1)
		return "seven plus eight is fifteen", nil
	})
	require.NoError(t, err)
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	ts.NewWorker("dspy", func(r worker.Registry) {
		require.NoError(t, workflows.Register(r, workflows.Config{TaskLM: lmClient, Tools: []*dspy.Tool{tool}}))
	})
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), Options{
		Args: append(args, "--task-queue", "dspy"), Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Dial: func(context.Context, temporalconn.Options, *slog.Logger) (client.Client, error) {
			return ts.NewClientWithOptions(client.Options{}), nil
		},
	})
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// run --durable runs a react spec on the worker, whose tools it uses, and
// prints the outputs as run does.
func TestRunDurableUsesTheWorkersTools(t *testing.T) {
	dir := t.TempDir()
	specPath := writeFile(t, dir, "agent.yaml", "module: react\nsignature: \"question -> answer\"\ntools: [lookup]\nmax_iters: 4\n")
	var calls atomic.Int64
	res := runDurableCLI(t, &calls, "run", "--durable", "--id", "agent-1", "--spec", specPath, "--input", "question=What is 7 + 8?")
	require.Equal(t, 0, res.code, res.stderr)
	var outputs map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &outputs), res.stdout)
	assert.Contains(t, outputs, "answer")
	assert.Contains(t, outputs, "trajectory")
	assert.Positive(t, calls.Load())
	assert.Contains(t, res.stderr, "workflow ID: agent-1")
	assert.Contains(t, res.stderr, "tool calls "+strconv.Itoa(int(calls.Load())))
}

// A spec the worker cannot build fails the run with its reason, exit 1.
func TestRunDurableReportsTheWorkersRefusal(t *testing.T) {
	dir := t.TempDir()
	specPath := writeFile(t, dir, "agent.yaml", "module: react\nsignature: \"question -> answer\"\ntools: [search]\n")
	var calls atomic.Int64
	res := runDurableCLI(t, &calls, "run", "--durable", "--spec", specPath, "--input", "question=q")
	assert.Equal(t, 1, res.code, res.stderr)
	assert.Contains(t, res.stderr, "search")
	assert.Equal(t, 1, strings.Count(res.stderr, "unknown tool"), res.stderr)
}
