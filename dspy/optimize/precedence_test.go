package optimize

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
)

// precedenceTap is a local engine that notes each batch's precedence and
// whether a graph ran it.
type precedenceTap struct {
	*LocalEngine
	mu      sync.Mutex
	batches []tappedBatch
}

type tappedBatch struct {
	label      string
	examples   int
	inGraph    bool
	precedence dspy.Precedence
}

type inGraph struct{}

func (p *precedenceTap) Run(ctx context.Context, b Batch) ([]Outcome, error) {
	p.mu.Lock()
	p.batches = append(p.batches, tappedBatch{label: b.Label, examples: len(b.Examples), inGraph: ctx.Value(inGraph{}) != nil, precedence: b.Precedence})
	p.mu.Unlock()
	return p.LocalEngine.Run(ctx, b)
}

func (p *precedenceTap) Fork(ctx context.Context, n int, fn func(context.Context, Engine, int) error, after func(int) error) error {
	return p.LocalEngine.Fork(ctx, n, func(ctx context.Context, _ Engine, i int) error { return fn(ctx, p, i) }, after)
}

func (p *precedenceTap) ForkGraph(ctx context.Context, n int, deps [][]int, fn func(context.Context, Engine, int) error, after func(int) error) error {
	return p.LocalEngine.ForkGraph(ctx, n, deps, func(ctx context.Context, _ Engine, i int) error {
		return fn(context.WithValue(ctx, inGraph{}, true), p, i)
	}, after)
}

// MIPROv2's graph scores its baseline and unguided trials Behind the rest,
// and every prompt-model call goes Ahead; the demo sets' bootstraps and the
// search after the graph keep the normal precedence. The engine hands a
// batch's precedence to its LM calls.
func TestMIPROv2GraphScoresBehindAndPromptsAhead(t *testing.T) {
	model := simLM(t, 7)
	task, prompt := &testkit.PrecedenceLM{LM: model}, &testkit.PrecedenceLM{LM: model}
	eng, err := NewLocalEngine(LocalOptions{Program: qaProgram, Metric: evaluate.ExactMatch("answer"), TaskLM: task, PromptLM: prompt, Concurrency: 4})
	require.NoError(t, err)
	tap := &precedenceTap{LocalEngine: eng}
	_, err = smallMIPRO().Compile(context.Background(), tap, simTask())
	require.NoError(t, err)

	behindExamples, graphTrials, laterTrials := 0, 0, 0
	for _, b := range tap.batches {
		scoring := strings.HasPrefix(b.label, "miprov2 trial ")
		if b.inGraph && scoring {
			assert.Equal(t, dspy.PrecedenceBehind, b.precedence, b.label)
			behindExamples += b.examples
			graphTrials++
			continue
		}
		assert.Equal(t, dspy.PrecedenceNormal, b.precedence, b.label)
		if scoring {
			laterTrials++
		}
	}
	assert.Equal(t, 6, graphTrials, "the baseline and five unguided trials")
	assert.Positive(t, laterTrials, "the search after the graph")
	assert.Equal(t, behindExamples, task.Seen()[dspy.PrecedenceBehind], "task LM calls Behind: one an example of the graph's scoring")
	assert.Positive(t, task.Seen()[dspy.PrecedenceNormal])
	assert.Zero(t, task.Seen()[dspy.PrecedenceAhead])
	assert.Positive(t, prompt.Seen()[dspy.PrecedenceAhead])
	assert.Equal(t, map[dspy.Precedence]int{dspy.PrecedenceAhead: prompt.Seen()[dspy.PrecedenceAhead]}, prompt.Seen(), "prompt calls, all Ahead")
}
