package activities

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// DefaultHeartbeatInterval is how often, at most, a batch activity sends
// the examples it finished since its last heartbeat (see
// Config.HeartbeatInterval).
const DefaultHeartbeatInterval = time.Second

// batchProgress is what a batch activity has finished, as its heartbeat
// details tell the server: the outcomes, which a retry keeps instead of
// running them again, and what the runs cut short by a transient LM
// failure spent.
//
// The batch's goroutines only record here; one reporter goroutine sends the
// heartbeats, once per interval and only when there is something new (or
// when the heartbeat timeout wants a sign of life). A heartbeat can block
// on a call to the server: the SDK sends the first one of each throttle
// interval inline. Sent from the goroutine that finished an example, that
// call held the goroutine and, behind the lock, every example finishing
// meanwhile, a server round trip on the way to every batch's result. On an
// interval, a batch that finishes within one sends no heartbeat at all (its
// result carries the outcomes), and batches started together spread their
// heartbeats over the interval instead of sending them at the same moment,
// which on a busy server is what makes one wait past its deadline.
type batchProgress struct {
	mu        sync.Mutex
	finished  []optimize.Outcome
	discarded dspy.Usage
	// version counts the changes; sent is the version last handed to the SDK.
	version, sent int
}

// add records a finished example.
func (p *batchProgress) add(o optimize.Outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finished = append(p.finished, o)
	p.version++
}

// discard records what a run cut short by a transient LM failure spent.
func (p *batchProgress) discard(u dspy.Usage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.discarded = p.discarded.Add(u)
	p.version++
}

// beat sends the progress as the activity's heartbeat details, unless it
// has not changed since the last one and force is false. It reports
// whether it sent. The outcomes are only ever appended, so the slice it
// sends stays valid while more are added.
func (p *batchProgress) beat(ctx context.Context, force bool) bool {
	p.mu.Lock()
	finished, discarded, version := p.finished[:len(p.finished):len(p.finished)], p.discarded, p.version
	stale := version != p.sent
	p.mu.Unlock()
	if !stale && !force {
		return false
	}
	activity.RecordHeartbeat(ctx, finished, discarded)
	p.mu.Lock()
	p.sent = version
	p.mu.Unlock()
	return true
}

// report sends the progress from a goroutine of its own, every interval
// (the first time at a random point of the first interval), and at least
// every third of the heartbeat timeout while the batch runs, until the
// returned stop is called; stop returns once no heartbeat is being sent.
func (p *batchProgress) report(ctx context.Context, interval time.Duration) (stop func()) {
	if interval <= 0 {
		interval = DefaultHeartbeatInterval
	}
	alive := activity.GetInfo(ctx).HeartbeatTimeout / 3
	if alive > 0 && alive < interval {
		interval = alive
	}
	last := time.Now()
	return tickUntilStopped(ctx, interval/2+rand.N(interval/2+1), interval, func() {
		if p.beat(ctx, alive > 0 && time.Since(last) >= alive) {
			last = time.Now()
		}
	})
}
