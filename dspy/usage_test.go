package dspy_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
)

// proseLM answers every request in sentences, ignoring the format asked for.
func proseLM() *dspytest.FuncLM {
	return &dspytest.FuncLM{Reply: func(context.Context, dspy.LMRequest) (string, error) {
		return "Sure, happy to help. My answer is 5.", nil
	}}
}

func TestAPredictorWhoseRepliesNeverParseReportsBothCalls(t *testing.T) {
	lm := proseLM()
	p := dspy.NewPredict(dspy.MustSignature("question -> answer"))
	ctx, tracker := dspy.TrackUsage(dspy.WithLM(context.Background(), lm))

	_, err := p.Call(ctx, dspy.NewExample("question", "What is 2 + 3?"))

	var pe *dspy.ParseError
	require.ErrorAs(t, err, &pe)
	require.Len(t, lm.Requests(), 2, "the chat call and the JSON fallback")
	u := tracker.Usage()
	assert.Equal(t, 2, u.Calls)
	assert.Equal(t, 20, u.PromptTokens, "both replies' tokens")
}

func TestTrackersNestAndSeeFailedCalls(t *testing.T) {
	failing := &dspytest.FuncLM{Reply: func(context.Context, dspy.LMRequest) (string, error) {
		return "", errors.New("boom")
	}}
	// An LM that reports the requests of a failed call, as lm.Client does.
	billed := lmFunc(func(context.Context, dspy.LMRequest) (dspy.LMResponse, error) {
		return dspy.LMResponse{Usage: dspy.Usage{Calls: 3}}, errors.New("server error after retries")
	})
	outer, outerT := dspy.TrackUsage(context.Background())
	var wg sync.WaitGroup
	inner := make([]*dspy.UsageTracker, 4)
	for i := range inner {
		var ctx context.Context
		ctx, inner[i] = dspy.TrackUsage(outer)
		wg.Go(func() {
			_, _ = dspy.CallLM(ctx, billed, dspy.LMRequest{})
			_, _ = dspy.CallLM(ctx, failing, dspy.LMRequest{})
			_, _ = dspy.CallLM(ctx, proseLM(), dspy.LMRequest{})
		})
	}
	wg.Wait()
	for _, tr := range inner {
		assert.Equal(t, 4, tr.Usage().Calls)
	}
	assert.Equal(t, 16, outerT.Usage().Calls)
}

func TestSettlePrefersAPredictionThatCountedMore(t *testing.T) {
	_, tr := dspy.TrackUsage(context.Background())
	tr.Add(dspy.Usage{Calls: 1, PromptTokens: 3})
	assert.Equal(t, dspy.Usage{Calls: 1, PromptTokens: 3}, tr.Settle(dspy.Prediction{}))
	own := dspy.Prediction{Usage: dspy.Usage{Calls: 2, PromptTokens: 9}}
	assert.Equal(t, own.Usage, tr.Settle(own), "a module that summed calls the tracker did not see")
}

type lmFunc func(context.Context, dspy.LMRequest) (dspy.LMResponse, error)

func (f lmFunc) Call(ctx context.Context, req dspy.LMRequest) (dspy.LMResponse, error) {
	return f(ctx, req)
}
func (lmFunc) ModelName() string { return "func" }
