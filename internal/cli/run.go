package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/worker/lmconfig"
)

func newRunCmd(a *app) *cobra.Command {
	f := &localFlags{}
	var durable bool
	var id string
	cmd := &cobra.Command{
		Use:   "run --spec FILE [--state FILE] --input key=value...",
		Short: "Run a program here on one input and print the prediction as JSON",
		Long: `Run a program in this process on one input, with the LM configured as the
worker's is ($OPENAI_API_KEY and $OPENAI_BASE_URL, or --lm-base-url and
--lm-model), or the simulated LM when neither key nor base URL is set. --state
applies a compiled program (DSPy JSON from "starter export"). Prints the
prediction's fields as a JSON object.

--durable runs it on a worker instead, as a workflow (the same one "starter
serve" runs durable programs with): each LM call and each tool call is an
activity, retried on its own and shown in the Web UI, and a worker that dies
mid-run is replaced without paying again for finished calls. The worker's LM
and tools are used, so react specs work.`,
		Example: `  starter run --spec qa.yaml --state program.json --input question="What is 7 times 6?"
  starter run --spec qa.yaml --input-json '{"question": "What is 7 times 6?"}'
  starter run --durable --spec agent.yaml --input question="Who wrote Dune?"`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if durable {
				return a.runDurable(cmd.Context(), f, id)
			}
			if id != "" {
				return usagef("--id names the workflow of a --durable run")
			}
			m, err := f.build()
			if err != nil {
				return err
			}
			inputs, err := parseInputs(f.inputs, f.inputJSON)
			if err != nil {
				return err
			}
			l, err := openLocalLM(a.opts.LM, a.opts.Logger)
			if err != nil {
				return err
			}
			defer l.Close()
			fmt.Fprintf(a.stderr, "running with %s\n", l.Description())
			ctx := dspy.WithLM(cmd.Context(), l.Task)
			if e := l.AsEmbedder(); e != nil {
				ctx = dspy.WithEmbedder(ctx, e) // a compiled knn_fewshot program embeds its inputs
			}
			pred, err := dspy.CallProgram(ctx, m, inputs)
			if err != nil {
				return inputError(err)
			}
			return printPrediction(a, pred.Example)
		},
	}
	bindLocalFlags(cmd, f)
	cmd.Flags().BoolVar(&durable, "durable", false, "run on a worker as a workflow, each LM and tool call an activity")
	cmd.Flags().StringVar(&id, "id", "", "workflow ID of a --durable run (default dspy-run-<random>)")
	bindWorkerFlags(cmd, &a.opts, lmconfig.FlagBaseURL, lmconfig.FlagModel, lmconfig.FlagEmbedModel, lmconfig.FlagTimeout, lmconfig.FlagMaxRetries, lmconfig.FlagSim)
	return cmd
}

// bindLocalFlags binds the flags run and prompt share.
func bindLocalFlags(cmd *cobra.Command, f *localFlags) {
	fs := cmd.Flags()
	fs.StringVar(&f.specPath, "spec", "", "program spec file (JSON or YAML); required")
	fs.StringVar(&f.statePath, "state", "", "compiled program state (DSPy JSON) to apply")
	fs.StringArrayVar(&f.inputs, "input", nil, "input field key=value, repeatable")
	fs.StringVar(&f.inputJSON, "input-json", "", "inputs as a JSON object; --input entries override its keys")
}
