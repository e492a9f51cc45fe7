package lm

import (
	"encoding/json"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// A user message with images goes out as the content-part array openai-go
// would send, byte for byte.
func TestEncodeRequestWritesContentPartsAsOpenAIGoWould(t *testing.T) {
	msg := dspy.Message{Role: "user", Parts: []dspy.ContentPart{
		dspy.TextPart("[[ ## image ## ]]\n"),
		dspy.ImagePart("data:image/png;base64,iVBORw0KGgo="),
		{Type: dspy.PartImage, ImageURL: &dspy.ImageURL{URL: "https://example.com/a.png", Detail: "low"}},
		dspy.TextPart(""),
		dspy.TextPart("\n\n<b> & \"q\""),
	}}
	req := dspy.LMRequest{Model: "gpt-4o-mini", Messages: []dspy.Message{{Role: "system", Content: "s"}, msg}}
	got, err := encodeRequest(req)
	require.NoError(t, err)

	parts := []openai.ChatCompletionContentPartUnionParam{
		openai.TextContentPart("[[ ## image ## ]]\n"),
		openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "data:image/png;base64,iVBORw0KGgo="}),
		openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "https://example.com/a.png", Detail: "low"}),
		openai.TextContentPart(""),
		openai.TextContentPart("\n\n<b> & \"q\""),
	}
	want, err := json.Marshal(openai.ChatCompletionNewParams{
		Model:    shared.ChatModel("gpt-4o-mini"),
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("s"), openai.UserMessage(parts)},
	})
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

// Images are part of the cache key, and a text-only message's key is what it
// was before messages had parts.
func TestCacheKeyCoversContentParts(t *testing.T) {
	text := dspy.LMRequest{Model: "m", Messages: []dspy.Message{{Role: "user", Content: "hi"}}}
	assert.Equal(t, `{"messages":[{"content":"hi","role":"user"}],"model":"m","n":0}`, string(appendCanonicalRequest(nil, text)))

	withImage := func(url string) dspy.LMRequest {
		return dspy.LMRequest{Model: "m", Messages: []dspy.Message{{Role: "user", Parts: []dspy.ContentPart{dspy.TextPart("hi"), dspy.ImagePart(url)}}}}
	}
	a, b := cacheKey(withImage("https://example.com/a.png")), cacheKey(withImage("https://example.com/b.png"))
	assert.NotEqual(t, a, b)
	assert.NotEqual(t, cacheKey(text), a)
	assert.Equal(t, a, cacheKey(withImage("https://example.com/a.png")))
	assert.NotEqual(t, cacheKey(dspy.LMRequest{Model: "m", Messages: []dspy.Message{{Role: "user", Parts: []dspy.ContentPart{dspy.TextPart("hi")}}}}), cacheKey(text),
		"parts and plain content are different requests")
}
