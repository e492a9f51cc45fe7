package activities

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
)

// ProgramFactory returns a fresh instance of a program. Each batch gets its own
// instance, so the factory must not return a shared one.
type ProgramFactory func() (dspy.Module, error)

// Catalog is what workflows may refer to by name on a worker: the user's
// Go programs, the metrics (the built-in ones and the user's), and the
// tools that declarative specs may use. It is fixed once built, so it is
// safe for concurrent use.
type Catalog struct {
	programs map[string]ProgramFactory
	metrics  *evaluate.Registry
	tools    spec.Tools
}

// NewCatalog returns a catalog of the given programs and tools, and of the
// given metrics besides the built-in ones (exact_match, f1, ...). Any of
// them may be nil. A metric may not take a built-in's name, and tools must
// have distinct names.
func NewCatalog(programs map[string]ProgramFactory, metrics map[string]evaluate.Metric, tools []*dspy.Tool) (*Catalog, error) {
	c := &Catalog{programs: make(map[string]ProgramFactory, len(programs)), metrics: evaluate.NewRegistry(), tools: spec.Tools{}}
	for _, name := range slices.Sorted(maps.Keys(programs)) {
		if name == "" || programs[name] == nil {
			return nil, fmt.Errorf("register program: a name and a factory are required")
		}
		c.programs[name] = programs[name]
	}
	for _, name := range slices.Sorted(maps.Keys(metrics)) {
		if err := c.metrics.Register(name, metrics[name]); err != nil {
			return nil, err
		}
	}
	for _, t := range tools {
		if _, dup := c.tools[t.Name()]; dup {
			return nil, fmt.Errorf("register tool: %q is already registered", t.Name())
		}
		c.tools[t.Name()] = t
	}
	return c, nil
}

// Program returns the factory for ref: a registered name, or an inline spec.
func (c *Catalog) Program(ref ProgramRef) (ProgramFactory, error) {
	if len(ref.Spec) > 0 {
		var p spec.Program
		if err := json.Unmarshal(ref.Spec, &p); err != nil {
			return nil, fmt.Errorf("program spec: %w", err)
		}
		if err := p.Validate(); err != nil {
			return nil, err
		}
		return func() (dspy.Module, error) { return p.Build(c.tools) }, nil
	}
	f, ok := c.programs[ref.Name]
	if !ok {
		return nil, fmt.Errorf("unknown program %q: this worker registers %s; pass a registered name or a spec file", ref.Name, c.programNames())
	}
	return f, nil
}

// Metric returns the metric registered under name.
func (c *Catalog) Metric(name string) (evaluate.Metric, error) {
	return c.metrics.Lookup(name)
}

// MetricFor returns the metric registered under name, reading label as its
// gold field. A built-in metric is built for label (see evaluate.Builtin); a
// metric registered in code reads the fields it was written for, and label
// only names the field the data must have for it. An empty label is the
// metric as registered.
func (c *Catalog) MetricFor(name, label string) (evaluate.Metric, error) {
	if label != "" {
		if m, ok := evaluate.Builtin(name, label); ok {
			return m, nil
		}
	}
	return c.metrics.Lookup(name)
}

// Tool returns the tool registered under name.
func (c *Catalog) Tool(name string) (*dspy.Tool, bool) {
	t, ok := c.tools[name]
	return t, ok
}

// Tools returns the registered tools by name, for building specs that use
// them. The map is a copy.
func (c *Catalog) Tools() spec.Tools {
	return maps.Clone(c.tools)
}

// toolNames lists the tool names for an error message.
func (c *Catalog) toolNames() string {
	if len(c.tools) == 0 {
		return "no tools"
	}
	return strings.Join(slices.Sorted(maps.Keys(c.tools)), ", ")
}

// ProgramNames lists the registered program names, sorted.
func (c *Catalog) ProgramNames() []string {
	return slices.Sorted(maps.Keys(c.programs))
}

// programNames lists the program names for an error message.
func (c *Catalog) programNames() string {
	if len(c.programs) == 0 {
		return "no programs"
	}
	return strings.Join(c.ProgramNames(), ", ")
}
