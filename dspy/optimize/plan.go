package optimize

// Planner is an optimizer that can say, without running anything, what a run
// on data of given sizes will do: how many program runs and prompt-model
// calls, each exact or an upper bound. Every registered optimizer implements
// it beside its Compile, from the same resolved settings, so a dry run and a
// real run never disagree on a default.
type Planner interface {
	// Plan applies the settings and validation Compile would, and returns
	// the plan, or the error Compile would return for these sizes.
	Plan(sizes PlanSizes) (Plan, error)
}

// PlanSizes are what a plan depends on besides the optimizer's parameters.
type PlanSizes struct {
	// Predictors is the number of predictors in the program.
	Predictors int `json:"predictors"`
	// Trainset and Valset are the sizes of the data given; Valset 0 means
	// none was given, and the optimizer derives one as its Compile does.
	Trainset int `json:"trainset"`
	Valset   int `json:"valset"`
}

// Plan is what an optimizer run will do, in program runs on the task model
// and calls of the prompt model.
type Plan struct {
	// Settings describes the resolved settings in a line, for people.
	Settings string `json:"settings"`
	// TaskRuns is the program runs; each makes one task-model call per
	// predictor call. TaskUpper tells whether it is an upper bound.
	TaskRuns  int  `json:"task_runs"`
	TaskUpper bool `json:"task_upper,omitempty"`
	// PromptCalls is the prompt-model calls; PromptUpper tells whether it is
	// an upper bound.
	PromptCalls int  `json:"prompt_calls"`
	PromptUpper bool `json:"prompt_upper,omitempty"`
	// PromptCompletions is the completions each prompt call asks for (n).
	PromptCompletions int `json:"prompt_completions"`
	// Notes say what the numbers leave out, for people.
	Notes []string `json:"notes,omitempty"`
}

// valOrTrain is the validation set size of optimizers that score on the
// trainset when no valset is given.
func (s PlanSizes) valOrTrain() int {
	if s.Valset == 0 {
		return s.Trainset
	}
	return s.Valset
}
