package dspy

import (
	"context"
	"sync"
)

// UsageTracker sums the usage of every LM call made under a context from
// TrackUsage, whether the call's reply was usable or not, as DSPy's
// track_usage does. Predictions carry the usage of the calls that produced
// them; a tracker also sees the calls of a run that failed (a reply that did
// not parse, the adapter's fallback call, a call that failed after its
// retries), which is what a provider bills. It is safe for concurrent use.
type UsageTracker struct {
	mu     sync.Mutex
	usage  Usage
	parent *UsageTracker
}

// TrackUsage returns a context under which every LM call made through CallLM
// is counted in the returned tracker, and in any tracker ctx already
// carries, so trackers nest: a run's tracker inside a batch's.
func TrackUsage(ctx context.Context) (context.Context, *UsageTracker) {
	t := &UsageTracker{}
	t.parent, _ = ctx.Value(usageKey).(*UsageTracker)
	return context.WithValue(ctx, usageKey, t), t
}

// Usage returns the usage counted so far.
func (t *UsageTracker) Usage() Usage {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.usage
}

// Add counts u in the tracker and in the trackers it is nested in.
func (t *UsageTracker) Add(u Usage) {
	if u == (Usage{}) {
		return
	}
	for ; t != nil; t = t.parent {
		t.mu.Lock()
		t.usage = t.usage.Add(u)
		t.mu.Unlock()
	}
}

// Settle returns what a run under the tracker cost, given the prediction it
// returned (the zero Prediction when it failed): the tracked usage, unless
// the prediction reports more calls, which happens when a module calls its
// LM without CallLM and sums the usage itself.
func (t *UsageTracker) Settle(pred Prediction) Usage {
	tracked := t.Usage()
	if pred.Usage.Calls > tracked.Calls {
		return pred.Usage
	}
	return tracked
}

// CallLM calls lm and counts the call's usage in the context's usage
// trackers, failed calls included: an LM may return, beside an error, the
// usage of the requests that reached its server (see LM). Modules and
// adapters call LMs through it; a module that calls LM.Call directly is not
// seen by trackers.
func CallLM(ctx context.Context, lm LM, req LMRequest) (LMResponse, error) {
	ctx, span := startLMSpan(ctx, lm, req)
	resp, err := callLM(ctx, lm, req)
	span.end(resp, err)
	if t, ok := ctx.Value(usageKey).(*UsageTracker); ok {
		t.Add(resp.Usage)
	}
	return resp, err
}
