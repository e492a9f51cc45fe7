package cli

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/durable-dspy/durable-dspy/dspy"
)

func newPromptCmd(a *app) *cobra.Command {
	f := &localFlags{}
	cmd := &cobra.Command{
		Use:   "prompt --spec FILE [--state FILE] --input key=value...",
		Short: "Print the exact chat messages a program would send, without calling an LM",
		Long: `Print, as a JSON array of {role, content} messages, exactly what the
program's first predictor would send the LM for this input: DSPy's chat format
with the predictor's instructions and demos (from --state). No LM is called.`,
		Example: `  starter prompt --spec qa.yaml --state program.json --input question="What is 7 times 6?"`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := f.build()
			if err != nil {
				return err
			}
			inputs, err := parseInputs(f.inputs, f.inputJSON)
			if err != nil {
				return err
			}
			msgs, err := firstPrompt(m, inputs)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(a.stdout)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			return enc.Encode(msgs)
		},
	}
	bindLocalFlags(cmd, f)
	return cmd
}

// firstPrompt formats the messages of m's first predictor for inputs, with
// its demos, as its call would.
func firstPrompt(m dspy.Module, inputs dspy.Example) ([]dspy.Message, error) {
	preds := m.Predictors()
	if len(preds) == 0 {
		return nil, usagef("--spec: the program has no predictors")
	}
	p := preds[0].Predictor
	names := p.Signature.InputNames()
	var missing []string
	for _, n := range names {
		if !inputs.Has(n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, usagef("--input: predictor %q needs input(s) %q; given %q", preds[0].Name, missing, inputs.Keys())
	}
	return (&dspy.ChatAdapter{}).Format(p.Signature, p.Demos, inputs.Select(names...))
}
