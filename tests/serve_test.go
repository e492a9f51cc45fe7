//go:build unix

package tests

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/serve"
)

// servingLine is what "starter serve" prints once it takes traffic.
var servingLine = regexp.MustCompile(`serving .* on (http://127\.0\.0\.1:\d+)\n`)

const serveSpec = "module: predict\nsignature: \"question -> answer\"\n"

// serveProcess is a running "starter serve".
type serveProcess struct {
	*process
	url string
}

// startServe runs "starter serve" with args on a free loopback port and waits
// until it serves. The test's cleanup kills it if the test has not stopped it.
func startServe(t *testing.T, args ...string) *serveProcess {
	t.Helper()
	p := startProcess(t, "starter serve", binaries.starter, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	deadline := time.After(30 * time.Second)
	for {
		if m := servingLine.FindStringSubmatch(p.stdout.String()); m != nil {
			return &serveProcess{process: p, url: m[1]}
		}
		select {
		case <-p.exited:
			t.Fatalf("starter serve exited before serving (%v)\nstderr:\n%s", p.waitErr, tail(p.stderr.String(), 4096))
		case <-deadline:
			t.Fatalf("starter serve not serving after 30s\nstderr:\n%s", tail(p.stderr.String(), 4096))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// terminate sends SIGTERM, as an orchestrator stopping the server would, and
// returns the exit code.
func (s *serveProcess) terminate(t *testing.T) int {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-s.exited:
		return s.cmd.ProcessState.ExitCode()
	case <-time.After(30 * time.Second):
		t.Fatalf("starter serve still running 30s after SIGTERM")
		return -1
	}
}

// serveDir writes the spec (and any other files) into a fresh directory.
func serveDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["qa.yaml"] = serveSpec
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

// reply is one response (or transport failure) a load client saw.
type reply struct {
	status     int
	header     http.Header
	body       []byte
	err        error
	start, end time.Time
}

func post(c *http.Client, url, question string) reply {
	body, _ := json.Marshal(map[string]string{"question": question})
	return postBody(c, url, body)
}

// load sends n requests from clients goroutines; request i goes to
// target(i) with a question no other request asks, so no cache answers it.
func load(c *http.Client, n, clients int, target func(i int) string) []reply {
	replies := make([]reply, n)
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				replies[i] = post(c, target(i), fmt.Sprintf("Question number %d?", i))
			}
		})
	}
	wg.Wait()
	return replies
}

func loadClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conns}}
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// readRequestLog reads requests.jsonl, each line as its raw fields.
func readRequestLog(t *testing.T, dir string) []map[string]json.RawMessage {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "requests.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	var lines []map[string]json.RawMessage
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var l map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), "line %d is not a JSON object: %s", len(lines)+1, sc.Text())
		lines = append(lines, l)
	}
	require.NoError(t, sc.Err())
	return lines
}

// logFields are the JSON names of every LogLine field.
func logFields() []string {
	var names []string
	typ := reflect.TypeFor[serve.LogLine]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}

func TestServeLogsExactlyOneCompleteLinePerRequestUnderConcurrency(t *testing.T) {
	dir := serveDir(t, map[string]string{"serve.yaml": `server:
  log_dir: logs
models:
  sim: {model: simlm-1, base_url: sim}
programs:
  - {name: alpha, spec: qa.yaml, model: sim}
  - {name: beta, spec: qa.yaml, model: sim}
`})
	s := startServe(t, "--config", filepath.Join(dir, "serve.yaml"), "--sim", "latency=5ms")

	replies := load(loadClient(30), 200, 30, func(i int) string {
		return s.url + "/v1/programs/" + []string{"alpha", "beta"}[i%2]
	})
	ids := map[string]string{}
	for i, r := range replies {
		require.NoError(t, r.err, "request %d", i)
		require.Equal(t, http.StatusOK, r.status, "request %d: %s", i, r.body)
		ids[r.header.Get("X-Request-ID")] = []string{"alpha", "beta"}[i%2]
	}
	require.Len(t, ids, 200, "every request has its own ID")
	require.Equal(t, 0, s.terminate(t), s.stderr.String())

	lines := readRequestLog(t, filepath.Join(dir, "logs"))
	require.Len(t, lines, 200, "exactly one line per request")
	perProgram := map[string]int{}
	for i, l := range lines {
		for _, field := range logFields() {
			assert.Contains(t, l, field, "line %d", i+1)
		}
		var id, program string
		require.NoError(t, json.Unmarshal(l["request_id"], &id))
		require.NoError(t, json.Unmarshal(l["program"], &program))
		assert.Equal(t, ids[id], program, "line %d belongs to the request with its ID", i+1)
		assert.JSONEq(t, "200", string(l["status"]))
		perProgram[program]++
	}
	assert.Equal(t, map[string]int{"alpha": 100, "beta": 100}, perProgram)
}

func TestServeBackpressureAnswers429OnlyAfterTheQueueTimeout(t *testing.T) {
	const queueTimeout = 2 * time.Second
	dir := serveDir(t, map[string]string{})
	s := startServe(t, "--spec", filepath.Join(dir, "qa.yaml"), "--name", "qa",
		"--max-concurrent", "3", "--queue-timeout", queueTimeout.String(), "--sim", "latency=1s")

	// All 50 start at once: a barrier, then one request each.
	c := loadClient(50)
	replies := make([]reply, 50)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range replies {
		wg.Go(func() {
			<-start
			replies[i] = post(c, s.url+"/v1/programs/qa", fmt.Sprintf("Burst question %d?", i))
		})
	}
	close(start)
	wg.Wait()

	counts := map[int]int{}
	for i, r := range replies {
		require.NoError(t, r.err, "request %d", i)
		counts[r.status]++
		switch r.status {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			assert.GreaterOrEqual(t, r.end.Sub(r.start), queueTimeout, "request %d was turned away before the queue timeout", i)
			ra, err := strconv.Atoi(r.header.Get("Retry-After"))
			assert.NoError(t, err, "request %d: Retry-After %q", i, r.header.Get("Retry-After"))
			assert.GreaterOrEqual(t, ra, 1)
			var body serve.ErrorBody
			require.NoError(t, json.Unmarshal(r.body, &body), "request %d: %s", i, r.body)
			assert.Equal(t, serve.CodeQueueTimeout, body.Error.Code)
		default:
			t.Errorf("request %d: status %d (%s); want only 200 or 429", i, r.status, r.body)
		}
	}
	t.Logf("burst of 50 at 3 running, 1 s each, %v queue: %v", queueTimeout, counts)
	assert.GreaterOrEqual(t, counts[http.StatusOK], 3, "the first three run")
	assert.Positive(t, counts[http.StatusTooManyRequests], "a queue that cannot drain in time turns requests away")
	assert.Equal(t, http.StatusOK, getStatus(t, s.url+"/health/live"))
	assert.Equal(t, http.StatusOK, getStatus(t, s.url+"/health/ready"))
	assert.Equal(t, 0, s.terminate(t), s.stderr.String())
}

func TestServeSIGTERMUnderLoadAnswersAndLogsEveryAcceptedRequest(t *testing.T) {
	dir := serveDir(t, map[string]string{})
	logs := filepath.Join(dir, "logs")
	s := startServe(t, "--spec", filepath.Join(dir, "qa.yaml"), "--name", "qa",
		"--max-concurrent", "8", "--sim", "latency=400ms", "--log-dir", logs, "--drain-timeout", "20s")

	// A connection per request, so a request is either accepted on a fresh
	// connection or refused: none is lost on a reused connection the server
	// closes.
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var (
		mu      sync.Mutex
		replies []reply
		n       atomic.Int64
		wg      sync.WaitGroup
	)
	for range 16 {
		wg.Go(func() {
			for {
				r := post(c, s.url+"/v1/programs/qa", fmt.Sprintf("Load question %d?", n.Add(1)))
				mu.Lock()
				replies = append(replies, r)
				mu.Unlock()
				if r.err != nil || r.status != http.StatusOK {
					return
				}
			}
		})
	}
	time.Sleep(1200 * time.Millisecond)
	sigterm := time.Now()
	code := s.terminate(t)
	wg.Wait()
	require.Equal(t, 0, code, s.stderr.String())

	answered, finishedAfterSignal := 0, 0
	for i, r := range replies {
		if r.err != nil {
			assert.True(t, r.start.After(sigterm), "request %d failed before SIGTERM: %v", i, r.err)
			continue
		}
		answered++
		switch r.status {
		case http.StatusOK:
			var out map[string]any
			assert.NoError(t, json.Unmarshal(r.body, &out), "request %d: a whole answer", i)
			assert.Contains(t, out, "answer")
			if r.start.Before(sigterm) && r.end.After(sigterm) {
				finishedAfterSignal++
			}
		case http.StatusServiceUnavailable:
			var body serve.ErrorBody
			require.NoError(t, json.Unmarshal(r.body, &body))
			assert.Equal(t, serve.CodeDraining, body.Error.Code)
		default:
			t.Errorf("request %d: status %d (%s)", i, r.status, r.body)
		}
	}
	assert.Positive(t, finishedAfterSignal, "requests running at SIGTERM finish with their answer")
	assert.Len(t, readRequestLog(t, logs), answered, "one log line per answered request, flushed before exit")
}

func TestServeErrorStormAnswersJSONWithinTheDeadlineAndStaysLive(t *testing.T) {
	const deadline = time.Second
	dir := serveDir(t, map[string]string{})
	s := startServe(t, "--spec", filepath.Join(dir, "qa.yaml"), "--name", "qa",
		"--lm-max-retries", "0", "--request-timeout", deadline.String(), "--max-concurrent", "16",
		"--sim", "latency=10ms,err500=0.5,err429=0.3,hang=0.1,hang_for=20s")

	done := make(chan struct{})
	liveFailures := atomic.Int64{}
	probes := atomic.Int64{}
	var probeWG sync.WaitGroup
	probeWG.Go(func() {
		c := &http.Client{Timeout: time.Second}
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			probes.Add(1)
			resp, err := c.Get(s.url + "/health/live")
			if err != nil {
				liveFailures.Add(1)
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				liveFailures.Add(1)
			}
		}
	})
	replies := load(loadClient(16), 80, 16, func(int) string { return s.url + "/v1/programs/qa" })
	close(done)
	probeWG.Wait()

	counts := map[int]int{}
	for i, r := range replies {
		require.NoError(t, r.err, "request %d", i)
		counts[r.status]++
		assert.Less(t, r.end.Sub(r.start), deadline+1500*time.Millisecond, "request %d outlived the deadline", i)
		if r.status == http.StatusOK {
			continue
		}
		assert.True(t, r.status == http.StatusTooManyRequests || r.status >= 500, "request %d: status %d", i, r.status)
		var body serve.ErrorBody
		require.NoError(t, json.Unmarshal(r.body, &body), "request %d: %s", i, r.body)
		assert.NotEmpty(t, body.Error.Code, "request %d", i)
		assert.NotEmpty(t, body.Error.RequestID, "request %d", i)
		if r.status == http.StatusServiceUnavailable || r.status == http.StatusTooManyRequests {
			assert.NotEmpty(t, r.header.Get("Retry-After"), "request %d: %s", i, body.Error.Code)
		}
	}
	t.Logf("statuses under a 90%% failing LM: %v; %d liveness probes", counts, probes.Load())
	assert.Greater(t, 80-counts[http.StatusOK], 40, "most requests fail as the LM does")
	assert.Positive(t, counts[http.StatusGatewayTimeout], "a hung LM call ends at the request deadline")
	assert.Zero(t, liveFailures.Load(), "/health/live answers 200 throughout")
	assert.Positive(t, probes.Load())
	assert.Equal(t, http.StatusOK, getStatus(t, s.url+"/health/live"))
	assert.Equal(t, 0, s.terminate(t), s.stderr.String())
}
