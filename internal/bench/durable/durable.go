// Package durable measures what running through Temporal costs: the same
// evaluation, or the same optimizer run, in-process and as a workflow on a
// Temporal server, timed in one process against the same LM.
//
// The caller supplies a connected Temporal client (to an embedded dev server
// or a configured cluster); this package starts an in-process worker on a
// fresh task queue, so the figures include the worker's side of Temporal but
// not a network between worker and LM. Both runs cap the LM calls in flight
// at the same number through the LM client's concurrency limit, so neither
// wins by running more calls at once.
package durable

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/google/uuid"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/internal/bench"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// Setup is what both runs share.
type Setup struct {
	// Client is connected to the Temporal server to run on; Server names it
	// for the report ("embedded dev server", an address, ...).
	Client client.Client
	Server string
	// LM holds the LM client settings; each run builds its own client from
	// them with MaxConcurrency set to Concurrency.
	LM lm.Options
	// Spec is the program, built worker-side from its JSON; State, when set,
	// is loaded onto it.
	Spec  spec.Program
	State *dspy.ProgramState
	// Metric is a metric name the worker's registry knows (default exact_match).
	Metric string
	// Concurrency caps the LM calls in flight in each run (default 16).
	Concurrency int
	// BatchSize is the examples per Temporal activity (default 20).
	BatchSize int
}

func (s *Setup) defaults() error {
	if s.Client == nil {
		return errors.New("durable bench: no Temporal client")
	}
	if s.Metric == "" {
		s.Metric = "exact_match"
	}
	if s.Concurrency <= 0 {
		s.Concurrency = 16
	}
	if s.BatchSize <= 0 {
		s.BatchSize = 20
	}
	return s.Spec.Validate()
}

// lmClient builds an LM client capped at the setup's concurrency, with no
// cache, so both runs make every call.
func (s Setup) lmClient() (*lm.Client, error) {
	opts := s.LM
	opts.MaxConcurrency = s.Concurrency
	opts.Cache = nil
	opts.HTTPClient = nil
	return lm.New(opts)
}

// program builds a fresh instance of the spec with the state loaded.
func (s Setup) program() (dspy.Module, error) {
	p, err := s.Spec.Build(nil)
	if err != nil {
		return nil, err
	}
	if s.State != nil {
		if err := dspy.LoadState(p, *s.State); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (s Setup) execution() workflows.Execution {
	// The window is generous: the LM client's limit, not the fan-out, is
	// what bounds the calls in flight, as it does in-process.
	return workflows.Execution{BatchSize: s.BatchSize, MaxParallelActivities: max(1, 2*s.Concurrency/s.BatchSize+1)}
}

// startWorker runs an in-process worker with the real activities on a fresh
// task queue and returns the queue and a function that stops the worker.
func (s Setup) startWorker() (string, func(), error) {
	taskLM, err := s.lmClient()
	if err != nil {
		return "", nil, err
	}
	queue := "dspy-bench-" + uuid.NewString()
	w := worker.New(s.Client, queue, worker.Options{})
	if err := workflows.Register(w, workflows.Config{TaskLM: taskLM, Concurrency: s.BatchSize}); err != nil {
		return "", nil, err
	}
	if err := w.Start(); err != nil {
		return "", nil, fmt.Errorf("durable bench: start worker: %w", err)
	}
	return queue, w.Stop, nil
}

// RunEvaluate evaluates the program on examples in-process with
// evaluate.Evaluate, then through the Evaluate workflow, and compares them.
func RunEvaluate(ctx context.Context, s Setup, examples []dspy.Example) (bench.DurableReport, error) {
	if err := s.defaults(); err != nil {
		return bench.DurableReport{}, err
	}
	metric, err := evaluate.NewRegistry().Lookup(s.Metric)
	if err != nil {
		return bench.DurableReport{}, err
	}
	program, err := s.program()
	if err != nil {
		return bench.DurableReport{}, err
	}
	localLM, err := s.lmClient()
	if err != nil {
		return bench.DurableReport{}, err
	}
	local, err := evaluate.Evaluate(dspy.WithLM(ctx, localLM), program, examples, metric,
		evaluate.Options{Concurrency: s.Concurrency, MaxErrors: -1, Progress: evaluate.ProgressOff})
	if err != nil {
		return bench.DurableReport{}, fmt.Errorf("durable bench: in-process evaluation: %w", err)
	}

	queue, stop, err := s.startWorker()
	if err != nil {
		return bench.DurableReport{}, err
	}
	defer stop()
	in := workflows.EvaluateInput{
		Program: activities.ProgramRef{Spec: s.Spec.JSON()}, State: s.State,
		Dataset: activities.DatasetRef{Examples: examples}, Metric: s.Metric, Execution: s.execution(),
	}
	start := time.Now()
	run, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "dspy-bench-evaluate-" + uuid.NewString(), TaskQueue: queue}, workflows.EvaluateWorkflowName, in)
	if err != nil {
		return bench.DurableReport{}, fmt.Errorf("durable bench: start evaluation workflow: %w", err)
	}
	var out workflows.EvaluateResult
	if err := run.Get(ctx, &out); err != nil {
		return bench.DurableReport{}, fmt.Errorf("durable bench: evaluation workflow: %w", err)
	}
	elapsed := time.Since(start)
	h, err := CountHistory(ctx, s.Client, run.GetID(), run.GetRunID())
	if err != nil {
		return bench.DurableReport{}, err
	}
	return bench.NewDurableReport(len(examples), s.Concurrency, s.BatchSize, s.Server, local.Duration, elapsed, h.Activities, h.Events, local.Score, out.Score), nil
}

// History counts a workflow's events over its whole continue-as-new chain.
type History struct {
	Runs       int
	Events     int
	Activities int
}

// CountHistory reads the history of a workflow run and of every run it
// continued as, counting events and scheduled activities.
func CountHistory(ctx context.Context, c client.Client, workflowID, runID string) (History, error) {
	var h History
	for runID != "" {
		h.Runs++
		next := ""
		it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				return History{}, fmt.Errorf("durable bench: read history of %s: %w", workflowID, err)
			}
			h.Events++
			switch ev.GetEventType() {
			case enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				h.Activities++
			case enums.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
				next = ev.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
			}
		}
		runID = next
	}
	return h, nil
}

// QuietLogger is a Temporal SDK logger that keeps only errors, so the worker
// a benchmark starts does not interleave its routine logs with the report.
func QuietLogger() log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
}
