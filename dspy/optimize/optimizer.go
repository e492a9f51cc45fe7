package optimize

import (
	"context"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// Optimizer compiles a program: it searches for demos and instructions that
// raise the metric, using only the Engine to run work.
type Optimizer interface {
	// Name is the optimizer's registry name ("bootstrap_fewshot", "miprov2", ...).
	Name() string
	// Compile runs the optimization and returns the best program found.
	Compile(ctx context.Context, engine Engine, task Task) (Result, error)
}

// Result is a compiled program and how it was found.
type Result struct {
	// Program is the compiled program's state.
	Program dspy.ProgramState `json:"program"`
	// Score is the compiled program's validation score in percent, when the
	// optimizer measured one.
	Score float64 `json:"score"`
	// BaselineScore is the starting program's validation score, when
	// BaselineMeasured says the optimizer measured one.
	BaselineScore    float64 `json:"baseline_score"`
	BaselineMeasured bool    `json:"baseline_measured,omitempty"`
	// ScoreExact and BaselineExact are Score and BaselineScore before
	// rounding to two decimals, so the improvement is their difference;
	// zero beside a nonzero rounded score means not known.
	ScoreExact    float64 `json:"score_exact,omitempty"`
	BaselineExact float64 `json:"baseline_exact,omitempty"`
	// Trials lists every evaluated candidate in order.
	Trials []Trial `json:"trials,omitempty"`
	// Pareto is the final Pareto front, for optimizers that keep one (see
	// Progress.Pareto).
	Pareto []int `json:"pareto,omitempty"`
	// Stopped is true when the run ended early (stop requested or budget spent)
	// and Program is the best found until then.
	Stopped bool `json:"stopped,omitempty"`
}
