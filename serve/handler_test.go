package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
)

func TestCallReturnsOutputsUsageAndRequestID(t *testing.T) {
	echo := newEchoModelServer(t)
	_, srv := startHandler(t, Options{Programs: []Program{{
		Name: "qa", Source: SpecSource{Spec: qaSpec()}, LM: newClient(t, echo.URL, "model-a"),
	}}})

	r := post(t, srv.URL+"/v1/programs/qa", `{"question": "why?"}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, map[string]any{"answer": "model=model-a question=why?"}, r.json(t))
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	assert.NotEmpty(t, r.header.Get("X-Request-ID"))
	assert.Equal(t, "1", r.header.Get("X-LM-Calls"))
	assert.Equal(t, "11", r.header.Get("X-LM-Prompt-Tokens"))
	assert.Equal(t, "5", r.header.Get("X-LM-Completion-Tokens"))
	assert.Equal(t, "0", r.header.Get("X-LM-Cache-Hits"))

	r = post(t, srv.URL+"/v1/programs/qa", `{"question": "again"}`, "X-Request-ID", "client-id-7")
	assert.Equal(t, "client-id-7", r.header.Get("X-Request-ID"), "a well-formed client ID is kept")
	r = post(t, srv.URL+"/v1/programs/qa", `{"question": "again"}`, "X-Request-ID", "bad id with spaces")
	assert.NotEqual(t, "bad id with spaces", r.header.Get("X-Request-ID"))
}

func TestErrorStatuses(t *testing.T) {
	for _, tc := range []struct {
		name       string
		lmErr      error
		reply      string
		body       string
		path       string
		method     string
		timeout    time.Duration
		status     int
		code       string
		retryAfter string
		fields     []FieldError
	}{
		{name: "malformed JSON", body: `{"question": `, status: 400, code: CodeMalformedJSON},
		{name: "not an object", body: `["question"]`, status: 400, code: CodeMalformedJSON},
		{name: "trailing data", body: `{"question": "a"} {}`, status: 400, code: CodeMalformedJSON},
		{name: "inputs wrong", body: `{"question": 3, "n": "x", "extra": 1}`, status: 422, code: CodeInvalidInputs, fields: []FieldError{
			{Field: "extra", Problem: "unknown field: the program takes question, n, flag"},
			{Field: "flag", Problem: "missing"},
			{Field: "n", Problem: "want an integer, got a string"},
			{Field: "question", Problem: "want a string, got a number"},
		}},
		{name: "unknown program", path: "/v1/programs/nope", body: `{}`, status: 404, code: CodeNotFound},
		{name: "wrong method", method: http.MethodGet, path: "/v1/programs/qa", status: 405, code: CodeMethodNotAllowed},
		{name: "unknown path", method: http.MethodGet, path: "/nowhere", status: 404, code: CodeNotFound},
		{name: "body too large", body: `{"question": "` + strings.Repeat("x", 2048) + `", "n": 1, "flag": true}`, status: 413, code: CodeBodyTooLarge},
		{name: "rate limited upstream", lmErr: &dspy.LMError{Kind: dspy.ErrKindRateLimit, StatusCode: 429, RetryAfter: 7 * time.Second},
			status: 503, code: CodeUpstreamRateLimit, retryAfter: "7"},
		{name: "upstream timeout", lmErr: &dspy.LMError{Kind: dspy.ErrKindTimeout}, status: 504, code: CodeUpstreamTimeout},
		{name: "upstream server error", lmErr: fmt.Errorf("wrapped: %w", &dspy.LMError{Kind: dspy.ErrKindServer, StatusCode: 500}), status: 502, code: CodeUpstreamError},
		{name: "context too long", lmErr: &dspy.LMError{Kind: dspy.ErrKindContextLength, StatusCode: 400}, status: 422, code: CodeInputTooLong},
		{name: "unparseable reply", reply: "SECRET-RAW-REPLY without markers", status: 502, code: CodeUnparseableReply},
		{name: "request deadline", timeout: 20 * time.Millisecond, status: 504, code: CodeDeadlineExceeded},
		{name: "program bug", lmErr: errors.New("boom at main.go:12"), status: 500, code: CodeInternal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := replyLM(func(ctx context.Context, _ dspy.LMRequest) error {
				if tc.timeout > 0 {
					<-ctx.Done()
					return &dspy.LMError{Kind: dspy.ErrKindConnection, Err: ctx.Err()}
				}
				return tc.lmErr
			})
			if tc.reply != "" {
				fn.Reply = func(context.Context, dspy.LMRequest) (string, error) { return tc.reply, nil }
			}
			logs := &syncBuffer{}
			h, srv := startHandler(t, Options{
				MaxBodyBytes: 1024,
				LogWriter:    logs,
				Programs: []Program{{Name: "qa", LM: fn, Limits: Limits{RequestTimeout: tc.timeout},
					Source: SpecSource{Spec: &spec.Program{Module: "predict", Signature: "question, n: int, flag: bool -> answer"}}}},
			})
			body := tc.body
			if body == "" && tc.method == "" {
				body = `{"question": "q", "n": 2, "flag": false}`
			}
			method, path := tc.method, tc.path
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/v1/programs/qa"
			}
			r, err := do(t, context.Background(), method, srv.URL+path, body)
			require.NoError(t, err)
			require.Equal(t, tc.status, r.status, "%s", r.body)
			assert.Equal(t, "application/json", r.header.Get("Content-Type"))
			e := r.errorBody(t)
			assert.Equal(t, tc.code, e.Error.Code)
			assert.NotEmpty(t, e.Error.Message)
			assert.Equal(t, tc.fields, e.Error.Fields)
			assert.Equal(t, tc.retryAfter, r.header.Get("Retry-After"))
			assert.NotContains(t, string(r.body), "SECRET-RAW-REPLY", "the raw reply stays out of the body")
			assert.NotContains(t, string(r.body), "main.go", "no internals in the body")
			if path == "/v1/programs/qa" && method == http.MethodPost {
				assert.Equal(t, r.header.Get("X-Request-ID"), e.Error.RequestID)
				require.NoError(t, h.Close())
				lines := logLines(t, logs)
				require.Len(t, lines, 1)
				assert.Equal(t, tc.status, lines[0].Status)
				assert.Equal(t, tc.code, lines[0].ErrorCode)
				if tc.reply != "" {
					assert.Contains(t, lines[0].RawReply, "SECRET-RAW-REPLY", "the raw reply is kept in the log")
				}
			}
		})
	}
}

func TestClientDisconnectCancelsLMCall(t *testing.T) {
	started := make(chan struct{})
	canceled := make(chan error, 1)
	fn := replyLM(func(ctx context.Context, _ dspy.LMRequest) error {
		close(started)
		<-ctx.Done()
		canceled <- ctx.Err()
		return ctx.Err()
	})
	logs := &syncBuffer{}
	h, srv := startHandler(t, Options{LogWriter: logs, Programs: []Program{{Name: "qa", LM: fn, Source: SpecSource{Spec: qaSpec()}}}})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := do(t, ctx, http.MethodPost, srv.URL+"/v1/programs/qa", `{"question": "q"}`)
		done <- err
	}()
	<-started
	cancel()
	require.Error(t, <-done)
	assert.ErrorIs(t, <-canceled, context.Canceled, "the LM call saw the client go away")

	eventually(t, "the request to finish", func() bool { return len(logLines(t, logs)) == 1 })
	require.NoError(t, h.Close())
	lines := logLines(t, logs)
	assert.Equal(t, StatusClientClosedRequest, lines[0].Status)
	assert.Equal(t, CodeClientClosed, lines[0].ErrorCode)
}

// Programs on different models, called concurrently, each answer with their
// own model: a request never runs with another program's LM.
func TestProgramsOnDifferentModelsNeverCross(t *testing.T) {
	echo := newEchoModelServer(t)
	_, srv := startHandler(t, Options{Programs: []Program{
		{Name: "a", Source: SpecSource{Spec: qaSpec()}, LM: newClient(t, echo.URL, "model-a")},
		{Name: "b", Source: SpecSource{Spec: qaSpec()}, LM: newClient(t, echo.URL, "model-b")},
	}})
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := range 100 {
		wg.Go(func() {
			prog := []string{"a", "b"}[i%2]
			q := fmt.Sprintf("q%d", i)
			r, err := do(t, context.Background(), http.MethodPost, srv.URL+"/v1/programs/"+prog, `{"question": "`+q+`"}`)
			if err != nil {
				errs <- err.Error()
				return
			}
			want := fmt.Sprintf(`{"answer":"model=model-%s question=%s"}`, prog, q)
			if r.status != 200 || strings.TrimSpace(string(r.body)) != want {
				errs <- fmt.Sprintf("%s %s: got %d %s, want %s", prog, q, r.status, r.body, want)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	assert.EqualValues(t, 100, echo.calls.Load())
}

func TestListDescribesProgramsAndStateOrigin(t *testing.T) {
	echo := newEchoModelServer(t)
	_, srv := startHandler(t, Options{Programs: []Program{{
		Name: "qa", Source: SpecSource{Spec: &spec.Program{Module: "predict", Signature: "question, k: int -> answer, confident: bool",
			Descriptions: map[string]string{"k": "how many"}}},
		LM: newClient(t, echo.URL, "model-a"),
	}}})
	r := get(t, srv.URL+"/v1/programs")
	require.Equal(t, 200, r.status)
	var body struct{ Programs []ProgramInfo }
	require.NoError(t, json.Unmarshal(r.body, &body))
	require.Len(t, body.Programs, 1)
	p := body.Programs[0]
	assert.Equal(t, "qa", p.Name)
	assert.Equal(t, "model-a", p.Model)
	assert.Equal(t, "/v1/programs/qa", p.Path)
	assert.Equal(t, Origin{Kind: "spec"}, p.Origin)
	assert.Equal(t, map[string]any{
		"type": "object", "additionalProperties": false, "required": []any{"question", "k"},
		"properties": map[string]any{
			"question": map[string]any{"type": "string"},
			"k":        map[string]any{"type": "integer", "description": "how many"},
		},
	}, p.InputSchema)
	assert.Equal(t, []any{"answer", "confident"}, p.OutputSchema["required"])
}
