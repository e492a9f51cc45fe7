package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// cellWidth bounds a cell of the per-example table, as DSPy's display_table
// truncates long values, so a row fits a terminal.
const cellWidth = 32

// exampleRecord is one evaluated example: the example's inputs and gold
// labels beside what the program predicted and how it scored. It is a line
// of evaluate's --out file and a row of its table.
type exampleRecord struct {
	ID         int            `json:"id"`
	Inputs     map[string]any `json:"inputs"`
	Gold       map[string]any `json:"gold"`
	Prediction dspy.Example   `json:"prediction"`
	Score      float64        `json:"score"`
	Feedback   string         `json:"feedback,omitempty"`
	Error      string         `json:"error,omitempty"`
	Raw        string         `json:"raw,omitempty"`
	Usage      dspy.Usage     `json:"usage"`
}

// evaluation is an evaluation's result with each outcome joined to its
// example, as evaluate prints it with --output json.
type evaluation struct {
	Score    float64         `json:"score"`
	Total    int             `json:"total"`
	Errors   int             `json:"errors"`
	Spent    dspy.Usage      `json:"spent"`
	Examples []exampleRecord `json:"examples"`
}

// inputKeysFor names the dataset's input fields: --inputs when given, else
// the spec's signature inputs, else none known (see exampleRecords).
func inputKeysFor(flagged []string, sp *spec.Program) []string {
	if len(flagged) > 0 {
		return flagged
	}
	if sp == nil {
		return nil
	}
	sig, err := sp.ParsedSignature()
	if err != nil {
		return nil
	}
	var keys []string
	for _, f := range sig.Inputs() {
		keys = append(keys, f.Name)
	}
	return keys
}

// exampleRecords joins each outcome to its example (outcome IDs index the
// dataset): inputKeys are inputs, every other field is gold. With no input
// keys known (a registered program and no --inputs), the fields the
// program predicted are gold and the rest inputs.
func exampleRecords(examples []dspy.Example, inputKeys []string, outcomes []optimize.Outcome) []exampleRecord {
	out := make([]exampleRecord, 0, len(outcomes))
	for _, o := range outcomes {
		r := exampleRecord{
			ID: o.ID, Inputs: map[string]any{}, Gold: map[string]any{}, Prediction: o.Prediction,
			Score: o.Score, Feedback: o.Feedback, Error: o.Error, Raw: o.Raw, Usage: o.Usage,
		}
		if o.ID >= 0 && o.ID < len(examples) {
			ex := examples[o.ID]
			for _, k := range ex.Keys() {
				v, _ := ex.Get(k)
				isInput := slices.Contains(inputKeys, k)
				if inputKeys == nil {
					isInput = !o.Prediction.Has(k)
				}
				if isInput {
					r.Inputs[k] = v
				} else {
					r.Gold[k] = v
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// newEvaluation is res with its outcomes joined to their examples.
func newEvaluation(res workflows.EvaluateResult, records []exampleRecord) evaluation {
	return evaluation{Score: res.Score, Total: res.Total, Errors: res.Errors, Spent: res.Spent, Examples: records}
}

// printExamples prints the first n records as a table, as DSPy's
// display_table does: inputs, gold, prediction and score, each cell cut to
// cellWidth, and a line saying how many rows were left out.
func printExamples(w io.Writer, records []exampleRecord, n int) {
	if n <= 0 || len(records) == 0 {
		return
	}
	shown := records[:min(n, len(records))]
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tINPUTS\tGOLD\tPREDICTION\tSCORE")
	for _, r := range shown {
		pred := fieldsText(r.Prediction.Map())
		if r.Error != "" {
			pred = "error: " + r.Error
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.ID, truncate(fieldsText(r.Inputs), cellWidth),
			truncate(fieldsText(r.Gold), cellWidth), truncate(pred, cellWidth), scoreText(r.Score))
	}
	_ = tw.Flush()
	if rest := len(records) - len(shown); rest > 0 {
		fmt.Fprintf(w, "... %d more examples (--display-table N shows more, --out FILE writes them all)\n", rest)
	}
}

// fieldsText renders fields as key=value, in key order; a single field is
// its value alone.
func fieldsText(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) == 1 {
		return fmt.Sprint(m[keys[0]])
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, m[k])
	}
	return strings.Join(parts, " ")
}

// scoreText shows a metric value as it is: 1 and 0 stay short, fractions
// keep their digits.
func scoreText(s float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", s), "0"), ".")
}
