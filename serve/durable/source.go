package durable

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/serve"
)

// Source makes a served program durable: it loads Base as usual (for the
// contract, the compiled state and its origin) and answers with a Runner
// that sends the program to the worker instead of running it here.
type Source struct {
	// Base builds the program: a serve.SpecSource, a run's state over one, or
	// a Go factory registered on the worker under Registered.
	Base serve.Source
	// Registered names the Go program the worker builds, for bases that are
	// not specs; empty for specs, which travel inline.
	Registered string
	// Runner holds the connection, the served program's Name, its Model and
	// the timeouts; Load fills its Program and State.
	Runner Runner
}

// Load builds the base program and returns its durable form.
func (s Source) Load(ctx context.Context) (serve.Loaded, error) {
	if s.Runner.Client == nil || s.Runner.TaskQueue == "" {
		return serve.Loaded{}, errors.New("durable source: a Temporal client and a task queue are required")
	}
	loaded, err := s.Base.Load(ctx)
	if err != nil {
		return serve.Loaded{}, err
	}
	if loaded.Module == nil {
		return serve.Loaded{}, errors.New("durable source: the base program has no module to describe to the worker")
	}
	r := s.Runner
	switch {
	case loaded.Spec != nil:
		b, err := json.Marshal(loaded.Spec)
		if err != nil {
			return serve.Loaded{}, fmt.Errorf("durable source: encode the spec: %w", err)
		}
		r.Program = activities.ProgramRef{Spec: b}
	case s.Registered != "":
		r.Program = activities.ProgramRef{Name: s.Registered}
	default:
		return serve.Loaded{}, errors.New("durable source: the base is not a spec; name the Go program the worker registers in Registered")
	}
	// The state applied here, not the module's: a module built here may hold
	// placeholders for the worker's tools, whose descriptions its ReAct
	// instructions would carry.
	r.State = loaded.State
	loaded.Module, loaded.Runner = nil, &r
	return loaded, nil
}
