package simlm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The OpenAI chat-completions wire format, reduced to what the simulator reads
// and writes. Unknown request fields are ignored, as a real server does.

type chatRequest struct {
	Model               string          `json:"model"`
	Messages            []chatMessage   `json:"messages"`
	Temperature         *float64        `json:"temperature"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	N                   *int            `json:"n"`
	Seed                *int64          `json:"seed"`
	Stop                stopList        `json:"stop"`
	Stream              bool            `json:"stream"`
	StreamOptions       *streamOptions  `json:"stream_options"`
	ResponseFormat      *responseFormat `json:"response_format"`
	Tools               []requestTool   `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
}

type chatMessage struct {
	Role string `json:"role"`
	// Content is the message's text, filled from RawContent by
	// chatRequest.decodeContent.
	Content textContent `json:"-"`
	// RawContent is content as JSON decoded it: a string, nil, or an array
	// of parts. Decoding into an interface reads each string once, where a
	// custom UnmarshalJSON would have the prompt scanned twice.
	RawContent any `json:"content"`
}

// textContent is a message's text.
type textContent string

// decodeContent fills every message's Content from RawContent. Both content
// shapes are accepted: a plain string, or an array of parts of which the text
// parts are concatenated.
func (r *chatRequest) decodeContent() error {
	for i := range r.Messages {
		m := &r.Messages[i]
		switch c := m.RawContent.(type) {
		case nil:
			m.Content = ""
		case string:
			m.Content = textContent(c)
		case []any:
			var sb strings.Builder
			for _, part := range c {
				p, ok := part.(map[string]any)
				if !ok {
					return fmt.Errorf("messages[%d].content: a part must be an object", i)
				}
				if typ, _ := p["type"].(string); typ == "text" || typ == "" {
					text, _ := p["text"].(string)
					sb.WriteString(text)
				}
			}
			m.Content = textContent(sb.String())
		default:
			return fmt.Errorf("messages[%d].content must be a string or an array of parts", i)
		}
		m.RawContent = nil
	}
	return nil
}

// stopList accepts "stop" as a string or an array of strings.
type stopList []string

func (s *stopList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		*s = nil
		return nil
	}
	if b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = stopList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("stop must be a string or an array of strings")
	}
	*s = many
	return nil
}

type responseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
	} `json:"json_schema"`
}

// wantsJSON reports whether the request asks for a JSON object reply.
func (r *chatRequest) wantsJSON() bool {
	return r.ResponseFormat != nil && (r.ResponseFormat.Type == "json_object" || r.ResponseFormat.Type == "json_schema")
}

// validate rejects requests a real server would answer 400.
func (r *chatRequest) validate() error {
	if len(r.Messages) == 0 {
		return errors.New("messages must be a non-empty array")
	}
	if r.N != nil && (*r.N < 1 || *r.N > maxChoices) {
		return fmt.Errorf("n must be between 1 and %d", maxChoices)
	}
	if r.StreamOptions != nil && !r.Stream {
		return errors.New("stream_options is only allowed when stream is true")
	}
	if r.ResponseFormat != nil {
		switch r.ResponseFormat.Type {
		case "text", "json_object", "json_schema":
		default:
			return fmt.Errorf("response_format.type %q is not one of text, json_object, json_schema", r.ResponseFormat.Type)
		}
	}
	return nil
}

func (r *chatRequest) choices() int {
	if r.N == nil {
		return 1
	}
	return *r.N
}

func (r *chatRequest) maxTokens() int {
	if r.MaxCompletionTokens != nil {
		return *r.MaxCompletionTokens
	}
	if r.MaxTokens != nil {
		return *r.MaxTokens
	}
	return 0
}

// maxChoices bounds n so one request cannot ask for unbounded work.
const maxChoices = 128

// createdAt is the fixed "created" timestamp of every reply (2025-01-01 UTC):
// no wall clock enters a reply body, so replies are byte-reproducible.
const createdAt = 1735689600

type chatResponse struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"`
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	SystemFingerprint string       `json:"system_fingerprint"`
	Choices           []chatChoice `json:"choices"`
	Usage             usage        `json:"usage"`
}

type chatChoice struct {
	Index        int             `json:"index"`
	Message      responseMessage `json:"message"`
	FinishReason string          `json:"finish_reason"`
	Logprobs     *struct{}       `json:"logprobs"`
}

type responseMessage struct {
	Role      string        `json:"role"`
	Content   string        `json:"content"`
	Refusal   *string       `json:"refusal"`
	ToolCalls []toolCallOut `json:"tool_calls,omitempty"`
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

type modelList struct {
	Object string      `json:"object"`
	Data   []modelInfo `json:"data"`
}

type modelInfo struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// estimateTokens approximates a tokenizer at four bytes per token.
func estimateTokens(s string) int {
	if s == "" {
		return 0
	}
	return (len(s) + 3) / 4
}
