package tests

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/durable-dspy/durable-dspy/simlm"
)

// CLI exit codes (internal/exitcode): 1 the run failed, 2 bad usage.
const (
	exitFailed = 1
	exitUsage  = 2
)

// Each kind of bad input ends the CLI with the documented exit code and a
// message on stderr that names the flag, file, line, name or address at
// fault, and says what would be valid.
func TestBadInputsFailWithClearMessagesAndExitCodes(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	f := fixtures(t)
	lm := startSimLM(t, simlm.Config{Seed: 5})
	const queue = "e2e-bad-input"
	startWorker(t, workerConfig{address: srv.address(), taskQueue: queue, lmURL: lm.URL()})
	c := cli{address: srv.address(), taskQueue: queue}

	missing := t.TempDir() + "/absent-train.jsonl"
	malformed := writeFile(t, "broken.jsonl",
		`{"question": "What is 2 plus 2?", "answer": "4"}`+"\n"+
			`{"question": "What is 3 plus 3?", "answer": `+"\n")
	badSignature := writeFile(t, "bad-signature.json", `{"module": "predict", "signature": "question answer"}`)
	closed := strconv.Itoa(closedPort(t))

	cases := []struct {
		name string
		args []string
		code int
		// want are substrings stderr must contain.
		want []string
	}{{
		name: "missing trainset file",
		args: []string{"optimize", "--spec", f.spec, "--trainset", missing},
		code: exitUsage,
		want: []string{"--trainset", missing, "no such file"},
	}, {
		name: "malformed JSONL line",
		args: []string{"optimize", "--spec", f.spec, "--trainset", malformed},
		code: exitUsage,
		want: []string{"--trainset", malformed + ":2"},
	}, {
		name: "unknown optimizer",
		args: []string{"optimize", "--spec", f.spec, "--trainset", f.smallTrain, "--optimizer", "simulated_annealing"},
		code: exitUsage,
		want: []string{"--optimizer", `"simulated_annealing"`, "miprov2", "bootstrap_random_search", "gepa"},
	}, {
		name: "invalid signature in a spec",
		args: []string{"optimize", "--spec", badSignature, "--trainset", f.smallTrain},
		code: exitUsage,
		want: []string{"--spec", badSignature, "signature"},
	}, {
		// Metrics are registered on the worker, so only the run can tell;
		// it fails on its configuration, which is still bad usage.
		name: "unknown metric",
		args: []string{"optimize", "--id", "e2e-bad-metric", "--spec", f.spec, "--trainset", f.smallTrain, "--valset", f.smallVal,
			"--optimizer", "bootstrap_random_search", "--param", "num_candidate_programs=1", "--metric", "vibes", "--wait"},
		code: exitUsage,
		want: []string{`unknown metric "vibes"`, "exact_match"},
	}, {
		name: "unknown program name",
		args: []string{"optimize", "--id", "e2e-bad-program", "--program", "no_such_program", "--trainset", f.smallTrain, "--wait"},
		code: exitUsage,
		want: []string{`unknown program "no_such_program"`},
	}, {
		// run calls the LM from the CLI's own process.
		name: "unreachable LM",
		args: []string{"run", "--spec", f.spec, "--input", "question=What is 2 plus 2?",
			"--lm-base-url", "http://127.0.0.1:" + closed + "/v1", "--lm-max-retries", "0"},
		code: exitFailed,
		want: []string{"127.0.0.1:" + closed},
	}, {
		name: "unreachable Temporal",
		args: []string{"list", "--address", "127.0.0.1:" + closed, "--dial-timeout", "5s"},
		code: exitFailed,
		want: []string{"127.0.0.1:" + closed, "--address", "worker --dev"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var res cliResult
			if tc.name == "unreachable Temporal" {
				// Its --address must win over the shared server's.
				res = runCLI(t, cliTimeout, tc.args...)
			} else {
				res = c.run(t, cliTimeout, tc.args...)
			}
			assert.Equal(t, tc.code, res.code, "%s", res)
			for _, w := range tc.want {
				assert.Contains(t, res.stderr, w, "stderr should name %q", w)
			}
			errorLines := 0
			for _, line := range strings.Split(res.stderr, "\n") {
				if strings.HasPrefix(line, "error: ") {
					errorLines++
				}
			}
			assert.Equal(t, 1, errorLines, "one error, printed once:\n%s", res.stderr)
			assert.NotContains(t, res.stderr, "panic")
			t.Logf("stderr:\n%s", res.stderr)
		})
	}
}

// A worker whose LM endpoint is unreachable does not lose the run: its
// batches fail as retryable and are retried, and the failure Temporal shows
// for the run's activity names the endpoint, so the user sees what to fix.
func TestWorkerWithUnreachableLMReportsTheEndpoint(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	f := fixtures(t)
	const queue = "e2e-unreachable-lm"
	lmURL := fmt.Sprintf("http://127.0.0.1:%d/v1", closedPort(t))
	startWorker(t, workerConfig{address: srv.address(), taskQueue: queue, lmURL: lmURL})
	c := cli{address: srv.address(), taskQueue: queue}

	const id = "e2e-unreachable-lm"
	c.mustRun(t, quickTimeout, "optimize", "--id", id, "--spec", f.spec,
		"--trainset", f.smallTrain, "--valset", f.smallVal, "--optimizer", "bootstrap_fewshot")

	sdk := dial(t, srv.address())
	var failure string
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d, err := sdk.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			return false
		}
		for _, a := range d.GetPendingActivities() {
			if msg := a.GetLastFailure().GetMessage(); msg != "" {
				failure = msg
				return true
			}
		}
		return false
	}, 2*time.Minute, 200*time.Millisecond, "no activity of %s reported a failure", id)
	assert.Contains(t, failure, strings.TrimSuffix(lmURL, "/v1"), "the failure names the LM endpoint")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := sdk.DescribeWorkflowExecution(ctx, id, "")
	require.NoError(t, err)
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, d.GetWorkflowExecutionInfo().GetStatus(),
		"an LM outage leaves the run waiting for the LM, not failed")
	require.NoError(t, sdk.TerminateWorkflow(ctx, id, "", "end of test"))
}
