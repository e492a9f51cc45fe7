package bench

import (
	"slices"
	"sync"
	"time"
)

// Completions records when each call of a concurrent run finished, so that
// the run's steady-state rate can be told apart from its first round (every
// slot starts at once, so every reply also arrives at once) and its last
// (slots fall idle one by one). Done is safe for concurrent use.
type Completions struct {
	mu    sync.Mutex
	times []time.Time
}

// NewCompletions returns a recorder with room for n completions.
func NewCompletions(n int) *Completions {
	return &Completions{times: make([]time.Time, 0, n)}
}

// Done records a completion now.
func (c *Completions) Done() { c.record(time.Now()) }

func (c *Completions) record(t time.Time) {
	c.mu.Lock()
	c.times = append(c.times, t)
	c.mu.Unlock()
}

// Len is the number of completions recorded.
func (c *Completions) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.times)
}

// SteadyRate is the completions per second between the first round's last
// completion and the last round's first, for a run that kept concurrency
// calls in flight: the completions ranked concurrency+1 to n-concurrency,
// over the time from the concurrency-th to the (n-concurrency)-th. A run of
// R rounds is measured over its R-2 middle rounds. ok is false when the run
// has fewer than three rounds, which leave no middle to measure.
func (c *Completions) SteadyRate(concurrency int) (rate float64, ok bool) {
	c.mu.Lock()
	times := slices.Clone(c.times)
	c.mu.Unlock()
	n := len(times)
	if concurrency <= 0 || n < 3*concurrency {
		return 0, false
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	from, to := times[concurrency-1], times[n-concurrency-1]
	span := to.Sub(from)
	if span <= 0 {
		return 0, false
	}
	return float64(n-2*concurrency) / span.Seconds(), true
}
