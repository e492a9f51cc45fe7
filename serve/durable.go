package serve

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// DurableRunner is a Runner whose runs outlive the request that started
// them, as a Temporal workflow's do. The handler gives such programs three
// more abilities: a client's Idempotency-Key names the run, so a retried
// request joins the run it started instead of paying again; "Prefer:
// respond-async" answers 202 with the run's URL at once; and GET
// /v1/runs/{id} reports a run and its result.
type DurableRunner interface {
	Runner
	// Start starts the run req names, or finds it when it has started
	// already. A run started under the same ID with other inputs is
	// ErrRunConflict.
	Start(ctx context.Context, req RunRequest) error
	// Result waits for run id and returns its outputs and what it cost. A
	// failed run's error classifies as an in-process run's does
	// (*dspy.ParseError, *dspy.LMError, ...).
	Result(ctx context.Context, id string) (dspy.Example, dspy.Usage, error)
	// Status reports run id without waiting; ErrRunNotFound when no run of
	// this program has that ID.
	Status(ctx context.Context, id string) (RunStatus, error)
	// Cancel stops run id; the handler calls it when the client that was
	// waiting for a run without an Idempotency-Key goes away, since nobody
	// could ever ask for its result.
	Cancel(ctx context.Context, id string) error
}

// RunRequest is one run a DurableRunner starts.
type RunRequest struct {
	// ID names the run: "run:<program>:<key>", where key is the client's
	// Idempotency-Key or else the request ID.
	ID string
	// Program is the served program's name.
	Program string
	// Inputs are the checked inputs.
	Inputs dspy.Example
	// RequestID is the request that started the run, for its summary.
	RequestID string
}

// The states a RunStatus reports.
const (
	RunRunning    = "running"
	RunCompleted  = "completed"
	RunFailed     = "failed"
	RunCanceled   = "canceled"
	RunTerminated = "terminated"
	RunTimedOut   = "timed_out"
)

// RunStatus is the body of GET /v1/runs/{id}.
type RunStatus struct {
	RunID   string `json:"run_id"`
	Program string `json:"program"`
	// Status is one of the Run* states.
	Status string `json:"status"`
	// Outputs are the output fields of a completed run.
	Outputs *dspy.Example `json:"outputs,omitempty"`
	// Usage is what a finished run's LM calls cost.
	Usage *dspy.Usage `json:"usage,omitempty"`
	// Error is why a run did not complete, as an error body would say it.
	Error     *ErrorDetail `json:"error,omitempty"`
	StartedAt time.Time    `json:"started_at"`
	ClosedAt  *time.Time   `json:"closed_at,omitempty"`
}

// Errors a DurableRunner returns.
var (
	// ErrRunConflict: the run ID is taken by a run with other inputs.
	ErrRunConflict = errors.New("a run with this ID was started with other inputs")
	// ErrRunNotFound: there is no run of this program with the ID.
	ErrRunNotFound = errors.New("no such run")
)

// The error codes of durable runs.
const (
	CodeIdempotencyKeyReused  = "idempotency_key_reused"
	CodeInvalidIdempotencyKey = "invalid_idempotency_key"
)

// idempotencyKey is what a client may send as Idempotency-Key: a UUID or any
// other token of URL-safe characters, so the run ID stays one path segment.
var idempotencyKey = regexp.MustCompile(`^[A-Za-z0-9._~:-]{1,128}$`)

// RunID is the ID of program's run under key (an Idempotency-Key or a
// request ID).
func RunID(program, key string) string { return "run:" + program + ":" + key }

// programOfRun returns the program a run ID names.
func programOfRun(id string) (string, bool) {
	rest, ok := strings.CutPrefix(id, "run:")
	if !ok {
		return "", false
	}
	program, key, ok := strings.Cut(rest, ":")
	return program, ok && programName.MatchString(program) && idempotencyKey.MatchString(key)
}

// durableRequest is what a request asks of a durable program.
type durableRequest struct {
	key   string
	async bool
}

// readDurableRequest reads Idempotency-Key and Prefer.
func readDurableRequest(h http.Header) (durableRequest, *apiError) {
	var d durableRequest
	if key := h.Get("Idempotency-Key"); key != "" {
		if !idempotencyKey.MatchString(key) {
			return d, newAPIError(http.StatusBadRequest, CodeInvalidIdempotencyKey, "Idempotency-Key must be 1-128 letters, digits or ._~:- (a UUID, say)")
		}
		d.key = key
	}
	for _, v := range h.Values("Prefer") {
		for _, pref := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(pref), ";")
			if strings.EqualFold(strings.TrimSpace(name), "respond-async") {
				d.async = true
			}
		}
	}
	return d, nil
}

// accepted is the body of a 202: where to ask for the run's result.
type accepted struct {
	RunID     string `json:"run_id"`
	Status    string `json:"status"`
	StatusURL string `json:"status_url"`
}

// runDurable runs an admitted request on a durable program: it starts (or
// joins) the run, then either answers 202 at once or waits for the result
// under the request's deadline.
func (h *Handler) runDurable(client context.Context, c *call, s *slot, dr DurableRunner, inputs dspy.Example) (dspy.Example, dspy.Usage, *apiError) {
	key := c.durable.key
	if key == "" {
		key = c.requestID
	}
	id := RunID(s.program.Name, key)
	c.line.RunID = id
	ctx := client
	if t := s.limits.RequestTimeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(client, t)
		defer cancel()
	}
	if err := dr.Start(ctx, RunRequest{ID: id, Program: s.program.Name, Inputs: inputs, RequestID: c.requestID}); err != nil {
		if errors.Is(err, ErrRunConflict) {
			return dspy.Example{}, dspy.Usage{}, newAPIError(http.StatusConflict, CodeIdempotencyKeyReused, "this Idempotency-Key was used for a run with other inputs; use a new key")
		}
		e := classifyRunError(err, client, ctx)
		e.runID = id
		return dspy.Example{}, dspy.Usage{}, e
	}
	if c.durable.async {
		c.accepted = true
		return dspy.Example{}, dspy.Usage{}, nil
	}
	outputs, usage, err := dr.Result(ctx, id)
	if err == nil {
		return outputs, usage, nil
	}
	e := classifyRunError(err, client, ctx)
	e.runID = id
	if c.durable.key == "" && (client.Err() != nil || ctx.Err() != nil) {
		// Nobody can ask for this run's result again: stop paying for it.
		cancelCtx, cancel := context.WithTimeout(context.WithoutCancel(client), 10*time.Second)
		if cerr := dr.Cancel(cancelCtx, id); cerr != nil {
			h.logger.Warn("could not cancel an abandoned run", "run_id", id, "error", cerr)
		}
		cancel()
	}
	return dspy.Example{}, usage, e
}

// writeAccepted answers a respond-async request.
func writeAccepted(w http.ResponseWriter, id string) {
	url := "/v1/runs/" + id
	w.Header().Set("Location", url)
	w.Header().Set("Preference-Applied", "respond-async")
	body, _ := json.Marshal(accepted{RunID: id, Status: RunRunning, StatusURL: url})
	writeRaw(w, http.StatusAccepted, body)
}

// serveRun answers GET /v1/runs/{id}.
func (h *Handler) serveRun(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	program, ok := programOfRun(id)
	notFound := newAPIError(http.StatusNotFound, CodeNotFound, "no run with this ID")
	if !ok {
		writeError(w, notFound, "")
		return
	}
	s, ok := h.slots[program]
	var dr DurableRunner
	if ok {
		if v := s.current.Load(); v != nil {
			dr, _ = v.runner.(DurableRunner)
		}
	}
	if dr == nil {
		writeError(w, notFound, "")
		return
	}
	st, err := dr.Status(r.Context(), id)
	switch {
	case errors.Is(err, ErrRunNotFound):
		writeError(w, notFound, "")
		return
	case err != nil:
		h.logger.Warn("run status failed", "run_id", id, "error", err)
		e := newAPIError(http.StatusServiceUnavailable, CodeNotReady, "the run's status could not be read; retry")
		e.retryAfter = time.Second
		writeError(w, e, "")
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// RunErrorDetail describes a failed run's error as the handler would have
// answered it in-process, for RunStatus.Error.
func RunErrorDetail(err error) *ErrorDetail {
	bg := context.Background()
	e := classify(err, bg, bg)
	return &ErrorDetail{Code: e.code, Message: e.message, Fields: e.fields}
}
