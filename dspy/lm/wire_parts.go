package lm

import (
	"github.com/durable-dspy/durable-dspy/dspy"
)

// chatPart is a content part as openai-go writes it: its fields in the
// order of openai-go's ChatCompletionContentPartTextParam and
// ChatCompletionContentPartImageParam, so the body stays what openai-go
// would send.
type chatPart struct {
	ImageURL *chatImageURL `json:"image_url,omitempty"`
	Text     *string       `json:"text,omitempty"`
	Type     string        `json:"type"`
}

type chatImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// wireContent is a message's content on the wire: its text, or, when it
// has parts (images), the array of content parts.
func wireContent(m dspy.Message) any {
	if m.Parts == nil {
		return m.Content
	}
	parts := make([]chatPart, len(m.Parts))
	for i, p := range m.Parts {
		parts[i] = chatPart{Type: p.Type}
		if p.ImageURL != nil {
			parts[i].ImageURL = &chatImageURL{URL: p.ImageURL.URL, Detail: p.ImageURL.Detail}
		} else {
			text := p.Text
			parts[i].Text = &text
		}
	}
	return parts
}

// appendCanonicalParts writes a message's parts into its cache key, after
// its content, in sorted key order; a text-only message adds nothing, so its
// key is what it was before messages had parts.
func appendCanonicalParts(b []byte, parts []dspy.ContentPart) []byte {
	if parts == nil {
		return b
	}
	b = append(b, `,"parts":[`...)
	for i, p := range parts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		if p.ImageURL != nil {
			b = append(b, `"image_url":{"detail":`...)
			b = appendJSONString(b, p.ImageURL.Detail)
			b = append(b, `,"url":`...)
			b = appendJSONString(b, p.ImageURL.URL)
			b = append(b, "},"...)
		}
		b = append(b, `"text":`...)
		b = appendJSONString(b, p.Text)
		b = append(b, `,"type":`...)
		b = appendJSONString(b, p.Type)
		b = append(b, '}')
	}
	return append(b, ']')
}
