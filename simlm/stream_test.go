package simlm

import (
	"context"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
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
