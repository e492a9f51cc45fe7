package activities_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
)

func activitiesWithHeartbeatInterval(t *testing.T, client dspy.LM, interval time.Duration) *activities.Activities {
	t.Helper()
	acts, err := activities.New(activities.Config{TaskLM: client, Concurrency: 2, HeartbeatInterval: interval})
	require.NoError(t, err)
	return acts
}

// A heartbeat the server is slow to take does not hold up the batch: its
// examples keep running while it is on its way. The first heartbeat here
// returns only once every example has reached the LM, which a batch whose
// examples waited on it would never do.
func TestRunBatchKeepsRunningWhileAHeartbeatIsSlow(t *testing.T) {
	srv, client := testkit.SimLM(t, simlm.Config{Seed: 2, Latency: simlm.FixedLatency(20 * time.Millisecond)}, fastLM(0))
	env := activityEnv(activitiesWithHeartbeatInterval(t, client, 5*time.Millisecond))
	data := testkit.Arithmetic(3, 6)
	var beats atomic.Int32
	var sawEveryExample atomic.Bool
	env.SetOnActivityHeartbeatListener(func(*activity.Info, converter.EncodedValues) {
		if beats.Add(1) > 1 {
			return
		}
		deadline := time.Now().Add(10 * time.Second)
		for srv.Stats().Requests < int64(len(data)) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		sawEveryExample.Store(srv.Stats().Requests == int64(len(data)))
	})
	out, err := runBatch(t, env, batchInput(data))
	require.NoError(t, err)
	require.Len(t, out.Outcomes, len(data))
	require.Positive(t, beats.Load(), "the batch sent no heartbeat")
	assert.True(t, sawEveryExample.Load(), "the examples waited for the heartbeat to reach the server")
	assert.EqualValues(t, len(data), srv.Stats().Requests)
}

// A batch that finishes within one heartbeat interval sends no heartbeat:
// its result carries its outcomes, and the server is spared a write.
func TestRunBatchShorterThanTheHeartbeatIntervalSendsNoHeartbeat(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 2}, fastLM(0))
	env := activityEnv(activitiesWithHeartbeatInterval(t, client, time.Minute))
	var beats atomic.Int32
	env.SetOnActivityHeartbeatListener(func(*activity.Info, converter.EncodedValues) { beats.Add(1) })
	out, err := runBatch(t, env, batchInput(testkit.Arithmetic(3, 4)))
	require.NoError(t, err)
	assert.Len(t, out.Outcomes, 4)
	assert.Zero(t, beats.Load())
}

// A batch longer than the interval reports what it finished as it goes, so
// the last heartbeat before it ends holds finished examples.
func TestRunBatchHeartbeatsItsFinishedExamplesAsItGoes(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 2, Latency: simlm.FixedLatency(30 * time.Millisecond)}, fastLM(0))
	env := activityEnv(activitiesWithHeartbeatInterval(t, client, 5*time.Millisecond))
	var most atomic.Int32
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		var outs []optimize.Outcome
		require.NoError(t, details.Get(&outs))
		if n := int32(len(outs)); n > most.Load() {
			most.Store(n)
		}
	})
	out, err := runBatch(t, env, batchInput(testkit.Arithmetic(3, 8)))
	require.NoError(t, err)
	assert.Len(t, out.Outcomes, 8)
	assert.Positive(t, most.Load(), "no heartbeat carried a finished example")
}
