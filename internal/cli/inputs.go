package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
)

// programFlags name a program: one registered on the worker, or a
// declarative spec file read and validated here.
type programFlags struct {
	name     string
	specPath string
}

func (p *programFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&p.name, "program", "", "name of a program registered on the worker")
	fs.StringVar(&p.specPath, "spec", "", "declarative program spec file (JSON or YAML: module, signature, instructions, tools)")
}

// resolve returns the program reference to send and, for a spec, the parsed
// spec. The spec travels inline, so the worker need not see the file.
func (p programFlags) resolve() (activities.ProgramRef, *spec.Program, error) {
	switch {
	case p.name != "" && p.specPath != "":
		return activities.ProgramRef{}, nil, usagef("--program and --spec both given: name a registered program or a spec file, not both")
	case p.name != "":
		return activities.ProgramRef{Name: p.name}, nil, nil
	case p.specPath != "":
		sp, err := loadSpec(p.specPath)
		if err != nil {
			return activities.ProgramRef{}, nil, err
		}
		return activities.ProgramRef{Spec: sp.JSON()}, &sp, nil
	}
	return activities.ProgramRef{}, nil, usagef("no program: give --program NAME (registered on the worker) or --spec FILE")
}

// loadSpec reads and validates a spec file; errors name --spec and the file.
func loadSpec(path string) (spec.Program, error) {
	if err := checkFile("spec", path); err != nil {
		return spec.Program{}, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return spec.Program{}, usagef("--spec %s: %v", path, err)
	}
	sp, err := spec.Parse(data)
	if err != nil {
		return spec.Program{}, usagef("--spec %s: %v", path, err)
	}
	return sp, nil
}

// checkFile reports a missing or unreadable file given to --flag as bad usage.
func checkFile(flag, path string) error {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usagef("--%s %s: no such file", flag, path)
	case err != nil:
		return usagef("--%s %s: %v", flag, path, err)
	case info.IsDir():
		return usagef("--%s %s: is a directory, not a file", flag, path)
	}
	return nil
}

// dataset is a dataset file checked here before a worker reads it.
type dataset struct {
	// Abs is the absolute path the worker is given, since it may run in
	// another directory.
	Abs      string
	Examples []dspy.Example
	// SHA256 is the hash of the content checked here; the run is pinned to
	// it, so a file edited before a worker loads it is refused.
	SHA256 string
}

// loadDataset reads the dataset given to --flag, so a missing file or a
// malformed line fails now, naming file:line, not minutes later on a worker.
func loadDataset(flag, path string, inputKeys []string) (dataset, error) {
	if path == "" {
		return dataset{}, usagef("--%s is required: a JSONL or CSV file", flag)
	}
	if err := checkFile(flag, path); err != nil {
		return dataset{}, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return dataset{}, usagef("--%s %s: %v", flag, path, err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return dataset{}, usagef("--%s %s: %v", flag, path, err)
	}
	examples, err := dspy.ReadDataset(bytes.NewReader(raw), path, inputKeys...)
	if err != nil {
		var de *dspy.DatasetError
		if errors.As(err, &de) {
			return dataset{}, usagef("--%s: %s: %s", flag, datasetPosition(de), de.Msg)
		}
		return dataset{}, usagef("--%s %s: %v", flag, path, err)
	}
	return dataset{Abs: abs, Examples: examples, SHA256: activities.DatasetSHA256(raw)}, nil
}

// datasetPosition renders file:line:column, as compilers do, so editors and
// terminals can jump to it.
func datasetPosition(e *dspy.DatasetError) string {
	pos := e.File
	if e.Line > 0 {
		pos += fmt.Sprintf(":%d", e.Line)
		if e.Column > 0 {
			pos += fmt.Sprintf(":%d", e.Column)
		}
	}
	return pos
}

// ref is what the workflow input carries for a checked dataset: its path,
// pinned to the content checked here.
func (d dataset) ref(inputKeys []string) activities.DatasetRef {
	return activities.DatasetRef{Path: d.Abs, InputKeys: inputKeys, SHA256: d.SHA256}
}

// checkOptimizer rejects an unknown optimizer name, listing the valid ones.
func checkOptimizer(name string) error {
	if !slices.Contains(optimize.Names(), name) {
		return usagef("--optimizer %q is not an optimizer; valid names: %s", name, strings.Join(optimize.Names(), ", "))
	}
	return nil
}

// buildParams merges --params (a JSON object) with the --param key=value
// pairs, which win, and the seed, then checks the result against the
// optimizer so an unknown or mistyped parameter fails here.
func buildParams(optimizer, paramsJSON string, pairs []string, seed *int64) (json.RawMessage, error) {
	m := map[string]any{}
	if strings.TrimSpace(paramsJSON) != "" {
		dec := json.NewDecoder(strings.NewReader(paramsJSON))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return nil, usagef("--params: want a JSON object like '{\"num_trials\": 10}': %v", err)
		}
	}
	for _, kv := range pairs {
		key, val, ok := strings.Cut(kv, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return nil, usagef("--param %q: want key=value, like --param num_candidate_programs=8", kv)
		}
		m[key] = paramValue(val)
	}
	encode := func(m map[string]any) json.RawMessage {
		if len(m) == 0 {
			return nil
		}
		b, _ := json.Marshal(m)
		return b
	}
	without := encode(m)
	if _, err := optimize.New(optimizer, without); err != nil {
		return nil, usagef("--param/--params: %v", err)
	}
	if seed == nil {
		return without, nil
	}
	m["seed"] = *seed
	with := encode(m)
	if _, err := optimize.New(optimizer, with); err != nil {
		return nil, usagef("--seed: optimizer %s takes no seed (its runs are seeded by its own parameters): %v", optimizer, err)
	}
	return with, nil
}

// paramValue reads a --param value as JSON when it is JSON (numbers, true,
// false, null, objects, arrays, quoted strings) and as a bare string
// otherwise, so --param auto=light needs no quotes.
func paramValue(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil && !dec.More() {
		if _, err := dec.Token(); err != nil {
			return v
		}
	}
	return s
}

// parseInputs reads --input key=value pairs and --input-json into one
// example; --input wins on a key given both ways.
func parseInputs(pairs []string, inputJSON string) (dspy.Example, error) {
	var ex dspy.Example
	if strings.TrimSpace(inputJSON) != "" {
		if err := json.Unmarshal([]byte(inputJSON), &ex); err != nil {
			return dspy.Example{}, usagef("--input-json: want a JSON object like '{\"question\": \"...\"}': %v", err)
		}
	}
	for _, kv := range pairs {
		key, val, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(key) == "" {
			return dspy.Example{}, usagef("--input %q: want key=value, like --input question=\"What is 2+2?\"", kv)
		}
		ex = ex.Set(strings.TrimSpace(key), val)
	}
	if ex.Len() == 0 {
		return dspy.Example{}, usagef("no input: give --input key=value (repeatable) or --input-json")
	}
	return ex, nil
}

// loadState reads a saved program (DSPy JSON) given to --state.
func loadState(path string) (*dspy.ProgramState, error) {
	if path == "" {
		return nil, nil
	}
	if err := checkFile("state", path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--state %s: %v", path, err)
	}
	var st dspy.ProgramState
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&st); err != nil {
		return nil, usagef("--state %s: not a saved program (DSPy JSON keyed by predictor path): %v", path, err)
	}
	return &st, nil
}
