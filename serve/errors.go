package serve

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// StatusClientClosedRequest is logged (never sent: nobody is listening) when
// the client went away before its answer was ready, as nginx logs it.
const StatusClientClosedRequest = 499

// The error codes an error body's "code" holds.
const (
	CodeMalformedJSON     = "malformed_json"
	CodeInvalidInputs     = "invalid_inputs"
	CodeBodyTooLarge      = "body_too_large"
	CodeBodyTimeout       = "body_timeout"
	CodeUnauthorized      = "unauthorized"
	CodeNotFound          = "not_found"
	CodeMethodNotAllowed  = "method_not_allowed"
	CodeQueueFull         = "queue_full"
	CodeQueueTimeout      = "queue_timeout"
	CodeNotReady          = "not_ready"
	CodeDraining          = "draining"
	CodeUpstreamRateLimit = "upstream_rate_limited"
	CodeUpstreamTimeout   = "upstream_timeout"
	CodeUpstreamError     = "upstream_error"
	CodeUnparseableReply  = "unparseable_reply"
	CodeInputTooLong      = "input_too_long"
	CodeDeadlineExceeded  = "deadline_exceeded"
	CodeClientClosed      = "client_closed_request"
	CodeInternal          = "internal_error"
)

// ErrorBody is the JSON body of every error response:
//
//	{"error": {"code": "invalid_inputs", "message": "...", "fields": [...], "request_id": "..."}}
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes one failed request.
type ErrorDetail struct {
	// Code is a stable, machine-readable reason (see the Code constants).
	Code string `json:"code"`
	// Message is for people; it never holds a stack trace, a key or an LM reply.
	Message string `json:"message"`
	// Fields lists each input field's problem on a 422.
	Fields []FieldError `json:"fields,omitempty"`
	// RequestID matches the X-Request-ID header and the request log line.
	RequestID string `json:"request_id,omitempty"`
	// RunID names the durable run the request started, when it did: GET
	// /v1/runs/{run_id} gives its result once it finishes.
	RunID string `json:"run_id,omitempty"`
}

// apiError is a failed request: what the client is told, plus what only the
// request log keeps.
type apiError struct {
	status     int
	code       string
	message    string
	fields     []FieldError
	retryAfter time.Duration
	// detail is the underlying error's text, for the log.
	detail string
	// raw is an LM reply that did not parse, for the log.
	raw string
	// runID names the durable run the request started, so a client whose
	// wait ended can still ask for its result.
	runID string
}

func newAPIError(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

// classifyRunError maps a program's failure to a response. client is the
// request's context (ended when the client goes away) and run the one the
// program ran under (which may carry the request deadline).
func classifyRunError(err error, client, run context.Context) *apiError {
	e := classify(err, client, run)
	e.detail = err.Error()
	return e
}

func classify(err error, client, run context.Context) *apiError {
	if client.Err() != nil {
		return newAPIError(StatusClientClosedRequest, CodeClientClosed, "the client closed the request")
	}
	if errors.Is(run.Err(), context.DeadlineExceeded) {
		return newAPIError(http.StatusGatewayTimeout, CodeDeadlineExceeded, "the request deadline passed before the program finished")
	}
	var inErr *dspy.InputError
	if errors.As(err, &inErr) {
		e := newAPIError(http.StatusUnprocessableEntity, CodeInvalidInputs, "the program is missing inputs")
		for _, f := range inErr.Missing {
			e.fields = append(e.fields, FieldError{Field: f, Problem: "missing"})
		}
		return e
	}
	var lmErr *dspy.LMError
	if errors.As(err, &lmErr) {
		switch lmErr.Kind {
		case dspy.ErrKindRateLimit:
			e := newAPIError(http.StatusServiceUnavailable, CodeUpstreamRateLimit, "the model is rate limited; retry after the indicated delay")
			e.retryAfter = max(lmErr.RetryAfter, time.Second)
			return e
		case dspy.ErrKindTimeout:
			return newAPIError(http.StatusGatewayTimeout, CodeUpstreamTimeout, "the model did not answer in time")
		case dspy.ErrKindContextLength:
			return newAPIError(http.StatusUnprocessableEntity, CodeInputTooLong, "the inputs are too long for the model's context window")
		}
		return newAPIError(http.StatusBadGateway, CodeUpstreamError, "the model call failed")
	}
	var parseErr *dspy.ParseError
	if errors.As(err, &parseErr) {
		e := newAPIError(http.StatusBadGateway, CodeUnparseableReply, "the model's reply did not parse into the program's outputs")
		e.raw = parseErr.Raw
		return e
	}
	return newAPIError(http.StatusInternalServerError, CodeInternal, "the program failed")
}

// retryAfterSeconds is a Retry-After value: whole seconds, at least one.
func retryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(max(1, int64(math.Ceil(d.Seconds()))), 10)
}

// writeError sends e as the JSON error body.
func writeError(w http.ResponseWriter, e *apiError, requestID string) {
	if e.status == StatusClientClosedRequest {
		return
	}
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", retryAfterSeconds(e.retryAfter))
	}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="dspy-serve"`)
	}
	writeJSON(w, e.status, ErrorBody{Error: ErrorDetail{Code: e.code, Message: e.message, Fields: e.fields, RequestID: requestID, RunID: e.runID}})
}
