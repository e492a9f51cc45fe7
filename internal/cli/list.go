package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/workflows"
)

type listFlags struct {
	optimizer string
	program   string
	status    string
	limit     int
}

func newListCmd(a *app) *cobra.Command {
	f := &listFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List optimization and evaluation runs, newest first",
		Long: `List optimization and evaluation runs with their kind, optimizer, program,
status, baseline and best score, spend, duration and start time, newest first.
Baseline and spend come from finished runs' results. Filters combine:
--optimizer (optimizations only) and --program match the DspyOptimizer and
DspyProgram search attributes; --status matches Temporal's execution status
(running, completed, failed, canceled, terminated, timedout) or, for any other
value, the optimizer's own DspyStatus.`,
		Example: `  starter list --optimizer miprov2 --status running`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.limit <= 0 {
				return usagef("--limit must be positive, got %d", f.limit)
			}
			query := listQuery(f)
			ctx := cmd.Context()
			return a.withClient(ctx, func(c client.Client) error {
				resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
					Namespace: a.opts.Temporal.Namespace, Query: query, PageSize: int32(f.limit),
				})
				if err != nil {
					return fmt.Errorf("list runs (query %s): %w", query, err)
				}
				execs := resp.GetExecutions()
				if len(execs) > f.limit {
					execs = execs[:f.limit]
				}
				rows := make([]listRow, len(execs))
				for i, e := range execs {
					rows[i] = a.listRow(ctx, c, e)
				}
				if a.structured() {
					return a.printRows(rows)
				}
				if len(rows) == 0 {
					fmt.Fprintln(a.stdout, "no runs match")
					return nil
				}
				printListTable(a.stdout, rows)
				return nil
			})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.optimizer, "optimizer", "", "only runs of this optimizer")
	fs.StringVar(&f.program, "program", "", "only runs of this program: a registered name, or a spec as list shows it, e.g. \"predict(question -> answer)\"")
	fs.StringVar(&f.status, "status", "", "only runs in this status (running, completed, failed, canceled, terminated, timedout)")
	fs.IntVar(&f.limit, "limit", 20, "most runs to list")
	return cmd
}

// executionStatuses maps what users type to Temporal's ExecutionStatus values.
var executionStatuses = map[string]string{
	"running": "Running", "completed": "Completed", "failed": "Failed", "canceled": "Canceled",
	"cancelled": "Canceled", "terminated": "Terminated", "timedout": "TimedOut", "timed_out": "TimedOut",
	"timed-out": "TimedOut",
}

// listQuery builds the visibility query for list's filters: optimizations
// and evaluations, or optimizations alone with --optimizer. Runs that
// continued as new are left out: their optimization lives on in a later run
// under the same workflow ID.
func listQuery(f *listFlags) string {
	kinds := fmt.Sprintf("WorkflowType IN (%s, %s)", quoteValue(workflows.OptimizeWorkflowName), quoteValue(workflows.EvaluateWorkflowName))
	if f.optimizer != "" {
		// Only optimizations have an optimizer.
		kinds = fmt.Sprintf("WorkflowType = %s", quoteValue(workflows.OptimizeWorkflowName))
	}
	clauses := []string{kinds, "ExecutionStatus != 'ContinuedAsNew'"}
	if f.optimizer != "" {
		clauses = append(clauses, "DspyOptimizer = "+quoteValue(f.optimizer))
	}
	if f.program != "" {
		clauses = append(clauses, "DspyProgram = "+quoteValue(f.program))
	}
	if f.status != "" {
		if s, ok := executionStatuses[strings.ToLower(f.status)]; ok {
			clauses = append(clauses, "ExecutionStatus = "+quoteValue(s))
		} else {
			clauses = append(clauses, "DspyStatus = "+quoteValue(f.status))
		}
	}
	return strings.Join(clauses, " AND ")
}

// quoteValue quotes a value for a visibility query, so a name with a quote
// cannot change the query.
func quoteValue(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
