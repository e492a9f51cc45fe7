package lm

import (
	"container/list"
	"context"
	"sync"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// slots caps the calls in flight (Options.MaxConcurrency) and hands a freed
// slot to the waiting call of highest precedence (dspy.Precedence), first
// come first served among equals. A channel semaphore would serve waiters in
// no set order, so a flood of calls nothing waits on soon could hold back
// the few that gate an optimizer's next phase.
//
// Behind calls never take the last reserve slots, even when they are free:
// a normal or Ahead call arriving while Behind calls fill the rest then
// starts at once instead of waiting for one of them to return.
type slots struct {
	mu      sync.Mutex
	limit   int // slots in all
	reserve int // slots Behind calls leave free
	inUse   int
	// waiting holds the waiters by precedence, Ahead first; each list is
	// in arrival order and holds *slotWaiter.
	waiting [3]list.List
}

// slotWaiter is a call waiting for a slot; ready closes when it has one.
type slotWaiter struct {
	ready chan struct{}
}

// newSlots returns a limiter of n slots, of which Behind calls leave
// max(1, n/8) free (none when n is 1, so they can run at all).
func newSlots(n int) *slots {
	return &slots{limit: n, reserve: min(max(1, n/8), n-1)}
}

// rank is the index in waiting of precedence p: Ahead, normal, Behind.
func rank(p dspy.Precedence) int {
	switch {
	case p > dspy.PrecedenceNormal:
		return 0
	case p < dspy.PrecedenceNormal:
		return 2
	}
	return 1
}

// capFor is how many slots may be in use for a call of rank r to take one.
func (s *slots) capFor(r int) int {
	if r == 2 {
		return s.limit - s.reserve
	}
	return s.limit
}

// acquire waits for a slot for a call of precedence p. After a nil error
// the caller holds a slot, which release gives back; on ctx's end it
// returns ctx.Err() and holds none.
func (s *slots) acquire(ctx context.Context, p dspy.Precedence) error {
	r := rank(p)
	s.mu.Lock()
	if s.inUse < s.capFor(r) && !s.waitersFrom(r) {
		s.inUse++
		s.mu.Unlock()
		return nil
	}
	w := &slotWaiter{ready: make(chan struct{})}
	e := s.waiting[r].PushBack(w)
	s.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	select {
	case <-w.ready:
		// The slot came as the context ended: hand it on.
		s.inUse--
	default:
		s.waiting[r].Remove(e)
	}
	s.grant()
	s.mu.Unlock()
	return ctx.Err()
}

// release gives back a slot acquire took.
func (s *slots) release() {
	s.mu.Lock()
	s.inUse--
	s.grant()
	s.mu.Unlock()
}

// waitersFrom reports whether a call of rank r or a higher one waits: a
// newcomer of rank r must queue behind them.
func (s *slots) waitersFrom(r int) bool {
	for i := range r + 1 {
		if s.waiting[i].Len() > 0 {
			return true
		}
	}
	return false
}

// grant hands free slots to the waiters, highest precedence first. A rank
// that still waits holds back every lower one, so a Behind call never takes
// a slot a normal call is waiting for. s.mu must be held.
func (s *slots) grant() {
	for r := range s.waiting {
		q := &s.waiting[r]
		for q.Len() > 0 && s.inUse < s.capFor(r) {
			w := q.Remove(q.Front()).(*slotWaiter)
			s.inUse++
			close(w.ready)
		}
		if q.Len() > 0 {
			return
		}
	}
}
