package workflows

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// unpauseRaceWorkflow has two coroutines meet one LM outage. The second
// keeps failing until the outage outlasts a minute and pauses the run. The
// first made one attempt when the outage began, whose failure comes back
// only with the unpause: in the same workflow task, and before the
// coroutine that paused the run has woken. It returns each coroutine's
// error.
func unpauseRaceWorkflow(ctx workflow.Context, lmUp *bool) ([]string, error) {
	c := &control{}
	if err := c.registerUpdates(ctx, UpdateUnpause); err != nil {
		return nil, err
	}
	e := &temporalEngine{ctx: ctx, ctl: c, outageLimit: time.Minute}
	outage := temporal.NewApplicationError("LM unreachable at http://127.0.0.1:1/v1: connection refused", "LM"+string(dspy.ErrKindConnection))
	errs := make([]string, 2)
	wg := workflow.NewWaitGroup(ctx)
	wg.Add(2)
	// Created first, so it runs first once the unpause wakes both.
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer wg.Done()
		attempts := 0
		err := e.withOutageLimit(ctx, func(ctx workflow.Context, _ int32) error {
			attempts++
			if attempts > 1 {
				return nil
			}
			if err := workflow.Await(ctx, func() bool { return c.pauseReason != "" && !c.paused }); err != nil {
				return err
			}
			return outage
		}, nil)
		errs[0] = errString(err)
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer wg.Done()
		err := e.withOutageLimit(ctx, func(ctx workflow.Context, _ int32) error {
			if err := workflow.Sleep(ctx, 10*time.Second); err != nil {
				return err
			}
			if *lmUp {
				return nil
			}
			return outage
		}, nil)
		errs[1] = errString(err)
	})
	wg.Wait(ctx)
	return errs, nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// An attempt that began before the unpause and fails with it is tried
// again: it does not pause the run the user just unpaused, even when its
// coroutine runs before the one that paused the run has woken.
func TestAnAttemptFailingWithTheUnpauseDoesNotPauseTheRunAgain(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := ts.NewTestWorkflowEnvironment()
	lmUp := false
	var stillPaused *bool
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context) ([]string, error) {
		return unpauseRaceWorkflow(ctx, &lmUp)
	}, workflow.RegisterOptions{Name: "unpause-race"})
	env.RegisterDelayedCallback(func() {
		lmUp = true
		env.UpdateWorkflow(UpdateUnpause, "unpause-1", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("unpause rejected: %v", err) }, OnComplete: func(any, error) {},
		})
	}, 5*time.Minute)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryStatus)
		require.NoError(t, err)
		var s Status
		require.NoError(t, v.Get(&s))
		stillPaused = &s.Paused
		env.CancelWorkflow()
	}, time.Hour)
	env.ExecuteWorkflow("unpause-race")

	if stillPaused != nil {
		t.Fatalf("an hour after the unpause the run had not finished; paused: %v", *stillPaused)
	}
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var errs []string
	require.NoError(t, env.GetWorkflowResult(&errs))
	assert.Equal(t, []string{"", ""}, errs)
}
