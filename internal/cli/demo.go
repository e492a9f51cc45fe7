package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/worker/lmconfig"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
	"github.com/durable-dspy/durable-dspy/worker/workerlib"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// The demo's files, under the working directory beside the dev server's
// database, so a second run finds the first one's runs in the UI.
const (
	demoDir        = ".durable-dspy"
	demoTrainSize  = 40
	demoValSize    = 60
	demoTrainSeed  = 1
	demoValSeed    = 2
	demoMetric     = "exact_match"
	demoExportFile = "demo-program.json"
)

// demoProgram is the program the demo optimizes: one predictor answering
// the arithmetic word problems of the simulated LM's built-in task.
var demoProgram = spec.Program{Module: "predict", Signature: "question -> answer"}

// demoParams are per-optimizer settings small enough for the demo to finish
// well within a minute on the simulated LM, yet large enough to show a gain.
var demoParams = map[string]string{
	"bootstrap_random_search": `{"num_candidate_programs": 6, "max_bootstrapped_demos": 4, "max_labeled_demos": 4}`,
	"bootstrap_fewshot":       `{"max_bootstrapped_demos": 4, "max_labeled_demos": 4}`,
	"labeled_fewshot":         `{"k": 4}`,
	"copro":                   `{"breadth": 4, "depth": 2}`,
	"miprov2":                 `{"auto": "light"}`,
	"gepa":                    `{"max_metric_calls": 400}`,
	"simba":                   `{"bsize": 8, "num_candidates": 4, "max_steps": 4}`,
	"ensemble":                `{"num_programs": 3, "max_bootstrapped_demos": 4, "max_labeled_demos": 4}`,
	"infer_rules":             `{"num_candidates": 3, "max_bootstrapped_demos": 4, "max_labeled_demos": 4}`,
}

type demoFlags struct {
	optimizer string
	serve     bool
}

func newDemoCmd(a *app) *cobra.Command {
	f := &demoFlags{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Optimize a program end to end in this process, with no setup",
		Long: `Start an embedded Temporal server (with its Web UI) and a worker in this
process, write an arithmetic word-problem dataset (40 training and 60
validation examples) under .durable-dspy/data/, and optimize a one-predictor
program on it, showing live progress and then baseline versus optimized score,
the Web UI address, the workflow ID and the exported program.

With no configuration it uses the simulated LM, so it runs offline and costs
nothing. With $OPENAI_API_KEY set it uses the real LM ($OPENAI_MODEL, default
gpt-4o-mini) and says so; --lm-base-url sim forces the simulator.
--serve keeps the Web UI up after the run until Ctrl-C.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.demo(cmd.Context(), f)
		},
	}
	cmd.Flags().StringVar(&f.optimizer, "optimizer", "bootstrap_random_search", "optimizer to demonstrate")
	cmd.Flags().BoolVar(&f.serve, "serve", false, "keep serving the Web UI after the run, until Ctrl-C")
	bindWorkerFlags(cmd, &a.opts, temporalconn.FlagDevUIPort, temporalconn.FlagDevPort, temporalconn.FlagDevDB,
		lmconfig.FlagBaseURL, lmconfig.FlagModel, lmconfig.FlagPromptModel, lmconfig.FlagCacheDir, lmconfig.FlagSim)
	return cmd
}

func (a *app) demo(ctx context.Context, f *demoFlags) error {
	if err := checkOptimizer(f.optimizer); err != nil {
		return err
	}
	params := json.RawMessage(demoParams[f.optimizer])
	train, val, err := writeDemoData(filepath.Join(demoDir, "data"))
	if err != nil {
		return err
	}
	specPath := filepath.Join(demoDir, "data", "program.json")
	if err := os.WriteFile(specPath, append(demoProgram.JSON(), '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", specPath, err)
	}

	opts := a.opts
	opts.Temporal.Dev = true
	fmt.Fprintln(a.stderr, "starting the embedded Temporal server and a worker...")
	w, err := workerlib.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		if err := w.Stop(); err != nil {
			fmt.Fprintf(a.stderr, "stopping the worker: %v\n", err)
		}
	}()
	if os.Getenv(lm.EnvAPIKey) != "" && opts.LM.BaseURL != lmconfig.SimulatedBaseURL {
		fmt.Fprintf(a.stdout, "LM:          the real LM, because %s is set: %s\n", lm.EnvAPIKey, w.LMDescription())
	} else {
		fmt.Fprintf(a.stdout, "LM:          %s (set %s to use a real one)\n", w.LMDescription(), lm.EnvAPIKey)
	}
	// The demo's own server is the one in use: its UI, or none.
	uiBase := w.UIURL()

	inputs := []string{"question"}
	in := workflows.OptimizeInput{
		Optimizer: f.optimizer, Params: params,
		Program:  activities.ProgramRef{Spec: demoProgram.JSON()},
		Trainset: activities.DatasetRef{Path: train, InputKeys: inputs},
		Valset:   &activities.DatasetRef{Path: val, InputKeys: inputs},
		Metric:   demoMetric,
	}
	id := newRunID("demo")
	c := w.Client()
	run, err := c.ExecuteWorkflow(ctx, workflows.OptimizeStartOptions(id, w.TaskQueue(), in), workflows.OptimizeWorkflowName, in)
	if err != nil {
		return fmt.Errorf("start the demo optimization: %w", err)
	}
	link := ""
	if uiBase != "" {
		link = uiLink(uiBase, w.Namespace(), run.GetID())
	}
	fmt.Fprintf(a.stdout, "optimizer:   %s %s\n", f.optimizer, params)
	fmt.Fprintf(a.stdout, "data:        %s (%d), %s (%d)\n", train, demoTrainSize, val, demoValSize)
	fmt.Fprintf(a.stdout, "workflow ID: %s\n", run.GetID())
	if link != "" {
		fmt.Fprintf(a.stdout, "web UI:      %s\n", link)
	}

	res, err := a.watchOptimize(ctx, c, run.GetID())
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout)
	printOptimizeResult(a.stdout, res)
	export := filepath.Join(demoDir, demoExportFile)
	if err := writeProgram(export, res.Program); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout)
	if link != "" {
		fmt.Fprintf(a.stdout, "web UI:      %s\n", link)
	}
	fmt.Fprintf(a.stdout, "workflow ID: %s\n", run.GetID())
	fmt.Fprintf(a.stdout, "exported:    %s\n", export)
	fmt.Fprintf(a.stdout, "try it:      starter run --spec %s --state %s --input question=%q\n", specPath, export, demoQuestion())
	if !f.serve {
		return nil
	}
	fmt.Fprintf(a.stdout, "\nserving the Web UI at %s until Ctrl-C\n", uiBase)
	select {
	case <-ctx.Done():
		return nil
	case <-w.Done():
		return w.Err()
	}
}

// writeDemoData writes the demo's datasets, generated from fixed seeds so
// every run of the demo sees the same data, and returns their absolute paths.
func writeDemoData(dir string) (train, val string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("create %s: %w", dir, err)
	}
	write := func(name string, seed int64, n int) (string, error) {
		path, err := filepath.Abs(filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := simlm.WriteJSONL(&buf, simlm.ArithmeticDataset(seed, n)); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return "", fmt.Errorf("write %s: %w", path, err)
		}
		return path, nil
	}
	if train, err = write("train.jsonl", demoTrainSeed, demoTrainSize); err != nil {
		return "", "", err
	}
	if val, err = write("val.jsonl", demoValSeed, demoValSize); err != nil {
		return "", "", err
	}
	return train, val, nil
}

// demoQuestion is a question of the demo's task that is in neither dataset.
func demoQuestion() string {
	return simlm.ArithmeticDataset(demoValSeed+1, 1)[0].Question
}
