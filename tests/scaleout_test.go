package tests

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// scaleOutWorkers is how many workers share the task queue.
const scaleOutWorkers = 3

// scaleOutLMCap is each worker's cap on LM calls in flight: with the
// simulated LM's latency it sets how many calls a worker has finished but not
// yet reported when it is killed.
const scaleOutLMCap = 4

// scaleOutActivities is how many activities each worker takes at once: as
// many batches as keep its LM cap busy, and no more, so that the workers
// share the batches by pulling them as they free up (see README,
// "Scale-out"), and that only batches making progress send heartbeats.
const scaleOutActivities = 2

// Three workers on one task queue share a durable optimization's batches;
// one of them, SIGKILLed while it runs a batch, is not replaced. The two
// others finish the run with the program an undisturbed run of the same
// input compiles, and the calls the killed worker had answered but not
// reported cost at most 5% more LM requests than the undisturbed run.
func TestThreeWorkersShareARunAndOneKilledMidRunCostsAtMostFivePercentMoreCalls(t *testing.T) {
	t.Parallel()
	runScaleOutKill(t, sharedServer(t).address(), "e2e-scaleout")
}

// runScaleOutKill is the scale-out scenario against the Temporal server at
// address, on task queues and workflow IDs named after prefix.
func runScaleOutKill(t *testing.T, address, prefix string) {
	in := scaleOutInput(t)
	sdk := dial(t, address)
	sim := simlm.Config{Seed: 21, Latency: simlm.FixedLatency(200 * time.Millisecond)}

	// The undisturbed run, alongside, on one worker with the three workers'
	// LM capacity and an LM of its own.
	refLM := startSimLM(t, sim)
	refQueue, refID := prefix+"-reference", prefix+"-reference"
	startWorker(t, workerConfig{address: address, taskQueue: refQueue, lmURL: refLM.URL(), lmConcurrency: scaleOutWorkers * scaleOutLMCap, maxActivities: scaleOutWorkers * scaleOutActivities})
	refRunID := startRun(t, sdk, refID, refQueue, in)

	// Each worker keeps its LM cache in memory, so the killed worker's dies
	// with it: the batches retried elsewhere have only the heartbeats.
	lm := startSimLM(t, sim)
	queue, id := prefix, prefix
	workers := map[string]*process{}
	for range scaleOutWorkers {
		p := startWorker(t, workerConfig{address: address, taskQueue: queue, lmURL: lm.URL(), lmConcurrency: scaleOutLMCap, maxActivities: scaleOutActivities})
		workers[strconv.Itoa(p.cmd.Process.Pid)] = p
	}
	runID := startRun(t, sdk, id, queue, in)

	// Once every worker has completed a batch and the run is in its
	// validation phase, where every worker runs batches of 20 lasting
	// seconds, kill the first worker seen running one. The pending
	// activities are read alone right before the kill.
	s := waitFor(t, sdk, id, "a batch completed on every worker, 20 activities in all", func(s runState) bool {
		return len(s.batchesBy) >= scaleOutWorkers && s.completed >= 20
	})
	victim := ""
	for deadline := time.Now().Add(runTimeout); victim == ""; {
		for _, identity := range runningBatches(t, sdk, id) {
			if _, ok := workers[workerPID(identity)]; ok {
				victim = workerPID(identity)
				break
			}
		}
		if victim == "" {
			require.True(t, time.Now().Before(deadline), "no batch running on a worker after %v", runTimeout)
			time.Sleep(10 * time.Millisecond)
		}
	}
	require.NoError(t, workers[victim].kill())
	t.Logf("killed worker %s after %d completed activities (batches completed per worker: %v)", victim, s.completed, s.batchesBy)

	want := resultOf(t, sdk, refID)
	got := resultOf(t, sdk, id)
	requireSameResult(t, want, got)

	ref := readLedger(t, sdk, refID, refRunID)
	run := readLedger(t, sdk, id, runID)
	assert.Equal(t, ref.scheduledKeys(), run.scheduledKeys(),
		"activities scheduled\nundisturbed:%s\nwith a worker killed:%s", describeKeys(ref.scheduledKeys()), describeKeys(run.scheduledKeys()))
	ran := map[string]int{}
	for identity, n := range run.batchesBy() {
		ran[workerPID(identity)] += n
	}
	for pid := range workers {
		assert.Positive(t, ran[pid], "worker %s ran no batch (batches per worker: %v)", pid, ran)
	}
	retried := run.retried()
	assert.NotEmpty(t, retried, "the kill interrupted no running activity")
	for _, a := range retried {
		assert.NotEqual(t, victim, workerPID(a.worker), "%q was finished by the killed worker", a.summary)
		t.Logf("retried after the kill: %s (attempt %d, on worker %s)", a.summary, a.attempt, workerPID(a.worker))
	}

	refStats, stats := refLM.Stats(), lm.Stats()
	refCalls, calls := refStats.Requests, stats.Requests
	t.Logf("LM requests: undisturbed %d, with a worker killed %d (%+.1f%%, %d cut off by the kill)",
		refCalls, calls, 100*float64(calls-refCalls)/float64(refCalls), stats.Canceled-refStats.Canceled)
	assert.Positive(t, refCalls)
	assert.LessOrEqual(t, calls, paidBound(refCalls), "LM requests of the run with a worker killed")
}

// runningBatches lists the identities of the workers running one of a
// run's batches now.
func runningBatches(t *testing.T, c client.Client, id string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	require.NoError(t, err, "describe %s", id)
	var workers []string
	for _, a := range d.GetPendingActivities() {
		if a.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED && a.GetActivityType().GetName() == activities.RunBatchName {
			workers = append(workers, a.GetLastWorkerIdentity())
		}
	}
	return workers
}

// workerPID is the process ID in a worker's default identity, "pid@host@".
func workerPID(identity string) string {
	pid, _, _ := strings.Cut(identity, "@")
	return pid
}

// scaleOutInput is a random search over a valset large enough that the run
// makes several hundred LM calls, so that the kill's cost is measured
// against a run of a realistic size. A batch whose worker died is retried
// after 3 s without a heartbeat.
func scaleOutInput(t *testing.T) workflows.OptimizeInput {
	t.Helper()
	dir := t.TempDir()
	all := simlm.ArithmeticDataset(23, 120)
	write := func(name string, ex []simlm.ArithmeticExample) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		require.NoError(t, err)
		defer f.Close()
		require.NoError(t, simlm.WriteJSONL(f, ex))
		return path
	}
	sp, err := spec.Parse([]byte(qaSpec))
	require.NoError(t, err)
	return workflows.OptimizeInput{
		Optimizer: "bootstrap_random_search",
		Params:    json.RawMessage(`{"num_candidate_programs": 8}`),
		Program:   activities.ProgramRef{Spec: sp.JSON()},
		Trainset:  activities.DatasetRef{Path: write("train.jsonl", all[:40])},
		Valset:    &activities.DatasetRef{Path: write("val.jsonl", all[40:])},
		Metric:    "exact_match",
		Execution: workflows.Execution{HeartbeatTimeout: 3 * time.Second},
	}
}
