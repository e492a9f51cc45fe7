package optimize

import (
	"context"
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

// LabeledFewShot gives every predictor up to K training examples as demos,
// as DSPy's LabeledFewShot does: a random sample drawn with
// random.Random(0), one generator shared across predictors in program order,
// so the demos are the ones DSPy would pick from the same trainset. It runs no
// program and calls no LM.
type LabeledFewShot struct {
	// K is the number of demos per predictor; zero means DSPy's default, 16.
	K int `json:"k"`
	// Sample picks demos at random when true (the default, as in DSPy) and
	// takes the first K examples when false.
	Sample *bool `json:"sample,omitempty"`
}

// Name returns "labeled_fewshot".
func (*LabeledFewShot) Name() string { return "labeled_fewshot" }

// Compile sets the demos; it never calls the engine.
func (l *LabeledFewShot) Compile(_ context.Context, _ Engine, task Task) (Result, error) {
	sample := l.Sample == nil || *l.Sample
	return Result{Program: labeledFewShot(task.Student, task.Trainset, l.k(), sample)}, nil
}

// k is K with its default resolved.
func (l *LabeledFewShot) k() int {
	if l.K == 0 {
		return 16
	}
	return l.K
}

// Plan says how many demos each predictor gets; no LM is called.
func (l *LabeledFewShot) Plan(sizes PlanSizes) (Plan, error) {
	return Plan{
		Settings:          fmt.Sprintf("%d labeled demos per predictor, no LM calls", min(l.k(), sizes.Trainset)),
		PromptCompletions: 1,
	}, nil
}

// labeledFewShot is DSPy's LabeledFewShot.compile on a state: reset demos,
// then sample min(k, |trainset|) examples per predictor from one Random(0).
// An empty trainset leaves the state unchanged, as in DSPy.
func labeledFewShot(student dspy.ProgramState, trainset []dspy.Example, k int, sample bool) dspy.ProgramState {
	if len(trainset) == 0 {
		return CloneState(student)
	}
	out := ResetDemos(student)
	n := max(0, min(k, len(trainset)))
	rng := pyrand.New(0)
	for i := range out.Predictors {
		if sample {
			out.Predictors[i].State.Demos = pyrand.SampleOf(rng, trainset, n)
		} else {
			out.Predictors[i].State.Demos = append([]dspy.Example{}, trainset[:n]...)
		}
	}
	return out
}
