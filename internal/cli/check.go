package cli

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
)

// checkedData is a dataset the starter read, under the flag that named it.
type checkedData struct {
	flag string
	path string
	data dataset
}

// runCheck is what the starter knows of a run before starting it.
type runCheck struct {
	optimizer string
	params    []byte
	spec      *spec.Program
	data      []checkedData
	inputs    []string
	metric    string
	label     string
}

// newRunCheck gathers a run's inputs as the starter read them: the trainset
// (or evaluate's dataset) under the flag "trainset" or "dataset" and the
// valset when given.
func newRunCheck(optimizer string, params []byte, sp *spec.Program, inputs []string, metric, label, trainPath string, train dataset, valPath string, val *dataset) runCheck {
	c := runCheck{optimizer: optimizer, params: params, spec: sp, inputs: inputs, metric: metric, label: label}
	name := "trainset"
	if optimizer == "" {
		name = "dataset"
	}
	c.data = append(c.data, checkedData{flag: name, path: trainPath, data: train})
	if val != nil {
		c.data = append(c.data, checkedData{flag: "valset", path: valPath, data: *val})
	}
	return c
}

// bindLabel adds the --label flag, shared by optimize and evaluate.
func bindLabel(fs *pflag.FlagSet, label *string) {
	fs.StringVar(label, "label", "", `field a built-in metric compares, in the gold example and the prediction (default "answer"); for a metric registered on the worker, the gold field it reads, so the data is checked before the run starts`)
}

// check runs the check the workflow runs once it has loaded its inputs
// (activities.CheckRun) on what the starter read, so a run that would fail
// on its inputs is refused here, before anything starts, naming the flag,
// file and line at fault. A program registered on a worker cannot be
// built here: its input fields go unchecked, and the worker checks them
// when the run starts.
func (c runCheck) check() error {
	rc := activities.RunCheck{
		Optimizer: c.optimizer, Params: c.params, Program: describeSpec(c.spec), Spec: c.spec != nil,
		Metric: c.metric, Label: c.label, BuiltinMetricsOnly: true,
	}
	for _, d := range c.data {
		rc.Datasets = append(rc.Datasets, activities.CheckData{Name: d.flag, Path: d.path, Examples: d.data.Examples, InputKeys: c.inputs})
	}
	err := activities.CheckRun(rc)
	var inv *activities.InvalidError
	if !errors.As(err, &inv) {
		return err
	}
	return usagef("%s: %v%s", c.place(inv), inv.Err, labelHint(inv))
}

// place names where an invalid input came from: the flag, and for a
// dataset its file and line.
func (c runCheck) place(e *activities.InvalidError) string {
	switch e.Field {
	case "optimizer":
		return "--optimizer"
	case "params":
		return "--param/--params"
	case "metric":
		return "--metric " + c.metric
	case "label":
		return "--label " + c.label
	}
	place := "--" + e.Field
	if e.Path == "" {
		return place
	}
	place += " " + e.Path
	if e.Example > 0 {
		if line, err := exampleLine(e.Path, e.Example); err == nil {
			return fmt.Sprintf("%s:%d", place, line)
		}
		return fmt.Sprintf("%s example %d", place, e.Example)
	}
	return place
}

// labelHint says which flag names the gold field, for a fault in it.
func labelHint(e *activities.InvalidError) string {
	if !e.Label {
		return ""
	}
	return " (--label FIELD names the gold field)"
}

// describeSpec describes a spec's program as the worker's DescribeProgram
// would. A react spec's tools live on the worker, so it is described from
// its signature: its predictors take the signature's inputs.
func describeSpec(sp *spec.Program) *activities.ProgramDescription {
	if sp == nil {
		return nil
	}
	if m, err := sp.Build(nil); err == nil {
		d := activities.Describe(m)
		return &d
	}
	sig, err := sp.ParsedSignature()
	if err != nil {
		return nil
	}
	preds, _ := programShape(sp, 1)
	d := activities.ProgramDescription{InputKeys: sig.InputNames()}
	for range preds {
		d.Signatures = append(d.Signatures, optimize.NamedSignature{Signature: sig})
	}
	return &d
}

// exampleLine returns the line of a dataset file on which its n-th example
// (1-based) starts, reading it as dspy.ReadDataset does: JSONL skips blank
// lines, CSV and TSV a header row and blank rows.
func exampleLine(path string, n int) (int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv":
		return delimitedLine(raw, strings.EqualFold(filepath.Ext(path), ".tsv"), n)
	}
	br := bufio.NewReader(bytes.NewReader(raw))
	seen := 0
	for lineNo := 1; ; lineNo++ {
		line, readErr := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			if seen++; seen == n {
				return lineNo, nil
			}
		}
		if readErr != nil {
			return 0, fmt.Errorf("%s has fewer than %d examples", path, n)
		}
	}
}

func delimitedLine(raw []byte, tabs bool, n int) (int, error) {
	cr := csv.NewReader(bytes.NewReader(raw))
	if tabs {
		cr.Comma = '\t'
	}
	cr.FieldsPerRecord = -1
	seen := -1 // the header row comes first
	for {
		rec, err := cr.Read()
		if err != nil {
			if err == io.EOF {
				err = fmt.Errorf("fewer than %d examples", n)
			}
			return 0, err
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if seen++; seen == n {
			line, _ := cr.FieldPos(0)
			return line, nil
		}
	}
}
