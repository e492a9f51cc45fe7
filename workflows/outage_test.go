package workflows_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// deadURL is the base URL of a port nothing listens on: connecting is
// refused at once.
func deadURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr + "/v1"
}

// outageLM is an LM that can go down: while down, calls go to a client of a
// dead port, failing as a real unreachable server does.
type outageLM struct {
	dspy.LM
	dead dspy.LM
	down atomic.Bool
}

func newOutageLM(t *testing.T, live dspy.LM) *outageLM {
	t.Helper()
	opts := fastLM(0)
	opts.BaseURL, opts.APIKey, opts.Model = deadURL(t), "test-key", "simlm-1"
	dead, err := lm.New(opts)
	require.NoError(t, err)
	return &outageLM{LM: live, dead: dead}
}

func (o *outageLM) Call(ctx context.Context, req dspy.LMRequest) (dspy.LMResponse, error) {
	if o.down.Load() {
		return o.dead.Call(ctx, req)
	}
	return o.LM.Call(ctx, req)
}

// outageRun drives a run through an LM outage in the test environment: the
// LM goes down after the n-th batch completes; an hour of virtual time
// later, past the limit, the status is taken, the LM comes back, and after
// another hour the run is unpaused.
type outageRun struct {
	whilePaused                      workflows.Status
	startedWhilePaused, startedAtEnd int
	unpause                          updateOutcome
}

func (r *outageRun) drive(env *testsuite.TestWorkflowEnvironment, t *testing.T, o *outageLM, n int) {
	started := 0
	env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) { started++ })
	down := false
	onRunBatchCompleted(env, n, func() {
		if down {
			return
		}
		down = true
		o.down.Store(true)
		env.RegisterDelayedCallback(func() {
			r.whilePaused = queryStatus(t, env)
			r.startedWhilePaused = started
			o.down.Store(false)
			env.RegisterDelayedCallback(func() {
				r.startedAtEnd = started
				env.UpdateWorkflow(workflows.UpdateUnpause, "unpause-1", r.unpause.callbacks())
			}, time.Hour)
		}, time.Hour)
	})
}

// With the LM unreachable for longer than the outage limit, the run pauses
// itself naming the outage and tries nothing more; once the LM is back,
// "unpause" lets it finish with the program, trials and LM requests of an
// uninterrupted run: nothing finished is lost or done again.
func TestAnLMOutageLongerThanTheLimitPausesTheRunUntilUnpaused(t *testing.T) {
	want := searchCase.localResult(t, 5)
	uninterruptedSrv, uninterrupted := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(0))
	runDurable(t, uninterrupted, searchCase.input())

	srv, live := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(0))
	o := newOutageLM(t, live)
	env := newEnv(t, workerConfig(o))
	var r outageRun
	r.drive(env, t, o, 3)
	in := searchCase.input()
	in.Execution.MaxOutage = 10 * time.Minute
	env.ExecuteWorkflow(workflows.OptimizeWorkflowName, in)
	got := resultOf(t, env)

	assert.Equal(t, "paused", r.whilePaused.State)
	assert.True(t, r.whilePaused.Paused)
	assert.Regexp(t, `^LM unreachable at http://127\.0\.0\.1:\d+/v1: connection refused$`, r.whilePaused.PauseReason)
	require.NotNil(t, r.whilePaused.OutageSince)
	assert.Equal(t, r.startedWhilePaused, r.startedAtEnd, "an activity ran while the run was paused")
	require.True(t, r.unpause.accepted)

	assert.Equal(t, encoded(t, want.Program), encoded(t, got.Program))
	assert.Equal(t, want.Trials, got.Trials)
	assert.Equal(t, uninterruptedSrv.Stats().Requests, srv.Stats().Requests, "LM requests were made again")
	final := queryStatus(t, env)
	assert.Equal(t, "completed", final.State)
	assert.Empty(t, final.PauseReason)
}

// The limit counts workflow time from the outage's start: a run paused for
// an outage of ten minutes did not pause before them, nor long after.
func TestTheOutageLimitIsWhenTheRunPauses(t *testing.T) {
	_, live := testkit.SimLM(t, simlm.Config{Seed: 5}, fastLM(0))
	o := newOutageLM(t, live)
	o.down.Store(true)
	env := newEnv(t, workerConfig(o))
	var pausedAt time.Time
	var status workflows.Status
	env.RegisterDelayedCallback(func() {
		status = queryStatus(t, env)
		pausedAt = env.Now()
		env.CancelWorkflow()
	}, 2*time.Hour)
	in := searchCase.input()
	in.Execution.MaxOutage = 10 * time.Minute
	var lastAttempt time.Time
	env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) { lastAttempt = env.Now() })
	env.ExecuteWorkflow(workflows.OptimizeWorkflowName, in)

	require.NotNil(t, status.OutageSince)
	assert.Equal(t, "paused", status.State)
	lasted := lastAttempt.Sub(*status.OutageSince)
	assert.GreaterOrEqual(t, lasted, 9*time.Minute, "the last attempt came before the limit was near")
	assert.Less(t, lasted, 11*time.Minute, "attempts went on well past the limit")
	assert.True(t, pausedAt.After(lastAttempt))
}

// An evaluation meets an outage the same way, and finishes with every
// example scored once the LM is back and it is unpaused.
func TestAnLMOutagePausesAnEvaluationUntilUnpaused(t *testing.T) {
	data := testkit.Arithmetic(4, 9)
	in := workflows.EvaluateInput{
		Program: activities.ProgramRef{Spec: arithmeticSpec.JSON()},
		Dataset: activities.DatasetRef{Examples: data}, Metric: "exact_match",
		Execution: workflows.Execution{BatchSize: 3, MaxParallelActivities: 1, MaxOutage: time.Minute},
	}
	_, uninterrupted := testkit.SimLM(t, simlm.Config{Seed: 3}, fastLM(0))
	env := newEnv(t, workerConfig(uninterrupted))
	env.ExecuteWorkflow(workflows.EvaluateWorkflowName, in)
	var want workflows.EvaluateResult
	require.NoError(t, env.GetWorkflowResult(&want))

	_, live := testkit.SimLM(t, simlm.Config{Seed: 3}, fastLM(0))
	o := newOutageLM(t, live)
	env = newEnv(t, workerConfig(o))
	var r outageRun
	r.drive(env, t, o, 1)
	env.ExecuteWorkflow(workflows.EvaluateWorkflowName, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var got workflows.EvaluateResult
	require.NoError(t, env.GetWorkflowResult(&got))

	assert.Equal(t, "paused", r.whilePaused.State)
	assert.Contains(t, r.whilePaused.PauseReason, "LM unreachable at ")
	assert.Equal(t, r.startedWhilePaused, r.startedAtEnd)
	assert.Equal(t, want.Score, got.Score)
	assert.Equal(t, want.Spent.Calls, got.Spent.Calls)
	assert.Zero(t, got.Errors)
}

// A run that paused for an outage and was unpaused replays on today's code,
// as every recorded history must; with DSPY_RECORD_HISTORIES=1 it is also
// recorded for the replay test to keep checking.
func TestARunPausedForAnOutageReplays(t *testing.T) {
	c := caseNamed(t, "bootstrap_random_search")
	_, live := testkit.SimLM(t, simlm.Config{Seed: 23}, fastLM(0))
	o := newOutageLM(t, live)
	o.down.Store(true)
	_, tc := startServer(t, workerConfig(o))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	const id = "record-outage"
	in := c.input()
	in.Execution.MaxOutage = 2 * time.Second
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}, workflows.OptimizeWorkflowName, in)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		v, err := tc.QueryWorkflow(ctx, id, "", workflows.QueryStatus)
		var s workflows.Status
		return err == nil && v.Get(&s) == nil && s.PauseReason != ""
	}, time.Minute, 200*time.Millisecond, "the run did not pause for the outage")
	o.down.Store(false)
	handle, err := tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: workflows.UpdateUnpause, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	require.NoError(t, err)
	require.NoError(t, handle.Get(ctx, nil))
	var res workflows.OptimizeResult
	if err := run.Get(ctx, &res); err != nil {
		// Say where the run stood, so a hang under load can be told apart
		// from a second pause.
		qctx, qcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer qcancel()
		var s workflows.Status
		if v, qerr := tc.QueryWorkflow(qctx, id, "", workflows.QueryStatus); qerr == nil {
			_ = v.Get(&s)
		}
		t.Fatalf("the unpaused run did not finish: %v; its status: state %q, paused %v, reason %q, progress %+v", err, s.State, s.Paused, s.PauseReason, s.Progress)
	}

	path := filepath.Join(t.TempDir(), "outage.json")
	if os.Getenv("DSPY_RECORD_HISTORIES") == "1" {
		path = filepath.Join(historiesDir, "bootstrap_random_search_outage.json")
	}
	writeHistory(t, tc, id, path)
	replayer := worker.NewWorkflowReplayer()
	workflows.RegisterWorkflows(replayer)
	require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(quietLogger, path))
}
