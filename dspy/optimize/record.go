package optimize

import (
	"context"
	"sync"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// callRecorderKey marks a context whose LM calls are recorded.
type callRecorderKey struct{}

// CallRecorder collects the LM calls made through a RecordingLM under a
// context from WithCallRecorder, and what they cost, failed ones included
// (an LM reports the requests of a failed call beside its error). A module
// may call the LM from several goroutines, hence the lock.
type CallRecorder struct {
	mu    sync.Mutex
	calls []LMCall
	usage dspy.Usage
}

// WithCallRecorder returns a context under which every call through a
// RecordingLM is recorded in r.
func WithCallRecorder(ctx context.Context, r *CallRecorder) context.Context {
	return context.WithValue(ctx, callRecorderKey{}, r)
}

// Calls returns the calls recorded so far, in the order they finished.
func (r *CallRecorder) Calls() []LMCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// Usage returns the summed usage of the calls recorded so far.
func (r *CallRecorder) Usage() dspy.Usage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.usage
}

// record adds a call and its usage.
func (r *CallRecorder) record(call LMCall, resp dspy.LMResponse) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call)
	r.usage = r.usage.Add(resp.Usage)
}

// RecordingLM passes calls through to LM and, when the context carries a
// CallRecorder, records each one there. Recording by context lets one LM
// shared by many concurrent runs keep each run's calls apart. Without a
// recorder it costs one context lookup.
type RecordingLM struct{ dspy.LM }

// Call calls the wrapped LM and records the request and its outcome.
func (l RecordingLM) Call(ctx context.Context, req dspy.LMRequest) (dspy.LMResponse, error) {
	resp, err := l.LM.Call(ctx, req)
	if rec, ok := ctx.Value(callRecorderKey{}).(*CallRecorder); ok {
		call := LMCall{Messages: req.Messages, Replies: resp.Outputs, CacheHit: resp.CacheHit}
		if err != nil {
			call.Error = err.Error()
		}
		rec.record(call, resp)
	}
	return resp, err
}
