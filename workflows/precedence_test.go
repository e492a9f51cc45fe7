package workflows_test

import (
	"context"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

var trialNumber = regexp.MustCompile(`^miprov2 trial (\d+): `)

// A durable MIPROv2 run's graph asks for its baseline and unguided trials
// Behind in the batch activities' input, and the activities make those
// batches' LM calls Behind and every prompt-model call Ahead; the demo
// sets' bootstraps and the search's later trials keep the normal precedence.
func TestMIPROv2DurableGraphScoresBehindAndPromptsAhead(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 13}, fastLM(3))
	task, prompt := &testkit.PrecedenceLM{LM: client}, &testkit.PrecedenceLM{LM: client}
	cfg := workerConfig(task)
	cfg.PromptLM = prompt
	env := newEnv(t, cfg)
	var mu sync.Mutex
	examples := map[dspy.Precedence]int{}
	trials := map[dspy.Precedence][]int{}
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, args converter.EncodedValues) {
		if info.ActivityType.Name != activities.RunBatchName {
			return
		}
		var in activities.RunBatchInput
		require.NoError(t, args.Get(&in))
		mu.Lock()
		defer mu.Unlock()
		b := in.Batch
		examples[b.Precedence] += len(b.Examples)
		if m := trialNumber.FindStringSubmatch(b.Label); m != nil {
			n, _ := strconv.Atoi(m[1])
			trials[b.Precedence] = append(trials[b.Precedence], n)
		} else {
			assert.Equal(t, dspy.PrecedenceNormal, b.Precedence, b.Label)
		}
	})
	env.ExecuteWorkflow(workflows.OptimizeWorkflowName, graphInput(t))
	resultOf(t, env)

	require.NotEmpty(t, trials[dspy.PrecedenceBehind])
	require.NotEmpty(t, trials[dspy.PrecedenceNormal])
	assert.Contains(t, trials[dspy.PrecedenceBehind], 1, "the baseline")
	assert.Less(t, maxOf(trials[dspy.PrecedenceBehind]), minOf(trials[dspy.PrecedenceNormal]), "the graph's trials come first")
	assert.Equal(t, examples[dspy.PrecedenceBehind], task.Seen()[dspy.PrecedenceBehind], "task LM calls Behind: one an example of the graph's scoring")
	assert.Equal(t, examples[dspy.PrecedenceNormal], task.Seen()[dspy.PrecedenceNormal])
	assert.Zero(t, task.Seen()[dspy.PrecedenceAhead])
	assert.Positive(t, prompt.Seen()[dspy.PrecedenceAhead])
	assert.Equal(t, map[dspy.Precedence]int{dspy.PrecedenceAhead: prompt.Seen()[dspy.PrecedenceAhead]}, prompt.Seen(), "prompt calls, all Ahead")
}

func maxOf(xs []int) int {
	m := xs[0]
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func minOf(xs []int) int {
	m := xs[0]
	for _, x := range xs {
		m = min(m, x)
	}
	return m
}
