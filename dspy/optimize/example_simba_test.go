package optimize_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// sumsLM answers "What is A+B?" correctly when the prompt carries demos or
// a rule to check the operation, and off by one otherwise for odd sums. It
// answers the rule-writing prompts of SIMBA and InferRules with that rule.
func sumsLM() *dspytest.FuncLM {
	return &dspytest.FuncLM{Reply: func(_ context.Context, req dspy.LMRequest) (string, error) {
		system := req.Messages[0].Content
		switch {
		case strings.Contains(system, "`module_advice`"):
			return dspytest.ChatReply("discussion", "The worse run added wrongly.", "module_advice", `{"self": "Check the operation."}`), nil
		case strings.Contains(system, "`natural_language_rules`"):
			return dspytest.ChatReply("reasoning", "All are sums.", "natural_language_rules", "1. Check the operation."), nil
		}
		last := req.Messages[len(req.Messages)-1].Content
		var a, b int
		fmt.Sscanf(last[strings.Index(last, "What is"):], "What is %d+%d?", &a, &b)
		sum := a + b
		if len(req.Messages) == 2 && !strings.Contains(system, "Check the operation") && sum%2 == 1 {
			sum++
		}
		return dspytest.ChatReply("answer", strconv.Itoa(sum)), nil
	}}
}

func sums(n, offset int) []dspy.Example {
	var out []dspy.Example
	for i := range n {
		a, b := i+offset, 2
		out = append(out, dspy.NewExample("question", fmt.Sprintf("What is %d+%d?", a, b), "answer", strconv.Itoa(a+b)).WithInputs("question"))
	}
	return out
}

// compile runs a registered optimizer in process on the sums task.
func compile(name, params string, train, val []dspy.Example) optimize.Result {
	newProgram := func() (dspy.Module, error) { return dspy.NewPredict(dspy.MustSignature("question -> answer")), nil }
	engine, err := optimize.NewLocalEngine(optimize.LocalOptions{Program: newProgram, Metric: evaluate.ExactMatch("answer"), TaskLM: sumsLM()})
	if err != nil {
		panic(err)
	}
	opt, err := optimize.New(name, json.RawMessage(params))
	if err != nil {
		panic(err)
	}
	program, _ := newProgram()
	res, err := opt.Compile(context.Background(), engine, optimize.TaskFor(program, train, val))
	if err != nil {
		panic(err)
	}
	return res
}

// SIMBA samples mini-batches, turns the best run on a varied example into a
// demo (or asks for a rule), and keeps the best winner on the trainset.
func ExampleSIMBA() {
	res := compile("simba", `{"bsize": 4, "num_candidates": 2, "max_steps": 2}`, sums(8, 1), nil)
	self, _ := res.Program.Get("self")
	fmt.Printf("trainset score %.0f -> %.0f with %d demo(s)\n", res.BaselineScore, res.Score, len(self.Demos))
	// Output:
	// trainset score 50 -> 100 with 1 demo(s)
}

// An ensemble of three bootstrapped programs votes on every answer; its
// state saves under DSPy's programs[i] paths.
func ExampleEnsemble() {
	res := compile("ensemble", `{"num_programs": 3, "max_bootstrapped_demos": 2, "max_labeled_demos": 2}`, sums(6, 1), sums(6, 20))
	fmt.Println(res.Program.Names())
	fmt.Printf("valset score %.0f -> %.0f\n", res.BaselineScore, res.Score)
	// Output:
	// [programs[0] programs[1] programs[2]]
	// valset score 50 -> 100
}

// Majority picks the most common normalized answer; ties go to the first.
func ExampleMajority() {
	var preds []dspy.Prediction
	for _, a := range []string{"Paris", "the paris.", "Rome"} {
		preds = append(preds, dspy.NewPrediction(dspy.NewExample("answer", a)))
	}
	best, _ := optimize.Majority(preds, optimize.MajorityOptions{})
	fmt.Println(best.GetString("answer"))
	// Output:
	// Paris
}

// InferRules appends the rules a prompt model induces from the training
// examples to the instructions, and keeps the best candidate.
func ExampleInferRules() {
	res := compile("infer_rules", `{"num_candidates": 2, "max_bootstrapped_demos": 0, "max_labeled_demos": 0}`, sums(6, 1), sums(6, 20))
	self, _ := res.Program.Get("self")
	fmt.Printf("valset score %.0f -> %.0f\n", res.BaselineScore, res.Score)
	fmt.Println(self.Signature.Instructions[strings.Index(self.Signature.Instructions, "Please"):])
	// Output:
	// valset score 50 -> 100
	// Please adhere to the following rules when making your prediction:
	// 1. Check the operation.
}
