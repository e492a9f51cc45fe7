package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// MCPPath is where Options.MCP mounts the MCP endpoint.
const MCPPath = "/mcp"

// MCPHandler serves the programs as MCP tools over the Streamable HTTP
// transport: one tool per program, named after it, whose input schema is the
// program's request body schema, whose output schema is its response body
// schema and whose description is its signature's instructions. A tool call
// goes through the same admission, limits, request log and metrics as POST
// /v1/programs/{name}; its result holds the outputs as structured content and
// as JSON text. A failed call is a tool error whose text is the error body
// the HTTP endpoint would send. With bearer tokens configured, every MCP
// request needs one. Options.MCP mounts this handler at MCPPath.
func (h *Handler) MCPHandler() http.Handler {
	// Stateless: a tool call needs nothing from an earlier request, and no
	// session means no per-client state for the server to keep or expire.
	mh := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return h.mcpServer() },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true, Logger: h.logger,
			MaxRequestBodyBytes: h.maxBody + mcpEnvelopeBytes})
	return h.guard(false, mh.ServeHTTP)
}

// mcpEnvelopeBytes is room for the JSON-RPC envelope around a tool's
// arguments, which are themselves held to Options.MaxBodyBytes.
const mcpEnvelopeBytes = 64 << 10

// mcpServer lists the programs as they are now: a reload that changes a
// signature shows in the next request's tool list.
func (h *Handler) mcpServer() *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{Name: "dspy-serve", Title: h.opts.Title, Version: dspy.ImplementationVersion}, nil)
	for _, name := range h.order {
		tool := &mcp.Tool{Name: name, InputSchema: map[string]any{"type": "object"}}
		if v := h.slots[name].current.Load(); v != nil {
			tool.Description = v.loaded.Signature.Instructions()
			tool.InputSchema, tool.OutputSchema = v.inputSchema, v.outputSchema
		}
		srv.AddTool(tool, h.mcpTool(name))
	}
	return srv
}

// mcpTool runs one program for a tools/call, accounted like an HTTP call:
// one request log line, the same metrics, the same status in both.
func (h *Handler) mcpTool(name string) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var header http.Header
		if req.Extra != nil {
			header = req.Extra.Header
		}
		c := &call{start: time.Now(), requestID: requestID(header)}
		c.line = LogLine{Time: c.start.UTC(), RequestID: c.requestID, Program: name,
			Inputs: jsonNull, Outputs: jsonNull}
		out, e := h.execute(ctx, c, name, func() ([]byte, *apiError) {
			args := []byte(req.Params.Arguments)
			if len(args) == 0 {
				args = []byte("{}")
			}
			if int64(len(args)) > h.maxBody {
				return nil, newAPIError(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, fmt.Sprintf("the body exceeds %d bytes", h.maxBody))
			}
			return args, nil
		})
		res := &mcp.CallToolResult{Meta: mcp.Meta{"request_id": c.requestID}}
		if c.ran {
			u := c.usage
			res.Meta["lm_usage"] = map[string]any{"calls": u.Calls, "prompt_tokens": u.PromptTokens,
				"completion_tokens": u.CompletionTokens, "cost_usd": u.Cost, "cache_hits": u.CacheHits}
		}
		status := http.StatusOK
		if e != nil {
			c.err, status = e, e.status
			body, _ := json.Marshal(ErrorBody{Error: ErrorDetail{Code: e.code, Message: e.message, Fields: e.fields, RequestID: c.requestID}})
			res.IsError = true
			res.Content = []mcp.Content{&mcp.TextContent{Text: string(body)}}
		} else {
			res.StructuredContent = json.RawMessage(out)
			res.Content = []mcp.Content{&mcp.TextContent{Text: string(out)}}
		}
		h.finish(c, status)
		return res, nil
	}
}
