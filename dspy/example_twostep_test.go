package dspy_test

import (
	"context"
	"fmt"
	"log"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// ExampleTwoStepAdapter has a main model answer a word problem in its own
// words, then a second model read that answer into the typed output field.
// Both calls are counted in the prediction's usage.
func ExampleTwoStepAdapter() {
	srv := simlm.New(simlm.Config{Seed: 3}) // the project's simulated LM
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	main, err := lm.New(lm.Options{Model: "simlm-1", BaseURL: srv.URL()})
	if err != nil {
		log.Fatal(err)
	}
	extraction, err := lm.New(lm.Options{Model: "simlm-mini", BaseURL: srv.URL()})
	if err != nil {
		log.Fatal(err)
	}

	p := dspy.NewPredict(dspy.MustSignature("question -> answer: int", "Solve the arithmetic word problem step by step. Answer with only the integer."))
	p.Adapter = dspy.NewTwoStepAdapter(extraction)
	pred, err := p.Call(dspy.WithLM(context.Background(), main),
		dspy.NewExample("question", "Mia has 12 apples and buys 30 more. How many apples does Mia have now?"))
	if err != nil {
		log.Fatal(err)
	}
	answer, _ := pred.Get("answer")
	fmt.Printf("answer = %v (%T), %d LM calls\n", answer, answer, pred.Usage.Calls)
	// Output:
	// answer = 42 (int), 2 LM calls
}
