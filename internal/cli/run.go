package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/worker/lmconfig"
)

func newRunCmd(a *app) *cobra.Command {
	f := &localFlags{}
	cmd := &cobra.Command{
		Use:   "run --spec FILE [--state FILE] --input key=value...",
		Short: "Run a program here on one input and print the prediction as JSON",
		Long: `Run a program in this process on one input, with the LM configured as the
worker's is ($OPENAI_API_KEY and $OPENAI_BASE_URL, or --lm-base-url and
--lm-model), or the simulated LM when neither key nor base URL is set. --state
applies a compiled program (DSPy JSON from "starter export"). Prints the
prediction's fields as a JSON object.`,
		Example: `  starter run --spec qa.yaml --state program.json --input question="What is 7 times 6?"
  starter run --spec qa.yaml --input-json '{"question": "What is 7 times 6?"}'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			pred, err := m.Call(dspy.WithLM(cmd.Context(), l.Task), inputs)
			if err != nil {
				return inputError(err)
			}
			enc := json.NewEncoder(a.stdout)
			enc.SetEscapeHTML(false)
			if a.output != outputJSONL {
				enc.SetIndent("", "  ")
			}
			return enc.Encode(pred.Example)
		},
	}
	bindLocalFlags(cmd, f)
	bindWorkerFlags(cmd, &a.opts, lmconfig.FlagBaseURL, lmconfig.FlagModel, lmconfig.FlagTimeout, lmconfig.FlagMaxRetries, lmconfig.FlagSim)
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
