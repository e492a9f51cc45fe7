package dspy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
)

type weatherArgs struct {
	City string `json:"city" jsonschema:"the city to look up"`
	Days int    `json:"days,omitempty"`
}

func weather(_ context.Context, a weatherArgs) (string, error) {
	if a.City == "Atlantis" {
		return "", errors.New("no such city")
	}
	return a.City + " is sunny", nil
}

func TestNewTool_InfersArgumentSchemaFromStruct(t *testing.T) {
	tool, err := dspy.NewTool("get_weather", "Looks up the weather.", weather)
	require.NoError(t, err)

	assert.Equal(t, "get_weather", tool.Name())
	assert.Equal(t, []string{"city", "days"}, tool.ArgNames())
	assert.Equal(t, []string{"city"}, tool.Schema().Required)
	assert.Equal(t,
		"get_weather, whose description is <desc>Looks up the weather.</desc>. It takes arguments "+
			"{'city': {'type': 'string', 'description': 'the city to look up'}, 'days': {'type': 'integer'}}.",
		tool.String())
}

func TestTool_StringFollowsDSPy(t *testing.T) {
	noArgs := func(context.Context, struct{}) (string, error) { return "", nil }
	tests := []struct {
		name, desc, want string
	}{
		{"no description", "", "ping. It takes arguments {}."},
		{"newlines become two spaces", "Line one.\nLine two.", "ping, whose description is <desc>Line one.  Line two.</desc>. It takes arguments {}."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tool, err := dspy.NewTool("ping", tt.desc, noArgs)
			require.NoError(t, err)
			assert.Equal(t, tt.want, tool.String())
		})
	}
}

func TestTool_CallValidatesAndDecodesArguments(t *testing.T) {
	tool, err := dspy.NewTool("get_weather", "", weather)
	require.NoError(t, err)
	tests := []struct {
		name    string
		args    map[string]any
		want    any
		wantErr string
	}{
		{name: "valid", args: map[string]any{"city": "Paris"}, want: "Paris is sunny"},
		{name: "integral float for an int", args: map[string]any{"city": "Paris", "days": 2.0}, want: "Paris is sunny"},
		{name: "unknown argument", args: map[string]any{"city": "Paris", "country": "FR"}, wantErr: "Arg country is not in the tool's args."},
		{name: "wrong type", args: map[string]any{"city": 42}, wantErr: "invalid arguments"},
		{name: "missing required", args: map[string]any{}, wantErr: "invalid arguments"},
		{name: "tool error", args: map[string]any{"city": "Atlantis"}, wantErr: "no such city"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tool.Call(context.Background(), tt.args)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestTool_PointerArgumentStruct(t *testing.T) {
	tool, err := dspy.NewTool("get_weather", "", func(ctx context.Context, a *weatherArgs) (string, error) {
		return weather(ctx, *a)
	})
	require.NoError(t, err)
	got, err := tool.Call(context.Background(), map[string]any{"city": "Oslo"})
	require.NoError(t, err)
	assert.Equal(t, "Oslo is sunny", got)
}

func TestTool_PanicBecomesError(t *testing.T) {
	tool, err := dspy.NewTool("boom", "", func(context.Context, struct{}) (int, error) { panic("kaboom") })
	require.NoError(t, err)
	_, err = tool.Call(context.Background(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kaboom")
}

func TestNewTool_AcceptsDashedNamesAsMCPServersUse(t *testing.T) {
	tool, err := dspy.NewTool("get-weather", "", weather)
	require.NoError(t, err)
	assert.Equal(t, "get-weather", tool.Name())
}

func TestNewTool_RejectsUnusableFunctions(t *testing.T) {
	tests := []struct {
		name string
		tool string
		fn   any
	}{
		{"nil", "t", nil},
		{"not a function", "t", 42},
		{"no context", "t", func(weatherArgs) (string, error) { return "", nil }},
		{"no error result", "t", func(context.Context, weatherArgs) string { return "" }},
		{"non-struct arguments", "t", func(context.Context, string) (string, error) { return "", nil }},
		{"untyped map function", "t", func(context.Context, map[string]any) (any, error) { return nil, nil }},
		{"name with a space", "get weather", weather},
		{"name with a quote", "it's", weather},
		{"empty name", "", weather},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dspy.NewTool(tt.tool, "", tt.fn)
			assert.Error(t, err)
		})
	}
}

func TestNewToolWithSchema_ValidatesAgainstTheGivenSchema(t *testing.T) {
	schema := &jsonschema.Schema{
		Type:          "object",
		Properties:    map[string]*jsonschema.Schema{"query": {Type: "string"}, "k": {Type: "integer"}},
		PropertyOrder: []string{"query", "k"},
		Required:      []string{"query"},
	}
	var got map[string]any
	tool, err := dspy.NewToolWithSchema("search", "Searches.", schema, func(_ context.Context, args map[string]any) (any, error) {
		got = args
		return []string{"a", "b"}, nil
	})
	require.NoError(t, err)
	assert.Equal(t, "search, whose description is <desc>Searches.</desc>. It takes arguments {'query': {'type': 'string'}, 'k': {'type': 'integer'}}.", tool.String())

	res, err := tool.Call(context.Background(), map[string]any{"query": "go", "k": 3})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, res)
	assert.Equal(t, map[string]any{"query": "go", "k": 3}, got)

	_, err = tool.Call(context.Background(), map[string]any{"k": 3})
	assert.Error(t, err, "the required query is missing")

	_, err = dspy.NewToolWithSchema("bad", "", &jsonschema.Schema{Type: "string"}, func(context.Context, map[string]any) (any, error) { return nil, nil })
	assert.Error(t, err, "arguments must be an object")
}

// recordingRunner takes tool calls over and records them.
type recordingRunner struct{ calls []string }

func (r *recordingRunner) RunTool(_ context.Context, tool *dspy.Tool, args map[string]any) (any, error) {
	r.calls = append(r.calls, tool.Name())
	return "ran elsewhere", nil
}

// A context's ToolRunner takes a tool's call over once the arguments have
// passed the schema; bad arguments never reach it, and ReAct's own finish
// tool still runs in place.
func TestToolRunnerTakesCallsOver(t *testing.T) {
	ran := false
	tool, err := dspy.NewTool("add", "Adds.", func(_ context.Context, a struct{ A, B int }) (int, error) {
		ran = true
		return a.A + a.B, nil
	})
	require.NoError(t, err)
	runner := &recordingRunner{}
	ctx := dspy.WithToolRunner(context.Background(), runner)

	out, err := tool.Call(ctx, map[string]any{"A": 1, "B": 2})
	require.NoError(t, err)
	assert.Equal(t, "ran elsewhere", out)
	assert.False(t, ran)

	_, err = tool.Call(ctx, map[string]any{"A": "one"})
	require.Error(t, err)
	assert.Equal(t, []string{"add"}, runner.calls)

	out, err = tool.Run(context.Background(), map[string]any{"A": 1, "B": 2})
	require.NoError(t, err)
	assert.Equal(t, 3, out)

	agent, err := dspy.NewReAct(dspy.MustSignature("question -> answer"), tool)
	require.NoError(t, err)
	lm := dspytest.ScriptedLM(
		dspytest.ChatReply("next_thought", "done", "next_tool_name", "finish", "next_tool_args", "{}"),
		dspytest.ChatReply("reasoning", "r", "answer", "a"),
	)
	_, err = agent.Call(dspy.WithLM(ctx, lm), dspy.NewExample("question", "q"))
	require.NoError(t, err)
	assert.Equal(t, []string{"add"}, runner.calls, "finish ran in place")
}

// ToolObservation is the text ReAct shows the model for a result.
func TestToolObservation(t *testing.T) {
	assert.Equal(t, "plain", dspy.ToolObservation("plain"))
	assert.Equal(t, `{"a": 1}`, dspy.ToolObservation(map[string]any{"a": 1}))
}
