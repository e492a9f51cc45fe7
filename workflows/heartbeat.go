package workflows

import (
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/durable-dspy/durable-dspy/activities"
)

// DefaultHeartbeatInterval is how long, at most, a batch activity's
// finished examples wait on a worker before their heartbeat reaches the
// server.
//
// The SDK sends an activity's heartbeats at most once per throttle
// interval, keeping only the latest details in between, and makes that
// interval 80% of the heartbeat timeout (30 s by default for batches). The
// details are the only record of a batch's finished examples that survives
// its worker: the retry of a batch whose worker was killed lands on any
// worker, whose LM cache never saw the dead one's calls, and runs again
// every example the server did not hear of. Left to the SDK, that is up to
// 24 s of a worker's LM calls paid twice per kill.
//
// Capping the interval bounds what a kill costs to the calls in flight
// (unavoidable: their replies never arrived) plus the calls finished in the
// last interval. At one second, the second part is about one more round of
// calls for an LM answering in about a second, a few rounds for a fast one,
// while a batch sends at most one heartbeat a second, a load the server
// takes in its stride; a batch shorter than a second sends none (see
// activities.Config.HeartbeatInterval, which the plugin sets to the same
// interval). The heartbeat timeout is left alone: it says how soon a dead
// worker's batch is retried, which is a separate choice.
//
// The other choices considered: smaller batches lose less per kill only
// with a workflow change and many more activities (history, server load);
// an LM cache shared between workers needs a store every worker reaches,
// which the deployment would have to provide, while the heartbeat details
// travel through the Temporal server the workers already share.
const DefaultHeartbeatInterval = activities.DefaultHeartbeatInterval

// capHeartbeatThrottle lowers a worker's heartbeat throttle interval to
// interval (DefaultHeartbeatInterval when zero), unless the worker's own
// options already set a shorter one.
func capHeartbeatThrottle(o *worker.Options, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultHeartbeatInterval
	}
	if o.MaxHeartbeatThrottleInterval <= 0 || o.MaxHeartbeatThrottleInterval > interval {
		o.MaxHeartbeatThrottleInterval = interval
	}
}
