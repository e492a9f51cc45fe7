package spec_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
)

func TestNativeToolCallsBuildsANativeReAct(t *testing.T) {
	p, err := spec.Parse([]byte(`{"module": "react", "signature": "question -> answer", "tools": ["search"], "native_tool_calls": true}`))
	require.NoError(t, err)
	search := dspy.MustTool("search", "Look something up.", func(_ context.Context, args struct {
		Query string `json:"query"`
	}) (string, error) {
		return "result for " + args.Query, nil
	})
	m, err := p.Build(spec.Tools{"search": search})
	require.NoError(t, err)
	assert.True(t, m.(*dspy.ReAct).Native())
	assert.Equal(t, []string{"next_thought", "next_tool_calls"}, m.(*dspy.ReAct).React.Signature.OutputNames())

	_, err = spec.Parse([]byte(`{"module": "predict", "signature": "a -> b", "native_tool_calls": true}`))
	assert.ErrorContains(t, err, "native_tool_calls applies to react modules")
}
