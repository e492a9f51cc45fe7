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

// MIPROv2 on arithmetic word problems, against the simulated LM, which
// answers better with good demos and instructions.
func ExampleMIPROv2() {
	srv := simlm.New(simlm.Config{Seed: 3})
	if err := srv.Start(); err != nil {
		panic(err)
	}
	defer srv.Close()
	model, err := lm.New(lm.Options{BaseURL: srv.URL(), APIKey: "x", Model: "sim"})
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
	newProgram := func() (dspy.Module, error) { return dspy.NewPredict(dspy.MustSignature("question -> answer")), nil }
	engine, err := optimize.NewLocalEngine(optimize.LocalOptions{Program: newProgram, Metric: evaluate.ExactMatch("answer"), TaskLM: model})
	if err != nil {
		panic(err)
	}

	params := json.RawMessage(`{"auto": "none", "num_candidates": 5, "num_trials": 12, "minibatch_size": 10}`)
	opt, err := optimize.New("miprov2", params)
	if err != nil {
		panic(err)
	}
	program, _ := newProgram()
	res, err := opt.Compile(context.Background(), engine, optimize.TaskFor(program, examples(1, 24), examples(2, 20)))
	if err != nil {
		panic(err)
	}
	fmt.Println("trial rows:", len(res.Trials))
	fmt.Println("beats the original program:", res.Score > res.BaselineScore)
	// Output:
	// trial rows: 16
	// beats the original program: true
}

// A dry run: what MIPROv2's light setting will do on 200 training examples.
func ExamplePlanMIPROv2() {
	plan, err := optimize.PlanMIPROv2(json.RawMessage(`{"auto": "light"}`), optimize.PlanSizes{Predictors: 1, Trainset: 200})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d trials on minibatches of %d from %d validation examples, %d full evaluations\n",
		plan.NumTrials, plan.MinibatchSize, plan.Valset, plan.FullEvals)
	fmt.Printf("prompt model: at most %d calls; program runs: %d to evaluate, at most %d to bootstrap\n",
		plan.PromptCalls, plan.EvalRuns, plan.BootstrapRuns)
	// Output:
	// 10 trials on minibatches of 35 from 100 validation examples, 2 full evaluations
	// prompt model: at most 11 calls; program runs: 650 to evaluate, at most 160 to bootstrap
}
