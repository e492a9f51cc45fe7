package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/workflows"
)

// failuresShown bounds the failed examples evaluate lists.
const failuresShown = 5

type evaluateFlags struct {
	program      programFlags
	state        string
	dataset      string
	inputs       []string
	metric       string
	label        string
	failureScore float64
	exec         workflows.Execution
	id           string
	out          string
	display      int
}

func newEvaluateCmd(a *app) *cobra.Command {
	f := &evaluateFlags{}
	cmd := &cobra.Command{
		Use:   "evaluate",
		Short: "Score a program on a dataset as a durable workflow",
		Long: `Evaluate a program (a registered name or a spec file), optionally with a
compiled state (--state, DSPy JSON from "starter export"), on a dataset, and
print its score as DSPy's Evaluate does: round(100 × mean metric, 2), with
failed examples scored, never dropped. --out writes one JSON line per example.`,
		Example: `  starter evaluate --spec qa.yaml --state program.json --dataset test.jsonl --metric exact_match --out results.jsonl`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.evaluate(cmd, f)
		},
	}
	fs := cmd.Flags()
	f.program.bind(fs)
	fs.StringVar(&f.state, "state", "", "compiled program state to evaluate (DSPy JSON); default: the program as written")
	fs.StringVar(&f.dataset, "dataset", "", "examples to score (JSONL or CSV); required")
	fs.StringSliceVar(&f.inputs, "inputs", nil, "input keys of the examples, comma-separated (default: the program's input fields)")
	fs.StringVar(&f.metric, "metric", "exact_match", "metric registered on the worker")
	bindLabel(fs, &f.label)
	fs.Float64Var(&f.failureScore, "failure-score", 0, "score of an example whose run fails")
	fs.IntVar(&f.exec.BatchSize, "batch-size", 0, "examples per batch activity (0 = default)")
	fs.IntVar(&f.exec.MaxParallelActivities, "max-parallel-activities", 0, "batch activities in flight at once (0 = default)")
	bindMaxOutage(fs, &f.exec)
	fs.StringVar(&f.id, "id", "", "workflow ID (default dspy-evaluate-<random>)")
	fs.StringVar(&f.out, "out", "", "write per-example results (inputs, gold, prediction, score) to this JSONL file")
	fs.IntVar(&f.display, "display-table", 10, "show the first N examples as a table, as DSPy's display_table does (0 shows none)")
	return cmd
}

func (a *app) evaluate(cmd *cobra.Command, f *evaluateFlags) error {
	ctx := cmd.Context()
	ref, sp, err := f.program.resolve()
	if err != nil {
		return err
	}
	state, err := loadState(f.state)
	if err != nil {
		return err
	}
	data, err := loadDataset("dataset", f.dataset, f.inputs)
	if err != nil {
		return err
	}
	if f.exec.BatchSize < 0 || f.exec.MaxParallelActivities < 0 {
		return usagef("--batch-size and --max-parallel-activities must not be negative")
	}
	if err := newRunCheck("", nil, sp, f.inputs, f.metric, f.label, f.dataset, data, "", nil).check(); err != nil {
		return err
	}
	in := workflows.EvaluateInput{
		Program: ref, State: state, Dataset: data.ref(f.inputs), Metric: f.metric, Label: f.label,
		FailureScore: f.failureScore, Execution: f.exec,
	}
	id := f.id
	if id == "" {
		id = newRunID("evaluate")
	}
	return a.withClient(ctx, func(c client.Client) error {
		run, err := c.ExecuteWorkflow(ctx, workflows.EvaluateStartOptions(id, a.opts.Temporal.TaskQueue, in), workflows.EvaluateWorkflowName, in)
		if err != nil {
			return fmt.Errorf("start evaluation %s: %w", id, err)
		}
		a.printStarted(ref, run.GetID(), run.GetRunID())
		fmt.Fprintf(a.stderr, "evaluating %d examples...\n", len(data.Examples))
		var res workflows.EvaluateResult
		if err := a.awaitShowingPending(ctx, c, id, func() error { return run.Get(ctx, &res) }); err != nil {
			return runFailed(id, err)
		}
		records := exampleRecords(data.Examples, inputKeysFor(f.inputs, sp), res.Outcomes)
		if f.out != "" {
			if err := writeOutcomes(f.out, records); err != nil {
				return err
			}
		}
		if a.structured() {
			return a.printData(a.startedData(ref, run.GetID(), run.GetRunID(), newEvaluation(res, records)))
		}
		printEvaluateResult(a.stdout, res)
		printExamples(a.stdout, records, f.display)
		if f.out != "" {
			fmt.Fprintf(a.stdout, "per-example results written to %s\n", f.out)
		}
		return nil
	})
}

// printEvaluateResult prints the score table and the first failures.
func printEvaluateResult(w io.Writer, res workflows.EvaluateResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "score\t%.2f\n", res.Score)
	fmt.Fprintf(tw, "examples\t%d\n", res.Total)
	fmt.Fprintf(tw, "failed\t%d (scored with the failure score)\n", res.Errors)
	fmt.Fprintf(tw, "spent\t%s\n", spentText(res.Spent))
	_ = tw.Flush()
	shown := 0
	for _, o := range res.Outcomes {
		if !o.Failed() || shown == failuresShown {
			continue
		}
		if shown == 0 {
			fmt.Fprintln(w, "first failures:")
		}
		fmt.Fprintf(w, "  example %d: %s\n", o.ID, o.Error)
		shown++
	}
}

// writeOutcomes writes one JSON object per example: its ID, inputs, gold,
// prediction, score, feedback and error.
func writeOutcomes(path string, records []exampleRecord) error {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	w := bufio.NewWriter(file)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range records {
		if err := enc.Encode(r); err != nil {
			_ = file.Close()
			return fmt.Errorf("--out %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		_ = file.Close()
		return fmt.Errorf("--out %s: %w", path, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	return nil
}
