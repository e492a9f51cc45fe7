package simlm

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStreamedReplyIsTheUnstreamedOne(t *testing.T) {
	srv := startServer(t, Config{Seed: 7})
	msgs := qaSig.chat(nil, map[string]string{"question": "What is 12 plus 30?"})
	want := complete(t, srv, msgs, map[string]any{"n": 2})

	client := newClient(srv)
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:         "simlm-1",
		Messages:      openaiMessages(msgs),
		N:             openai.Int(2),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for stream.Next() {
		require.True(t, acc.AddChunk(stream.Current()))
		chunks++
	}
	require.NoError(t, stream.Err())
	require.Len(t, acc.Choices, 2)
	for i := range want {
		assert.Equal(t, want[i], acc.Choices[i].Message.Content)
		assert.Equal(t, "stop", acc.Choices[i].FinishReason)
	}
	assert.Greater(t, chunks, 10, "a reply arrives over many chunks")
	assert.Positive(t, acc.Usage.CompletionTokens, "usage comes in the last chunk when asked for")
}

func TestStreamPiecesJoinToTheText(t *testing.T) {
	for _, text := range []string{"", "[[ ## answer ## ]]\n42\n\n[[ ## completed ## ]]", "  héllo wörld, averyveryverylongword\n\n", "{\"a\": [1, 2]}"} {
		pieces := streamPieces(text)
		assert.Equal(t, text, strings.Join(pieces, ""))
		for _, p := range pieces {
			assert.NotEmpty(t, p)
		}
	}
}

func TestXMLPromptGetsAnXMLReply(t *testing.T) {
	h := New(Config{Seed: 3})
	msgs := []tMsg{
		{Role: "system", Content: "Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `answer` (str):\n2. `tags` (list[str]):\n"},
		{Role: "user", Content: "<question>\nWhy is the sky blue?\n</question>\n\nRespond with the corresponding output fields wrapped in XML tags `<answer>`, then `<tags>`."},
	}
	reply := complete(t, h, msgs, nil)[0]
	assert.True(t, strings.HasPrefix(reply, "<answer>\n"), reply)
	assert.Contains(t, reply, "</answer>\n\n<tags><item>")
	assert.True(t, strings.HasSuffix(reply, "</item></tags>"), reply)
}

// A reply with tool calls streams them as OpenAI does, and openai-go's
// accumulator puts together the calls the unstreamed reply holds.
func TestStreamedToolCallsAreTheUnstreamedOnes(t *testing.T) {
	first := reactFirstTurn()
	want := toolReply(t, first, map[string]any{"tools": simTools})
	require.NotEmpty(t, want.Message.ToolCalls)

	rec := serve(context.Background(), New(Config{Seed: 3}), request(first, map[string]any{"tools": simTools, "stream": true}))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	stream := ssestream.NewStream[openai.ChatCompletionChunk](ssestream.NewDecoder(rec.Result()), nil)
	var acc openai.ChatCompletionAccumulator
	fragments := 0
	for stream.Next() {
		chunk := stream.Current()
		require.True(t, acc.AddChunk(chunk))
		for _, c := range chunk.Choices {
			for _, tc := range c.Delta.ToolCalls {
				if tc.ID == "" {
					fragments++
					assert.Empty(t, tc.Function.Name, "the name comes in the call's first delta only")
				}
			}
		}
	}
	require.NoError(t, stream.Err())
	require.Len(t, acc.Choices, 1)
	got := acc.Choices[0]
	assert.Equal(t, want.Message.Content, got.Message.Content)
	assert.Equal(t, "tool_calls", got.FinishReason)
	require.Len(t, got.Message.ToolCalls, len(want.Message.ToolCalls))
	for i, w := range want.Message.ToolCalls {
		assert.Equal(t, w.ID, got.Message.ToolCalls[i].ID)
		assert.Equal(t, w.Function.Name, got.Message.ToolCalls[i].Function.Name)
		assert.Equal(t, w.Function.Arguments, got.Message.ToolCalls[i].Function.Arguments)
	}
	assert.Greater(t, fragments, len(want.Message.ToolCalls), "arguments arrive in fragments")
}
