package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/workflows"
)

func newExportCmd(a *app) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "export ID --out FILE",
		Short: "Write a finished optimization's compiled program as DSPy JSON",
		Long: `Write the compiled program of a completed optimization as DSPy JSON (the
format of Module.save), which "starter run --state", the Go dspy.Load and
Python DSPy's load all read. "--out -" writes to stdout.`,
		Example: `  starter export dspy-miprov2-1a2b3c4d --out program.json`,
		Args:    idArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("--out is required: the file to write the program to (\"-\" for stdout)")
			}
			ctx, id := cmd.Context(), args[0]
			return a.withClient(ctx, func(c client.Client) error {
				res, err := a.compiledProgram(ctx, c, id, "export")
				if err != nil {
					return err
				}
				if out == "-" {
					b, err := res.Program.Encode()
					if err != nil {
						return fmt.Errorf("encode program: %w", err)
					}
					_, err = a.stdout.Write(b)
					return err
				}
				if err := writeProgram(out, res.Program); err != nil {
					return err
				}
				if a.structured() {
					return a.printData(exportRecord{WorkflowID: id, Out: out, Score: res.Score, BaselineScore: res.BaselineScore, BaselineUnmeasured: res.BaselineUnmeasured})
				}
				fmt.Fprintf(a.stdout, "compiled program of %s (score %.2f, baseline %.2f) written to %s\n", id, res.Score, res.BaselineScore, out)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", `file to write the program to ("-" for stdout); required`)
	return cmd
}

// compiledProgram fetches the result of the completed optimization id; what
// names the command that needs it, for the message when the run is not done.
func (a *app) compiledProgram(ctx context.Context, c client.Client, id, what string) (workflows.OptimizeResult, error) {
	var res workflows.OptimizeResult
	info, err := a.describe(ctx, c, id)
	if err != nil {
		return res, err
	}
	if kind := info.GetType().GetName(); kind != workflows.OptimizeWorkflowName {
		return res, usagef("%s is a %s run, not an optimization; only optimizations compile a program", id, kind)
	}
	if st := info.GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return res, notCompleted(id, st, what)
	}
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		return res, runFailed(id, err)
	}
	return res, nil
}
