package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/durable-dspy/durable-dspy/workflows"
)

func newStatusCmd(a *app) *cobra.Command {
	var trials bool
	cmd := &cobra.Command{
		Use:   "status ID",
		Short: "Show a run's state, progress and, once finished, its result",
		Long: `Show a run once: its Temporal status, start and close times, the optimizer's
progress and spend (asked of the run itself, which needs a worker), and the
result when it has finished. "starter watch" follows a run live instead.
--trials adds a table of every trial so far.`,
		Args: idArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withClient(ctx, func(c client.Client) error {
				if a.structured() {
					return a.statusData(ctx, c, args[0])
				}
				return a.status(ctx, c, args[0], trials)
			})
		},
	}
	cmd.Flags().BoolVar(&trials, "trials", false, "also print every trial: candidate, minibatch or full, score, best so far (and GEPA's Pareto front)")
	return cmd
}

// describe returns a workflow's latest run, reporting an unknown ID as bad
// usage since the argument is at fault.
func (a *app) describe(ctx context.Context, c client.Client, id string) (*workflowpb.WorkflowExecutionInfo, error) {
	resp, err := c.DescribeWorkflowExecution(ctx, id, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil, usagef("no workflow %q in namespace %s (see \"starter list\")", id, a.opts.Temporal.Namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", id, err)
	}
	return resp.GetWorkflowExecutionInfo(), nil
}

func (a *app) status(ctx context.Context, c client.Client, id string, trials bool) error {
	info, err := a.describe(ctx, c, id)
	if err != nil {
		return err
	}
	kind := info.GetType().GetName()
	running := info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	progress := ""
	var live *workflows.Status
	if kind == workflows.OptimizeWorkflowName {
		if s, err := queryStatus(ctx, c, id); err == nil {
			progress, live = statusLine(s), &s
		} else if running {
			progress = "unknown: no worker answered (is one polling task queue " + a.opts.Temporal.TaskQueue + "?)"
		}
	} else if running {
		// An evaluation shows no progress, only why it is paused.
		if s, err := queryStatus(ctx, c, id); err == nil && s.Paused {
			progress = pausedText(s)
		}
	}
	pending := ""
	if running {
		if pending, err = a.pending(ctx, c, id); err != nil {
			return err
		}
	}
	a.printInfo(info, progress, pending, a.link(ctx, id))
	if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		if err := a.printResult(ctx, c, id, kind); err != nil {
			return err
		}
	}
	if trials {
		if err := a.printRunTrials(ctx, c, info, live); err != nil {
			return err
		}
	}
	return a.ended(ctx, c, info)
}

// printResult prints a completed run's result.
func (a *app) printResult(ctx context.Context, c client.Client, id, kind string) error {
	run := c.GetWorkflow(ctx, id, "")
	switch kind {
	case workflows.OptimizeWorkflowName:
		var res workflows.OptimizeResult
		if err := run.Get(ctx, &res); err != nil {
			return runFailed(id, err)
		}
		fmt.Fprintln(a.stdout)
		printOptimizeResult(a.stdout, res)
	case workflows.EvaluateWorkflowName:
		var res workflows.EvaluateResult
		if err := run.Get(ctx, &res); err != nil {
			return runFailed(id, err)
		}
		fmt.Fprintln(a.stdout)
		printEvaluateResult(a.stdout, res)
	}
	return nil
}

// printInfo prints what Temporal knows of a run, its Web UI page if there is
// a UI, its progress if known, and the failing work it waits on, if any.
func (a *app) printInfo(info *workflowpb.WorkflowExecutionInfo, progress, pending, link string) {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	id := info.GetExecution().GetWorkflowId()
	fmt.Fprintf(tw, "workflow:\t%s (run %s)\n", id, info.GetExecution().GetRunId())
	fmt.Fprintf(tw, "type:\t%s\n", info.GetType().GetName())
	fmt.Fprintf(tw, "status:\t%s\n", executionStatus(info.GetStatus()))
	attrs := searchAttributes(info)
	if v := attrs["DspyOptimizer"]; v != "" {
		fmt.Fprintf(tw, "optimizer:\t%s\n", v)
	}
	if v := attrs["DspyProgram"]; v != "" {
		fmt.Fprintf(tw, "program:\t%s\n", v)
	}
	if t := info.GetStartTime(); t != nil {
		fmt.Fprintf(tw, "started:\t%s\n", t.AsTime().Local().Format(time.DateTime))
	}
	if t := info.GetCloseTime(); t != nil {
		fmt.Fprintf(tw, "closed:\t%s\n", t.AsTime().Local().Format(time.DateTime))
	}
	if link != "" {
		fmt.Fprintf(tw, "web UI:\t%s\n", link)
	}
	if progress != "" {
		fmt.Fprintf(tw, "progress:\t%s\n", progress)
	}
	if pending != "" {
		fmt.Fprintf(tw, "pending:\t%s\n", pending)
	}
	_ = tw.Flush()
}

// executionStatus names a Temporal execution status as the Web UI does:
// "Running", "TimedOut", ...
func executionStatus(s enumspb.WorkflowExecutionStatus) string {
	name := s.String()
	if name == "Unspecified" || name == "" {
		return "Unknown"
	}
	return name
}

// searchAttributes decodes a run's keyword and number search attributes to
// text.
func searchAttributes(info *workflowpb.WorkflowExecutionInfo) map[string]string {
	out := map[string]string{}
	for name, p := range info.GetSearchAttributes().GetIndexedFields() {
		var v any
		if err := converter.GetDefaultDataConverter().FromPayload(p, &v); err != nil {
			continue // an attribute of a type this command does not show
		}
		switch x := v.(type) {
		case string:
			out[name] = x
		case float64:
			out[name] = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			out[name] = fmt.Sprint(x)
		}
	}
	return out
}

func newWatchCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "watch ID",
		Short: "Follow a run live until it ends, then print its result",
		Long: `Re-attach to a run: the same live progress as "optimize --wait" (trial k/n,
best score, LM calls, tokens, cost), ending with baseline versus optimized
score. A finished run prints its result at once.`,
		Args: idArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withClient(ctx, func(c client.Client) error {
				return a.watch(ctx, c, args[0])
			})
		},
	}
}

func (a *app) watch(ctx context.Context, c client.Client, id string) error {
	info, err := a.describe(ctx, c, id)
	if err != nil {
		return err
	}
	if !a.structured() {
		watching := fmt.Sprintf("watching %s (%s)", id, executionStatus(info.GetStatus()))
		if link := a.link(ctx, id); link != "" {
			watching += ": " + link
		}
		fmt.Fprintln(a.stdout, watching)
	}
	return a.follow(ctx, c, id, info.GetType().GetName(), a.stdout)
}

// follow waits for a run of either kind to end and prints its result.
func (a *app) follow(ctx context.Context, c client.Client, id, kind string, w io.Writer) error {
	if kind != workflows.OptimizeWorkflowName {
		return a.awaitShowingPending(ctx, c, id, func() error {
			if a.structured() {
				res, err := a.fetchResult(ctx, c, id, kind)
				if err != nil {
					return err
				}
				return a.printData(statusRecord{Result: res})
			}
			return a.printResult(ctx, c, id, kind)
		})
	}
	res, err := a.watchOptimize(ctx, c, id)
	if err != nil {
		return err
	}
	if a.structured() {
		return a.printData(statusRecord{Result: res})
	}
	printOptimizeResult(w, res)
	fmt.Fprintln(w)
	printTrials(w, res.Trials, res.Pareto)
	return nil
}
