package dspy_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// Example_readmeTour is the README tour's first step, line for line
// (TestReadmeTourRunsAsWritten holds the two together): the client caches, and
// the question is one of the simulated LM's word problems, so it is answered.
func Example_readmeTour() {
	// The project's simulated LM on loopback. For a real model, name it in Model and
	// leave BaseURL and APIKey empty: they default to $OPENAI_BASE_URL, $OPENAI_API_KEY.
	srv := simlm.New(simlm.Config{Seed: 1})
	err := srv.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	client, err := lm.New(lm.Options{Model: "simlm-1", BaseURL: srv.URL(), MaxRetries: 3,
		Cache: lm.NewMemoryCache(0)}) // or lm.NewDiskCache(path); lm.NewTieredCache for both
	if err != nil {
		log.Fatal(err)
	}
	ctx := dspy.WithLM(context.Background(), client)

	sig := dspy.MustSignature("question -> answer: int", "Solve the arithmetic word problem step by step. Answer with only the integer.")
	cot, err := dspy.NewChainOfThought(sig)
	if err != nil {
		log.Fatal(err)
	}
	question := dspy.NewExample("question", "Mia has 12 apples and buys 30 more. How many apples does Mia have now?")
	pred, err := cot.Call(ctx, question)
	if err != nil {
		log.Fatal(err)
	}
	answer, _ := pred.Get("answer") // an int, parsed from the reply
	fmt.Println(pred.GetString("reasoning"), answer)

	_, err = cot.Call(ctx, question) // the same request again: answered from the cache
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("calls:", client.Usage().Calls, "cache hits:", client.Usage().CacheHits)
	// Output:
	// The question asks for 12 + 30. Computing it gives 42. 42
	// calls: 2 cache hits: 1
}

// The README's first tour step is Example_readmeTour without its error
// checks: its imports are the example's, and its lines, comments and printed
// output are the example's lines in the same order, so the README cannot show
// code or output the example does not run.
func TestReadmeTourRunsAsWritten(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	step := string(readme)
	start := strings.Index(step, "### Signature → module → call\n\n```go\n")
	require.GreaterOrEqual(t, start, 0, "README has no tour step with a Go block")
	step = step[start:]
	step = step[strings.Index(step, "```go\n")+len("```go\n"):]
	step = step[:strings.Index(step, "```\n")]

	src, err := os.ReadFile("example_readme_tour_test.go")
	require.NoError(t, err)
	example := string(src)
	body := example[strings.Index(example, "func Example_readmeTour() {"):]
	body = body[:strings.Index(body, "\n}\n")]
	lines := trimmedLines(body)

	imports, code, ok := strings.Cut(step, ")\n")
	require.True(t, ok, "the tour step starts with an import block")
	for _, imp := range trimmedLines(imports)[1:] {
		assert.Contains(t, example, "\t"+imp+"\n", "README imports %s, the example does not", imp)
	}
	next := 0
	for _, want := range trimmedLines(code) {
		i := slices.Index(lines[next:], want)
		if !assert.GreaterOrEqual(t, i, 0, "README line %q is not in Example_readmeTour after line %d", want, next) {
			continue
		}
		next += i + 1
	}
}

// trimmedLines returns s's non-blank lines without surrounding space.
func trimmedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
