package durable

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/serve"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// DefaultRunTimeout bounds a whole run when Runner.RunTimeout is zero.
const DefaultRunTimeout = time.Hour

// Memo keys a run carries, so the handler can tell its runs apart from other
// workflows and an idempotent retry from a key reused with other inputs.
const (
	MemoProgram      = "dspy_program"
	MemoInputsSHA256 = "dspy_inputs_sha256"
)

// Runner runs one served program as RunProgram workflows. It implements
// serve.DurableRunner and serve.ReadinessChecker.
type Runner struct {
	// Client reaches the Temporal server; TaskQueue is where the workers poll.
	Client    client.Client
	TaskQueue string
	// Name is the served program's name.
	Name string
	// Program and State describe the program the worker builds.
	Program activities.ProgramRef
	State   *dspy.ProgramState
	// Model, when set, is the model name the worker's LM client is asked
	// for; empty leaves the worker's default.
	Model string
	// RunTimeout bounds a whole run (zero means DefaultRunTimeout);
	// CallTimeout and HeartbeatTimeout are RunProgramInput's.
	RunTimeout       time.Duration
	CallTimeout      time.Duration
	HeartbeatTimeout time.Duration
}

var (
	_ serve.DurableRunner    = (*Runner)(nil)
	_ serve.ReadinessChecker = (*Runner)(nil)
)

// Run starts a run under a fresh ID and waits for it; the handler uses
// Start and Result instead, so that it can name the run.
func (r *Runner) Run(ctx context.Context, inputs dspy.Example) (dspy.Example, dspy.Usage, error) {
	id := serve.RunID(r.Name, strconv.FormatInt(time.Now().UnixNano(), 36))
	if err := r.Start(ctx, serve.RunRequest{ID: id, Program: r.Name, Inputs: inputs}); err != nil {
		return dspy.Example{}, dspy.Usage{}, err
	}
	return r.Result(ctx, id)
}

// Start starts the run, or joins it when a run with this ID exists: while it
// runs, and after it closed (the ID is never reused, so a retry gets the
// first run's result, failure included). Inputs that differ from the
// existing run's are serve.ErrRunConflict.
func (r *Runner) Start(ctx context.Context, req serve.RunRequest) error {
	digest, err := inputsDigest(req.Inputs)
	if err != nil {
		return err
	}
	in := workflows.RunProgramInput{
		Name: r.Name, Program: r.Program, State: r.State, Inputs: req.Inputs, Model: r.Model,
		CallTimeout: r.CallTimeout, HeartbeatTimeout: r.HeartbeatTimeout,
	}
	timeout := r.RunTimeout
	if timeout <= 0 {
		timeout = DefaultRunTimeout
	}
	opts := client.StartWorkflowOptions{
		ID:                       req.ID,
		TaskQueue:                r.TaskQueue,
		WorkflowExecutionTimeout: timeout,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		Memo:                     map[string]any{MemoProgram: r.Name, MemoInputsSHA256: digest},
		StaticSummary:            fmt.Sprintf("run %s: %s", r.Name, r.Program),
		StaticDetails:            fmt.Sprintf("- program: `%s` (`%s`)\n- request: `%s`\n", r.Name, r.Program, req.RequestID),
	}
	_, err = r.Client.ExecuteWorkflow(ctx, opts, workflows.RunProgramWorkflowName, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start the run on task queue %s: %w", r.TaskQueue, err)
	}
	// Started, joined while running, or found closed (its ID is never
	// reused): the memo of the first start tells whose inputs it runs.
	desc, err := r.describe(ctx, req.ID)
	if err != nil {
		return err
	}
	if desc.digest != digest {
		return serve.ErrRunConflict
	}
	return nil
}

// Result waits for the run and returns its outputs, or its failure as the
// error an in-process run would have returned.
func (r *Runner) Result(ctx context.Context, id string) (dspy.Example, dspy.Usage, error) {
	var out workflows.RunProgramOutput
	err := r.Client.GetWorkflow(ctx, id, "").Get(ctx, &out)
	if err != nil {
		if ctxErr := waitedOut(ctx, err); ctxErr != nil {
			return dspy.Example{}, dspy.Usage{}, ctxErr
		}
		usage, runErr := runFailure(err)
		return dspy.Example{}, usage, runErr
	}
	return out.Outputs, out.Usage, nil
}

// waitedOut tells a wait that ended with the caller's deadline: the SDK's
// long poll gives up a moment before the context does, with the server's
// DeadlineExceeded, so the context's own error is awaited and returned.
func waitedOut(ctx context.Context, err error) error {
	var deadline *serviceerror.DeadlineExceeded
	_, hasDeadline := ctx.Deadline()
	if ctx.Err() == nil && !(hasDeadline && (errors.As(err, &deadline) || errors.Is(err, context.DeadlineExceeded))) {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

// Status reports the run, with its result once it has one.
func (r *Runner) Status(ctx context.Context, id string) (serve.RunStatus, error) {
	desc, err := r.describe(ctx, id)
	if err != nil {
		return serve.RunStatus{}, err
	}
	st := serve.RunStatus{RunID: id, Program: r.Name, Status: desc.status, StartedAt: desc.start}
	if desc.closed.IsZero() {
		return st, nil
	}
	closed := desc.closed
	st.ClosedAt = &closed
	var out workflows.RunProgramOutput
	err = r.Client.GetWorkflow(ctx, id, "").Get(ctx, &out)
	if err == nil {
		st.Outputs, st.Usage = &out.Outputs, &out.Usage
		return st, nil
	}
	if ctx.Err() != nil {
		return serve.RunStatus{}, err
	}
	usage, runErr := runFailure(err)
	st.Usage, st.Error = &usage, serve.RunErrorDetail(runErr)
	return st, nil
}

// Cancel asks the run to stop.
func (r *Runner) Cancel(ctx context.Context, id string) error {
	return r.Client.CancelWorkflow(ctx, id, "")
}

// CheckReady fails while the Temporal server is unreachable or no worker
// polls the task queue: a request would then wait out its deadline.
func (r *Runner) CheckReady(ctx context.Context) error {
	if _, err := r.Client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("temporal: %w", err)
	}
	resp, err := r.Client.DescribeTaskQueue(ctx, r.TaskQueue, enums.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return fmt.Errorf("temporal: task queue %s: %w", r.TaskQueue, err)
	}
	if len(resp.GetPollers()) == 0 {
		return fmt.Errorf("no worker polls task queue %s; start one (worker --task-queue %s)", r.TaskQueue, r.TaskQueue)
	}
	return nil
}

// description is what Start and Status need of a run.
type description struct {
	status, digest string
	start, closed  time.Time
}

// describe reads the run's state and memo; a workflow that is not one of
// this program's runs is serve.ErrRunNotFound.
func (r *Runner) describe(ctx context.Context, id string) (description, error) {
	resp, err := r.Client.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return description{}, serve.ErrRunNotFound
	}
	if err != nil {
		return description{}, err
	}
	info := resp.GetWorkflowExecutionInfo()
	if info.GetType().GetName() != workflows.RunProgramWorkflowName {
		return description{}, serve.ErrRunNotFound
	}
	var program, digest string
	fields := info.GetMemo().GetFields()
	dc := converter.GetDefaultDataConverter()
	if p, ok := fields[MemoProgram]; !ok || dc.FromPayload(p, &program) != nil || program != r.Name {
		return description{}, serve.ErrRunNotFound
	}
	if p, ok := fields[MemoInputsSHA256]; ok {
		_ = dc.FromPayload(p, &digest)
	}
	d := description{status: statusName(info.GetStatus()), digest: digest, start: info.GetStartTime().AsTime()}
	if ct := info.GetCloseTime(); ct != nil {
		d.closed = ct.AsTime()
	}
	return d, nil
}

func statusName(s enums.WorkflowExecutionStatus) string {
	switch s {
	case enums.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return serve.RunCompleted
	case enums.WORKFLOW_EXECUTION_STATUS_FAILED:
		return serve.RunFailed
	case enums.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return serve.RunCanceled
	case enums.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return serve.RunTerminated
	case enums.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return serve.RunTimedOut
	}
	return serve.RunRunning
}

// inputsDigest is the hex SHA-256 of the inputs' JSON: Example encodes its
// fields in order, so equal requests hash equal.
func inputsDigest(inputs dspy.Example) (string, error) {
	b, err := json.Marshal(inputs.Unmarked())
	if err != nil {
		return "", fmt.Errorf("encode the inputs: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// runFailure turns a failed run's error into what an in-process run would
// have returned, and what the run cost before it failed.
func runFailure(err error) (dspy.Usage, error) {
	failure, errType, ok := workflows.RunFailureOf(err)
	if !ok {
		return dspy.Usage{}, err
	}
	switch errType {
	case workflows.ErrTypeParse:
		return failure.Usage, &dspy.ParseError{Adapter: "durable run", Raw: failure.Raw, Err: err}
	case workflows.ErrTypeLM:
		if failure.LM != nil {
			return failure.Usage, failure.LM.LMError()
		}
	}
	return failure.Usage, err
}
