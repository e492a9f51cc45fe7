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
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		ticker := time.NewTicker(timeout / 3)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-ticker.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}
