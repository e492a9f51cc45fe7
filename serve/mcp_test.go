package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
)

// connectMCP opens an MCP client session on srv's /mcp, sending token when
// it is not empty.
func connectMCP(t *testing.T, srv string, token string) (*mcp.ClientSession, error) {
	t.Helper()
	hc := &http.Client{}
	if token != "" {
		hc.Transport = bearerTransport{token: token}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint: srv + MCPPath, HTTPClient: hc, DisableStandaloneSSE: true, MaxRetries: -1,
	}, nil)
	if err == nil {
		t.Cleanup(func() { _ = cs.Close() })
	}
	return cs, err
}

type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// asJSON is v as encoding/json decodes it, for comparing values that crossed
// the wire with ones that did not.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func mcpPrograms(lm dspy.LM) []Program {
	return []Program{
		{Name: "qa", LM: lm, Source: SpecSource{Spec: &spec.Program{Module: "predict", Signature: "question -> answer",
			Instructions: "Answer the question in one line."}}},
		{Name: "count", LM: lm, Source: SpecSource{Spec: &spec.Program{Module: "predict", Signature: "question, n: int -> answer"}}},
	}
}

func TestMCPListsProgramsAsTools(t *testing.T) {
	h, srv := startHandler(t, Options{MCP: true, Programs: mcpPrograms(replyLM(nil))})
	cs, err := connectMCP(t, srv.URL, "")
	require.NoError(t, err)

	res, err := cs.ListTools(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, res.Tools, 2)
	byName := map[string]*mcp.Tool{}
	for _, tool := range res.Tools {
		byName[tool.Name] = tool
	}
	for _, p := range h.Programs() {
		tool := byName[p.Name]
		require.NotNil(t, tool, "program %s is a tool", p.Name)
		assert.Equal(t, asJSON(t, p.InputSchema), asJSON(t, tool.InputSchema), p.Name)
		assert.Equal(t, asJSON(t, p.OutputSchema), asJSON(t, tool.OutputSchema), p.Name)
		assert.Equal(t, h.slots[p.Name].current.Load().loaded.Signature.Instructions(), tool.Description, p.Name)
	}
	assert.Equal(t, "Answer the question in one line.", byName["qa"].Description)

	sig := dspy.MustSignature("question, context -> answer").WithInstructions("Use the context.")
	require.NoError(t, h.Swap("qa", Loaded{Signature: sig, Module: dspy.NewPredict(sig)}))
	res, err = cs.ListTools(context.Background(), nil)
	require.NoError(t, err)
	swapped := false
	for _, tool := range res.Tools {
		if tool.Name == "qa" {
			swapped = true
			assert.Equal(t, "Use the context.", tool.Description, "the list follows a swap")
			assert.Equal(t, asJSON(t, h.Programs()[0].InputSchema), asJSON(t, tool.InputSchema))
			assert.Contains(t, tool.InputSchema.(map[string]any)["properties"], "context")
		}
	}
	assert.True(t, swapped, "qa is still listed")
}

func TestMCPCallMatchesPOSTAndIsLogged(t *testing.T) {
	logs := &syncBuffer{}
	_, srv := startHandler(t, Options{MCP: true, LogWriter: logs, Programs: mcpPrograms(replyLM(nil))})
	cs, err := connectMCP(t, srv.URL, "")
	require.NoError(t, err)

	posted := post(t, srv.URL+"/v1/programs/count", `{"question": "how many?", "n": 3}`)
	require.Equal(t, http.StatusOK, posted.status, "%s", posted.body)

	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "count", Arguments: map[string]any{"question": "how many?", "n": 3}})
	require.NoError(t, err)
	require.False(t, res.IsError, "%v", res.Content)
	assert.Equal(t, posted.json(t), asJSON(t, res.StructuredContent))
	require.Len(t, res.Content, 1)
	text, ok := res.Content[0].(*mcp.TextContent)
	require.True(t, ok)
	assert.JSONEq(t, string(posted.body), text.Text)
	usage, ok := res.Meta["lm_usage"].(map[string]any)
	require.True(t, ok, "the usage is in _meta")
	for key, header := range map[string]string{"calls": "X-LM-Calls", "prompt_tokens": "X-LM-Prompt-Tokens",
		"completion_tokens": "X-LM-Completion-Tokens", "cache_hits": "X-LM-Cache-Hits", "cost_usd": "X-LM-Cost-USD"} {
		assert.Equal(t, posted.header.Get(header), fmt.Sprint(usage[key]), key)
	}

	eventually(t, "both calls logged", func() bool { return len(logLines(t, logs)) == 2 })
	lines := logLines(t, logs)
	mcpLine := lines[1]
	assert.Equal(t, "count", mcpLine.Program)
	assert.Equal(t, http.StatusOK, mcpLine.Status)
	assert.Equal(t, "func-model", mcpLine.Model)
	assert.Equal(t, 1, mcpLine.LMCalls)
	assert.JSONEq(t, `{"question": "how many?", "n": 3}`, string(mcpLine.Inputs))
	assert.JSONEq(t, string(posted.body), string(mcpLine.Outputs))
	assert.Equal(t, res.Meta["request_id"], mcpLine.RequestID)
}

// toolError is a failed tool call's text, which is the HTTP error body.
func toolError(t *testing.T, res *mcp.CallToolResult) ErrorBody {
	t.Helper()
	require.True(t, res.IsError, "the call fails as a tool error")
	require.Len(t, res.Content, 1)
	text, ok := res.Content[0].(*mcp.TextContent)
	require.True(t, ok)
	var body ErrorBody
	require.NoError(t, json.Unmarshal([]byte(text.Text), &body), text.Text)
	return body
}

func TestMCPErrorsAreToolErrors(t *testing.T) {
	logs := &syncBuffer{}
	failing := replyLM(func(_ context.Context, req dspy.LMRequest) error {
		if sectionValue(req.Messages[len(req.Messages)-1].Content, "question") == "fail" {
			return &dspy.LMError{Kind: dspy.ErrKindServer, StatusCode: 500}
		}
		return nil
	})
	_, srv := startHandler(t, Options{MCP: true, LogWriter: logs, Programs: mcpPrograms(failing)})
	cs, err := connectMCP(t, srv.URL, "")
	require.NoError(t, err)
	ctx := context.Background()

	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "count", Arguments: map[string]any{"question": "q", "n": "three"}})
	require.NoError(t, err, "a bad input is a tool error, not a protocol error")
	body := toolError(t, res)
	assert.Equal(t, CodeInvalidInputs, body.Error.Code)
	assert.Equal(t, []FieldError{{Field: "n", Problem: "want an integer, got a string"}}, body.Error.Fields)
	posted := post(t, srv.URL+"/v1/programs/count", `{"question": "q", "n": "three"}`)
	assert.Equal(t, posted.errorBody(t).Error.Message, body.Error.Message, "the same message as over HTTP")

	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "qa", Arguments: map[string]any{"question": "fail"}})
	require.NoError(t, err)
	body = toolError(t, res)
	assert.Equal(t, CodeUpstreamError, body.Error.Code)
	assert.Equal(t, "the model call failed", body.Error.Message)

	eventually(t, "every call logged", func() bool { return len(logLines(t, logs)) == 3 })
	lines := logLines(t, logs)
	assert.Equal(t, http.StatusUnprocessableEntity, lines[0].Status)
	assert.Equal(t, http.StatusBadGateway, lines[2].Status)
	assert.Equal(t, CodeUpstreamError, lines[2].ErrorCode)
}

func TestMCPQueueTimeoutIsToolError(t *testing.T) {
	started, unblock := make(chan struct{}), make(chan struct{})
	blocking := replyLM(func(context.Context, dspy.LMRequest) error {
		started <- struct{}{}
		<-unblock
		return nil
	})
	programs := mcpPrograms(blocking)
	programs[0].Limits = Limits{MaxConcurrent: 1, QueueTimeout: 50 * time.Millisecond}
	_, srv := startHandler(t, Options{MCP: true, Programs: programs})
	cs, err := connectMCP(t, srv.URL, "")
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "qa", Arguments: map[string]any{"question": "slow"}})
		done <- err
	}()
	<-started
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "qa", Arguments: map[string]any{"question": "second"}})
	require.NoError(t, err)
	body := toolError(t, res)
	assert.Equal(t, CodeQueueTimeout, body.Error.Code, "the 429 comes back as a tool error")
	assert.NotEmpty(t, body.Error.Message)
	close(unblock)
	require.NoError(t, <-done)
}

func TestMCPNeedsTheBearerToken(t *testing.T) {
	_, srv := startHandler(t, Options{MCP: true, Auth: Auth{Tokens: []string{"s3cret"}}, Programs: mcpPrograms(replyLM(nil))})

	r := post(t, srv.URL+MCPPath, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	_, err := connectMCP(t, srv.URL, "wrong")
	require.Error(t, err)

	cs, err := connectMCP(t, srv.URL, "s3cret")
	require.NoError(t, err)
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "qa", Arguments: map[string]any{"question": "hi"}})
	require.NoError(t, err)
	assert.False(t, res.IsError, "%v", res.Content)
}

func TestMCPIsOffUnlessAsked(t *testing.T) {
	_, srv := startHandler(t, Options{Programs: mcpPrograms(replyLM(nil))})
	r := post(t, srv.URL+MCPPath, `{}`)
	assert.Equal(t, http.StatusNotFound, r.status)
}
