package workflows

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// Optimize runs one optimizer over a program as a durable workflow. The
// optimizer's own loop runs here, deterministically; every program run, metric
// and LM call happens in activities. The run continues as new at the
// optimizer's checkpoints once history grows, carrying only the optimizer's
// compact state, so even a long MIPROv2 or GEPA run stays far from Temporal's
// history limits.
func Optimize(ctx workflow.Context, in OptimizeInput) (OptimizeResult, error) {
	ctl := newControl(in)
	if err := ctl.register(ctx); err != nil {
		return OptimizeResult{}, err
	}
	first := in.Carry == nil
	if first {
		_ = workflow.UpsertTypedSearchAttributes(ctx,
			SearchAttrOptimizer.ValueSet(in.Optimizer),
			SearchAttrProgram.ValueSet(in.Program.String()),
			SearchAttrStatus.ValueSet("running"))
	}
	ctl.publish(ctx)

	opt, err := optimize.New(in.Optimizer, in.Params)
	if err != nil {
		return OptimizeResult{}, temporal.NewNonRetryableApplicationError(err.Error(), activities.ErrTypeConfig, err)
	}
	task, inputKeys, hashes, err := prepareTask(ctx, in)
	if err != nil {
		return OptimizeResult{}, err
	}
	if in.Carry != nil {
		task.Resume = in.Carry.Resume
	}

	eng := &temporalEngine{
		ctx: ctx, exec: in.Execution.withDefaults(), program: in.Program, metric: in.Metric, label: in.Label,
		failureScore: in.FailureScore, inputKeys: inputKeys, ctl: ctl, budget: in.Budget,
	}
	eng.outageLimit = outageLimit(ctx, eng.exec)
	eng.trials = newTrialSpans(ctx, len(ctl.status.Progress.Trials))
	// The optimizer gets a plain context: it only hands it back to the engine,
	// which blocks on the workflow context instead.
	res, err := opt.Compile(context.Background(), eng, task)
	if cp, ok := isContinueAsNew(err); ok {
		next := in
		next.Carry = &Carry{
			Resume: cp.State, Spent: ctl.spent, Progress: cp.Progress, Runs: ctl.status.Runs + 1,
			TrainSHA256: hashes[0], ValSHA256: hashes[1], Paused: ctl.paused,
		}
		// Updates accepted in this run must finish before it closes, or their
		// callers would see them fail.
		_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
		return OptimizeResult{}, workflow.NewContinueAsNewError(ctx, OptimizeWorkflowName, next)
	}
	if err != nil {
		ctl.setState(ctx, "failed")
		return OptimizeResult{}, err
	}
	out := OptimizeResult{
		Program: res.Program, Score: res.Score, BaselineScore: res.BaselineScore, BaselineUnmeasured: !res.BaselineMeasured,
		ScoreExact: res.ScoreExact, BaselineExact: res.BaselineExact,
		Trials: res.Trials, Pareto: res.Pareto, Spent: ctl.spent, Runs: ctl.status.Runs + 1,
	}
	if res.Stopped {
		out.Stopped = ctl.stopReason
		if out.Stopped == "" {
			out.Stopped = "stopped"
		}
	}
	// The last checkpoint may precede the optimizer's final steps; the
	// status a finished run answers is its result's.
	ctl.status.Progress.BestScore, ctl.status.Progress.Trials, ctl.status.Progress.Pareto = res.Score, res.Trials, res.Pareto
	if res.BaselineMeasured {
		ctl.baseline = &res.BaselineScore
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, SearchAttrBestScore.ValueSet(res.Score))
	ctl.setState(ctx, "completed")
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return out, nil
}

// prepareTask loads the program's description and the data through the
// setup activities. It returns the task, the dataset's input keys and the
// data hashes, trainset then valset.
func prepareTask(ctx workflow.Context, in OptimizeInput) (optimize.Task, []string, [2]string, error) {
	var hashes, pinned [2]string
	if in.Carry != nil {
		pinned = [2]string{in.Carry.TrainSHA256, in.Carry.ValSHA256}
	}
	data := []taskData{{Name: "trainset", Ref: in.Trainset, Pinned: pinned[0]}}
	if in.Valset != nil {
		data = append(data, taskData{Name: "valset", Ref: *in.Valset, Pinned: pinned[1]})
	}
	loaded, err := loadTask(ctx, in.Program, data...)
	if err == nil {
		err = checkTask(in.Optimizer, in.Params, in.Program, loaded, data, in.Metric, in.Label)
	}
	if err != nil {
		return optimize.Task{}, nil, hashes, err
	}
	train := loaded.Datasets[0]
	task := optimize.Task{Student: loaded.Program.Student, Signatures: loaded.Program.Signatures, Trainset: train.Examples}
	hashes[0] = train.SHA256
	if in.Valset != nil {
		task.Valset = loaded.Datasets[1].Examples
		hashes[1] = loaded.Datasets[1].SHA256
	}
	if in.Student != nil {
		task.Student = *in.Student
	}
	return task, train.InputKeys, hashes, nil
}

func configError(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return temporal.NewNonRetryableApplicationError(err.Error(), activities.ErrTypeConfig, err)
}

// IsConfigError reports whether a workflow or activity failed on bad input
// (unknown program, metric or optimizer; bad dataset) rather than transiently.
//
// It looks through the whole chain: an optimizer wraps a failed activity's
// error, and the SDK turns that wrapper into an application error of its
// own type ("wrapError") whose cause holds the activity's ConfigError.
func IsConfigError(err error) bool {
	for err != nil {
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) {
			return false
		}
		if appErr.Type() == activities.ErrTypeConfig {
			return true
		}
		err = appErr.Unwrap()
	}
	return false
}
