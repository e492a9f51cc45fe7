package optimize_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// operandEmbedder embeds "What is A+B?" as (A, B, 1), so questions with
// close operands are near.
var operandEmbedder = dspy.EmbedderFunc(func(_ context.Context, texts []string) ([][]float32, dspy.Usage, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		var a, b int
		fmt.Sscanf(t[strings.Index(t, "What is"):], "What is %d+%d?", &a, &b)
		out[i] = []float32{float32(a), float32(b), 1}
	}
	return out, dspy.Usage{}, nil
})

// KNNFewShot compiles a program that gives each input the demos of its
// nearest training examples; the compiled state carries the index, so the
// program runs anywhere with only an embedder.
func ExampleKNNFewShot() {
	newProgram := func() (dspy.Module, error) { return dspy.NewPredict(dspy.MustSignature("question -> answer")), nil }
	engine, err := optimize.NewLocalEngine(optimize.LocalOptions{
		Program: newProgram, Metric: evaluate.ExactMatch("answer"), TaskLM: sumsLM(), Embedder: operandEmbedder,
	})
	if err != nil {
		panic(err)
	}
	opt, err := optimize.New("knn_fewshot", json.RawMessage(`{"k": 2, "max_bootstrapped_demos": 1, "max_labeled_demos": 2}`))
	if err != nil {
		panic(err)
	}
	program, _ := newProgram()
	res, err := opt.Compile(context.Background(), engine, optimize.TaskFor(program, sums(8, 1), sums(6, 20)))
	if err != nil {
		panic(err)
	}
	fmt.Printf("student %.0f%%, knn_fewshot %.0f%%\n", res.BaselineScore, res.Score)

	// The compiled program, rebuilt from its state, answers a new question.
	knn, err := optimize.BuildProgram(newProgram, res.Program)
	if err != nil {
		panic(err)
	}
	if err := dspy.LoadState(knn, res.Program); err != nil {
		panic(err)
	}
	ctx := dspy.WithEmbedder(dspy.WithLM(context.Background(), sumsLM()), operandEmbedder)
	pred, err := knn.Call(ctx, dspy.NewExample("question", "What is 40+2?"))
	if err != nil {
		panic(err)
	}
	fmt.Println("What is 40+2?", pred.GetString("answer"))
	// Output:
	// student 50%, knn_fewshot 100%
	// What is 40+2? 42
}
