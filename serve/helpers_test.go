package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
)

// echoModelServer is an OpenAI-compatible chat endpoint whose answer names
// the model it was asked for and echoes the question, in ChatAdapter's
// format, so a test can tell which program's LM served which request.
type echoModelServer struct {
	*httptest.Server
	calls atomic.Int64
}

func newEchoModelServer(t *testing.T) *echoModelServer {
	t.Helper()
	s := &echoModelServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
			return
		}
		last := req.Messages[len(req.Messages)-1].Content
		answer := "model=" + req.Model + " question=" + sectionValue(last, "question")
		content := "[[ ## answer ## ]]\n" + answer + "\n\n[[ ## completed ## ]]"
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "x", "object": "chat.completion", "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": content}}},
			"usage": map[string]any{"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16},
		})
	}))
	t.Cleanup(s.Close)
	return s
}

// sectionValue reads the value of a "[[ ## name ## ]]" section.
func sectionValue(text, name string) string {
	marker := "[[ ## " + name + " ## ]]\n"
	i := strings.Index(text, marker)
	if i < 0 {
		return ""
	}
	rest := text[i+len(marker):]
	if j := strings.Index(rest, "\n\n"); j >= 0 {
		rest = rest[:j]
	}
	return strings.TrimSpace(rest)
}

func newClient(t *testing.T, baseURL, model string) *lm.Client {
	t.Helper()
	c, err := lm.New(lm.Options{Model: model, BaseURL: baseURL, APIKey: "test-key"})
	require.NoError(t, err)
	return c
}

// qaSpec is the spec most tests serve.
func qaSpec() *spec.Program {
	return &spec.Program{Module: "predict", Signature: "question -> answer"}
}

// replyLM answers every question with "answer: <question>" after running hook,
// which a test uses to block, fail or observe calls.
func replyLM(hook func(ctx context.Context, req dspy.LMRequest) error) *dspytest.FuncLM {
	return &dspytest.FuncLM{Model: "func-model", Reply: func(ctx context.Context, req dspy.LMRequest) (string, error) {
		if hook != nil {
			if err := hook(ctx, req); err != nil {
				return "", err
			}
		}
		q := sectionValue(req.Messages[len(req.Messages)-1].Content, "question")
		return "[[ ## answer ## ]]\nanswer: " + q + "\n\n[[ ## completed ## ]]", nil
	}}
}

// startHandler builds, loads and mounts a handler on a loopback server; the
// server stops and the handler closes when the test ends.
func startHandler(t *testing.T, opts Options) (*Handler, *httptest.Server) {
	t.Helper()
	h, err := New(opts)
	require.NoError(t, err)
	require.NoError(t, h.Load(context.Background()))
	return h, newTestServer(t, h)
}

// newTestServer mounts h on a loopback server that stops, and closes h,
// when the test ends.
func newTestServer(t *testing.T, h *Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		_ = h.Close()
	})
	return srv
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body %s", r.body)
	return m
}

func (r response) errorBody(t *testing.T) ErrorBody {
	t.Helper()
	var e ErrorBody
	require.NoError(t, json.Unmarshal(r.body, &e), "body %s", r.body)
	return e
}

func do(t *testing.T, ctx context.Context, method, url, body string, header ...string) (response, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}, err
}

func post(t *testing.T, url, body string, header ...string) response {
	t.Helper()
	r, err := do(t, context.Background(), http.MethodPost, url, body, header...)
	require.NoError(t, err)
	return r
}

func get(t *testing.T, url string, header ...string) response {
	t.Helper()
	r, err := do(t, context.Background(), http.MethodGet, url, "", header...)
	require.NoError(t, err)
	return r
}

// eventually polls cond every few milliseconds, up to a bound, so a test
// waits for another goroutine's progress without sleeping a guessed time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 2000; i++ {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// logLines parses every JSONL line written so far.
func logLines(t *testing.T, buf *syncBuffer) []LogLine {
	t.Helper()
	var lines []LogLine
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var line LogLine
		require.NoError(t, json.Unmarshal(l, &line), "line %s", l)
		lines = append(lines, line)
	}
	return lines
}

// syncBuffer is a request log destination a test can read while the writer
// goroutine appends.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}
