package workflows_test

import (
	"context"
	"regexp"
	"strconv"

	"github.com/durable-dspy/durable-dspy/dspy"
)

var numberRE = regexp.MustCompile(`\d+`)

// numbersEmbedder embeds a text as its first two numbers and a constant, so
// "What is A+B?" questions with close operands are near; it is a pure
// function, so a durable and an in-process run see the same vectors.
var numbersEmbedder = dspy.EmbedderFunc(func(_ context.Context, texts []string) ([][]float32, dspy.Usage, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := []float32{0, 0, 1}
		for j, n := range numberRE.FindAllString(t, 2) {
			x, _ := strconv.Atoi(n)
			v[j] = float32(x)
		}
		out[i] = v
	}
	return out, dspy.Usage{Calls: 1, PromptTokens: len(texts)}, nil
})
