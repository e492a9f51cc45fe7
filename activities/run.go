package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// CallLMInput is one LM call of a durable program run.
type CallLMInput struct {
	Request dspy.LMRequest `json:"request"`
}

// CallLMOutput is the LM's reply to a CallLM.
type CallLMOutput struct {
	Response dspy.LMResponse `json:"response"`
}

// CallToolInput is one tool call of a durable program run. Args have
// already passed the tool's schema in the workflow.
type CallToolInput struct {
	Tool string         `json:"tool"`
	Args map[string]any `json:"args"`
}

// CallToolOutput is what a tool call showed the model: the result as ReAct
// renders it, or the tool's error. A tool's error is an observation for the
// model, as in DSPy, not a failure of the activity.
type CallToolOutput struct {
	Observation string `json:"observation,omitempty"`
	Error       string `json:"error,omitempty"`
}

// CallLM makes one call of the task LM for a durable program run. It
// heartbeats while the call is in flight, so a worker that dies mid-call is
// noticed within the heartbeat timeout.
func (a *Activities) CallLM(ctx context.Context, in CallLMInput) (CallLMOutput, error) {
	stop := keepAlive(ctx)
	defer stop()
	resp, err := dspy.CallLM(ctx, a.cfg.TaskLM, in.Request)
	if err != nil {
		return CallLMOutput{}, callLMError(err)
	}
	return CallLMOutput{Response: resp}, nil
}

// CallTool runs one tool call of a durable program run with the worker's
// registered tool of that name.
func (a *Activities) CallTool(ctx context.Context, in CallToolInput) (CallToolOutput, error) {
	tool, ok := a.cfg.Catalog.Tool(in.Tool)
	if !ok {
		return CallToolOutput{}, configError(fmt.Errorf("unknown tool %q: this worker registers %s", in.Tool, a.cfg.Catalog.toolNames()))
	}
	stop := keepAlive(ctx)
	defer stop()
	args := in.Args
	if args == nil {
		args = map[string]any{}
	}
	result, err := tool.Run(ctx, args)
	if err != nil {
		return CallToolOutput{Error: err.Error()}, nil
	}
	return CallToolOutput{Observation: dspy.ToolObservation(result)}, nil
}

// LMFailure is a dspy.LMError in a form that crosses workflow history.
type LMFailure struct {
	Kind       dspy.LMErrorKind `json:"kind"`
	StatusCode int              `json:"status_code,omitempty"`
	Model      string           `json:"model,omitempty"`
	BaseURL    string           `json:"base_url,omitempty"`
	Message    string           `json:"message"`
}

// LMFailureOf records e.
func LMFailureOf(e *dspy.LMError) *LMFailure {
	f := &LMFailure{Kind: e.Kind, StatusCode: e.StatusCode, Model: e.Model, BaseURL: e.BaseURL}
	if e.Err != nil {
		f.Message = e.Err.Error()
	}
	return f
}

// LMError rebuilds the error f records.
func (f LMFailure) LMError() *dspy.LMError {
	return &dspy.LMError{Kind: f.Kind, StatusCode: f.StatusCode, Model: f.Model, BaseURL: f.BaseURL, Err: errors.New(f.Message)}
}

// callLMError classifies a CallLM failure as lmActivityError does, and
// carries the LM error's kind as the failure's detail, so the workflow gives
// the module back the same *dspy.LMError an in-process call would.
func callLMError(err error) error {
	var lmErr *dspy.LMError
	if !errors.As(err, &lmErr) {
		return err
	}
	opts := temporal.ApplicationErrorOptions{
		NonRetryable: !lmErr.Retryable(), Cause: err, Details: []any{LMFailureOf(lmErr)},
	}
	errType := ErrTypeBadRequest
	if lmErr.Retryable() {
		errType, opts.NextRetryDelay = "LM"+string(lmErr.Kind), lmErr.RetryAfter
	}
	return temporal.NewApplicationErrorWithOptions(err.Error(), errType, opts)
}
