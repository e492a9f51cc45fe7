package cli

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/workflows"
)

// statusData prints a run as one JSON document: what Temporal knows, its
// progress when a worker answered, its result once completed.
func (a *app) statusData(ctx context.Context, c client.Client, id string) error {
	info, err := a.describe(ctx, c, id)
	if err != nil {
		return err
	}
	rec := newRunRecord(info, a.link(ctx, id))
	if rec.Type == workflows.OptimizeWorkflowName {
		if s, err := queryStatus(ctx, c, id); err == nil {
			rec.Progress = &s
		}
	}
	if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		if rec.Result, err = a.fetchResult(ctx, c, id, rec.Type); err != nil {
			return err
		}
	}
	return a.printData(rec)
}

// fetchResult returns a completed run's result, typed by its kind.
func (a *app) fetchResult(ctx context.Context, c client.Client, id, kind string) (any, error) {
	run := c.GetWorkflow(ctx, id, "")
	switch kind {
	case workflows.OptimizeWorkflowName:
		var res workflows.OptimizeResult
		if err := run.Get(ctx, &res); err != nil {
			return nil, runFailed(id, err)
		}
		return res, nil
	case workflows.EvaluateWorkflowName:
		var res workflows.EvaluateResult
		if err := run.Get(ctx, &res); err != nil {
			return nil, runFailed(id, err)
		}
		return res, nil
	}
	return nil, nil
}

// printRunTrials prints an optimization's trial table: from its result
// once completed, else from the progress it answered (live).
func (a *app) printRunTrials(ctx context.Context, c client.Client, info *workflowpb.WorkflowExecutionInfo, live *workflows.Status) error {
	id := info.GetExecution().GetWorkflowId()
	if info.GetType().GetName() != workflows.OptimizeWorkflowName {
		return usagef("--trials: %s is a %s run; only optimizations have trials", id, info.GetType().GetName())
	}
	fmt.Fprintln(a.stdout)
	if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		res, err := a.fetchResult(ctx, c, id, workflows.OptimizeWorkflowName)
		if err != nil {
			return err
		}
		r := res.(workflows.OptimizeResult)
		printTrials(a.stdout, r.Trials, r.Pareto)
		return nil
	}
	if live == nil {
		fmt.Fprintln(a.stdout, "trials: unknown, no worker answered")
		return nil
	}
	printTrials(a.stdout, live.Progress.Trials, live.Progress.Pareto)
	return nil
}
