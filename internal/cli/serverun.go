package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/serve"
)

// runSource is a served program whose compiled state is the result of a
// completed optimization run. It reaches Temporal only when it first loads,
// and keeps the state it fetched: a finished run's result never changes, so
// a reload (SIGHUP) rebuilds from the spec without needing Temporal again.
type runSource struct {
	a     *app
	runID string
	base  serve.Source

	mu    sync.Mutex
	state *dspy.ProgramState
}

func (a *app) runSource(runID string, base serve.Source) *runSource {
	return &runSource{a: a, runID: runID, base: base}
}

// runSourceError is a run that could not be fetched: a failed load, not a
// command line to fix, unless the error inside says so.
type runSourceError struct {
	runID string
	err   error
}

func (e *runSourceError) Error() string {
	return fmt.Sprintf("from run %s: %v", e.runID, e.err)
}

func (e *runSourceError) Unwrap() error { return e.err }

// Load builds the base program and applies the run's compiled state; a base
// that can build for a state (serve.StateSource) builds what the state needs,
// the ensemble of a compiled Ensemble among them.
func (s *runSource) Load(ctx context.Context) (serve.Loaded, error) {
	st, err := s.fetch(ctx)
	if err != nil {
		return serve.Loaded{}, &runSourceError{runID: s.runID, err: err}
	}
	if base, ok := s.base.(serve.StateSource); ok {
		loaded, err := base.LoadWithState(ctx, *st)
		if err != nil {
			return serve.Loaded{}, fmt.Errorf("build the program with the state of run %s: %w", s.runID, err)
		}
		loaded.Origin = serve.Origin{Kind: "run", RunID: s.runID}
		return loaded, nil
	}
	loaded, err := s.base.Load(ctx)
	if err != nil {
		return serve.Loaded{}, err
	}
	if loaded.Module == nil {
		return serve.Loaded{}, errors.New("the program runs without a module, so a run's state cannot apply to it")
	}
	if err := dspy.LoadState(loaded.Module, *st); err != nil {
		return serve.Loaded{}, fmt.Errorf("the compiled program of run %s does not fit the spec: %w", s.runID, err)
	}
	loaded.Origin = serve.Origin{Kind: "run", RunID: s.runID}
	loaded.State = st
	return loaded, nil
}

func (s *runSource) fetch(ctx context.Context) (*dspy.ProgramState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != nil {
		return s.state, nil
	}
	err := s.a.withClient(ctx, func(c client.Client) error {
		res, err := s.a.compiledProgram(ctx, c, s.runID, "serve --from-run")
		if err != nil {
			return err
		}
		s.state = &res.Program
		return nil
	})
	return s.state, err
}
