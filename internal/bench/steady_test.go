package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSteadyRateLeavesOutTheFirstAndLastRounds(t *testing.T) {
	// Four slots, five rounds of 100 ms. The first round's replies arrive
	// late together (at 130 ms) and the last round's slots finish spread
	// out; the three middle rounds complete one call per slot every 100 ms,
	// 40 calls/s, recorded out of order.
	start := time.Unix(0, 0)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	c := NewCompletions(20)
	for _, ms := range []int{
		330, 130, 230, 130, 130, 230, 130, 230, 330, 230, 330, 330, // rounds 1-3, shuffled
		430, 430, 430, 430, // round 4
		480, 500, 520, 560, // round 5, the slots going idle
	} {
		c.record(at(ms))
	}
	require.Equal(t, 20, c.Len())
	rate, ok := c.SteadyRate(4)
	require.True(t, ok)
	// Completions 5 to 16 (12 of them) between 130 ms and 430 ms.
	require.InDelta(t, 40.0, rate, 1e-9)

	_, ok = NewCompletions(0).SteadyRate(4)
	require.False(t, ok, "no completions")
	short := NewCompletions(8)
	for i := range 8 {
		short.record(at(100 * (i/4 + 1)))
	}
	_, ok = short.SteadyRate(4)
	require.False(t, ok, "two rounds have no middle")
	_, ok = c.SteadyRate(0)
	require.False(t, ok)
}
