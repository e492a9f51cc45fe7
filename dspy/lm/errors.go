package lm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// maxServerDelay is the longest Retry-After the client will sleep through.
// A server asking for more is better answered by failing the call with the
// delay in LMError.RetryAfter, so that an outer owner (a Temporal retry
// policy, a budgeted optimizer) decides whether waiting is worth it.
const maxServerDelay = 2 * time.Minute

// classify turns whatever an attempt returned into a *dspy.LMError, naming
// the fix where there is one. attemptCtx is the per-attempt context: when it
// expired but the caller's did not, the attempt timed out.
func (c *Client) classify(err error, model string, callerCtx, attemptCtx context.Context) *dspy.LMError {
	e := &dspy.LMError{Model: model, BaseURL: c.baseURL}

	var apiErr *openai.Error
	switch {
	case errors.As(err, &apiErr):
		c.classifyStatus(e, apiErr)
	case callerCtx.Err() == nil && attemptCtx.Err() != nil:
		e.Kind = dspy.ErrKindTimeout
		e.Err = fmt.Errorf("no response within %s; raise Options.Timeout if the model is slow", c.timeout)
	case errors.Is(err, context.DeadlineExceeded):
		e.Kind = dspy.ErrKindTimeout
		e.Err = c.redact(err)
	case isTimeout(err):
		e.Kind = dspy.ErrKindTimeout
		e.Err = c.redact(err)
	case isTransport(err):
		e.Kind = dspy.ErrKindConnection
		e.Err = fmt.Errorf("cannot reach %s (%w); start the server or point %s (the worker's --lm-base-url, or Options.BaseURL) at a reachable OpenAI-compatible endpoint",
			c.baseURL, c.redact(rootCause(err)), EnvBaseURL)
	default:
		// The server answered 2xx with something that is not a completion,
		// which a healthy server would not do: worth another try.
		e.Kind = dspy.ErrKindServer
		e.Err = fmt.Errorf("the answer could not be decoded: %w", c.redact(err))
	}
	return e
}

func (c *Client) classifyStatus(e *dspy.LMError, apiErr *openai.Error) {
	e.StatusCode = apiErr.StatusCode
	if apiErr.Response != nil {
		e.RetryAfter = retryAfter(apiErr.Response.Header, time.Now())
	}
	detail := apiErr.Message
	if detail == "" {
		detail = http.StatusText(apiErr.StatusCode)
	}
	detail = c.redactString(detail)

	var hint string
	switch code := apiErr.StatusCode; {
	case code == http.StatusTooManyRequests:
		e.Kind = dspy.ErrKindRateLimit
		hint = "lower Options.MaxConcurrency or Options.RequestsPerSecond"
	case code == http.StatusRequestTimeout:
		e.Kind = dspy.ErrKindTimeout
	case code == http.StatusConflict || code >= 500:
		e.Kind = dspy.ErrKindServer
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		e.Kind = dspy.ErrKindAuth
		hint = "set " + EnvAPIKey + " (or Options.APIKey) to a key this endpoint accepts"
	case isContextLength(apiErr):
		e.Kind = dspy.ErrKindContextLength
		hint = "shorten the inputs, use fewer demos, or lower max_tokens"
	case code == http.StatusNotFound:
		e.Kind = dspy.ErrKindBadRequest
		hint = "check the model name and that the base URL includes the API version path (e.g. /v1)"
	default:
		e.Kind = dspy.ErrKindBadRequest
	}
	if hint != "" {
		e.Err = fmt.Errorf("%s; %s", detail, hint)
	} else {
		e.Err = errors.New(detail)
	}
}

// isContextLength recognises the ways OpenAI, vLLM, llama.cpp, Ollama and
// LiteLLM proxies say the prompt does not fit, which all arrive as a 400
// (some servers use 413 or 422) with only the text to tell them apart.
func isContextLength(apiErr *openai.Error) bool {
	switch apiErr.StatusCode {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
	default:
		return false
	}
	if apiErr.Code == "context_length_exceeded" {
		return true
	}
	msg := strings.ToLower(apiErr.Message)
	for _, s := range []string{
		"context length", "context_length", "maximum context", "context window",
		"exceeds the context", "prompt is too long", "too many tokens",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// isTransport reports whether err comes from below HTTP: DNS, dialing, TLS, a
// reset or a connection closed before a response.
func isTransport(err error) bool {
	var netErr net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	return errors.As(err, &netErr) || errors.As(err, &opErr) || errors.As(err, &dnsErr)
}

// rootCause drops the "Post \"url\":" wrappers, since the message already
// names the base URL.
func rootCause(err error) error {
	for {
		var opErr *net.OpError
		if errors.As(err, &opErr) {
			return opErr
		}
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// retryAfter reads the delay a server asked for: OpenAI's retry-after-ms
// first (it is more precise), then the standard Retry-After in seconds or as
// an HTTP date. Zero means none was given.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// redact removes the API key from an error's text. Providers echo part of a
// rejected key, and some proxies echo all of it; none of it may leave here.
func (c *Client) redact(err error) error {
	if c.apiKey == "" || !strings.Contains(err.Error(), c.apiKey) {
		return err
	}
	return errors.New(c.redactString(err.Error()))
}

func (c *Client) redactString(s string) string {
	if c.apiKey == "" {
		return s
	}
	return strings.ReplaceAll(s, c.apiKey, "[redacted]")
}
