package lm

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// slots caps the calls in flight (Options.MaxConcurrency) and hands a freed
// slot to the waiting call of highest precedence (dspy.Precedence), first
// come first served among equals. A channel semaphore would serve waiters in
// no set order, so a flood of calls nothing waits on soon could hold back
// the few that gate an optimizer's next phase.
//
// Precedence alone cannot keep Behind calls out of the way of a chain of
// dependent calls: between one call's reply and the next call there is no
// one waiting, and a waiting Behind call would take the slot and keep it a
// whole round trip. So a slot a normal or Ahead call gives back while none
// of its kind waits is held for one for slotHold, long enough for the next
// call of a chain to arrive, before Behind calls may have it.
type slots struct {
	mu    sync.Mutex
	limit int // slots in all
	inUse int
	// held slots are free but kept from Behind calls until heldUntil.
	held      int
	heldUntil time.Time
	hold      time.Duration
	expiry    *time.Timer // hands held slots on once they expire
	// waiting holds the waiters by precedence, Ahead first; each list is
	// in arrival order and holds *slotWaiter.
	waiting [3]list.List
}

// slotHold is how long a slot given back by a normal or Ahead call is kept
// from Behind calls. In process a chain's next call follows the reply within
// a millisecond, but in a durable run it comes through a workflow task and an
// activity dispatch, tens of milliseconds later. MIPROv2 light at 16 slots
// measured the same in process from 20 to 50 ms (1.84-1.87 s) and faster
// durably (2.01-2.10 s against 2.14-2.22 s at 3 ms, where in process also
// lost a round in some runs).
const slotHold = 30 * time.Millisecond

// slotWaiter is a call waiting for a slot; ready closes when it has one.
type slotWaiter struct {
	ready chan struct{}
}

// newSlots returns a limiter of n slots that holds slots for hold.
func newSlots(n int, hold time.Duration) *slots {
	return &slots{limit: n, hold: hold}
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

// capFor is how many slots may be in use for a call of rank r to take one:
// all of them, less those held, for Behind calls. s.mu must be held.
func (s *slots) capFor(r int) int {
	if r < 2 || s.held == 0 {
		return s.limit
	}
	if !time.Now().Before(s.heldUntil) {
		s.held = 0
		return s.limit
	}
	return s.limit - s.held
}

// take counts a slot taken by a call of rank r, which uses a held slot
// first if it may. s.mu must be held.
func (s *slots) take(r int) {
	s.inUse++
	if r < 2 && s.held > 0 {
		s.held--
	}
}

// acquire waits for a slot for a call of precedence p. After a nil error
// the caller holds a slot, which release gives back; on ctx's end it
// returns ctx.Err() and holds none.
func (s *slots) acquire(ctx context.Context, p dspy.Precedence) error {
	r := rank(p)
	s.mu.Lock()
	if s.inUse < s.capFor(r) && !s.waitersFrom(r) {
		s.take(r)
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
		s.holdFor(r)
	default:
		s.waiting[r].Remove(e)
	}
	s.grant()
	s.mu.Unlock()
	return ctx.Err()
}

// release gives back a slot acquire took for a call of precedence p.
func (s *slots) release(p dspy.Precedence) {
	s.mu.Lock()
	s.inUse--
	s.holdFor(rank(p))
	s.grant()
	s.mu.Unlock()
}

// holdFor holds a slot a call of rank r gave back, when it is not a Behind
// call and none of the others waits to take it. s.mu must be held.
func (s *slots) holdFor(r int) {
	if r == 2 || s.hold <= 0 || s.waiting[0].Len() > 0 || s.waiting[1].Len() > 0 {
		return
	}
	s.capFor(2) // forgets slots whose hold has expired
	s.held = min(s.held+1, s.limit)
	s.heldUntil = time.Now().Add(s.hold)
	if s.expiry == nil {
		s.expiry = time.AfterFunc(s.hold, s.expire)
	} else {
		s.expiry.Reset(s.hold)
	}
}

// expire hands slots whose hold has run out to waiting Behind calls; the
// timer fires no sooner than heldUntil.
func (s *slots) expire() {
	s.mu.Lock()
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
			s.take(r)
			close(w.ready)
		}
		if q.Len() > 0 {
			return
		}
	}
}
