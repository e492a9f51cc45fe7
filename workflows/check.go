package workflows

import (
	"encoding/json"

	"github.com/durable-dspy/durable-dspy/activities"
)

// checkTask checks a run's loaded inputs with activities.CheckRun, the check
// the starter runs before it starts a run, so the two cannot disagree. It
// needs the program's description and the data, so it runs once they are
// loaded, before any program run or LM call. A fault fails the run as a
// configuration error.
func checkTask(optimizer string, params json.RawMessage, program activities.ProgramRef, task loadedTask, data []taskData, metric, label string) error {
	c := activities.RunCheck{
		Optimizer: optimizer, Params: params, Program: &task.Program, Spec: len(program.Spec) > 0,
		Metric: metric, Label: label,
	}
	for i, d := range task.Datasets {
		c.Datasets = append(c.Datasets, activities.CheckData{Name: data[i].Name, Path: data[i].Ref.Path, Examples: d.Examples, InputKeys: d.InputKeys})
	}
	if err := activities.CheckRun(c); err != nil {
		return configError("%v", err)
	}
	return nil
}
