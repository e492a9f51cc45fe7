package dspy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

const goldenToolCalls = "testdata/golden/tool-calls.json"

// toolCallsGoldenFile holds what DSPy 3.3.1's chat and JSON adapters send
// and read with dspy.Tool inputs and dspy.ToolCalls outputs.
type toolCallsGoldenFile struct {
	ToolDefinitions map[string]goldenToolDefinition `json:"tool_definitions"`
	ToolStrings     map[string]string               `json:"tool_strings"`
	Format          []struct {
		Name           string            `json:"name"`
		Adapter        string            `json:"adapter"`
		Native         bool              `json:"native"`
		Instructions   string            `json:"instructions"`
		InputsTypes    json.RawMessage   `json:"inputs_types"`
		OutputsTypes   json.RawMessage   `json:"outputs_types"`
		Tools          []string          `json:"tools"`
		Demos          []json.RawMessage `json:"demos"`
		Values         json.RawMessage   `json:"values"`
		Messages       []dspy.Message    `json:"messages"`
		SentTools      []json.RawMessage `json:"sent_tools"`
		ResponseFormat *struct {
			Type string `json:"type"`
		} `json:"response_format"`
	} `json:"format"`
	Parse []struct {
		Name         string          `json:"name"`
		Adapter      string          `json:"adapter"`
		Native       bool            `json:"native"`
		OutputsTypes json.RawMessage `json:"outputs_types"`
		Text         *string         `json:"text"`
		ToolCalls    []struct {
			ID       string `json:"id"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
		OK     bool            `json:"ok"`
		Parsed json.RawMessage `json:"parsed"`
	} `json:"parse"`
}

func loadToolCallsGolden(t testing.TB) toolCallsGoldenFile {
	t.Helper()
	raw, err := os.ReadFile(goldenToolCalls)
	require.NoError(t, err)
	var g toolCallsGoldenFile
	require.NoError(t, json.Unmarshal(raw, &g))
	return g
}

// goldenToolDefinition is a tool as DSPy offers it natively, its argument
// schema kept as the JSON text DSPy wrote, in pydantic's key order.
type goldenToolDefinition struct {
	Function struct {
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// goldenTools builds Go tools with the argument schemas DSPy derived from
// the Python functions, read as JSON text so they keep pydantic's key order;
// they do nothing, since only requests are compared.
func goldenTools(t testing.TB, g toolCallsGoldenFile, names []string) []*dspy.Tool {
	t.Helper()
	tools := make([]*dspy.Tool, len(names))
	for i, n := range names {
		def, ok := g.ToolDefinitions[n]
		require.True(t, ok, "no golden tool %q", n)
		var err error
		tools[i], err = dspy.NewToolWithJSONSchema(n, def.Function.Description, def.Function.Parameters, func(context.Context, map[string]any) (any, error) { return "ok", nil })
		require.NoError(t, err)
	}
	return tools
}

// typesSignature builds a signature from {"name": "type"} objects in order.
func typesSignature(t testing.TB, inputs, outputs json.RawMessage, instructions string) dspy.Signature {
	t.Helper()
	fields := func(raw json.RawMessage) []dspy.Field {
		keys, values := orderedKeys(t, raw)
		out := make([]dspy.Field, len(keys))
		for i, k := range keys {
			var typ dspy.Type
			require.NoError(t, json.Unmarshal(values[k], &typ))
			out[i] = dspy.NewField(k, typ)
		}
		return out
	}
	sig, err := dspy.NewSignature(fields(inputs), fields(outputs), instructions)
	require.NoError(t, err)
	return sig
}

// toolCallsExample reads golden values, a ToolCalls field as ToolCalls.
func toolCallsExample(t testing.TB, sig dspy.Signature, raw json.RawMessage) dspy.Example {
	t.Helper()
	ex := orderedExample(t, sig, raw)
	_, values := orderedKeys(t, raw)
	for _, k := range ex.Keys() {
		if f, _, ok := sig.Field(k); ok && f.Type.String() == "ToolCalls" {
			var tc dspy.ToolCalls
			require.NoError(t, json.Unmarshal(values[k], &tc))
			ex = ex.Set(k, tc)
		}
	}
	return ex
}

// toolCallsLM answers every request with one completion: text and calls.
type toolCallsLM struct {
	text     string
	calls    []dspy.LMToolCall
	requests []dspy.LMRequest
}

func (l *toolCallsLM) Call(_ context.Context, req dspy.LMRequest) (dspy.LMResponse, error) {
	l.requests = append(l.requests, req)
	resp := dspy.LMResponse{Outputs: []string{l.text}, Model: "m", Usage: dspy.Usage{Calls: 1}}
	if l.calls != nil {
		resp.ToolCalls = [][]dspy.LMToolCall{l.calls}
	}
	return resp, nil
}

func (l *toolCallsLM) ModelName() string { return "m" }

func toolCallsAdapter(name string, native bool) dspy.Adapter {
	if name == "ChatAdapter" {
		return &dspy.ChatAdapter{NativeToolCalls: native, DisableJSONFallback: true}
	}
	return &dspy.JSONAdapter{NoNativeToolCalls: !native}
}

// canonicalJSON re-encodes a JSON value with sorted keys, so values compare
// whatever order they were written in.
func canonicalJSON(t testing.TB, raw []byte) string {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&v))
	out, err := json.Marshal(v)
	require.NoError(t, err)
	return string(out)
}

func TestToolCallsFormatMatchesDSPyGolden(t *testing.T) {
	g := loadToolCallsGolden(t)
	count := map[string]int{}
	for _, tc := range g.Format {
		count[tc.Adapter]++
		t.Run(tc.Adapter+"/"+tc.Name, func(t *testing.T) {
			sig := typesSignature(t, tc.InputsTypes, tc.OutputsTypes, tc.Instructions)
			demos := make([]dspy.Example, len(tc.Demos))
			for i, d := range tc.Demos {
				demos[i] = toolCallsExample(t, sig, d)
			}
			inputs := toolCallsExample(t, sig, tc.Values)
			tools := goldenTools(t, g, tc.Tools)
			inputs = inputs.Set("tools", tools)
			lm := &toolCallsLM{text: "[[ ## completed ## ]]"}
			_, _ = toolCallsAdapter(tc.Adapter, tc.Native).Call(context.Background(), lm, dspy.LMRequest{}, sig, demos, inputs)
			require.NotEmpty(t, lm.requests)
			req := lm.requests[0]

			require.Len(t, req.Messages, len(tc.Messages))
			for i, want := range tc.Messages {
				assert.Equal(t, want.Role, req.Messages[i].Role, "message %d role", i)
				assert.Equal(t, want.Content, req.Messages[i].Content, "message %d content", i)
			}

			require.Len(t, req.Tools, len(tc.SentTools))
			for i, want := range tc.SentTools {
				var def map[string]any
				require.NoError(t, json.Unmarshal(want, &def))
				fn := def["function"].(map[string]any)
				if fn["description"] == nil {
					delete(fn, "description")
				}
				wantRaw, err := json.Marshal(def)
				require.NoError(t, err)
				gotRaw, err := json.Marshal(req.Tools[i])
				require.NoError(t, err)
				assert.Equal(t, canonicalJSON(t, wantRaw), canonicalJSON(t, gotRaw), "tool %d", i)
			}
			if tc.ResponseFormat != nil {
				require.NotNil(t, req.ResponseFormat)
				assert.Equal(t, tc.ResponseFormat.Type, req.ResponseFormat.Type)
			}
		})
	}
	assert.GreaterOrEqual(t, count["ChatAdapter"], 6)
	assert.GreaterOrEqual(t, count["JSONAdapter"], 6)
}

// goldenParsed is a parsed output in the golden files' JSON shape: a
// ToolCalls value as {"tool_calls": [{"id", "name", "args"}]}, id null when
// the call came from text.
func goldenParsed(t testing.TB, out dspy.Example) string {
	t.Helper()
	m := map[string]any{}
	for _, k := range out.Keys() {
		v, _ := out.Get(k)
		if tc, ok := v.(dspy.ToolCalls); ok {
			calls := make([]any, len(tc.Calls))
			for i, c := range tc.Calls {
				var id any
				if c.ID != "" {
					id = c.ID
				}
				calls[i] = map[string]any{"id": id, "name": c.Name, "args": c.Args}
			}
			v = map[string]any{"tool_calls": calls}
		}
		m[k] = v
	}
	raw, err := json.Marshal(m)
	require.NoError(t, err)
	return canonicalJSON(t, raw)
}

func TestToolCallsParseMatchesDSPyGolden(t *testing.T) {
	g := loadToolCallsGolden(t)
	count := map[string]int{}
	for _, tc := range g.Parse {
		count[tc.Adapter]++
		t.Run(tc.Adapter+"/"+tc.Name, func(t *testing.T) {
			sig := typesSignature(t, json.RawMessage(`{"question": "str", "tools": "list[Tool]"}`), tc.OutputsTypes, "Use the tools.")
			lm := &toolCallsLM{}
			if tc.Text != nil {
				lm.text = *tc.Text
			}
			for _, c := range tc.ToolCalls {
				lm.calls = append(lm.calls, dspy.LMToolCall{ID: c.ID, Name: c.Function.Name, Arguments: c.Function.Arguments})
			}
			inputs := dspy.NewExample("question", "q", "tools", goldenTools(t, g, []string{"get_weather", "search", "book"}))
			res, err := toolCallsAdapter(tc.Adapter, tc.Native).Call(context.Background(), lm, dspy.LMRequest{}, sig, nil, inputs)
			if !tc.OK {
				var parseErr *dspy.ParseError
				require.ErrorAs(t, err, &parseErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, res.Outputs, 1)
			assert.Equal(t, canonicalJSON(t, tc.Parsed), goldenParsed(t, res.Outputs[0]))
		})
	}
	assert.GreaterOrEqual(t, count["ChatAdapter"], 6)
	assert.GreaterOrEqual(t, count["JSONAdapter"], 6)
}

// Arguments DSPy's Tool refuses are refused here too, naming the argument
// at fault as DSPy does when one breaks its own schema.
func TestToolArgumentValidationMatchesDSPy(t *testing.T) {
	raw, err := os.ReadFile(goldenToolCalls)
	require.NoError(t, err)
	var g struct {
		Validation []struct {
			Tool  string         `json:"tool"`
			Args  map[string]any `json:"args"`
			Error *string        `json:"error"`
		} `json:"validation"`
	}
	require.NoError(t, json.Unmarshal(raw, &g))
	require.NotEmpty(t, g.Validation)
	for _, c := range g.Validation {
		tool := goldenTools(t, loadToolCallsGolden(t), []string{c.Tool})[0]
		err := tool.CheckArgs(c.Args)
		if c.Error == nil {
			assert.NoError(t, err, "%v", c.Args)
			continue
		}
		require.Error(t, err, "%v", c.Args)
		if prefix, _, ok := strings.Cut(*c.Error, " is invalid: "); ok {
			assert.Contains(t, err.Error(), prefix+" is invalid: ", "%v", c.Args)
		}
	}
}
