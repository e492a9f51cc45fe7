package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// listRow is one run as list shows it. Baseline and Spent come from a
// completed run's result; Best from its result, or while it runs from the
// DspyBestScore search attribute.
type listRow struct {
	WorkflowID string        `json:"workflow_id"`
	Kind       string        `json:"kind"`
	Optimizer  string        `json:"optimizer,omitempty"`
	Program    string        `json:"program,omitempty"`
	Status     string        `json:"status"`
	Baseline   *float64      `json:"baseline,omitempty"`
	Best       *float64      `json:"best,omitempty"`
	Spent      *dspy.Usage   `json:"spent,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	Started    *time.Time    `json:"started,omitempty"`
}

// runKinds names the workflow types list shows.
var runKinds = map[string]string{workflows.OptimizeWorkflowName: "optimize", workflows.EvaluateWorkflowName: "evaluate"}

// listRow describes e, reading a completed run's result for its baseline,
// score and spend.
func (a *app) listRow(ctx context.Context, c client.Client, e *workflowpb.WorkflowExecutionInfo) listRow {
	attrs := searchAttributes(e)
	r := listRow{
		WorkflowID: e.GetExecution().GetWorkflowId(), Kind: runKinds[e.GetType().GetName()],
		Optimizer: attrs["DspyOptimizer"], Program: attrs["DspyProgram"], Status: executionStatus(e.GetStatus()),
	}
	if r.Kind == "" {
		r.Kind = e.GetType().GetName()
	}
	if s := attrs["DspyStatus"]; s != "" && e.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		r.Status += " (" + s + ")"
	}
	if v, err := strconv.ParseFloat(attrs["DspyBestScore"], 64); err == nil {
		r.Best = &v
	}
	if t := e.GetStartTime(); t != nil {
		started := t.AsTime()
		r.Started = &started
		end := time.Now()
		if ct := e.GetCloseTime(); ct != nil {
			end = ct.AsTime()
		}
		r.Duration = end.Sub(started)
	}
	if e.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return r
	}
	res, err := a.fetchResult(ctx, c, r.WorkflowID, e.GetType().GetName())
	if err != nil {
		return r
	}
	switch res := res.(type) {
	case workflows.OptimizeResult:
		r.Best, r.Spent = &res.Score, &res.Spent
		if !res.BaselineUnmeasured {
			r.Baseline = &res.BaselineScore
		}
	case workflows.EvaluateResult:
		r.Best, r.Spent = &res.Score, &res.Spent
	}
	return r
}

// printRows writes rows as --output says: a JSON array, or one a line.
func (a *app) printRows(rows []listRow) error {
	if a.output == outputJSONL {
		for _, r := range rows {
			if err := a.printData(r); err != nil {
				return err
			}
		}
		return nil
	}
	return a.printData(rows)
}

// printListTable prints rows as list's table. The columns list had before
// it showed evaluations keep their places, so scripts reading them by
// position go on working.
func printListTable(w io.Writer, rows []listRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKFLOW ID\tOPTIMIZER\tPROGRAM\tSTATUS\tBEST\tBASELINE\tSPEND\tDURATION\tSTARTED\tKIND")
	for _, r := range rows {
		spend, started := "-", "-"
		if r.Spent != nil {
			spend = fmt.Sprintf("%s calls $%.4f", thousands(r.Spent.Calls), r.Spent.Cost)
		}
		if r.Started != nil {
			started = r.Started.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.WorkflowID, dash(r.Optimizer), dash(r.Program),
			r.Status, scoreCell(r.Best), scoreCell(r.Baseline), spend, durationText(r.Duration), started, r.Kind)
	}
	_ = tw.Flush()
}

func scoreCell(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *v)
}

// durationText rounds a run's duration to what a person reads: seconds
// below a minute, then minutes and seconds, then hours and minutes.
func durationText(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
}
