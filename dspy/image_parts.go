package dspy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// splitContentParts turns every user message whose text holds DSPy's
// custom-type markers into content parts, as DSPy splits a message around
// the images its inputs rendered: the text before a marker, the parts
// between the markers, the text after. Other messages are left as they are,
// so text-only prompts stay plain strings.
func splitContentParts(msgs []Message) ([]Message, error) {
	for i, m := range msgs {
		if m.Role != "user" || m.Parts != nil || !strings.Contains(m.Content, customTypeStart) {
			continue
		}
		parts, err := splitCustomTypes(m.Content)
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		if parts != nil {
			msgs[i] = Message{Role: m.Role, Parts: parts}
		}
	}
	return msgs, nil
}

// splitCustomTypes splits text on each start marker and the first end marker
// after it; nil means the text holds no complete marker pair.
func splitCustomTypes(text string) ([]ContentPart, error) {
	var parts []ContentPart
	last := 0
	for last < len(text) {
		start := strings.Index(text[last:], customTypeStart)
		if start < 0 {
			break
		}
		start += last
		inner := start + len(customTypeStart)
		end := strings.Index(text[inner:], customTypeEnd)
		if end < 0 {
			break
		}
		end += inner
		if parts == nil {
			parts = []ContentPart{}
		}
		if start > last {
			parts = append(parts, TextPart(text[last:start]))
		}
		inside, err := customTypeParts(pyfmt.Strip(text[inner:end]))
		if err != nil {
			return nil, err
		}
		parts = append(parts, inside...)
		last = end + len(customTypeEnd)
	}
	if parts == nil {
		return nil, nil
	}
	if last < len(text) {
		parts = append(parts, TextPart(text[last:]))
	}
	return parts, nil
}

// customTypeParts reads what sits between the markers: a JSON list of content
// parts, or that list JSON-encoded once more (as it is when the custom type
// sat inside a list or dict value). Text that is no list stays text, as DSPy
// keeps it.
func customTypeParts(payload string) ([]ContentPart, error) {
	var blocks []json.RawMessage
	if err := json.Unmarshal([]byte(payload), &blocks); err != nil {
		var unquoted string
		if json.Unmarshal([]byte(`"`+payload+`"`), &unquoted) != nil || json.Unmarshal([]byte(unquoted), &blocks) != nil {
			return []ContentPart{TextPart(payload)}, nil
		}
	}
	parts := make([]ContentPart, 0, len(blocks))
	for _, raw := range blocks {
		var block struct {
			Type     string          `json:"type"`
			Text     *string         `json:"text"`
			ImageURL json.RawMessage `json:"image_url"`
		}
		if json.Unmarshal(raw, &block) != nil {
			// Not an object: DSPy writes str() of it as text.
			var v any
			if json.Unmarshal(raw, &v) != nil {
				return nil, fmt.Errorf("content part %s is not JSON", raw)
			}
			parts = append(parts, TextPart(pyfmt.BuiltinStr(v)))
			continue
		}
		switch block.Type {
		case PartText:
			text := ""
			if block.Text != nil {
				text = *block.Text
			}
			parts = append(parts, TextPart(text))
		case PartImage:
			var u ImageURL
			if json.Unmarshal(block.ImageURL, &u) != nil {
				var s string
				if json.Unmarshal(block.ImageURL, &s) != nil {
					return nil, fmt.Errorf("image_url part %s has no url", raw)
				}
				u.URL = s
			}
			parts = append(parts, ContentPart{Type: PartImage, ImageURL: &u})
		default:
			return nil, fmt.Errorf("content part of type %q: only text and image_url parts are supported", block.Type)
		}
	}
	return parts, nil
}
