package cli

import (
	"github.com/spf13/cobra"

	"github.com/durable-dspy/durable-dspy/workflows"
)

func newPauseCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "pause ID",
		Short: "Hold an optimization at its next checkpoint",
		Long: `Hold a running optimization at its next checkpoint, spending nothing until
"starter unpause". A pause survives worker restarts and continue-as-new.`,
		Args: idArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.sendUpdate(cmd.Context(), args[0], workflows.UpdatePause)
		},
	}
}

func newUnpauseCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "unpause ID",
		Short: "Let a paused optimization go on",
		Args:  idArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.sendUpdate(cmd.Context(), args[0], workflows.UpdateUnpause)
		},
	}
}
