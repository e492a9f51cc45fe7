package cli

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/workflows"
)

// pauseQueryTimeout bounds the status query before a pause or unpause: with
// no worker answering, the update is sent anyway and waits for one.
const pauseQueryTimeout = 3 * time.Second

// pausedAlready answers a pause of a paused run, or an unpause of a run
// that is not paused, without sending the update: the run already is as
// asked, and the run's own answer ("pausing at the next checkpoint") would
// say otherwise.
func pausedAlready(ctx context.Context, c client.Client, id, update string) (string, bool) {
	if update != workflows.UpdatePause && update != workflows.UpdateUnpause {
		return "", false
	}
	qctx, cancel := context.WithTimeout(ctx, pauseQueryTimeout)
	defer cancel()
	s, err := queryStatus(qctx, c, id)
	if err != nil {
		return "", false
	}
	switch {
	case update == workflows.UpdatePause && s.Paused:
		return "already paused (starter unpause to go on)", true
	case update == workflows.UpdateUnpause && !s.Paused:
		return "not paused: it is running", true
	}
	return "", false
}
