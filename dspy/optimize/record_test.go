package optimize

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
)

func TestRecordingLMRecordsEveryCallAndItsUsage(t *testing.T) {
	lm := RecordingLM{&dspytest.FuncLM{Reply: func(_ context.Context, req dspy.LMRequest) (string, error) {
		if req.Messages[0].Content == "fail" {
			return "", errors.New("boom")
		}
		return "reply", nil
	}}}
	rec := &CallRecorder{}
	ctx := WithCallRecorder(context.Background(), rec)

	_, err := lm.Call(ctx, dspy.LMRequest{Messages: []dspy.Message{{Role: "user", Content: "ok"}}})
	require.NoError(t, err)
	_, err = lm.Call(ctx, dspy.LMRequest{Messages: []dspy.Message{{Role: "user", Content: "fail"}}})
	require.Error(t, err)
	_, err = lm.Call(context.Background(), dspy.LMRequest{Messages: []dspy.Message{{Role: "user", Content: "unrecorded"}}})
	require.NoError(t, err)

	calls := rec.Calls()
	require.Len(t, calls, 2)
	assert.Equal(t, []string{"reply"}, calls[0].Replies)
	assert.Empty(t, calls[0].Error)
	assert.Equal(t, "boom", calls[1].Error)
	assert.Equal(t, 1, rec.Usage().Calls)
}

func TestPromptReturnsPlainTextRepliesUnparsed(t *testing.T) {
	lm := dspytest.ScriptedLM("just text")
	outs, err := Prompt(context.Background(), lm, PromptCall{Text: "reflect", Label: "reflection"})
	require.NoError(t, err)
	require.Len(t, outs, 1)
	assert.Equal(t, "just text", outs[0].GetString("text"))
	assert.Equal(t, "reflect", lm.Requests()[0].Messages[0].Content)
}
