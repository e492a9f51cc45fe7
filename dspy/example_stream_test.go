package dspy_test

import (
	"context"
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// ExampleStreamify streams a ChainOfThought's fields while the LM writes
// them, then gets the same prediction an unstreamed call would return.
func ExampleStreamify() {
	srv := simlm.New(simlm.Config{Seed: 1})
	if err := srv.Start(); err != nil {
		panic(err)
	}
	defer srv.Close()
	client, err := lm.New(lm.Options{BaseURL: srv.URL(), APIKey: "unused", Model: "simlm-1"})
	if err != nil {
		panic(err)
	}
	ctx := dspy.WithLM(context.Background(), client)

	cot, err := dspy.NewChainOfThought(dspy.MustSignature("question -> answer", ""))
	if err != nil {
		panic(err)
	}
	streamer, err := dspy.Streamify(cot, dspy.StreamListener{Field: "reasoning"}, dspy.StreamListener{Field: "answer"})
	if err != nil {
		panic(err)
	}
	streamed := map[string]string{}
	for ev, err := range streamer.Stream(ctx, dspy.NewExample("question", "Why is the sky blue?")) {
		if err != nil {
			panic(err)
		}
		switch {
		case ev.Chunk != nil:
			streamed[ev.Chunk.Field] += ev.Chunk.Chunk // show ev.Chunk.Chunk as it comes
			if ev.Chunk.IsLastChunk {
				fmt.Printf("%s: %q\n", ev.Chunk.Field, streamed[ev.Chunk.Field])
			}
		case ev.Status != nil:
			fmt.Println("status:", ev.Status.Message)
		case ev.Prediction != nil:
			fmt.Println("prediction:", ev.Prediction.GetString("answer"))
		}
	}
	// Output:
	// reasoning: "Looking at Why is the sky blue?, the relevant details point to the answer below."
	// answer: "Why is the sky blue?"
	// prediction: Why is the sky blue?
}
