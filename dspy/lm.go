package dspy

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Message is one chat message sent to a language model.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	// Parts, when set, is the content as OpenAI content parts (text and
	// images) and Content is empty; text-only messages leave it nil.
	Parts []ContentPart `json:"parts,omitempty"`
	// ToolCalls are the calls an assistant message made, as a History turn
	// shows them under native function calling; its Content may then be
	// empty, which is sent as null.
	ToolCalls []LMToolCall `json:"tool_calls,omitempty"`
	// ToolCallID is the call a "tool" message answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
	// Name is the tool a "tool" message reports the result of.
	Name string `json:"name,omitempty"`
}

// ResponseFormat asks the LM for structured output, as OpenAI's response_format does.
type ResponseFormat struct {
	// Type is "json_object" or "json_schema".
	Type string `json:"type"`
	// Name names the schema when Type is "json_schema".
	Name string `json:"name,omitempty"`
	// Schema is the JSON schema the reply must follow when Type is "json_schema".
	Schema map[string]any `json:"schema,omitempty"`
	// Strict asks the provider to enforce Schema exactly.
	Strict bool `json:"strict,omitempty"`
}

// LMRequest is one call to a language model.
type LMRequest struct {
	Messages []Message `json:"messages"`
	// Model overrides the LM's default model name when set.
	Model string `json:"model,omitempty"`
	// Temperature is the sampling temperature; nil leaves the LM's default.
	Temperature *float64 `json:"temperature,omitempty"`
	// MaxTokens caps the completion length; zero leaves the LM's default.
	MaxTokens int `json:"max_tokens,omitempty"`
	// N is the number of completions wanted; zero means one.
	N int `json:"n,omitempty"`
	// ResponseFormat requests structured output.
	ResponseFormat *ResponseFormat `json:"response_format,omitempty"`
	// Stop sequences end the completion early.
	Stop []string `json:"stop,omitempty"`
	// Rollout distinguishes otherwise identical requests, as DSPy's rollout_id does:
	// a non-zero rollout is part of the cache key, so it yields a fresh sample.
	Rollout int `json:"rollout,omitempty"`
	// Tools are the functions the LM may call instead of, or beside, answering in text.
	Tools []ToolDefinition `json:"tools,omitempty"`
	// ToolChoice is "auto", "none", "required" or the name of the one tool to call; empty leaves the provider's default.
	ToolChoice string `json:"tool_choice,omitempty"`
	// ParallelToolCalls, when set, allows or forbids several tool calls in one reply.
	ParallelToolCalls *bool `json:"parallel_tool_calls,omitempty"`
}

// Usage counts the tokens and money one or more LM calls cost.
//
// Calls counts requests, not answers: every request the provider's server
// answered is one call, a failed attempt that was retried (an HTTP 429 or
// 5xx) included, plus every answer served from the cache (also counted in
// CacheHits). Tokens and Cost come only from replies that carried a usage
// report, which error responses do not. A request the server never answered
// (connection refused, a timeout before any reply) is not counted.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	// Cost is in US dollars, when the model's prices are known.
	Cost float64 `json:"cost"`
	// Calls is the number of requests counted, cache hits included.
	Calls int `json:"calls"`
	// CacheHits is how many of Calls were answered from the cache (and cost nothing).
	CacheHits int `json:"cache_hits"`
}

// Add returns the sum of two usages.
func (u Usage) Add(o Usage) Usage {
	return Usage{
		PromptTokens:     u.PromptTokens + o.PromptTokens,
		CompletionTokens: u.CompletionTokens + o.CompletionTokens,
		Cost:             u.Cost + o.Cost,
		Calls:            u.Calls + o.Calls,
		CacheHits:        u.CacheHits + o.CacheHits,
	}
}

// TotalTokens is prompt plus completion tokens.
func (u Usage) TotalTokens() int { return u.PromptTokens + u.CompletionTokens }

// LMResponse is what a language model answered.
type LMResponse struct {
	// Outputs holds one text per completion (choice).
	Outputs []string `json:"outputs"`
	// FinishReasons holds one reason per completion ("stop", "length", ...).
	FinishReasons []string `json:"finish_reasons,omitempty"`
	// Model is the model that answered.
	Model string `json:"model"`
	// Usage is what this call cost; a cache hit reports its tokens but zero Cost.
	Usage Usage `json:"usage"`
	// CacheHit tells whether the response came from the cache.
	CacheHit bool `json:"cache_hit"`
	// ToolCalls holds the tool calls of each completion, in the order of Outputs; nil when none called a tool.
	ToolCalls [][]LMToolCall `json:"tool_calls,omitempty"`
}

// LM is a language model client. Implementations must be safe for concurrent use.
// The package lm provides one for any OpenAI-compatible endpoint.
type LM interface {
	// Call sends one request and returns the completions. When it fails
	// after requests reached the server (retried 429s or 5xx, say), it
	// returns, beside the error, a response whose Usage counts them, so
	// CallLM and usage trackers can account for what was billed.
	Call(ctx context.Context, req LMRequest) (LMResponse, error)
	// ModelName names the default model, as saved in a program's state.
	ModelName() string
}

// LMErrorKind classifies why an LM call failed, so callers can decide to retry
// without matching on error text.
type LMErrorKind string

// The kinds of LM failure.
const (
	ErrKindRateLimit     LMErrorKind = "rate_limit"
	ErrKindTimeout       LMErrorKind = "timeout"
	ErrKindServer        LMErrorKind = "server"
	ErrKindBadRequest    LMErrorKind = "bad_request"
	ErrKindContextLength LMErrorKind = "context_length"
	ErrKindAuth          LMErrorKind = "auth"
	ErrKindConnection    LMErrorKind = "connection"
)

// LMError is a failed LM call. Use errors.As to get it and Retryable to classify it.
type LMError struct {
	Kind LMErrorKind
	// StatusCode is the HTTP status, or zero when no response came back.
	StatusCode int
	// RetryAfter is the delay the server asked for, or zero.
	RetryAfter time.Duration
	// Model and BaseURL say which endpoint failed (never a key).
	Model   string
	BaseURL string
	Err     error
}

func (e *LMError) Error() string {
	where := e.Model
	if e.BaseURL != "" {
		where += " at " + e.BaseURL
	}
	msg := fmt.Sprintf("lm %s: %s", where, e.Kind)
	if e.StatusCode != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", e.StatusCode)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *LMError) Unwrap() error { return e.Err }

// Retryable reports whether the same request may succeed if sent again.
func (e *LMError) Retryable() bool {
	switch e.Kind {
	case ErrKindRateLimit, ErrKindTimeout, ErrKindServer, ErrKindConnection:
		return true
	}
	return false
}

// IsRetryableLMError reports whether err is, or wraps, a retryable LMError.
func IsRetryableLMError(err error) bool {
	var lmErr *LMError
	return errors.As(err, &lmErr) && lmErr.Retryable()
}
