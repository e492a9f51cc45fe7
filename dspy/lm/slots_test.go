package lm

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// queue starts a goroutine that waits for a slot of s with precedence p
// and, once it has one, sends name on got; it returns once the goroutine
// waits, so goroutines queued one after another arrive in that order.
func queue(t *testing.T, s *slots, p dspy.Precedence, name string, got chan<- string) {
	t.Helper()
	before := s.waiters()
	go func() {
		if err := s.acquire(context.Background(), p); err == nil {
			got <- name
		}
	}()
	require.Eventually(t, func() bool { return s.waiters() == before+1 }, 5*time.Second, time.Millisecond)
}

// waiters counts the calls waiting for a slot.
func (s *slots) waiters() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for i := range s.waiting {
		n += s.waiting[i].Len()
	}
	return n
}

func (s *slots) used() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inUse
}

func fill(t *testing.T, s *slots, n int) {
	t.Helper()
	for range n {
		require.NoError(t, s.acquire(context.Background(), dspy.PrecedenceNormal))
	}
}

// A freed slot goes to the waiting call of highest precedence, and among
// calls of one precedence to the one that came first.
func TestSlotsServeHighestPrecedenceFirstThenArrivalOrder(t *testing.T) {
	s := newSlots(1, 0)
	fill(t, s, 1)
	got := make(chan string, 6)
	queue(t, s, dspy.PrecedenceBehind, "behind 1", got)
	queue(t, s, dspy.PrecedenceNormal, "normal 1", got)
	queue(t, s, dspy.PrecedenceBehind, "behind 2", got)
	queue(t, s, dspy.PrecedenceAhead, "ahead 1", got)
	queue(t, s, dspy.PrecedenceNormal, "normal 2", got)
	queue(t, s, dspy.PrecedenceAhead, "ahead 2", got)

	// One slot at a time: each release lets exactly one waiter in.
	var order []string
	for range 6 {
		s.release(dspy.PrecedenceNormal)
		order = append(order, <-got)
	}
	assert.Equal(t, []string{"ahead 1", "ahead 2", "normal 1", "normal 2", "behind 1", "behind 2"}, order)
	assert.Equal(t, 1, s.used())
	assert.Zero(t, s.waiters())
}

// A slot a normal call gives back while none of its kind waits is kept
// from Behind calls for the hold, and a normal call arriving then takes it
// at once; a slot a Behind call gives back is not held.
func TestSlotsHoldASlotANormalCallFreedFromBehindCalls(t *testing.T) {
	s := newSlots(2, time.Hour)
	fill(t, s, 2)
	got := make(chan string, 2)
	queue(t, s, dspy.PrecedenceBehind, "behind 1", got)
	s.release(dspy.PrecedenceNormal)
	assert.Equal(t, 1, s.waiters(), "held from the Behind call")
	assert.Equal(t, 1, s.used())
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	require.NoError(t, s.acquire(ctx, dspy.PrecedenceNormal), "the held slot")
	s.release(dspy.PrecedenceBehind)
	assert.Equal(t, "behind 1", <-got, "the slot of a Behind call, not held")
	assert.Equal(t, 2, s.used())
}

// Once the hold runs out, a waiting Behind call gets the slot without any
// other call returning.
func TestSlotsHeldSlotGoesToBehindCallsOnceTheHoldEnds(t *testing.T) {
	s := newSlots(1, 10*time.Millisecond)
	fill(t, s, 1)
	got := make(chan string, 1)
	queue(t, s, dspy.PrecedenceBehind, "behind", got)
	s.release(dspy.PrecedenceAhead)
	select {
	case name := <-got:
		t.Fatalf("%s took a held slot", name)
	default:
	}
	select {
	case name := <-got:
		assert.Equal(t, "behind", name)
	case <-time.After(5 * time.Second):
		t.Fatal("the hold never ended")
	}
	assert.Equal(t, 1, s.used())
	// A Behind call's slot is not held: the next Behind call takes it.
	queue(t, s, dspy.PrecedenceBehind, "behind 2", got)
	s.release(dspy.PrecedenceBehind)
	assert.Equal(t, "behind 2", <-got)
}

// A Behind call does not take a free slot while a normal call waits: it
// queues behind it.
func TestSlotsBehindCallsQueueBehindWaitingNormalOnes(t *testing.T) {
	s := newSlots(2, 0)
	fill(t, s, 2)
	got := make(chan string, 2)
	queue(t, s, dspy.PrecedenceNormal, "normal", got)
	queue(t, s, dspy.PrecedenceBehind, "behind", got)
	s.release(dspy.PrecedenceNormal)
	assert.Equal(t, "normal", <-got)
	s.release(dspy.PrecedenceNormal)
	s.release(dspy.PrecedenceNormal)
	assert.Equal(t, "behind", <-got)
	assert.Equal(t, 1, s.used())
}

// A call whose context ends while it waits holds no slot and leaves the
// queue, and the calls behind it move up.
func TestSlotsCanceledWaiterLeavesNoSlotBehind(t *testing.T) {
	s := newSlots(1, 0)
	fill(t, s, 1)
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	go func() { errs <- s.acquire(ctx, dspy.PrecedenceAhead) }()
	require.Eventually(t, func() bool { return s.waiters() == 1 }, 5*time.Second, time.Millisecond)
	got := make(chan string, 1)
	queue(t, s, dspy.PrecedenceNormal, "normal", got)

	cancel()
	require.ErrorIs(t, <-errs, context.Canceled)
	assert.Equal(t, 1, s.waiters())
	s.release(dspy.PrecedenceNormal)
	assert.Equal(t, "normal", <-got)
	assert.Equal(t, 1, s.used())
	assert.Zero(t, s.waiters())
}

// Many callers of every precedence, some canceled while they wait: never
// more than the cap in flight, and once all are done no slot is taken and no
// one waits.
func TestSlotsUnderLoadNeverExceedTheCapNorLeak(t *testing.T) {
	const limit, callers = 4, 300
	s := newSlots(limit, time.Millisecond)
	var inFlight, peak atomic.Int32
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := dspy.Precedence(i%3 - 1)
			ctx := context.Background()
			if i%7 == 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Duration(i%5)*time.Millisecond)
				defer cancel()
			}
			if err := s.acquire(ctx, p); err != nil {
				return
			}
			n := inFlight.Add(1)
			for old := peak.Load(); n > old && !peak.CompareAndSwap(old, n); old = peak.Load() {
			}
			time.Sleep(100 * time.Microsecond)
			inFlight.Add(-1)
			s.release(p)
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, peak.Load(), int32(limit))
	assert.Zero(t, s.used())
	assert.Zero(t, s.waiters())
}

// Through a client: a freed slot goes to the Ahead call that came last,
// before the normal and Behind calls that came earlier.
func TestClientGivesAFreedSlotToTheAheadCall(t *testing.T) {
	release := make(chan struct{})
	srv := newFakeServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		<-release
		writeOK(w)
	})
	c, _ := newTestClient(t, srv, func(o *Options) { o.MaxConcurrency = 1 })
	var wg sync.WaitGroup
	call := func(p dspy.Precedence, prompt string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Call(dspy.WithPrecedence(context.Background(), p), userRequest(prompt))
			assert.NoError(t, err)
		}()
	}
	call(dspy.PrecedenceNormal, "first")
	require.Eventually(t, func() bool { return srv.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	for i, p := range []dspy.Precedence{dspy.PrecedenceBehind, dspy.PrecedenceNormal, dspy.PrecedenceAhead} {
		call(p, p.String())
		require.Eventually(t, func() bool { return c.slots.waiters() == i+1 }, 5*time.Second, time.Millisecond)
	}
	close(release)
	wg.Wait()
	for i, want := range []string{"first", "ahead", "normal", "behind"} {
		messages := srv.body(t, i)["messages"].([]any)
		assert.Equal(t, want, messages[0].(map[string]any)["content"], "request %d", i)
	}
	assert.Zero(t, c.slots.used())
}
