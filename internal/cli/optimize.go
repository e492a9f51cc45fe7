package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/worker/lmconfig"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// optimizeFlags are optimize's flags.
type optimizeFlags struct {
	program    programFlags
	trainset   string
	valset     string
	inputs     []string
	metric     string
	label      string
	optimizer  string
	params     string
	param      []string
	seed       int64
	budget     workflows.Budget
	exec       workflows.Execution
	id         string
	wait       bool
	out        string
	dryRun     bool
	dry        dryRunFlags
	failureScr float64
}

func newOptimizeCmd(a *app) *cobra.Command {
	f := &optimizeFlags{}
	cmd := &cobra.Command{
		Use:   "optimize",
		Short: "Start an optimization as a durable workflow",
		Long: `Start an optimization: an optimizer compiles a program (a name registered on
the worker, or a declarative spec file) against a trainset and valset, scored
by a metric registered on the worker. The inputs are checked here first, as
the workflow checks them (files, optimizer parameters, metric, every
example's input fields and the metric's --label field), so a run that would
fail on them is not started and the message names the flag, file and line.

Prints the workflow ID and the Web UI link. --wait follows the run with a live
progress bar and ends printing baseline versus optimized score; --out then
writes the compiled program as DSPy JSON. --dry-run runs nothing and prints the
LM calls and cost the run plans for.`,
		Example: `  starter optimize --spec qa.yaml --trainset train.jsonl --valset val.jsonl \
      --metric exact_match --optimizer miprov2 --param auto=light --wait --out program.json
  starter optimize --program rag --trainset train.csv --optimizer gepa \
      --params '{"auto": "light"}' --max-cost 5 --dry-run`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.optimize(cmd, f)
		},
	}
	fs := cmd.Flags()
	f.program.bind(fs)
	fs.StringVar(&f.trainset, "trainset", "", "training examples (JSONL or CSV); required")
	fs.StringVar(&f.valset, "valset", "", "validation examples (JSONL or CSV); optional, optimizers split or reuse the trainset without it")
	fs.StringSliceVar(&f.inputs, "inputs", nil, "input keys of the examples, comma-separated (default: the program's input fields)")
	fs.StringVar(&f.metric, "metric", "exact_match", "metric registered on the worker (built in: exact_match, f1, passage_match, numeric_match)")
	bindLabel(fs, &f.label)
	fs.StringVar(&f.optimizer, "optimizer", "bootstrap_random_search", "optimizer: "+strings.Join(optimize.Names(), ", "))
	fs.StringArrayVar(&f.param, "param", nil, "optimizer parameter key=value, repeatable (values are JSON when they parse, else strings)")
	fs.StringVar(&f.params, "params", "", "optimizer parameters as a JSON object; --param entries override its keys")
	fs.Int64Var(&f.seed, "seed", 0, "random seed, for optimizers that take one")
	fs.IntVar(&f.budget.MaxLMCalls, "max-lm-calls", 0, "end the run cleanly, keeping the best so far, after this many LM calls (0 = no cap)")
	fs.IntVar(&f.budget.MaxTokens, "max-tokens", 0, "end the run cleanly after this many tokens (0 = no cap)")
	fs.Float64Var(&f.budget.MaxCostUSD, "max-cost", 0, "end the run cleanly after this many US dollars (0 = no cap)")
	fs.IntVar(&f.exec.BatchSize, "batch-size", 0, "examples per batch activity (0 = the workflow's default, 20)")
	fs.DurationVar(&f.exec.HeartbeatTimeout, "heartbeat-timeout", 0, "how soon a dead worker's activity is retried elsewhere (0 = the workflow's default, 30s)")
	fs.IntVar(&f.exec.MaxParallelActivities, "max-parallel-activities", 0, "batch activities in flight at once (0 = the workflow's default, 100)")
	bindMaxOutage(fs, &f.exec)
	fs.Float64Var(&f.failureScr, "failure-score", 0, "score of an example whose run fails")
	fs.StringVar(&f.id, "id", "", "workflow ID (default dspy-<optimizer>-<random>)")
	fs.BoolVar(&f.wait, "wait", false, "follow the run until it ends, with live progress on stderr")
	fs.StringVar(&f.out, "out", "", "with --wait, write the compiled program (DSPy JSON) to this file")
	fs.BoolVar(&f.dryRun, "dry-run", false, "start nothing: print the planned LM calls per model and their cost")
	f.dry.bind(fs)
	bindWorkerFlags(cmd, &a.opts, lmconfig.FlagModel, lmconfig.FlagPromptModel, lmconfig.FlagEmbedModel)
	return cmd
}

func (a *app) optimize(cmd *cobra.Command, f *optimizeFlags) error {
	ctx := cmd.Context()
	if f.out != "" && !f.wait && !f.dryRun {
		return usagef("--out needs --wait: the program exists only once the run ends (or use \"starter export ID --out FILE\" later)")
	}
	if err := checkOptimizer(f.optimizer); err != nil {
		return err
	}
	for _, c := range []struct {
		flag string
		bad  bool
	}{
		{"max-lm-calls", f.budget.MaxLMCalls < 0}, {"max-tokens", f.budget.MaxTokens < 0}, {"max-cost", f.budget.MaxCostUSD < 0},
		{"batch-size", f.exec.BatchSize < 0}, {"max-parallel-activities", f.exec.MaxParallelActivities < 0},
		{"heartbeat-timeout", f.exec.HeartbeatTimeout < 0},
	} {
		if c.bad {
			return usagef("--%s must not be negative", c.flag)
		}
	}
	var seed *int64
	if cmd.Flags().Changed("seed") {
		seed = &f.seed
	}
	params, err := buildParams(f.optimizer, f.params, f.param, seed)
	if err != nil {
		return err
	}
	ref, sp, err := f.program.resolve()
	if err != nil {
		return err
	}
	train, err := loadDataset("trainset", f.trainset, f.inputs)
	if err != nil {
		return err
	}
	var val *dataset
	if f.valset != "" {
		v, err := loadDataset("valset", f.valset, f.inputs)
		if err != nil {
			return err
		}
		val = &v
	}
	if err := newRunCheck(f.optimizer, params, sp, f.inputs, f.metric, f.label, f.trainset, train, f.valset, val).check(); err != nil {
		return err
	}

	if f.dryRun {
		return a.dryRun(f, params, sp, train, val)
	}

	in := workflows.OptimizeInput{
		Optimizer: f.optimizer, Params: params, Program: ref,
		Trainset: train.ref(f.inputs), Metric: f.metric, Label: f.label, FailureScore: f.failureScr,
		Budget: f.budget, Execution: f.exec,
	}
	if val != nil {
		r := val.ref(f.inputs)
		in.Valset = &r
	}
	id := f.id
	if id == "" {
		id = newRunID(f.optimizer)
	}
	return a.withClient(ctx, func(c client.Client) error {
		run, err := c.ExecuteWorkflow(ctx, workflows.OptimizeStartOptions(id, a.opts.Temporal.TaskQueue, in), workflows.OptimizeWorkflowName, in)
		if err != nil {
			return fmt.Errorf("start optimization %s: %w", id, err)
		}
		a.printStarted(ref, run.GetID(), run.GetRunID())
		if !f.wait {
			if a.structured() {
				return a.printData(a.startedData(ref, run.GetID(), run.GetRunID(), nil))
			}
			fmt.Fprintf(a.stdout, "follow it with: starter watch %s\n", run.GetID())
			return nil
		}
		res, err := a.watchOptimize(ctx, c, run.GetID())
		if err != nil {
			return err
		}
		if a.structured() {
			if f.out != "" {
				if err := writeProgram(f.out, res.Program); err != nil {
					return err
				}
			}
			return a.printData(a.startedData(ref, run.GetID(), run.GetRunID(), res))
		}
		printOptimizeResult(a.stdout, res)
		fmt.Fprintln(a.stdout)
		printTrials(a.stdout, res.Trials, res.Pareto)
		if f.out != "" {
			if err := writeProgram(f.out, res.Program); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "compiled program written to %s\n", f.out)
		}
		return nil
	})
}

// printStarted says what was started and where to see it; with --output
// json the record of startedData says it instead, once.
func (a *app) printStarted(ref activities.ProgramRef, id, runID string) {
	if a.structured() {
		return
	}
	fmt.Fprintf(a.stdout, "workflow ID: %s\n", id)
	fmt.Fprintf(a.stdout, "run ID:      %s\n", runID)
	fmt.Fprintf(a.stdout, "program:     %s\n", ref)
	if link := a.link(context.Background(), id); link != "" {
		fmt.Fprintf(a.stdout, "web UI:      %s\n", link)
	}
}

// newRunID is a readable, unique workflow ID: dspy-<optimizer>-<8 hex>.
func newRunID(optimizer string) string {
	return "dspy-" + optimizer + "-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:8]
}

// writeProgram writes a compiled program as DSPy JSON, creating the file's
// directory if needed.
func writeProgram(path string, st dspy.ProgramState) error {
	b, err := st.Encode()
	if err != nil {
		return fmt.Errorf("encode program: %w", err)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("--out %s: %w", path, err)
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	return nil
}
