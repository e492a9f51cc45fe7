package dspy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// PredictorState is one predictor's saved state, in DSPy's JSON layout.
type PredictorState struct {
	Traces    []any          `json:"traces"`
	Train     []any          `json:"train"`
	Demos     []Example      `json:"demos"`
	Signature SignatureState `json:"signature"`
	// LM is the predictor's own LM settings, or nil when it uses the default.
	LM map[string]any `json:"lm"`
}

// MarshalJSON writes DSPy's layout. Demos are written as their fields alone,
// as DSPy's dump_state writes demo.toDict(): an input marking is not part of
// a saved program, so files stay byte-identical to DSPy's.
func (s PredictorState) MarshalJSON() ([]byte, error) {
	type saved PredictorState
	out := saved(s)
	if s.Demos != nil {
		out.Demos = make([]Example, len(s.Demos))
		for i, d := range s.Demos {
			out.Demos[i] = d.Unmarked()
		}
	}
	return marshalNoEscape(out)
}

// SignatureState is the part of a signature DSPy saves: instructions and each
// field's prefix and description, inputs then outputs.
type SignatureState struct {
	Instructions string       `json:"instructions"`
	Fields       []FieldState `json:"fields"`
}

// FieldState is a saved field's prefix and description.
type FieldState struct {
	Prefix      string `json:"prefix"`
	Description string `json:"description"`
}

// ProgramState is a whole program's saved state: each predictor's state under
// its path, in program order, plus metadata. Its JSON encoding is DSPy's
// Module.save format, so files move between this package and Python DSPy: a
// program that is itself a single Predict (its one path is "self") is written
// flat, as Predict.dump_state writes it.
type ProgramState struct {
	Predictors []NamedState
	Metadata   map[string]any
}

// NamedState is a predictor's state and its path.
type NamedState struct {
	Name  string
	State PredictorState
}

// DependencyVersions is written as metadata.dependency_versions. It holds only
// keys Python DSPy knows: its Module.load looks every saved key up in its own
// version table and fails with a KeyError on any other.
var DependencyVersions = map[string]any{"dspy": "3.3.1"}

// ImplementationVersion is written as metadata.durable_dspy, so readers can tell
// which files this package wrote; DSPy ignores metadata keys it does not read.
const ImplementationVersion = "0.1"

// State returns the predictor's state.
func (p *Predict) State() PredictorState {
	s := PredictorState{Traces: []any{}, Train: []any{}, Demos: append([]Example{}, p.Demos...)}
	s.Signature.Instructions = p.Signature.Instructions()
	for _, f := range p.Signature.Fields() {
		s.Signature.Fields = append(s.Signature.Fields, FieldState{Prefix: f.Prefix, Description: f.Desc})
	}
	if p.LM != nil {
		s.LM = map[string]any{"model": p.LM.ModelName()}
	}
	return s
}

// LoadState sets demos and instructions from s and overwrites field prefixes and
// descriptions by position, as DSPy's load_state does. The predictor's LM is
// kept: saved LM settings never carry keys or endpoints.
func (p *Predict) LoadState(s PredictorState) error {
	fields := p.Signature.Fields()
	if len(s.Signature.Fields) > 0 && len(s.Signature.Fields) != len(fields) {
		return fmt.Errorf("saved signature has %d fields, program's %s has %d", len(s.Signature.Fields), p.Signature, len(fields))
	}
	sig := p.Signature
	if s.Signature.Instructions != "" {
		sig = sig.WithInstructions(s.Signature.Instructions)
	}
	for i, fs := range s.Signature.Fields {
		f := fields[i]
		if fs.Prefix != "" {
			f.Prefix = fs.Prefix
		}
		if fs.Description != "" {
			f.Desc = fs.Description
		}
		var err error
		if sig, err = sig.WithField(f.Name, f); err != nil {
			return err
		}
	}
	p.Signature = sig
	p.Demos = loadToolCalls(sig, loadImages(sig, s.Demos))
	return nil
}

// StateOf returns the state of every predictor of m.
func StateOf(m Module) ProgramState {
	st := ProgramState{Metadata: map[string]any{"dependency_versions": DependencyVersions, "durable_dspy": ImplementationVersion}}
	for _, np := range m.Predictors() {
		st.Predictors = append(st.Predictors, NamedState{Name: np.Name, State: np.Predictor.State()})
	}
	return st
}

// LoadState applies a saved state to m's predictors by path. Every predictor of
// m must be in the state and every state must name a predictor of m. On error m
// is left as it was, never half loaded.
func LoadState(m Module, st ProgramState) error {
	byName := map[string]PredictorState{}
	for _, ns := range st.Predictors {
		byName[ns.Name] = ns.State
	}
	named := m.Predictors()
	loaded := make([]*Predict, len(named))
	seen := map[string]bool{}
	for i, np := range named {
		ps, ok := byName[np.Name]
		if !ok {
			return fmt.Errorf("saved program has no state for predictor %q (it has %q)", np.Name, st.Names())
		}
		c := np.Predictor.Clone()
		if err := c.LoadState(ps); err != nil {
			return fmt.Errorf("predictor %q: %w", np.Name, err)
		}
		loaded[i] = c
		seen[np.Name] = true
	}
	if len(seen) != len(byName) {
		return fmt.Errorf("saved program has predictors %q but this program has %q", st.Names(), predictorNames(m))
	}
	for i, np := range named {
		np.Predictor.Signature, np.Predictor.Demos = loaded[i].Signature, loaded[i].Demos
	}
	return nil
}

// Names returns the predictor paths in order.
func (st ProgramState) Names() []string {
	names := make([]string, len(st.Predictors))
	for i, ns := range st.Predictors {
		names[i] = ns.Name
	}
	return names
}

// Get returns the state saved under name.
func (st ProgramState) Get(name string) (PredictorState, bool) {
	for _, ns := range st.Predictors {
		if ns.Name == name {
			return ns.State, true
		}
	}
	return PredictorState{}, false
}

// rootPredictor is the path of a predictor that is the whole program: the
// only predictor of a Predict, as DSPy's named_parameters names it.
const rootPredictor = "self"

// flat reports whether st is a program that is itself a single Predict, which
// DSPy saves in Predict.dump_state's flat layout: the predictor's keys at the
// top level, beside "metadata", and no "self" key.
func (st ProgramState) flat() bool {
	return len(st.Predictors) == 1 && st.Predictors[0].Name == rootPredictor
}

// MarshalJSON writes DSPy's layout: predictor paths in program order, then
// "metadata"; or, for a program that is a single Predict, that predictor's
// keys, then "metadata".
func (st ProgramState) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	if st.flat() {
		v, err := marshalNoEscape(st.Predictors[0].State)
		if err != nil {
			return nil, err
		}
		// The predictor's object without its braces: its keys are the file's.
		buf.Write(bytes.TrimSuffix(bytes.TrimPrefix(bytes.TrimSpace(v), []byte("{")), []byte("}")))
	} else {
		for i, ns := range st.Predictors {
			if i > 0 {
				buf.WriteByte(',')
			}
			k, _ := json.Marshal(ns.Name)
			buf.Write(k)
			buf.WriteByte(':')
			v, err := marshalNoEscape(ns.State)
			if err != nil {
				return nil, fmt.Errorf("predictor %q: %w", ns.Name, err)
			}
			buf.Write(v)
		}
	}
	if st.Metadata != nil {
		if len(st.Predictors) > 0 {
			buf.WriteByte(',')
		}
		v, err := marshalNoEscape(st.Metadata)
		if err != nil {
			return nil, err
		}
		buf.WriteString(`"metadata":`)
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// predictorKeys are the keys of Predict.dump_state. In the nested layout every
// top-level value but "metadata" is an object, so one of these keys holding
// something else marks the flat layout.
var predictorKeys = map[string]bool{"traces": true, "train": true, "demos": true, "signature": true, "lm": true}

// UnmarshalJSON reads DSPy's layout, keeping the file's predictor order. It
// reads the flat layout of a single Predict too, as the predictor "self"; a
// file written before this package wrote that layout holds the same program
// under a "self" key, and reads the same.
func (st *ProgramState) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("a saved program must be a JSON object keyed by predictor path")
	}
	*st = ProgramState{}
	type entry struct {
		key   string
		value json.RawMessage
	}
	var raw []entry
	isFlat := false
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		key := kt.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("%q: %w", key, err)
		}
		if predictorKeys[key] && !isObject(v) || key == "signature" && isSignature(v) {
			isFlat = true
		}
		raw = append(raw, entry{key, v})
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	for _, kv := range raw {
		if kv.key != "metadata" {
			continue
		}
		if err := json.Unmarshal(kv.value, &st.Metadata); err != nil {
			return fmt.Errorf("metadata: %w", err)
		}
	}
	if isFlat {
		var ps PredictorState
		if err := json.Unmarshal(b, &ps); err != nil {
			return fmt.Errorf("predictor %q: %w", rootPredictor, err)
		}
		st.Predictors = []NamedState{{Name: rootPredictor, State: ps}}
		return nil
	}
	for _, kv := range raw {
		if kv.key == "metadata" {
			continue
		}
		var ps PredictorState
		if err := json.Unmarshal(kv.value, &ps); err != nil {
			return fmt.Errorf("predictor %q: %w", kv.key, err)
		}
		st.Predictors = append(st.Predictors, NamedState{Name: kv.key, State: ps})
	}
	return nil
}

// isObject reports whether v is a JSON object.
func isObject(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && v[0] == '{'
}

// isSignature reports whether v is a saved signature rather than a predictor
// saved under the path "signature": a signature has "fields", a predictor
// does not.
func isSignature(v json.RawMessage) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(v, &probe) != nil {
		return false
	}
	_, ok := probe["fields"]
	return ok
}

// SortedNames returns the predictor paths sorted, for stable comparisons.
func (st ProgramState) SortedNames() []string {
	names := st.Names()
	sort.Strings(names)
	return names
}

// Encode returns the state as indented DSPy-compatible JSON, without the HTML
// escaping Go applies by default (Python's json module does not escape).
func (st ProgramState) Encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(st); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save writes m's state to path as DSPy-compatible JSON.
func Save(m Module, path string) error {
	b, err := StateOf(m).Encode()
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("save program: %w", err)
	}
	return nil
}

// Load reads a state saved by Save (or by Python DSPy's Module.save) into m.
func Load(m Module, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("load program: %w", err)
	}
	var st ProgramState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("load program %s: not a saved DSPy program: %w", path, err)
	}
	if err := LoadState(m, st); err != nil {
		return fmt.Errorf("load program %s: %w", path, err)
	}
	return nil
}
