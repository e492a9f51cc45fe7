package evaluate_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
)

// A model that answers in prose fails every example, and is billed for every
// call: the chat call and the JSON fallback of each one.
func TestFailedExamplesCallsAreCountedInTheSummaryAndRecords(t *testing.T) {
	lm := &dspytest.FuncLM{Reply: func(context.Context, dspy.LMRequest) (string, error) {
		return "Sure, happy to help. My answer is 4.", nil
	}}
	program := dspy.NewPredict(dspy.MustSignature("question -> answer"))
	data := devset(5)
	ctx := dspy.WithLM(context.Background(), lm)

	res, err := evaluate.Evaluate(ctx, program, data, evaluate.ExactMatch("answer"), evaluate.Options{Concurrency: 2})

	require.NoError(t, err)
	require.Equal(t, 5, res.Errors)
	require.Len(t, lm.Requests(), 10)
	assert.Equal(t, 10, res.Usage.Calls, "summary")
	assert.Equal(t, 10*10, res.Usage.PromptTokens)
	for _, er := range res.Results {
		assert.True(t, er.Failed())
		assert.Equal(t, 2, er.Usage.Calls, "record %d", er.Index)
	}
	assert.Contains(t, res.String(), "lm calls  10 (0 cached)")

	var buf bytes.Buffer
	require.NoError(t, res.WriteJSONL(&buf))
	assert.Equal(t, 5, strings.Count(buf.String(), `"calls":2`))
	back, err := evaluate.ReadResultsJSONL(&buf)
	require.NoError(t, err)
	require.Len(t, back, 5)
	for _, er := range back {
		assert.Equal(t, 2, er.Usage.Calls)
	}
}
