package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
)

// Program is one program the handler serves under /v1/programs/{Name}.
type Program struct {
	// Name is the path segment clients call; letters, digits, '-', '_' and '.'.
	Name string
	// Source builds the program; Reload calls it again.
	Source Source
	// LM is the program's own model client. Each request runs with it
	// (dspy.WithLM on the request's context), so programs on different models
	// never share one. Required unless the Source returns its own Runner.
	LM dspy.LM
	// Model names the model in listings, metrics and logs; empty means
	// LM.ModelName().
	Model string
	// Embedder embeds the inputs of a program that looks up its demos by
	// similarity (a compiled knn_fewshot program); nil when none does.
	Embedder dspy.Embedder
	// Limits bound the program's admission; zero fields take the handler's
	// defaults.
	Limits Limits
}

// Source builds a program's runnable form. A spec file and an optional state
// file (SpecSource) or a Go factory (FactorySource) are sources; so is a
// completed optimization run, resolved by whoever knows how to fetch it.
// Load must return a fresh value each call: the handler swaps it in whole.
type Source interface {
	Load(ctx context.Context) (Loaded, error)
}

// StateSource is a Source that can build its program for a compiled state
// fetched elsewhere (a completed optimization run's, say) in place of its
// own state file. It builds what the state needs: the program, or the
// ensemble of it a compiled ensemble's state describes, which a module built
// beforehand could not take. SpecSource and FactorySource are StateSources.
type StateSource interface {
	Source
	// LoadWithState builds a fresh module for st and applies st to it.
	LoadWithState(ctx context.Context, st dspy.ProgramState) (Loaded, error)
}

var (
	_ StateSource = SpecSource{}
	_ StateSource = FactorySource{}
)

// Loaded is a built program: its contract and what runs it.
type Loaded struct {
	// Signature is the program's contract: request bodies are checked against
	// its inputs, and the JSON schemas and OpenAPI document come from it.
	Signature dspy.Signature
	// Module runs the program in-process with the Program's LM. Ignored when
	// Runner is set. The module must be safe for concurrent Calls, as dspy's
	// own modules are once built.
	Module dspy.Module
	// Runner, when set, runs the program instead of Module (for example as a
	// durable workflow); the Program's LM is then only used for its name.
	Runner Runner
	// Origin says where the program's tuned state came from.
	Origin Origin
	// Spec is the declarative spec the program was built from, when it was;
	// a durable runner sends it to the worker, which builds the same program.
	Spec *spec.Program
	// State is the compiled state applied to Module, nil when none was; a
	// durable runner sends it to the worker with the spec.
	State *dspy.ProgramState
}

// Runner runs a program on one request's inputs, returning the output fields
// and what the LM calls cost. It is the seam a durable (workflow-backed)
// implementation satisfies.
type Runner interface {
	Run(ctx context.Context, inputs dspy.Example) (dspy.Example, dspy.Usage, error)
}

// ReadinessChecker is implemented by runners that depend on something that
// may be down (a Temporal server, say); /health/ready reports 503 while any
// program's check fails.
type ReadinessChecker interface {
	CheckReady(ctx context.Context) error
}

// Origin records where a program's state came from, so a listing tells which
// optimization a served answer rests on.
type Origin struct {
	// Kind is "spec" (no saved state), "code" (a Go factory with no saved
	// state), "state_file" or "run".
	Kind string `json:"kind"`
	// StateFile is the state file's base name.
	StateFile string `json:"state_file,omitempty"`
	// StateSHA256 is the hex SHA-256 of the state file's bytes.
	StateSHA256 string `json:"state_sha256,omitempty"`
	// RunID is the optimization run the state came from.
	RunID string `json:"run_id,omitempty"`
}

// SpecSource builds a program from a declarative spec (a JSON or YAML file,
// or a spec value) and, optionally, a saved state file.
type SpecSource struct {
	// SpecFile is read on every Load; ignored when Spec is set.
	SpecFile string
	// Spec is the spec itself, for specs built in code.
	Spec *spec.Program
	// StateFile, when set, is a program saved by dspy.Save (or Python DSPy).
	StateFile string
	// Tools are the tools a react spec may name.
	Tools spec.Tools
	// ToolsElsewhere says the program's tools run elsewhere (on a durable
	// worker): a tool the spec names that Tools lacks is stood in for by a
	// placeholder that only names it, so the program can be described and
	// its state checked here.
	ToolsElsewhere bool
}

// Load reads the spec and state and builds a fresh module: the spec's
// program, or, when the state is a compiled ensemble's, the ensemble of it.
func (s SpecSource) Load(ctx context.Context) (Loaded, error) {
	return loadStateFile(s.StateFile, "spec", s.load)
}

// LoadWithState builds the spec's program for st instead of the state file.
func (s SpecSource) LoadWithState(_ context.Context, st dspy.ProgramState) (Loaded, error) {
	s.StateFile = ""
	return s.load(&st)
}

func (s SpecSource) load(st *dspy.ProgramState) (Loaded, error) {
	var p spec.Program
	switch {
	case s.Spec != nil:
		p = *s.Spec
		if err := p.Validate(); err != nil {
			return Loaded{}, err
		}
	case s.SpecFile != "":
		var err error
		if p, err = spec.Load(s.SpecFile); err != nil {
			return Loaded{}, err
		}
	default:
		return Loaded{}, errors.New("spec source: set SpecFile or Spec")
	}
	sig, err := p.ParsedSignature()
	if err != nil {
		return Loaded{}, fmt.Errorf("program spec: %w", err)
	}
	tools := s.Tools
	if s.ToolsElsewhere {
		tools = withPlaceholders(tools, p.Tools)
	}
	m, err := buildWithState(func() (dspy.Module, error) { return p.Build(tools) }, st, stateName(s.StateFile, st))
	if err != nil {
		return Loaded{}, err
	}
	return Loaded{Signature: sig, Module: m, Spec: &p, State: st}, nil
}

// FactorySource builds a program written in Go from its constructor and,
// optionally, a saved state file.
type FactorySource struct {
	// Signature is the program's contract (a Go module does not expose one).
	Signature dspy.Signature
	// New returns a fresh module.
	New func() (dspy.Module, error)
	// StateFile, when set, is loaded into the module.
	StateFile string
}

// Load calls New and applies the state file; a compiled ensemble's state
// builds the ensemble of New's program.
func (s FactorySource) Load(ctx context.Context) (Loaded, error) {
	return loadStateFile(s.StateFile, "code", s.load)
}

// LoadWithState builds the program for st instead of the state file.
func (s FactorySource) LoadWithState(_ context.Context, st dspy.ProgramState) (Loaded, error) {
	s.StateFile = ""
	return s.load(&st)
}

func (s FactorySource) load(st *dspy.ProgramState) (Loaded, error) {
	if s.New == nil {
		return Loaded{}, errors.New("factory source: New is nil")
	}
	if s.Signature.IsZero() {
		return Loaded{}, errors.New("factory source: set the program's Signature")
	}
	m, err := buildWithState(s.New, st, stateName(s.StateFile, st))
	if err != nil {
		return Loaded{}, err
	}
	return Loaded{Signature: s.Signature, Module: m, State: st}, nil
}

// withPlaceholders adds to tools a stand-in for each name they lack. A
// stand-in only names its tool: calling it is an error.
func withPlaceholders(tools spec.Tools, names []string) spec.Tools {
	out := spec.Tools{}
	for name, t := range tools {
		out[name] = t
	}
	for _, name := range names {
		if _, ok := out[name]; ok {
			continue
		}
		t, err := dspy.NewToolWithSchema(name, "", &jsonschema.Schema{Type: "object"}, func(context.Context, map[string]any) (any, error) {
			return nil, fmt.Errorf("tool %s runs on the worker, not here", name)
		})
		if err == nil {
			out[name] = t
		}
	}
	return out
}

// readStateFile reads a saved program and records the file's hash; no path
// reads nothing.
func readStateFile(path string) (Origin, *dspy.ProgramState, error) {
	if path == "" {
		return Origin{}, nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Origin{}, nil, fmt.Errorf("load state: %w", err)
	}
	var st dspy.ProgramState
	if err := json.Unmarshal(b, &st); err != nil {
		return Origin{}, nil, fmt.Errorf("load state %s: not a saved DSPy program: %w", filepath.Base(path), err)
	}
	sum := sha256.Sum256(b)
	return Origin{Kind: "state_file", StateFile: filepath.Base(path), StateSHA256: hex.EncodeToString(sum[:])}, &st, nil
}

// stateName is " NAME" for a state read from the file at path, for errors.
func stateName(path string, st *dspy.ProgramState) string {
	if path == "" || st == nil {
		return ""
	}
	return " " + filepath.Base(path)
}

// buildWithState builds a fresh module for st and applies it, as a durable
// run does: newModule's program, or, when st is a compiled ensemble's
// (optimize.EnsembleState), an ensemble of fresh instances of it. A nil st
// leaves the module as built; from names where st came from in errors.
func buildWithState(newModule func() (dspy.Module, error), st *dspy.ProgramState, from string) (dspy.Module, error) {
	if st == nil {
		m, err := newModule()
		if err != nil {
			return nil, fmt.Errorf("build program: %w", err)
		}
		return m, nil
	}
	m, err := optimize.BuildProgram(newModule, *st)
	if err != nil {
		return nil, fmt.Errorf("load state%s: %w", from, err)
	}
	if err := dspy.LoadState(m, *st); err != nil {
		return nil, fmt.Errorf("load state%s: %w", from, err)
	}
	return m, nil
}

// moduleRunner runs an in-process module with the program's LM.
type moduleRunner struct {
	module   dspy.Module
	lm       dspy.LM
	embedder dspy.Embedder
}

// context gives ctx the runner's LM, and its embedder when it has one.
func (r moduleRunner) context(ctx context.Context) context.Context {
	if r.embedder != nil {
		ctx = dspy.WithEmbedder(ctx, r.embedder)
	}
	return dspy.WithLM(ctx, r.lm)
}

func (r moduleRunner) Run(ctx context.Context, inputs dspy.Example) (dspy.Example, dspy.Usage, error) {
	// The tracker sees every call the module's adapters make through
	// dspy.CallLM, failed and retried ones included, whatever the module
	// itself reports.
	ctx, usage := dspy.TrackUsage(ctx)
	pred, err := dspy.CallProgram(r.context(ctx), r.module, inputs)
	return pred.Example, usage.Usage(), err
}

// loadStateFile reads the state file (none when path is empty), builds the
// program for it with build, and names its origin: the file's own, or kind.
func loadStateFile(path, kind string, build func(*dspy.ProgramState) (Loaded, error)) (Loaded, error) {
	origin, st, err := readStateFile(path)
	if err != nil {
		return Loaded{}, err
	}
	loaded, err := build(st)
	if err != nil {
		return Loaded{}, err
	}
	if origin.Kind == "" {
		origin.Kind = kind
	}
	loaded.Origin = origin
	return loaded, nil
}
