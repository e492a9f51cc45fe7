package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// RunProgramWorkflowName names the workflow that runs a program once,
// durably: each LM call and each tool call is an activity of its own.
const RunProgramWorkflowName = "dspy.RunProgram"

// Defaults of a durable run's activities.
const (
	// DefaultRunCallTimeout bounds one LM or tool call attempt.
	DefaultRunCallTimeout = 10 * time.Minute
	// DefaultRunHeartbeatTimeout is how soon a call on a worker that died is
	// retried on another.
	DefaultRunHeartbeatTimeout = 10 * time.Second
)

// RunProgramInput is one durable run of a program on one set of inputs. It
// holds the program's description and state and the inputs, never an API
// key: the worker's LM client makes the calls.
type RunProgramInput struct {
	// Name is what the run is called in summaries: the served program's name,
	// or empty for the program reference's own.
	Name string `json:"name,omitempty"`
	// Program is the program to build: a registered name or an inline spec.
	Program activities.ProgramRef `json:"program"`
	// State is a compiled state (demos, instructions) loaded into the
	// program before it runs; nil runs it as built.
	State *dspy.ProgramState `json:"state,omitempty"`
	// Inputs are the program's inputs.
	Inputs dspy.Example `json:"inputs"`
	// Model, when set, is the model name each LM call asks the worker's
	// client for (a request's own model wins); empty leaves its default.
	Model string `json:"model,omitempty"`
	// CallTimeout bounds one attempt of an LM or tool call (zero means
	// DefaultRunCallTimeout); HeartbeatTimeout is how soon a call whose
	// worker died is retried (zero means DefaultRunHeartbeatTimeout).
	CallTimeout      time.Duration `json:"call_timeout,omitempty"`
	HeartbeatTimeout time.Duration `json:"heartbeat_timeout,omitempty"`
}

// RunProgramOutput is a durable run's result.
type RunProgramOutput struct {
	// Outputs are the program's output fields.
	Outputs dspy.Example `json:"outputs"`
	// Usage is what the run's LM calls cost.
	Usage dspy.Usage `json:"usage"`
	// ToolCalls counts the tool calls the run made.
	ToolCalls int `json:"tool_calls"`
}

// RunFailure is the detail a failed run's error carries (the first detail
// of its ApplicationError), so a client can answer as an in-process run
// would: an unparseable reply with its raw text, an LM failure with its kind.
type RunFailure struct {
	// Raw is the reply that did not parse, for ParseError failures.
	Raw string `json:"raw,omitempty"`
	// LM describes the LM failure, for LM failures.
	LM *activities.LMFailure `json:"lm,omitempty"`
	// Usage is what the run's LM calls cost before it failed.
	Usage dspy.Usage `json:"usage"`
}

// Error types of a failed run, besides activities.ErrTypeConfig.
const (
	// ErrTypeParse marks a reply that did not parse into the outputs.
	ErrTypeParse = "ParseError"
	// ErrTypeLM marks an LM call that failed for good (a bad request, a
	// context window exceeded, ...).
	ErrTypeLM = "LMError"
	// ErrTypeProgram marks any other failure of the program.
	ErrTypeProgram = "ProgramError"
)

// programRunner runs programs from its catalog; the catalog is the worker's,
// so Go-registered programs and tools are found by name.
type programRunner struct {
	catalog *activities.Catalog
}

// run is the RunProgram workflow. The module runs in the workflow itself:
// dspy's modules are deterministic given their LM replies and tool results,
// and those come from activities through the context (an LM and a
// ToolRunner that schedule them), so a replay takes them from history
// instead of calling again.
func (p programRunner) run(ctx workflow.Context, in RunProgramInput) (RunProgramOutput, error) {
	module, err := p.build(in)
	if err != nil {
		return RunProgramOutput{}, temporal.NewNonRetryableApplicationError(err.Error(), activities.ErrTypeConfig, err)
	}
	bridge := &runBridge{ctx: ctx, in: in}
	// The tracker counts what every LM call cost, failed ones included, as
	// it does for an in-process run.
	dctx, usage := dspy.TrackUsage(context.Background())
	dctx = dspy.WithEmbedder(dspy.WithToolRunner(dspy.WithLM(dctx, bridge), bridge), bridge)
	dctx = withoutSpans(dctx)
	pred, err := module.Call(dctx, in.Inputs)
	if err != nil {
		if ctx.Err() != nil {
			// Canceled: the run ends as canceled, not as the program's failure.
			return RunProgramOutput{}, ctx.Err()
		}
		return RunProgramOutput{}, runError(err, usage.Usage())
	}
	return RunProgramOutput{Outputs: pred.Example, Usage: usage.Usage(), ToolCalls: bridge.toolCalls}, nil
}

// build makes the program and loads its state. A predictor with an LM of its
// own would call it from the workflow, outside any activity, so it is
// refused.
func (p programRunner) build(in RunProgramInput) (dspy.Module, error) {
	factory, err := p.catalog.Program(in.Program)
	if err != nil {
		return nil, err
	}
	// A compiled ensemble's state builds the ensemble around the program.
	var module dspy.Module
	if in.State != nil {
		module, err = optimize.BuildProgram(factory, *in.State)
	} else {
		module, err = factory()
	}
	if err != nil {
		return nil, fmt.Errorf("build program %s: %w", in.Program, err)
	}
	if in.State != nil {
		if err := dspy.LoadState(module, *in.State); err != nil {
			return nil, fmt.Errorf("load the program's state: %w", err)
		}
	}
	for _, np := range module.Predictors() {
		if np.Predictor.LM != nil {
			return nil, fmt.Errorf("predictor %s has an LM of its own; a durable run calls the worker's LM through the context, so leave Predict.LM unset", np.Name)
		}
	}
	return module, nil
}

// runError turns a program's failure into the workflow's error, keeping what
// a client needs to answer as an in-process run would.
func runError(err error, usage dspy.Usage) error {
	failure := RunFailure{Usage: usage}
	errType := ErrTypeProgram
	var parseErr *dspy.ParseError
	var lmErr *dspy.LMError
	switch {
	case errors.As(err, &parseErr):
		errType, failure.Raw = ErrTypeParse, parseErr.Raw
	case errors.As(err, &lmErr):
		errType = ErrTypeLM
		failure.LM = activities.LMFailureOf(lmErr)
	}
	return temporal.NewApplicationErrorWithOptions(err.Error(), errType, temporal.ApplicationErrorOptions{
		NonRetryable: true, Details: []any{failure},
	})
}

// runBridge is the LM and the tool runner a module sees inside the
// workflow: each call schedules an activity and waits for it.
type runBridge struct {
	ctx       workflow.Context
	in        RunProgramInput
	lmCalls   int
	toolCalls int
}

func (b *runBridge) options(summary string) workflow.Context {
	timeout := b.in.CallTimeout
	if timeout <= 0 {
		timeout = DefaultRunCallTimeout
	}
	heartbeat := b.in.HeartbeatTimeout
	if heartbeat <= 0 {
		heartbeat = DefaultRunHeartbeatTimeout
	}
	return workflow.WithActivityOptions(b.ctx, workflow.ActivityOptions{
		StartToCloseTimeout: timeout,
		HeartbeatTimeout:    heartbeat,
		Summary:             summary,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// Call makes the LM call an activity and returns the worker's reply, whose
// usage the run's tracker counts. A call that failed for good reports one
// call beside its error, as the dspy.LM contract allows.
func (b *runBridge) Call(_ context.Context, req dspy.LMRequest) (dspy.LMResponse, error) {
	b.lmCalls++
	if req.Model == "" {
		req.Model = b.in.Model
	}
	var out activities.CallLMOutput
	err := workflow.ExecuteActivity(b.options(fmt.Sprintf("LM call %d", b.lmCalls)), activities.CallLMName, activities.CallLMInput{Request: req}).Get(b.ctx, &out)
	if err != nil {
		return dspy.LMResponse{Usage: dspy.Usage{Calls: 1}}, lmErrorFrom(err)
	}
	return out.Response, nil
}

// ModelName is unknown in the workflow: the worker's client picks the model.
func (b *runBridge) ModelName() string { return "" }

// RunTool makes the tool call an activity; the model is shown the tool's
// result as the worker rendered it, or its error.
func (b *runBridge) RunTool(_ context.Context, tool *dspy.Tool, args map[string]any) (any, error) {
	b.toolCalls++
	var out activities.CallToolOutput
	err := workflow.ExecuteActivity(b.options("tool "+tool.Name()), activities.CallToolName, activities.CallToolInput{Tool: tool.Name(), Args: args}).Get(b.ctx, &out)
	if err != nil {
		return nil, err
	}
	if out.Error != "" {
		return nil, errors.New(out.Error)
	}
	return out.Observation, nil
}

// lmErrorFrom rebuilds the dspy.LMError a CallLM activity failed with, so
// modules that look at its kind (ReAct on a full context window) behave as
// in-process.
func lmErrorFrom(err error) error {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.HasDetails() {
		return err
	}
	var f activities.LMFailure
	if appErr.Details(&f) != nil || f.Kind == "" {
		return err
	}
	return f.LMError()
}

// RunFailureOf returns the detail a failed RunProgram carries, if err is
// (or wraps) such a failure.
func RunFailureOf(err error) (RunFailure, string, bool) {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return RunFailure{}, "", false
	}
	var f RunFailure
	if appErr.HasDetails() {
		_ = appErr.Details(&f)
	}
	return f, appErr.Type(), true
}
