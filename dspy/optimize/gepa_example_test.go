package optimize_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// GEPA on arithmetic word problems against the simulated LM, with a metric
// that says what the right answer was: reflection turns that feedback into
// better instructions.
func ExampleGEPA() {
	srv := simlm.New(simlm.Config{Seed: 5})
	if err := srv.Start(); err != nil {
		panic(err)
	}
	defer srv.Close()
	model, err := lm.New(lm.Options{BaseURL: srv.URL(), Model: "sim", MaxRetries: 3})
	if err != nil {
		panic(err)
	}
	examples := func(seed int64, n int) []dspy.Example {
		var out []dspy.Example
		for _, ex := range simlm.ArithmeticDataset(seed, n) {
			out = append(out, dspy.NewExample("question", ex.Question, "answer", ex.Answer).WithInputs("question"))
		}
		return out
	}
	exact := evaluate.ExactMatch("answer")
	metric := func(ctx context.Context, gold dspy.Example, pred dspy.Prediction, trace *dspy.Trace) (evaluate.Score, error) {
		s, err := exact(ctx, gold, pred, trace)
		if err == nil && s.Value < 1 {
			s.Feedback = fmt.Sprintf("The answer is %s, not %s.", gold.GetString("answer"), pred.GetString("answer"))
		}
		return s, err
	}
	program := func() (dspy.Module, error) { return dspy.NewPredict(dspy.MustSignature("question -> answer")), nil }
	engine, err := optimize.NewLocalEngine(optimize.LocalOptions{Program: program, Metric: metric, TaskLM: model})
	if err != nil {
		panic(err)
	}

	gepa, err := optimize.New("gepa", json.RawMessage(`{"max_metric_calls": 150, "seed": 3}`))
	if err != nil {
		panic(err)
	}
	student, _ := program()
	res, err := gepa.Compile(context.Background(), engine, optimize.TaskFor(student, examples(11, 18), examples(12, 12)))
	if err != nil {
		panic(err)
	}
	fmt.Println("improved:", res.Score > res.BaselineScore)

	plan, err := optimize.PlanGEPA(json.RawMessage(`{"auto": "light"}`), optimize.PlanSizes{Predictors: 1, Trainset: 18, Valset: 12})
	if err != nil {
		panic(err)
	}
	fmt.Println("light budget:", plan.MaxMetricCalls, "metric calls")
	// Output:
	// improved: true
	// light budget: 428 metric calls
}
