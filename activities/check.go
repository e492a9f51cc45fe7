package activities

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// RunCheck is what a run is checked on before it does any work: the
// workflow checks it once its program is described and its data loaded,
// and the starter checks it with what it can read locally before starting
// the workflow, so both refuse the same inputs with the same words.
type RunCheck struct {
	// Optimizer and Params are the optimizer's registry name and JSON
	// parameters; an evaluation has no optimizer.
	Optimizer string
	Params    json.RawMessage
	// Program describes the program; nil when the checker cannot know it (a
	// program registered in a worker's code, which only the worker builds).
	Program *ProgramDescription
	// Spec says the program is a declarative spec, whose predictions carry
	// its signature's output fields, which a built-in metric compares.
	Spec bool
	// Datasets are the run's data in order: the trainset then the valset,
	// or the evaluation's dataset.
	Datasets []CheckData
	// Metric is the metric's name, and Label the gold field it reads when
	// not the built-in metrics' "answer".
	Metric string
	Label  string
	// BuiltinMetricsOnly says the checker knows only the built-in metrics,
	// as the starter does: any other name must come with its Label, since
	// only the worker knows whether it registers it. A worker's workflow
	// leaves it false, and its activities look the metric up.
	BuiltinMetricsOnly bool
}

// CheckData is a dataset to check.
type CheckData struct {
	// Name says which dataset it is: "trainset", "valset" or "dataset".
	Name string
	// Path is the file it was read from; empty for inline examples.
	Path     string
	Examples []dspy.Example
	// InputKeys are the inputs the run names; empty means the program's
	// input fields that the data has, as LoadDataset picks them.
	InputKeys []string
}

// InvalidError is a run input CheckRun refuses. It names the place at
// fault: the input's field and, for a dataset, the example.
type InvalidError struct {
	// Field is the input at fault: "optimizer", "params", "metric",
	// "label", or a dataset's name.
	Field string
	// Path is the dataset's file, when Field names a dataset read from one.
	Path string
	// Example is the 1-based number of the example at fault in the
	// dataset; 0 when the fault is not one example's.
	Example int
	// Label says the fault is the metric's gold field, which a run names
	// with its label: a label the data lacks, or one a metric only the
	// worker knows needs.
	Label bool
	Err   error
}

// Error names the place, then the fault.
func (e *InvalidError) Error() string {
	place := e.Field
	if e.Path != "" {
		place += " " + e.Path
	}
	if e.Example > 0 {
		place += fmt.Sprintf(" example %d", e.Example)
	}
	return place + ": " + e.Err.Error()
}

func (e *InvalidError) Unwrap() error { return e.Err }

// CheckRun checks a run's inputs against each other, without running
// anything: the optimizer's parameters as its Compile resolves them for
// data of these sizes (optimize.Planner), the metric's name, and every
// example's input fields and the metric's label field. It returns the first
// fault as an *InvalidError.
func CheckRun(c RunCheck) error {
	if c.Optimizer != "" {
		if err := checkOptimizer(c); err != nil {
			return err
		}
	}
	label, err := metricLabel(c)
	if err != nil {
		return err
	}
	for _, d := range c.Datasets {
		if err := checkData(d, c.Program, c.Metric, label); err != nil {
			return err
		}
	}
	return nil
}

// checkOptimizer builds the optimizer from its parameters and asks it for
// its plan, which applies every setting and check its Compile would.
func checkOptimizer(c RunCheck) error {
	if !slices.Contains(optimize.Names(), c.Optimizer) {
		return &InvalidError{Field: "optimizer", Err: fmt.Errorf("%q is not an optimizer; valid names: %s", c.Optimizer, strings.Join(optimize.Names(), ", "))}
	}
	opt, err := optimize.New(c.Optimizer, c.Params)
	if err != nil {
		return &InvalidError{Field: "params", Err: err}
	}
	planner, ok := opt.(optimize.Planner)
	if !ok {
		return nil
	}
	sizes := optimize.PlanSizes{Predictors: 1}
	if c.Program != nil {
		sizes.Predictors = max(len(c.Program.Signatures), 1)
	}
	if len(c.Datasets) > 0 {
		sizes.Trainset = len(c.Datasets[0].Examples)
	}
	if len(c.Datasets) > 1 {
		sizes.Valset = len(c.Datasets[1].Examples)
	}
	if _, err := planner.Plan(sizes); err != nil {
		return &InvalidError{Field: "params", Err: err}
	}
	return nil
}

// metricLabel returns the gold field the metric reads: the one named, the
// built-in metrics' default, or "" when only the worker's code knows.
func metricLabel(c RunCheck) (string, error) {
	if strings.TrimSpace(c.Metric) == "" {
		return "", &InvalidError{Field: "metric", Err: errors.New("no metric named; built in: " + strings.Join(evaluate.BuiltinNames(), ", "))}
	}
	if evaluate.IsBuiltin(c.Metric) {
		label := c.Label
		if label == "" {
			label = evaluate.DefaultLabel
		}
		if c.Spec && c.Program != nil && len(c.Program.Signatures) > 0 {
			var outputs []string
			for _, ns := range c.Program.Signatures {
				for _, name := range ns.Signature.OutputNames() {
					if !slices.Contains(outputs, name) {
						outputs = append(outputs, name)
					}
				}
			}
			if !slices.Contains(outputs, label) {
				return "", &InvalidError{Field: "label", Label: true, Err: fmt.Errorf("metric %s compares the prediction's %q with the gold %q, but the program outputs %s; name one of them as the label",
					c.Metric, label, label, quoted(outputs))}
			}
		}
		return label, nil
	}
	if c.BuiltinMetricsOnly && c.Label == "" {
		return "", &InvalidError{Field: "metric", Label: true, Err: fmt.Errorf("unknown metric %q: it is not built in (%s); if your worker registers it, name the gold field it reads as the label, so the data can be checked before the run starts",
			c.Metric, strings.Join(evaluate.BuiltinNames(), ", "))}
	}
	return c.Label, nil
}

// checkData checks that every example has the run's input fields and the
// metric's label field.
func checkData(d CheckData, program *ProgramDescription, metric, label string) error {
	fault := func(example int, format string, args ...any) *InvalidError {
		return &InvalidError{Field: d.Name, Path: d.Path, Example: example, Err: fmt.Errorf(format, args...)}
	}
	if len(d.Examples) == 0 {
		return fault(0, "no examples")
	}
	keys := d.InputKeys
	if len(keys) == 0 {
		if program != nil {
			keys = presentKeys(d.Examples[0], program.InputKeys)
			if len(keys) == 0 {
				return fault(1, "none of the program's input fields %s (the example has %s); rename the fields or name the inputs explicitly",
					quoted(program.InputKeys), quoted(d.Examples[0].Keys()))
			}
		}
	}
	for i, ex := range d.Examples {
		for _, k := range keys {
			if !ex.Has(k) {
				return fault(i+1, "missing input field %q (the example has %s)", k, quoted(ex.Keys()))
			}
		}
		if label == "" {
			continue
		}
		if v, ok := ex.Get(label); !ok || v == nil {
			e := fault(i+1, "no gold %q, which metric %s reads (the example has %s); add it, or name the field that holds the gold answer as the label",
				label, metric, quoted(ex.Keys()))
			e.Label = true
			return e
		}
	}
	return nil
}

// quoted renders field names for a message: "a", "b".
func quoted(names []string) string {
	if len(names) == 0 {
		return "no fields"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
