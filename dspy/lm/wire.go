package lm

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// resolve fills a request's unset fields from the client's defaults, so that
// what is hashed for the cache is what is sent.
func (c *Client) resolve(req dspy.LMRequest) dspy.LMRequest {
	if req.Model == "" {
		req.Model = c.model
	}
	if req.Temperature == nil {
		req.Temperature = c.temperature
	}
	if req.MaxTokens == 0 {
		req.MaxTokens = c.maxTokens
	}
	if req.N <= 0 {
		req.N = 1
	}
	return req
}

// chatRequest is the body of a chat-completion request. Its fields are in
// the order openai-go's ChatCompletionNewParams writes them, so that the body
// is byte for byte what openai-go would send (wire_test.go checks this);
// encoding it with encoding/json costs a tenth of openai-go's reflection-heavy
// parameter encoder, which matters when thousands of calls are in flight.
type chatRequest struct {
	Messages            []chatMessage       `json:"messages"`
	Model               string              `json:"model"`
	MaxCompletionTokens int                 `json:"max_completion_tokens,omitempty"`
	MaxTokens           int                 `json:"max_tokens,omitempty"`
	N                   int                 `json:"n,omitempty"`
	Temperature         *float64            `json:"temperature,omitempty"`
	ParallelToolCalls   *bool               `json:"parallel_tool_calls,omitempty"`
	Stop                []string            `json:"stop,omitempty"`
	ResponseFormat      *chatResponseFormat `json:"response_format,omitempty"`
	ToolChoice          any                 `json:"tool_choice,omitempty"`
	Tools               []chatTool          `json:"tools,omitempty"`
}

type chatMessage struct {
	Content    any            `json:"content"`
	Role       string         `json:"role"`
	Name       string         `json:"name,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
	ToolCalls  []chatToolCall `json:"tool_calls,omitempty"`
}

type chatResponseFormat struct {
	JSONSchema *chatJSONSchema `json:"json_schema,omitempty"`
	Type       string          `json:"type"`
}

type chatJSONSchema struct {
	Name   string         `json:"name"`
	Strict bool           `json:"strict,omitempty"`
	Schema map[string]any `json:"schema,omitempty"`
}

// encodeRequest writes a resolved request as a chat-completion body.
// Rollout is deliberately not sent: it only tells cache entries apart.
func encodeRequest(req dspy.LMRequest) ([]byte, error) {
	if len(req.Messages) == 0 {
		return nil, fmt.Errorf("request has no messages")
	}
	body := chatRequest{
		Messages:    make([]chatMessage, len(req.Messages)),
		Model:       req.Model,
		Temperature: req.Temperature,
		Stop:        req.Stop,
	}
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "user", "assistant", "developer":
			body.Messages[i] = chatMessage{Content: wireContent(m), Role: m.Role}
		case "tool":
			if m.ToolCallID == "" {
				return nil, fmt.Errorf("message %d has role \"tool\" but no tool_call_id naming the call it answers", i)
			}
			body.Messages[i] = chatMessage{Content: wireContent(m), Role: m.Role, Name: m.Name, ToolCallID: m.ToolCallID}
		default:
			return nil, fmt.Errorf("message %d has role %q; want system, user, assistant, developer or tool", i, m.Role)
		}
		if len(m.ToolCalls) > 0 {
			if m.Role != "assistant" {
				return nil, fmt.Errorf("message %d has tool calls but role %q; only an assistant message makes calls", i, m.Role)
			}
			body.Messages[i].ToolCalls = wireToolCalls(m.ToolCalls)
			if m.Content == "" && m.Parts == nil {
				body.Messages[i].Content = nil // an assistant message that only calls tools has null content
			}
		}
	}
	if req.MaxTokens > 0 {
		if usesMaxCompletionTokens(req.Model) {
			body.MaxCompletionTokens = req.MaxTokens
		} else {
			body.MaxTokens = req.MaxTokens
		}
	}
	if req.N > 1 {
		body.N = req.N
	}
	if rf := req.ResponseFormat; rf != nil {
		switch rf.Type {
		case "json_object", "text":
			body.ResponseFormat = &chatResponseFormat{Type: rf.Type}
		case "json_schema":
			name := rf.Name
			if name == "" {
				name = "response" // OpenAI requires a name; it does not change the output
			}
			body.ResponseFormat = &chatResponseFormat{
				Type:       rf.Type,
				JSONSchema: &chatJSONSchema{Name: name, Strict: rf.Strict, Schema: rf.Schema},
			}
		case "":
			// An empty format asks for nothing in particular.
		default:
			return nil, fmt.Errorf("response format type %q; want json_object, json_schema or text", rf.Type)
		}
	}
	if err := encodeTools(&body, req); err != nil {
		return nil, err
	}
	return json.Marshal(body)
}

// usesMaxCompletionTokens reports whether OpenAI's reasoning models, which
// reject max_tokens, are meant. Other OpenAI-compatible servers all accept
// max_tokens, so that stays the default.
func usesMaxCompletionTokens(model string) bool {
	if i := strings.LastIndexByte(model, '/'); i >= 0 {
		model = model[i+1:]
	}
	for _, prefix := range []string{"o1", "o3", "o4", "gpt-5"} {
		if strings.HasPrefix(model, prefix) {
			return true
		}
	}
	return false
}

// chatCompletion is the part of a chat-completion reply the client reads.
// encoding/json fills it several times faster than openai-go's
// ChatCompletion, whose decoder keeps metadata on every field. No field has
// an UnmarshalJSON of its own: encoding/json hands such a field a copy of
// its bytes, scanned once more, to decode with a second decoder, which made
// decoding a reply twice as slow.
type chatCompletion struct {
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			// Content is a string, null, or (from some OpenAI-compatible
			// servers) an array of content parts; readContent turns it
			// into text.
			Content   any            `json:"content"`
			ToolCalls []chatToolCall `json:"tool_calls"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	// Usage counts are read as floats, so that servers writing them as
	// floats are read too; null leaves them zero.
	Usage struct {
		PromptTokens     float64 `json:"prompt_tokens"`
		CompletionTokens float64 `json:"completion_tokens"`
	} `json:"usage"`

	texts []string // each choice's content as text, set by readContent
}

// unmarshalCompletion decodes a chat-completion reply into cc, reading its
// content as text.
func unmarshalCompletion(data []byte, cc *chatCompletion) error {
	if err := json.Unmarshal(data, cc); err != nil {
		return err
	}
	return cc.readContent()
}

// readContent turns every choice's content into its text: a string as it
// is, null as empty, and the text parts of an array of content parts joined.
func (cc *chatCompletion) readContent() error {
	cc.texts = make([]string, len(cc.Choices))
	for i, ch := range cc.Choices {
		switch c := ch.Message.Content.(type) {
		case string:
			cc.texts[i] = c
		case nil:
		case []any:
			text, err := contentParts(c)
			if err != nil {
				return err
			}
			cc.texts[i] = text
		default:
			raw, _ := json.Marshal(c)
			return fmt.Errorf("message content is %.20s; want a string or an array of content parts", raw)
		}
	}
	return nil
}

// contentParts joins the text parts of a content array; parts with no type
// count as text.
func contentParts(raw []any) (string, error) {
	// Decoded into an interface, the parts are maps; decoding them again into
	// a typed slice rejects malformed parts the way it always has.
	data, err := json.Marshal(raw)
	if err != nil {
		return "", fmt.Errorf("message content: %w", err)
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(data, &parts); err != nil {
		return "", fmt.Errorf("message content: %w", err)
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" || p.Type == "" {
			b.WriteString(p.Text)
		}
	}
	return b.String(), nil
}

// mapResponse turns a completion into an LMResponse with token counts;
// the caller prices it.
func mapResponse(cc *chatCompletion, requested string) dspy.LMResponse {
	resp := dspy.LMResponse{
		Outputs:       make([]string, len(cc.Choices)),
		FinishReasons: make([]string, len(cc.Choices)),
		Model:         cc.Model,
		Usage: dspy.Usage{
			PromptTokens:     int(cc.Usage.PromptTokens),
			CompletionTokens: int(cc.Usage.CompletionTokens),
			Calls:            1,
		},
	}
	if resp.Model == "" {
		resp.Model = requested
	}
	for i, ch := range cc.Choices {
		resp.Outputs[i] = cc.texts[i]
		resp.FinishReasons[i] = ch.FinishReason
		addToolCalls(&resp, i, len(cc.Choices), ch.Message.ToolCalls)
	}
	return resp
}
