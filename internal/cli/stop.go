package cli

import (
	"github.com/spf13/cobra"

	"github.com/durable-dspy/durable-dspy/workflows"
)

func newStopCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "stop ID",
		Short: "Finish an optimization now, keeping the best program so far",
		Long: `Ask a running optimization to finish at its next checkpoint (after the
batch in flight) and complete with the best program found so far. The run
ends as completed, so "starter export" works on it. To abandon a run instead,
use "starter cancel".`,
		Args: idArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.sendUpdate(cmd.Context(), args[0], workflows.UpdateStop)
		},
	}
}
