package workflows

import (
	"context"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
)

// PluginName names durable-dspy's worker plugin.
const PluginName = "durable-dspy"

// Config is what a worker runs durable-dspy's activities with: what
// workflows may name, and the LM clients. The clients are built in the
// worker's process, so API keys stay in its environment and never reach
// workflow history.
type Config struct {
	// Programs are the Go programs workflows may name, by name. Inline specs
	// need no registration.
	Programs map[string]activities.ProgramFactory
	// Metrics are metrics workflows may name besides the built-in ones
	// (exact_match, f1, ...), by name; a built-in's name cannot be reused.
	Metrics map[string]evaluate.Metric
	// Tools are the tools react specs may use, by their names.
	Tools []*dspy.Tool
	// TaskLM runs programs. Batch activities make many calls, so this client
	// should retry each call itself (honouring Retry-After); Temporal retries
	// the batch only when a call exhausts those retries. Required.
	TaskLM dspy.LM
	// PromptLM answers optimizers' meta-prompts. Each call is an activity of
	// its own, so this client should not retry: Temporal's policy does. Nil
	// means TaskLM.
	PromptLM dspy.LM
	// Concurrency bounds the examples one batch activity runs at once (0
	// means 16).
	Concurrency int
	// Embedder embeds for optimizers that need one (knn_fewshot) and for
	// programs that embed their inputs; nil means the worker cannot embed.
	Embedder dspy.Embedder
	// HeartbeatInterval is the longest a batch activity's progress waits
	// before it is sent to the server (0 means DefaultHeartbeatInterval;
	// see capHeartbeatThrottle). NewPlugin applies it to the worker;
	// with Register, set worker.Options.MaxHeartbeatThrottleInterval to it.
	HeartbeatInterval time.Duration
}

// newActivities builds the activities cfg describes and the catalog they
// share with the RunProgram workflow.
func (cfg Config) newActivities() (*activities.Activities, *activities.Catalog, error) {
	catalog, err := activities.NewCatalog(cfg.Programs, cfg.Metrics, cfg.Tools)
	if err != nil {
		return nil, nil, err
	}
	acts, err := activities.New(activities.Config{
		Catalog: catalog, TaskLM: cfg.TaskLM, PromptLM: cfg.PromptLM, Concurrency: cfg.Concurrency, Embedder: cfg.Embedder,
		HeartbeatInterval: cfg.HeartbeatInterval,
	})
	return acts, catalog, err
}

// NewPlugin returns a Temporal worker plugin that registers durable-dspy's
// workflows and its activities as cfg describes, so a user's own worker
// adds durable-dspy with one option:
//
//	w := worker.New(c, "dspy", worker.Options{Plugins: []worker.Plugin{plugin}})
//
// It fails when cfg does, before any worker starts.
func NewPlugin(cfg Config) (*temporal.SimplePlugin, error) {
	acts, catalog, err := cfg.newActivities()
	if err != nil {
		return nil, err
	}
	return temporal.NewSimplePlugin(temporal.SimplePluginOptions{
		Name: PluginName,
		RunContextBefore: func(_ context.Context, opts temporal.SimplePluginRunContextBeforeOptions) error {
			registerWorkflows(opts.Registry, catalog)
			acts.Register(opts.Registry)
			return nil
		},
		ConfigureWorker: func(_ context.Context, opts worker.PluginConfigureWorkerOptions) error {
			capHeartbeatThrottle(opts.WorkerOptions, cfg.HeartbeatInterval)
			return nil
		},
	})
}

// WorkflowRegistrar is the part of a worker that takes workflows: a
// worker.Worker, the plugin's registry, the SDK's test environment and a
// worker.WorkflowReplayer all have it.
type WorkflowRegistrar interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Registrar is what Register needs of a worker: it takes workflows and
// activities. worker.Worker, the plugin's registry and the SDK's test
// environment all satisfy it.
type Registrar interface {
	WorkflowRegistrar
	activities.Registrar
}

// Register registers the workflows and the activities cfg describes on r,
// as NewPlugin does. Use it where plugins do not run, such as the SDK's
// test environment.
func Register(r Registrar, cfg Config) error {
	acts, catalog, err := cfg.newActivities()
	if err != nil {
		return err
	}
	registerWorkflows(r, catalog)
	acts.Register(r)
	return nil
}

// RegisterWorkflows registers the workflows alone, under the names workers
// register them: for a replayer, which runs no activities. Its RunProgram
// knows no Go-registered programs or tools, so it replays runs of inline
// specs without tools; Register and NewPlugin give it the worker's.
func RegisterWorkflows(r WorkflowRegistrar) {
	catalog, _ := activities.NewCatalog(nil, nil, nil)
	registerWorkflows(r, catalog)
}

func registerWorkflows(r WorkflowRegistrar, catalog *activities.Catalog) {
	r.RegisterWorkflowWithOptions(Optimize, workflow.RegisterOptions{Name: OptimizeWorkflowName})
	r.RegisterWorkflowWithOptions(Evaluate, workflow.RegisterOptions{Name: EvaluateWorkflowName})
	r.RegisterWorkflowWithOptions(programRunner{catalog: catalog}.run, workflow.RegisterOptions{Name: RunProgramWorkflowName})
}

var (
	_ Registrar         = (worker.Worker)(nil)
	_ WorkflowRegistrar = (worker.WorkflowReplayer)(nil)
)
