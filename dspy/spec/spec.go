// Package spec builds programs from declarative specs: a module kind over a
// signature, with optional instructions, field descriptions and tools, written
// as JSON or YAML. Specs let the CLI and workflows name a program without Go
// code; programs written in Go are registered on the worker by name instead.
//
//	module: chain_of_thought
//	signature: "question -> answer: int"
//	instructions: Solve the arithmetic word problem.
package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// Program is a declarative program.
type Program struct {
	// Module is the kind: "predict", "chain_of_thought", "react" or
	// "multi_chain_comparison".
	Module string `json:"module" yaml:"module"`
	// Signature is DSPy's string form, e.g. "context, question -> answer: int".
	Signature string `json:"signature" yaml:"signature"`
	// Instructions replace DSPy's default task description.
	Instructions string `json:"instructions,omitempty" yaml:"instructions,omitempty"`
	// Descriptions sets field descriptions by field name.
	Descriptions map[string]string `json:"descriptions,omitempty" yaml:"descriptions,omitempty"`
	// Tools names the tools a react module may call; each must be registered
	// with the Builder.
	Tools []string `json:"tools,omitempty" yaml:"tools,omitempty"`
	// MaxIters bounds a react module's tool calls.
	MaxIters int `json:"max_iters,omitempty" yaml:"max_iters,omitempty"`
	// M is the number of attempts a multi_chain_comparison module compares.
	M int `json:"m,omitempty" yaml:"m,omitempty"`
	// Adapter names the prompt format of every predictor in the program:
	// "chat" (DSPy's default), "json", "xml" or "two_step". Empty leaves the
	// predictors to the adapter of the context they run in.
	Adapter string `json:"adapter,omitempty" yaml:"adapter,omitempty"`
	// NativeToolCalls makes a react module call its tools through the LM's
	// native function calling (dspy.NewNativeReAct).
	NativeToolCalls bool `json:"native_tool_calls,omitempty" yaml:"native_tool_calls,omitempty"`
	// ExtractionModel is the model a two_step adapter's extraction calls
	// name. The program's own LM client (its endpoint and key) answers them,
	// so a spec never holds an endpoint or a secret.
	ExtractionModel string `json:"extraction_model,omitempty" yaml:"extraction_model,omitempty"`
	// Predictors sets options of single predictors, by their path in the
	// program ("predict", "react", "extract.predict"), over the program's.
	Predictors map[string]PredictorSpec `json:"predictors,omitempty" yaml:"predictors,omitempty"`
}

// PredictorSpec is what a spec sets on one predictor.
type PredictorSpec struct {
	// Adapter is the predictor's prompt format, as Program.Adapter names it.
	Adapter string `json:"adapter,omitempty" yaml:"adapter,omitempty"`
	// ExtractionModel is its two_step adapter's extraction model; empty
	// means the program's.
	ExtractionModel string `json:"extraction_model,omitempty" yaml:"extraction_model,omitempty"`
}

// Adapters lists the adapter names a spec may use.
var Adapters = []string{"chat", "json", "xml", "two_step"}

// NewAdapter returns a fresh adapter by its spec name. A two_step adapter
// needs its extraction model: use NewAdapterWith.
func NewAdapter(name string) (dspy.Adapter, error) { return NewAdapterWith(name, "") }

// NewAdapterWith returns a fresh adapter by its spec name; extractionModel
// is the model a two_step adapter's extraction calls name on the program's
// own LM client, and is required for it.
func NewAdapterWith(name, extractionModel string) (dspy.Adapter, error) {
	switch name {
	case "chat":
		return &dspy.ChatAdapter{}, nil
	case "json":
		return &dspy.JSONAdapter{}, nil
	case "xml":
		return &dspy.XMLAdapter{}, nil
	case "two_step":
		if extractionModel == "" {
			return nil, fmt.Errorf("program spec: adapter two_step needs extraction_model, the model that fills the output fields")
		}
		return &dspy.TwoStepAdapter{ExtractionModel: extractionModel}, nil
	}
	return nil, fmt.Errorf("program spec: unknown adapter %q: use one of %s", name, strings.Join(Adapters, ", "))
}

// Kinds lists the module kinds a spec may name.
var Kinds = []string{"predict", "chain_of_thought", "react", "multi_chain_comparison"}

// Parse reads a spec from JSON or YAML (JSON is YAML, so either works);
// unknown keys are errors, so a typo does not silently change the program.
func Parse(data []byte) (Program, error) {
	var p Program
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return Program{}, fmt.Errorf("program spec: %w", err)
	}
	return p, p.Validate()
}

// Load reads a spec file (.json, .yaml or .yml).
func Load(path string) (Program, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Program{}, fmt.Errorf("program spec: %w", err)
	}
	p, err := Parse(data)
	if err != nil {
		return Program{}, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return p, nil
}

// Validate checks the module kind and signature.
func (p Program) Validate() error {
	if !contains(Kinds, p.Module) {
		return fmt.Errorf("program spec: unknown module %q: use one of %s", p.Module, strings.Join(Kinds, ", "))
	}
	if _, err := p.ParsedSignature(); err != nil {
		return fmt.Errorf("program spec: %w", err)
	}
	if p.Adapter != "" {
		if _, err := NewAdapterWith(p.Adapter, p.ExtractionModel); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(p.Predictors) {
		if _, err := p.predictorAdapter(name); err != nil {
			return fmt.Errorf("program spec: predictors: %s: %w", name, err)
		}
	}
	if p.Module == "react" && len(p.Tools) == 0 {
		return fmt.Errorf("program spec: a react module needs at least one tool under \"tools\"")
	}
	if p.NativeToolCalls && p.Module != "react" {
		return fmt.Errorf("program spec: native_tool_calls applies to react modules, not %q", p.Module)
	}
	return nil
}

// JSON encodes the spec compactly, as it travels in workflow inputs.
func (p Program) JSON() json.RawMessage {
	b, _ := json.Marshal(p)
	return b
}

// ParsedSignature is the contract the spec declares: its signature string
// with the spec's instructions and field descriptions applied.
func (p Program) ParsedSignature() (dspy.Signature, error) {
	sig, err := dspy.ParseSignature(p.Signature)
	if err != nil {
		return dspy.Signature{}, err
	}
	if p.Instructions != "" {
		sig = sig.WithInstructions(p.Instructions)
	}
	names := make([]string, 0, len(p.Descriptions))
	for name := range p.Descriptions {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f, _, ok := sig.Field(name)
		if !ok {
			return dspy.Signature{}, fmt.Errorf("descriptions: signature %q has no field %q", p.Signature, name)
		}
		if sig, err = sig.WithField(name, f.WithDesc(p.Descriptions[name])); err != nil {
			return dspy.Signature{}, err
		}
	}
	return sig, nil
}

// predictorAdapter is the adapter the spec sets on the predictor at path:
// its own, else the program's; nil when the spec names none.
func (p Program) predictorAdapter(path string) (dspy.Adapter, error) {
	name, model := p.Adapter, p.ExtractionModel
	if ps, ok := p.Predictors[path]; ok {
		if ps.Adapter != "" {
			name = ps.Adapter
		}
		if ps.ExtractionModel != "" {
			model = ps.ExtractionModel
		}
	}
	if name == "" {
		return nil, nil
	}
	return NewAdapterWith(name, model)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
