package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
)

func newCancelCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a run, abandoning its result",
		Long: `Request cancellation of a run: it ends as canceled, without a result. To end
an optimization early and keep its best program, use "starter stop".`,
		Args: idArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, id := cmd.Context(), args[0]
			return a.withClient(ctx, func(c client.Client) error {
				if _, err := a.describe(ctx, c, id); err != nil {
					return err
				}
				if err := c.CancelWorkflow(ctx, id, ""); err != nil {
					return fmt.Errorf("cancel %s: %w", id, err)
				}
				fmt.Fprintf(a.stdout, "%s: cancellation requested\n", id)
				return nil
			})
		},
	}
}
