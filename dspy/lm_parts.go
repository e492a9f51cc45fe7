package dspy

import "strings"

// ContentPart is one part of a message's content as OpenAI's chat API takes
// it: text, or an image by URL (an http(s) URL or a data URI). Adapters
// split a user message into parts when an input holds an Image, as DSPy
// does; messages without images keep a plain Content string.
type ContentPart struct {
	// Type is "text" or "image_url".
	Type string `json:"type"`
	// Text is a text part's text.
	Text string `json:"text,omitempty"`
	// ImageURL is an image part's image.
	ImageURL *ImageURL `json:"image_url,omitempty"`
}

// ImageURL is where an image part's image is: a URL or a data URI.
type ImageURL struct {
	URL string `json:"url"`
	// Detail is OpenAI's "low", "high" or "auto"; empty leaves the provider's default.
	Detail string `json:"detail,omitempty"`
}

// The content part types.
const (
	PartText  = "text"
	PartImage = "image_url"
)

// TextPart returns a text part.
func TextPart(text string) ContentPart { return ContentPart{Type: PartText, Text: text} }

// ImagePart returns an image part for url, an http(s) URL or a data URI.
func ImagePart(url string) ContentPart {
	return ContentPart{Type: PartImage, ImageURL: &ImageURL{URL: url}}
}

// Text returns a message's text: its Content, or the text of its parts
// joined, images left out. It is what a reader of the prompt that cannot see
// images (a log line, the simulated LM) works with.
func (m Message) Text() string {
	if m.Parts == nil {
		return m.Content
	}
	var b strings.Builder
	for _, p := range m.Parts {
		if p.Type == PartText {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}
