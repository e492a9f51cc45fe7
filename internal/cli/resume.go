package cli

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

func newResumeCmd(a *app) *cobra.Command {
	var watch bool
	cmd := &cobra.Command{
		Use:   "resume ID",
		Short: "Continue a run whose worker died, or that failed, was terminated or timed out",
		Long: `Continue a run without redoing its completed work.

A run that is still running (its worker died) is alive: Temporal keeps it, and
it goes on as soon as a worker polls its task queue. resume says so and
re-attaches, as "starter watch" does.

A run that failed, was terminated or timed out is reset: a new run of the same
workflow replays the history up to its last completed workflow task, so every
activity completed before it keeps its result and is not run again. For a
failed run that is the task before the one that failed it, since replaying the
failing task would fail the same way. resume prints the new run's ID, and with
--watch follows it.`,
		Args: idArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withClient(ctx, func(c client.Client) error {
				return a.resume(ctx, c, args[0], watch)
			})
		},
	}
	cmd.Flags().BoolVar(&watch, "watch", false, "after a reset, follow the new run until it ends")
	return cmd
}

func (a *app) resume(ctx context.Context, c client.Client, id string, watch bool) error {
	info, err := a.describe(ctx, c, id)
	if err != nil {
		return err
	}
	kind, runID := info.GetType().GetName(), info.GetExecution().GetRunId()
	switch st := info.GetStatus(); st {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		fmt.Fprintf(a.stdout, "%s is alive: Temporal holds it, and it continues as soon as a worker polls task queue %s.\n", id, a.opts.Temporal.TaskQueue)
		if n, err := workflowPollers(ctx, c, a.opts.Temporal.TaskQueue); err == nil && n == 0 {
			fmt.Fprintln(a.stdout, "No worker is polling that queue now: start one (worker --address ... or worker --dev).")
		}
		return a.follow(ctx, c, id, kind, a.stdout)
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		fmt.Fprintf(a.stdout, "%s already completed; nothing to resume.\n", id)
		return a.printResult(ctx, c, id, kind)
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		eventID, err := resetPoint(ctx, c, id, runID, st == enumspb.WORKFLOW_EXECUTION_STATUS_FAILED)
		if err != nil {
			return err
		}
		resp, err := c.ResetWorkflowExecution(ctx, &workflowservice.ResetWorkflowExecutionRequest{
			Namespace:                 a.opts.Temporal.Namespace,
			WorkflowExecution:         &commonpb.WorkflowExecution{WorkflowId: id, RunId: runID},
			Reason:                    fmt.Sprintf("starter resume: continue the %s run", executionStatus(st)),
			WorkflowTaskFinishEventId: eventID,
			RequestId:                 uuid.NewString(),
			// Signals and updates after the reset point belonged to the
			// ended run; replaying them could stop or pause the new one.
			ResetReapplyType: enumspb.RESET_REAPPLY_TYPE_NONE,
		})
		if err != nil {
			return fmt.Errorf("reset %s to event %d: %w", id, eventID, err)
		}
		fmt.Fprintf(a.stdout, "%s was %s; reset to event %d, keeping the work completed before it.\n", id, executionStatus(st), eventID)
		fmt.Fprintf(a.stdout, "new run ID: %s\n", resp.GetRunId())
		if link := a.link(ctx, id); link != "" {
			fmt.Fprintf(a.stdout, "web UI:     %s\n", link)
		}
		if !watch {
			fmt.Fprintf(a.stdout, "follow it with: starter watch %s\n", id)
			return nil
		}
		return a.follow(ctx, c, id, kind, a.stdout)
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return usagef("%s was canceled on request; resume continues runs that failed, were terminated or timed out. Start it again with \"starter optimize\"", id)
	default:
		return fmt.Errorf("%s is %s; there is nothing resume can do with it", id, executionStatus(st))
	}
}

// resetPoint finds the event to reset a run to: its last WorkflowTaskCompleted
// event, or for a failed run the one before it, because the last task is the
// one that failed the run and would fail again on the same history.
func resetPoint(ctx context.Context, c client.Client, id, runID string, failed bool) (int64, error) {
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var completed []int64
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return 0, fmt.Errorf("read the history of %s: %w", id, err)
		}
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			completed = append(completed, e.GetEventId())
		}
	}
	switch {
	case len(completed) == 0:
		return 0, fmt.Errorf("%s ended before completing any workflow task, so there is no work to keep: start it again", id)
	case failed && len(completed) > 1:
		return completed[len(completed)-2], nil
	}
	return completed[len(completed)-1], nil
}

// workflowPollers counts the workers polling a task queue for workflow tasks.
func workflowPollers(ctx context.Context, c client.Client, queue string) (int, error) {
	resp, err := c.DescribeTaskQueue(ctx, queue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return 0, err
	}
	return len(resp.GetPollers()), nil
}
