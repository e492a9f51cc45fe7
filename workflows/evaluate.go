package workflows

import (
	"context"
	"math"

	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// Evaluate runs a program over a dataset durably, in batch activities, and
// scores it as DSPy's Evaluate does. Failed examples are kept and scored with
// the failure score, never dropped.
func Evaluate(ctx workflow.Context, in EvaluateInput) (EvaluateResult, error) {
	source := taskData{Name: "dataset", Ref: in.Dataset}
	loaded, err := loadTask(ctx, in.Program, source)
	if err == nil {
		err = checkTask("", nil, in.Program, loaded, []taskData{source}, in.Metric, in.Label)
	}
	if err != nil {
		return EvaluateResult{}, err
	}
	desc, data := loaded.Program, loaded.Datasets[0]
	state := desc.Student
	if in.State != nil {
		state = *in.State
	}
	ctl := &control{status: Status{Program: in.Program.String(), State: "running"}}
	// An evaluation has no checkpoints to pause at; it pauses only for an LM
	// outage, and "unpause" ends that.
	if err := ctl.registerUpdates(ctx, UpdateUnpause); err != nil {
		return EvaluateResult{}, err
	}
	eng := &temporalEngine{
		ctx: ctx, exec: in.Execution.withDefaults(), program: in.Program, metric: in.Metric, label: in.Label,
		failureScore: in.FailureScore, inputKeys: data.InputKeys, ctl: ctl,
	}
	eng.outageLimit = outageLimit(ctx, eng.exec)
	ids := make([]int, len(data.Examples))
	for i := range ids {
		ids[i] = i
	}
	outcomes, err := eng.Run(context.Background(), optimize.Batch{Candidate: state, Examples: data.Examples, IDs: ids, Label: "evaluate " + in.Program.String()})
	if err != nil {
		return EvaluateResult{}, err
	}
	ctl.status.State = "completed"
	res := EvaluateResult{Total: len(outcomes), Outcomes: outcomes, Spent: ctl.spent}
	sum := 0.0
	for _, o := range outcomes {
		sum += o.Score
		if o.Failed() {
			res.Errors++
		}
	}
	if len(outcomes) > 0 {
		res.Score = math.Round(10000*sum/float64(len(outcomes))) / 100
	}
	return res, nil
}
