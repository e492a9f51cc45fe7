package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// ErrUnknownProgram is returned by Reload and Swap for a name the handler
// was not built with.
var ErrUnknownProgram = errors.New("serve: unknown program")

// Reload rebuilds the named program from its Source and swaps it in. Requests
// already running finish on the old version; new ones get the new one. On
// error the old version keeps serving.
func (h *Handler) Reload(ctx context.Context, name string) error {
	s, ok := h.slots[name]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownProgram, name)
	}
	return h.reload(ctx, s)
}

// ReloadAll reloads every program (what a SIGHUP asks for). Programs that
// fail keep their old version; the errors are joined.
func (h *Handler) ReloadAll(ctx context.Context) error {
	var errs []error
	for _, name := range h.order {
		if err := h.reload(ctx, h.slots[name]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (h *Handler) reload(ctx context.Context, s *slot) error {
	loaded, err := s.program.Source.Load(ctx)
	if err != nil {
		return fmt.Errorf("serve: program %q: %w", s.program.Name, err)
	}
	return h.swap(s, loaded)
}

// Swap replaces the named program with an already built one, atomically:
// requests already running finish on the old version.
func (h *Handler) Swap(name string, loaded Loaded) error {
	s, ok := h.slots[name]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownProgram, name)
	}
	return h.swap(s, loaded)
}

func (h *Handler) swap(s *slot, loaded Loaded) error {
	v, err := newVersion(s.program, loaded)
	if err != nil {
		return fmt.Errorf("serve: program %q: %w", s.program.Name, err)
	}
	old := s.current.Swap(v)
	h.openapi.Store(nil)
	if old != nil {
		h.logger.Info("program swapped", "program", s.program.Name, "origin", loaded.Origin.Kind,
			"state_sha256", loaded.Origin.StateSHA256, "run_id", loaded.Origin.RunID)
	}
	return nil
}

func newVersion(p Program, loaded Loaded) (*version, error) {
	if loaded.Signature.IsZero() {
		return nil, errors.New("the loaded program has no signature")
	}
	runner := loaded.Runner
	if runner == nil {
		if loaded.Module == nil {
			return nil, errors.New("the loaded program has neither a Module nor a Runner")
		}
		if p.LM == nil {
			return nil, errors.New("no LM: set Program.LM")
		}
		if p.Embedder == nil && needsEmbedder(loaded.Module) {
			return nil, ErrNoEmbedder
		}
		runner = moduleRunner{module: loaded.Module, lm: p.LM, embedder: p.Embedder}
	}
	dec, err := newInputDecoder(loaded.Signature)
	if err != nil {
		return nil, err
	}
	return &version{
		loaded:       loaded,
		runner:       runner,
		decoder:      dec,
		inputSchema:  objectSchema(loaded.Signature.Inputs(), true),
		outputSchema: objectSchema(loaded.Signature.Outputs(), false),
	}, nil
}

// enter admits a request past the drain gate; leave must follow.
func (h *Handler) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.draining {
		return false
	}
	h.inFlight++
	return true
}

func (h *Handler) leave() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.inFlight--
	if h.draining && h.inFlight == 0 && h.idle != nil {
		close(h.idle)
		h.idle = nil
	}
}

// Drain stops admitting program requests (they get 503 and /health/ready
// turns 503, so a load balancer moves traffic away) and waits until those
// already accepted have answered, or ctx ends.
func (h *Handler) Drain(ctx context.Context) error {
	h.mu.Lock()
	h.draining = true
	var idle chan struct{}
	if h.inFlight > 0 {
		if h.idle == nil {
			h.idle = make(chan struct{})
		}
		idle = h.idle
	}
	h.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("serve: drain: requests still running: %w", ctx.Err())
	}
}

// Close flushes and closes the request log. Call it after the HTTP server
// has stopped (http.Server.Shutdown), so no request still wants to log.
func (h *Handler) Close() error { return h.log.close() }

// Shutdown drains within ctx and then closes the request log, flushing every
// line written so far, even when the drain timed out.
func (h *Handler) Shutdown(ctx context.Context) error {
	return errors.Join(h.Drain(ctx), h.Close())
}

// Ready reports why the handler cannot take traffic, or nil: it is not
// ready while loading, while draining, or while a runner's dependency is down.
func (h *Handler) Ready(ctx context.Context) error {
	if !h.loaded.Load() {
		return errors.New("loading programs")
	}
	h.mu.Lock()
	draining := h.draining
	h.mu.Unlock()
	if draining {
		return errors.New("draining")
	}
	for _, name := range h.order {
		v := h.slots[name].current.Load()
		if rc, ok := v.runner.(ReadinessChecker); ok {
			if err := rc.CheckReady(ctx); err != nil {
				return fmt.Errorf("program %q: %w", name, err)
			}
		}
	}
	return nil
}

type healthBody struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

func (h *Handler) serveLive(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, healthBody{Status: "live"})
}

func (h *Handler) serveReady(w http.ResponseWriter, r *http.Request) {
	if err := h.Ready(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, healthBody{Status: "not_ready", Reason: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, healthBody{Status: "ready"})
}

// ProgramInfo describes one served program in GET /v1/programs.
type ProgramInfo struct {
	Name string `json:"name"`
	// Path is where to POST its inputs.
	Path  string `json:"path"`
	Model string `json:"model"`
	// Origin says where its state came from.
	Origin Origin `json:"origin"`
	// InputSchema and OutputSchema are JSON schemas of the request and
	// response bodies.
	InputSchema  map[string]any `json:"input_schema"`
	OutputSchema map[string]any `json:"output_schema"`
	// Loaded is false while the program has not loaded yet.
	Loaded bool `json:"loaded"`
}

// Programs describes the served programs in the order they were given.
func (h *Handler) Programs() []ProgramInfo {
	out := make([]ProgramInfo, 0, len(h.order))
	for _, name := range h.order {
		s := h.slots[name]
		info := ProgramInfo{Name: name, Path: "/v1/programs/" + name, Model: s.program.Model}
		if v := s.current.Load(); v != nil {
			info.Loaded = true
			info.Origin = v.loaded.Origin
			info.InputSchema, info.OutputSchema = v.inputSchema, v.outputSchema
		}
		out = append(out, info)
	}
	return out
}

func (h *Handler) serveList(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"programs": h.Programs()})
}
