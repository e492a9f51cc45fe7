package spec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// Tools maps tool names to tools, for specs of react modules.
type Tools map[string]*dspy.Tool

// Build makes a fresh program from the spec. Every call returns a new
// instance, so concurrent runs never share demos. A spec naming an adapter
// sets it on every predictor of the program, and one under a predictor's
// path in Predictors on that predictor.
func (p Program) Build(tools Tools) (dspy.Module, error) {
	m, err := p.build(tools)
	if err != nil {
		return m, err
	}
	named := m.Predictors()
	paths := make([]string, len(named))
	for i, np := range named {
		paths[i] = np.Name
		if np.Predictor.Adapter, err = p.predictorAdapter(np.Name); err != nil {
			return nil, err
		}
	}
	for _, path := range sortedKeys(p.Predictors) {
		if !contains(paths, path) {
			return nil, fmt.Errorf("program spec: predictors: the %s program has no predictor %q (it has %q)", p.Module, path, paths)
		}
	}
	return m, nil
}

func (p Program) build(tools Tools) (dspy.Module, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	sig, err := p.ParsedSignature()
	if err != nil {
		return nil, fmt.Errorf("program spec: %w", err)
	}
	switch p.Module {
	case "predict":
		return dspy.NewPredict(sig), nil
	case "chain_of_thought":
		return dspy.NewChainOfThought(sig)
	case "multi_chain_comparison":
		m := p.M
		if m <= 0 {
			m = 3
		}
		return dspy.NewMultiChainComparison(sig, m)
	case "react":
		var selected []*dspy.Tool
		for _, name := range p.Tools {
			t, ok := tools[name]
			if !ok {
				return nil, fmt.Errorf("program spec: unknown tool %q: the worker registers %s", name, tools.names())
			}
			selected = append(selected, t)
		}
		newReAct := dspy.NewReAct
		if p.NativeToolCalls {
			newReAct = dspy.NewNativeReAct
		}
		r, err := newReAct(sig, selected...)
		if err != nil {
			return nil, err
		}
		if p.MaxIters > 0 {
			r.MaxIters = p.MaxIters
		}
		return r, nil
	}
	return nil, fmt.Errorf("program spec: unknown module %q", p.Module)
}

func (t Tools) names() string {
	if len(t) == 0 {
		return "no tools"
	}
	names := make([]string, 0, len(t))
	for n := range t {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
