package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// Config is what a worker's activities run with. LM clients are built
// worker-side, so API keys stay in the worker's environment and never reach
// workflow history.
type Config struct {
	// Catalog holds the programs, metrics and tools workflows may name; nil
	// means inline specs and the built-in metrics only.
	Catalog *Catalog
	// TaskLM runs programs. Batch activities make many calls, so this client
	// should retry each call itself (honouring Retry-After); Temporal retries
	// the batch only when a call exhausts those retries.
	TaskLM dspy.LM
	// PromptLM answers prompt-model calls. Each is one activity making one LM
	// call, so this client should not retry: Temporal's policy does.
	PromptLM dspy.LM
	// Concurrency bounds the examples one batch activity runs at once (default 16).
	Concurrency int
	// Embedder answers the Embed activity and is in the context of every
	// program run, for programs that embed their inputs (a compiled
	// KNNFewShot program); nil means the worker cannot embed.
	Embedder dspy.Embedder
	// HeartbeatInterval is how often a batch activity sends the examples it
	// finished since its last heartbeat (0 means DefaultHeartbeatInterval).
	// The worker's MaxHeartbeatThrottleInterval should be no longer, or the
	// SDK holds them back.
	HeartbeatInterval time.Duration
}

// Activities implements durable-dspy's activities. Register it on a worker with
// Register (or through the workflows package's plugin).
type Activities struct {
	cfg Config
}

// New checks cfg and returns the activities.
func New(cfg Config) (*Activities, error) {
	if cfg.Catalog == nil {
		var err error
		if cfg.Catalog, err = NewCatalog(nil, nil, nil); err != nil {
			return nil, err
		}
	}
	if cfg.TaskLM == nil {
		return nil, errors.New("activities: Config.TaskLM is required")
	}
	if cfg.PromptLM == nil {
		cfg.PromptLM = cfg.TaskLM
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	return &Activities{cfg: cfg}, nil
}

// Registrar is the part of a Temporal worker (or plugin registry) that takes activities.
type Registrar interface {
	RegisterActivityWithOptions(a any, options activity.RegisterOptions)
}

// Register registers every activity under its stable name.
func (a *Activities) Register(r Registrar) {
	r.RegisterActivityWithOptions(a.LoadDataset, activity.RegisterOptions{Name: LoadDatasetName})
	r.RegisterActivityWithOptions(a.DescribeProgram, activity.RegisterOptions{Name: DescribeProgramName})
	r.RegisterActivityWithOptions(a.RunBatch, activity.RegisterOptions{Name: RunBatchName})
	r.RegisterActivityWithOptions(a.Prompt, activity.RegisterOptions{Name: PromptName})
	r.RegisterActivityWithOptions(a.CallLM, activity.RegisterOptions{Name: CallLMName})
	r.RegisterActivityWithOptions(a.CallTool, activity.RegisterOptions{Name: CallToolName})
	r.RegisterActivityWithOptions(a.Embed, activity.RegisterOptions{Name: EmbedName})
}

// DescribeProgram builds the program once and returns its predictors'
// signatures and starting state, which the optimizer needs in the workflow.
func (a *Activities) DescribeProgram(ctx context.Context, ref ProgramRef) (ProgramDescription, error) {
	factory, err := a.cfg.Catalog.Program(ref)
	if err != nil {
		return ProgramDescription{}, configError(err)
	}
	p, err := factory()
	if err != nil {
		return ProgramDescription{}, configError(fmt.Errorf("build program %s: %w", ref, err))
	}
	return Describe(p), nil
}

// Describe returns a program's description: its predictors' signatures, its
// starting state, and its input fields, each once in the order the
// predictors declare them. DescribeProgram describes a program so on the
// worker; a client that can build the program describes it the same way.
func Describe(p dspy.Module) ProgramDescription {
	t := optimize.TaskFor(p, nil, nil)
	desc := ProgramDescription{Student: t.Student, Signatures: t.Signatures}
	seen := map[string]bool{}
	for _, ns := range t.Signatures {
		for _, name := range ns.Signature.InputNames() {
			if !seen[name] {
				seen[name] = true
				desc.InputKeys = append(desc.InputKeys, name)
			}
		}
	}
	return desc
}

// RunBatch runs a candidate program on a batch of examples and scores each.
// It heartbeats the outcomes finished so far, so a retry after a crash or a
// timeout runs only the rest, and what the runs it gave up on spent, so the
// output counts it (RunBatchOutput.Discarded). The retry may run on another
// worker, whose LM cache never saw this one's calls: the heartbeat details
// are the only record of them that survives the worker, which is why they
// go out every Config.HeartbeatInterval and the plugin caps the SDK's
// heartbeat throttling to the same (Config.HeartbeatInterval in package
// workflows), so they reach the server in time. An example whose LM call failed transiently
// (after the client's own retries) fails the activity, to be retried by
// Temporal; one that failed for good (unparseable reply, bad request, metric
// error) is recorded as a failed outcome.
func (a *Activities) RunBatch(ctx context.Context, in RunBatchInput) (RunBatchOutput, error) {
	factory, err := a.cfg.Catalog.Program(in.Program)
	if err != nil {
		return RunBatchOutput{}, configError(err)
	}
	metric, err := a.cfg.Catalog.MetricFor(in.Metric, in.Label)
	if err != nil {
		return RunBatchOutput{}, configError(err)
	}
	b := in.Batch
	if len(b.IDs) != len(b.Examples) {
		return RunBatchOutput{}, configError(fmt.Errorf("batch %q has %d IDs for %d examples", b.Label, len(b.IDs), len(b.Examples)))
	}
	done := map[int]optimize.Outcome{}
	// progress.discarded is what the runs cut short by a transient LM
	// failure spent, in this attempt and the earlier ones: the requests
	// reached the server.
	progress := &batchProgress{}
	for _, o := range in.Done {
		done[o.ID] = o
	}
	if activity.HasHeartbeatDetails(ctx) {
		var prior []optimize.Outcome
		if err := activity.GetHeartbeatDetails(ctx, &prior, &progress.discarded); err == nil {
			for _, o := range prior {
				done[o.ID] = o
			}
		}
	}
	rest := b
	rest.Examples, rest.IDs = nil, nil
	for i, id := range b.IDs {
		if _, ok := done[id]; !ok {
			rest.Examples = append(rest.Examples, markUnmarked(b.Examples[i], in.InputKeys))
			rest.IDs = append(rest.IDs, id)
		}
	}

	var mu sync.Mutex
	var transient error
	progress.finished = make([]optimize.Outcome, 0, len(b.IDs))
	for _, o := range done {
		progress.finished = append(progress.finished, o)
	}
	engine, err := optimize.NewLocalEngine(optimize.LocalOptions{
		Program: factory, Metric: metric, TaskLM: a.cfg.TaskLM, Concurrency: a.cfg.Concurrency,
		FailureScore: in.FailureScore, Embedder: a.cfg.Embedder,
		OnOutcome: func(_ int, o optimize.Outcome, err error) {
			if err != nil && dspy.IsRetryableLMError(err) {
				mu.Lock()
				if transient == nil {
					transient = err
				}
				mu.Unlock()
				progress.discard(o.Usage)
				return
			}
			progress.add(o)
		},
	})
	if err != nil {
		return RunBatchOutput{}, configError(err)
	}
	stop := progress.report(ctx, a.cfg.HeartbeatInterval)
	outcomes, err := engine.Run(ctx, rest)
	stop()
	if err != nil || transient != nil {
		// A retry starts from the details the server last heard, so this
		// attempt's latest progress goes out with its failure (the SDK
		// sends buffered details when an activity fails).
		progress.beat(ctx, false)
	}
	if err != nil {
		return RunBatchOutput{}, err
	}
	if transient != nil {
		// The outcomes finished so far travel with the failure, so a batch
		// the workflow schedules again after an outage pause keeps them.
		if len(progress.finished) == 0 {
			return RunBatchOutput{}, lmActivityError(transient, dspy.Usage{})
		}
		return RunBatchOutput{}, lmActivityError(transient, dspy.Usage{}, progress.finished)
	}
	byID := make(map[int]optimize.Outcome, len(b.IDs))
	for id, o := range done {
		byID[id] = o
	}
	for _, o := range outcomes {
		byID[o.ID] = o
	}
	out := RunBatchOutput{Outcomes: make([]optimize.Outcome, len(b.IDs)), Discarded: progress.discarded}
	for i, id := range b.IDs {
		out.Outcomes[i] = byID[id]
	}
	return out, nil
}

// Prompt makes one prompt-model call. It heartbeats while the call is in
// flight, so a worker that dies mid-call is noticed within the heartbeat
// timeout instead of the activity's whole time limit.
func (a *Activities) Prompt(ctx context.Context, in PromptInput) (PromptOutput, error) {
	stop := keepAlive(ctx)
	defer stop()
	rec := &optimize.CallRecorder{}
	callCtx, usage := dspy.TrackUsage(optimize.WithCallRecorder(ctx, rec))
	outs, err := optimize.Prompt(callCtx, optimize.RecordingLM{LM: a.cfg.PromptLM}, in.Call)
	if err != nil {
		return PromptOutput{}, lmActivityError(err, usage.Usage())
	}
	return PromptOutput{Outputs: outs, Usage: usage.Usage(), Calls: rec.Calls()}, nil
}

func configError(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeConfig, err)
}

// lmActivityError classifies an LM failure for Temporal: bad requests are not
// retried; rate limits are retried no sooner than the server asked. A
// retryable failure's message is the short outage text the CLI shows. What
// the failed call spent, when anything, is the error's first detail (see
// UsageOfError), after the raw reply of a parse error; extra details follow.
func lmActivityError(err error, spent dspy.Usage, extra ...any) error {
	var details []any
	if spent != (dspy.Usage{}) {
		details = append(details, spent)
	}
	details = append(details, extra...)
	var lmErr *dspy.LMError
	if !errors.As(err, &lmErr) {
		var pe *dspy.ParseError
		if errors.As(err, &pe) {
			return temporal.NewNonRetryableApplicationError(err.Error(), errTypeParse, err, append([]any{pe.Raw}, details...)...)
		}
		return err
	}
	if !lmErr.Retryable() {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeBadRequest, err, details...)
	}
	return temporal.NewApplicationErrorWithOptions(OutageMessage(lmErr), outageErrType(lmErr.Kind), temporal.ApplicationErrorOptions{
		Cause: err, NextRetryDelay: lmErr.RetryAfter, Details: details,
	})
}
