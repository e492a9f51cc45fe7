package simlm_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// The simulator answers a two-step adapter's extraction call as a faithful
// extraction model does: the values come from the main model's text.
func TestExtractionCallsReadTheirValuesFromTheText(t *testing.T) {
	srv := simlm.New(simlm.Config{Seed: 1})
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Close() })
	extraction, err := lm.New(lm.Options{Model: "simlm-mini", BaseURL: srv.URL()})
	require.NoError(t, err)

	sig := dspy.MustSignature("question -> count: int, share: float, sure: bool")
	main := dspytest.ScriptedLM("There are 3 groups of 14, so 42 in all; a share of 0.25. Yes, I am sure.")
	res, err := dspy.NewTwoStepAdapter(extraction).Call(context.Background(), main, dspy.LMRequest{}, sig, nil, dspy.NewExample("question", "q"))
	require.NoError(t, err)
	count, _ := res.Outputs[0].Get("count")
	share, _ := res.Outputs[0].Get("share")
	sure, _ := res.Outputs[0].Get("sure")
	assert.Equal(t, 42, count, "the last whole number")
	assert.Equal(t, 0.25, share)
	assert.Equal(t, true, sure)

	text := dspy.MustSignature("question -> reply")
	res, err = dspy.NewTwoStepAdapter(extraction).Call(context.Background(), dspytest.ScriptedLM("  A short summary.  "), dspy.LMRequest{}, text, nil, dspy.NewExample("question", "q"))
	require.NoError(t, err)
	assert.Equal(t, "A short summary.", res.Outputs[0].GetString("reply"))
}
