package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// keepAlive heartbeats, without details, for an activity that has no
// progress of its own to report, at a third of its heartbeat timeout, until
// the returned stop is called; stop returns once no beat runs any more, so
// none is sent after the activity returns. Without a heartbeat timeout it
// does nothing. A batch, whose details carry its progress, sends them
// itself (see batchProgress): a heartbeat without details would replace
// them on the server.
func keepAlive(ctx context.Context) (stop func()) {
	timeout := activity.GetInfo(ctx).HeartbeatTimeout
	if timeout <= 0 {
		return func() {}
	}
	return tickUntilStopped(ctx, timeout/3, timeout/3, func() { activity.RecordHeartbeat(ctx) })
}

// tickUntilStopped calls tick from a goroutine of its own, first after
// first and then every every, until ctx ends or the returned stop is
// called; stop returns once tick is no longer running, so no heartbeat
// goes out after the activity has returned.
func tickUntilStopped(ctx context.Context, first, every time.Duration, tick func()) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		timer := time.NewTimer(first)
		defer timer.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			tick()
			timer.Reset(every)
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}
