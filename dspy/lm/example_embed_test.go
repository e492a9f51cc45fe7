package lm_test

import (
	"context"
	"fmt"
	"log"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/simlm"
)

func ExampleEmbedder() {
	// The simulated LM stands in for any OpenAI-compatible embeddings server.
	sim := simlm.New(simlm.Config{})
	if err := sim.Start(); err != nil {
		log.Fatal(err)
	}
	defer sim.Close()

	embedder, err := lm.NewEmbedder(lm.EmbedderOptions{
		Model:     "text-embedding-3-small", // BaseURL and APIKey default to $OPENAI_BASE_URL, $OPENAI_API_KEY
		BaseURL:   sim.URL(),
		BatchSize: 2,
		Cache:     lm.NewMemoryCache(0),
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	corpus := []string{
		"The capital of France is Paris.",
		"Spiders have eight legs.",
		"Water boils at 100 degrees Celsius at sea level.",
	}
	index, err := dspy.NewEmbeddings(ctx, corpus, embedder, 1)
	if err != nil {
		log.Fatal(err)
	}
	for _, q := range []string{"How many legs does a spider have?", "What is the capital of France?"} {
		found, err := index.Search(ctx, q)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s -> %s\n", q, found[0].Text)
	}
	u := embedder.Usage()
	fmt.Printf("%d requests for %d texts\n", sim.Stats().Embeddings, sim.Stats().EmbeddedInputs)
	fmt.Printf("%d calls, %d from the cache\n", u.Calls, u.CacheHits)

	// Output:
	// How many legs does a spider have? -> Spiders have eight legs.
	// What is the capital of France? -> The capital of France is Paris.
	// 4 requests for 5 texts
	// 4 calls, 0 from the cache
}
