package simlm

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestLatencySamplesFollowTheDistribution(t *testing.T) {
	draws := func(l Latency) []time.Duration {
		out := make([]time.Duration, 4000)
		for i := range out {
			out[i] = l.sample(mix64(uint64(i)))
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}
	t.Run("none adds nothing", func(t *testing.T) {
		assert.Zero(t, Latency{}.sample(1))
	})
	t.Run("fixed is constant", func(t *testing.T) {
		d := draws(FixedLatency(30 * time.Millisecond))
		assert.Equal(t, d[0], d[len(d)-1])
	})
	t.Run("uniform stays in bounds around the midpoint", func(t *testing.T) {
		d := draws(UniformLatency(10*time.Millisecond, 50*time.Millisecond))
		assert.GreaterOrEqual(t, d[0], 10*time.Millisecond)
		assert.LessOrEqual(t, d[len(d)-1], 50*time.Millisecond)
		assert.InDelta(t, float64(30*time.Millisecond), float64(d[len(d)/2]), float64(2*time.Millisecond))
	})
	t.Run("lognormal has the median and a long tail", func(t *testing.T) {
		d := draws(LogNormalLatency(100*time.Millisecond, 0.5))
		assert.InDelta(t, float64(100*time.Millisecond), float64(d[len(d)/2]), float64(8*time.Millisecond))
		p99 := d[len(d)*99/100]
		assert.Greater(t, p99, 250*time.Millisecond)
		assert.LessOrEqual(t, d[len(d)-1], time.Duration(float64(100*time.Millisecond)*7.39)+time.Millisecond, "clipped at 4 sigma")
	})
}

func TestWaitHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.False(t, wait(ctx, nil, time.Hour), "a cancelled context ends the wait")
	assert.False(t, wait(ctx, nil, 0), "even a zero wait reports the cancellation")
	assert.True(t, wait(context.Background(), nil, 0))
	done := make(chan struct{})
	close(done)
	assert.False(t, wait(context.Background(), done, time.Hour), "closing the server ends the wait")
}

func TestLatencyCountsFromTheRequestsArrival(t *testing.T) {
	s := New(Config{Latency: FixedLatency(time.Hour)})
	r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	admitted := make(chan bool, 1)
	// The request arrived an hour ago: its latency has run out already.
	go func() { admitted <- s.admit(httptest.NewRecorder(), r, 1, s.draw(1), time.Now().Add(-time.Hour)) }()
	select {
	case ok := <-admitted:
		assert.True(t, ok)
	case <-time.After(timeout):
		t.Fatal("the latency was waited out again from the start of the wait")
	}
}
