package cli

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// sendUpdate sends one of the optimization's control updates and prints
// what the run answered. The update is accepted only while the run is
// going; the run's own validator rejects it once the optimization is done.
func (a *app) sendUpdate(ctx context.Context, id, update string) error {
	return a.withClient(ctx, func(c client.Client) error {
		info, err := a.describe(ctx, c, id)
		if err != nil {
			return err
		}
		if st := info.GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return usagef("%s is %s: only a running optimization can %s", id, executionStatus(st), update)
		}
		if answer, done := pausedAlready(ctx, c, id, update); done {
			fmt.Fprintf(a.stdout, "%s: %s\n", id, answer)
			return nil
		}
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: id, UpdateName: update, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err != nil {
			return fmt.Errorf("%s %s: %w", update, id, err)
		}
		var answer string
		if err := h.Get(ctx, &answer); err != nil {
			return fmt.Errorf("%s %s: %w", update, id, err)
		}
		fmt.Fprintf(a.stdout, "%s: %s\n", id, answer)
		return nil
	})
}
