package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/serve"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// syncBuffer is an output stream safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// servingLine is the line serve prints once it takes traffic.
var servingLine = regexp.MustCompile(`serving .* on (http://127\.0\.0\.1:\d+)\n`)

// server is "starter serve" running in-process.
type server struct {
	url    string
	stderr *syncBuffer
	stop   func() int
}

// startServe runs serve with args on a free loopback port until the test
// stops it (or ends); dial, when set, replaces the Temporal connection.
func startServe(t *testing.T, dial func(context.Context, temporalconn.Options, *slog.Logger) (client.Client, error), args ...string) *server {
	t.Helper()
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("OPENAI_MODEL", "")
	if dial == nil {
		dial = func(context.Context, temporalconn.Options, *slog.Logger) (client.Client, error) {
			t.Errorf("serve dialed Temporal without --from-run")
			return nil, context.Canceled
		}
	}
	base := []string{"serve", "--addr", "127.0.0.1:0"}
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, Options{
			Args:   append(base, args...),
			Stdin:  strings.NewReader(""),
			Stdout: stdout, Stderr: stderr, Dial: dial,
		})
	}()
	var once sync.Once
	code := -1
	s := &server{stderr: stderr, stop: func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(30 * time.Second):
				t.Errorf("serve did not stop within 30s")
			}
		})
		return code
	}}
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingLine.FindStringSubmatch(stdout.String()); m != nil {
			s.url = m[1]
			return s
		}
		select {
		case c := <-done:
			done <- c
			t.Fatalf("serve exited with %d before serving\nstdout: %s\nstderr: %s", c, stdout, stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve printed no serving line\nstderr: %s", stderr)
	return nil
}

// call sends a request with an optional bearer token and returns the status,
// headers and body.
func call(t *testing.T, method, url, token, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, b
}

func listPrograms(t *testing.T, url, token string) map[string]serve.ProgramInfo {
	t.Helper()
	code, _, body := call(t, http.MethodGet, url+"/v1/programs", token, "")
	require.Equal(t, http.StatusOK, code, string(body))
	var list struct {
		Programs []serve.ProgramInfo `json:"programs"`
	}
	require.NoError(t, json.Unmarshal(body, &list))
	out := map[string]serve.ProgramInfo{}
	for _, p := range list.Programs {
		out[p.Name] = p
	}
	return out
}

// stateFile writes the state of qaSpec's program with the given instructions.
func stateFile(t *testing.T, dir, name, instructions string) string {
	t.Helper()
	p, err := spec.Parse([]byte(qaSpec + "instructions: " + instructions + "\n"))
	require.NoError(t, err)
	m, err := p.Build(nil)
	require.NoError(t, err)
	b, err := dspy.StateOf(m).Encode()
	require.NoError(t, err)
	return writeFile(t, dir, name, string(b))
}

func readLogLines(t *testing.T, dir string) []serve.LogLine {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "requests.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	var lines []serve.LogLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l serve.LogLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		lines = append(lines, l)
	}
	require.NoError(t, sc.Err())
	return lines
}

func TestServeRejectsBadCommandLinesNamingTheFlag(t *testing.T) {
	dir := t.TempDir()
	specPath := writeFile(t, dir, "qa.yaml", qaSpec)
	state := stateFile(t, dir, "state.json", "Answer.")
	config := writeFile(t, dir, "serve.yaml", "models: {m: {model: x, base_url: sim}}\nprograms: [{name: qa, spec: qa.yaml, model: m}]\n")
	typo := writeFile(t, dir, "typo.yaml", "models: {m: {model: x}}\nprograms: [{name: qa, spec: qa.yaml, model: m, limitz: {}}]\n")
	broken := writeFile(t, dir, "broken.yaml", "module: nope\nsignature: \"question -> answer\"\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"nothing to serve", []string{"serve"}, "--spec is required"},
		{"config and spec", []string{"serve", "--config", config, "--spec", specPath}, "--spec and --config exclude each other"},
		{"config and name", []string{"serve", "--config", config, "--name", "qa"}, "--name and --config exclude each other"},
		{"config and an LM flag", []string{"serve", "--config", config, "--lm-model", "gpt-4o"}, "--lm-model does not apply with --config"},
		{"state and run", []string{"serve", "--spec", specPath, "--state", state, "--from-run", "dspy-x"}, "--state and --from-run exclude each other"},
		{"negative limit", []string{"serve", "--spec", specPath, "--max-concurrent", "-1"}, "--max-concurrent must not be negative"},
		{"missing spec", []string{"serve", "--spec", filepath.Join(dir, "nope.yaml")}, "--spec"},
		{"unknown config key", []string{"serve", "--config", typo}, "limitz"},
		{"missing token file", []string{"serve", "--spec", specPath, "--auth-token-file", filepath.Join(dir, "none")}, "--auth-token-file"},
		{"spec that does not build", []string{"serve", "--spec", broken, "--addr", "127.0.0.1:0"}, "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.args...)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.want)
		})
	}
}

func TestServeAnswersLogsAndStopsCleanlyOnCancel(t *testing.T) {
	dir := t.TempDir()
	specPath := writeFile(t, dir, "qa.yaml", qaSpec)
	logs := filepath.Join(dir, "logs")
	s := startServe(t, nil, "--spec", specPath, "--log-dir", logs)

	code, hdr, body := call(t, http.MethodPost, s.url+"/v1/programs/qa", "", `{"question": "What is 2 + 3?"}`)
	require.Equal(t, http.StatusOK, code, string(body))
	var out map[string]any
	require.NoError(t, json.Unmarshal(body, &out))
	assert.Contains(t, out, "answer")
	assert.Equal(t, "1", hdr.Get("X-LM-Calls"))
	reqID := hdr.Get("X-Request-ID")
	require.NotEmpty(t, reqID)

	code, _, _ = call(t, http.MethodGet, s.url+"/health/ready", "", "")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "spec", listPrograms(t, s.url, "")["qa"].Origin.Kind, "the program is named after its spec file")

	require.Equal(t, 0, s.stop(), s.stderr.String())
	lines := readLogLines(t, logs)
	require.Len(t, lines, 1)
	assert.Equal(t, reqID, lines[0].RequestID)
	assert.Equal(t, "qa", lines[0].Program)
}

func TestServeConfigServesEveryProgramBehindTokens(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "qa.yaml", qaSpec)
	stateFile(t, dir, "qa.state.json", "Answer tersely.")
	config := writeFile(t, dir, "serve.yaml", `server:
  addr: 127.0.0.1:1
  auth: {tokens_file: tokens.txt}
models:
  small: {model: small-model, base_url: sim}
  large: {model: large-model}
programs:
  - {name: qa, spec: qa.yaml, state: qa.state.json, model: small}
  - {name: qa-large, spec: qa.yaml, model: large, limits: {max_concurrent: 2}}
`)
	writeFile(t, dir, "tokens.txt", "from-config\n")
	extra := writeFile(t, dir, "extra.txt", "from-flag")
	t.Setenv(EnvServeTokens, "from-env")
	s := startServe(t, nil, "--config", config, "--auth-token-file", extra, "--open-health")

	code, _, _ := call(t, http.MethodGet, s.url+"/health/live", "", "")
	assert.Equal(t, http.StatusOK, code, "--open-health lets probes in without a token")
	code, _, body := call(t, http.MethodPost, s.url+"/v1/programs/qa", "", `{"question": "hi"}`)
	assert.Equal(t, http.StatusUnauthorized, code, string(body))
	code, _, _ = call(t, http.MethodPost, s.url+"/v1/programs/qa", "wrong", `{"question": "hi"}`)
	assert.Equal(t, http.StatusUnauthorized, code)

	for i, token := range []string{"from-config", "from-flag", "from-env"} {
		for _, name := range []string{"qa", "qa-large"} {
			code, _, body := call(t, http.MethodPost, s.url+"/v1/programs/"+name, token, `{"question": "q`+string(rune('a'+i))+`"}`)
			assert.Equal(t, http.StatusOK, code, "%s with %s: %s", name, token, body)
		}
	}
	progs := listPrograms(t, s.url, "from-env")
	require.Len(t, progs, 2)
	assert.Equal(t, "small-model", progs["qa"].Model)
	assert.Equal(t, "state_file", progs["qa"].Origin.Kind)
	assert.Equal(t, "large-model", progs["qa-large"].Model, "an alias with no endpoint and no key runs on the simulated LM under its own model name")
	assert.Equal(t, 0, s.stop(), s.stderr.String())
}

// fakeRun is a Temporal client that knows one completed optimization.
func fakeRun(t *testing.T, runID string, program dspy.ProgramState) *mocks.Client {
	c := &mocks.Client{}
	c.On("DescribeWorkflowExecution", mock.Anything, runID, "").Return(&workflowservice.DescribeWorkflowExecutionResponse{
		WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
			Type:   &commonpb.WorkflowType{Name: workflows.OptimizeWorkflowName},
			Status: enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED,
		},
	}, nil)
	run := &mocks.WorkflowRun{}
	run.On("Get", mock.Anything, mock.Anything).Return(func(_ context.Context, ptr any) error {
		ptr.(*workflows.OptimizeResult).Program = program
		return nil
	})
	c.On("GetWorkflow", mock.Anything, runID, "").Return(run)
	c.On("Close").Return()
	t.Cleanup(func() { c.AssertExpectations(t) })
	return c
}

func TestServeFromRunAppliesTheRunsCompiledProgram(t *testing.T) {
	dir := t.TempDir()
	specPath := writeFile(t, dir, "qa.yaml", qaSpec)
	var st dspy.ProgramState
	b, err := os.ReadFile(stateFile(t, dir, "st.json", "Answer like a pirate."))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &st))
	c := fakeRun(t, "dspy-miprov2-1", st)
	dials := 0
	s := startServe(t, func(context.Context, temporalconn.Options, *slog.Logger) (client.Client, error) {
		dials++
		return c, nil
	}, "--spec", specPath, "--from-run", "dspy-miprov2-1", "--name", "pirate")

	info := listPrograms(t, s.url, "")["pirate"]
	assert.Equal(t, serve.Origin{Kind: "run", RunID: "dspy-miprov2-1"}, info.Origin)
	code, _, body := call(t, http.MethodPost, s.url+"/v1/programs/pirate", "", `{"question": "hi"}`)
	assert.Equal(t, http.StatusOK, code, string(body))
	assert.Equal(t, 0, s.stop(), s.stderr.String())
	assert.Equal(t, 1, dials, "Temporal is reached once, when the program loads")
}
