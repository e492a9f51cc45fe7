package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
)

// setupRetries is the retry policy of the activities that set a run up
// (describing the program, loading its data). They are quick and
// repeatable: a bad reference fails at once, anything else is retried a
// few times before the run fails.
func setupRetries() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{MaximumAttempts: 5, NonRetryableErrorTypes: []string{activities.ErrTypeConfig}}
}

// versionLocalSetup marks runs whose setup runs as local activities: on the
// worker that runs the workflow, within its workflow task, so a run reaches
// its first batch without a server round trip per setup step. Runs started
// before keep their setup activities when they replay.
const versionLocalSetup = "local-setup"

// setupStep runs one setup activity: as a local activity, or on runs
// started before versionLocalSetup as an activity of its own.
type setupStep func(summary, activity string, arg, out any) error

func newSetupStep(ctx workflow.Context) setupStep {
	if workflow.GetVersion(ctx, versionLocalSetup, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return func(summary, activity string, arg, out any) error {
			actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
				StartToCloseTimeout: fiveMinutes, RetryPolicy: setupRetries(), Summary: summary,
			})
			return workflow.ExecuteActivity(actx, activity, arg).Get(ctx, out)
		}
	}
	return func(summary, activity string, arg, out any) error {
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout: fiveMinutes, RetryPolicy: setupRetries(), Summary: summary,
		})
		return workflow.ExecuteLocalActivity(lctx, activity, arg).Get(ctx, out)
	}
}

// taskData names a dataset a run loads.
type taskData struct {
	// Name says which dataset it is ("trainset", "valset", "dataset"), in
	// activity summaries and errors.
	Name string
	Ref  activities.DatasetRef
	// Pinned is the hash an earlier run of this optimization loaded, carried
	// through continue-as-new; empty on a first run.
	Pinned string
}

// loadedTask is a program's description and its datasets, loaded with their
// inputs marked.
type loadedTask struct {
	Program  activities.ProgramDescription
	Datasets []activities.LoadDatasetOutput
}

// loadTask is the setup every workflow runs: describe the program, then load
// each dataset in order, taking the program's input fields as its inputs
// unless the dataset names its own. The activities run one after the other,
// in the order runs have always scheduled them; they are local activities
// (see versionLocalSetup), as cheap as the steps they are, since the
// in-process engine has none of them to pay for.
//
// Data is pinned twice over, by the same hash: LoadDataset refuses a file
// whose content no longer has the hash its reference was pinned to when the
// run started, and a dataset whose hash differs from the one an earlier run
// of the optimization loaded is refused here, which also covers references
// started without a pin.
func loadTask(ctx workflow.Context, program activities.ProgramRef, data ...taskData) (loadedTask, error) {
	step := newSetupStep(ctx)
	var task loadedTask
	if err := step("describe program "+program.String(), activities.DescribeProgramName, program, &task.Program); err != nil {
		return loadedTask{}, fmt.Errorf("describe program: %w", err)
	}
	for _, d := range data {
		ref := d.Ref
		ref.ProgramInputs = task.Program.InputKeys
		var out activities.LoadDatasetOutput
		if err := step("load "+d.Name, activities.LoadDatasetName, ref, &out); err != nil {
			return loadedTask{}, fmt.Errorf("load %s: %w", d.Name, err)
		}
		if d.Pinned != "" && d.Pinned != out.SHA256 {
			where := "its inline examples"
			if ref.Path != "" {
				where = ref.Path
			}
			return loadedTask{}, configError("the %s changed since this optimization started (%s: sha256 %s, was %s); restore it or start a new optimization",
				d.Name, where, out.SHA256, d.Pinned)
		}
		out.Examples = markLegacyInputs(out.Examples, out.InputKeys)
		task.Datasets = append(task.Datasets, out)
	}
	return task, nil
}

// markLegacyInputs marks examples that arrived without a marking. LoadDataset
// marks every example it returns, but a result recorded before examples
// carried their marking through JSON has none; such a run replays, or
// resumes, marking them as it did then, which is the rule LoadDataset
// applies now (activities.MarkInputs).
//
// Optimizers see the marking: MIPROv2's dataset summary shows the prompt
// model each example's input keys, so without it a durable run would ask
// other questions than an in-process one.
func markLegacyInputs(examples []dspy.Example, keys []string) []dspy.Example {
	unmarked := slices.ContainsFunc(examples, func(ex dspy.Example) bool { return ex.InputKeys() == nil })
	if !unmarked {
		return examples
	}
	return activities.MarkInputs(examples, keys)
}
