package optimize

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

// Expected values in these tests come from running gepa's algorithms in
// CPython with random.Random.

func TestGEPAParetoRemovesDominatedPrograms(t *testing.T) {
	tests := []struct {
		name   string
		fronts [][]int
		scores []float64
		want   [][]int
	}{
		{
			name:   "a program whose every front holds another survivor goes",
			fronts: [][]int{{0, 1}, {1}, {2, 3}, {0, 3}, {3}},
			scores: []float64{0.2, 0.5, 0.4, 0.6},
			want:   [][]int{{1}, {1}, {3}, {3}, {3}},
		},
		{
			name:   "programs alone on a front all stay",
			fronts: [][]int{{0}, {1}, {2}},
			scores: []float64{0.1, 0.2, 0.3},
			want:   [][]int{{0}, {1}, {2}},
		},
		{
			name:   "of two programs on the same fronts the lower scorer goes",
			fronts: [][]int{{0, 1}, {0, 1}},
			scores: []float64{0.5, 0.4},
			want:   [][]int{{0}, {0}},
		},
		{
			name:   "on equal scores the first to appear is tested first",
			fronts: [][]int{{0, 1}, {0, 1}},
			scores: []float64{0.5, 0.5},
			want:   [][]int{{1}, {1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, gepaRemoveDominated(tt.fronts, tt.scores))
		})
	}
}

func TestGEPAParetoSelectionDrawsAsGEPA(t *testing.T) {
	fronts := [][]int{{0, 1}, {1}, {2, 3}, {0, 3}, {3}}
	scores := []float64{0.2, 0.5, 0.4, 0.6}
	rng := pyrand.New(0)
	var got []int
	for range 10 {
		got = append(got, gepaSelectPareto(fronts, scores, rng))
	}
	assert.Equal(t, []int{3, 3, 1, 3, 3, 3, 3, 3, 3, 3}, got)
	assert.Equal(t, []int{1, 3}, gepaDominators(fronts, scores))
}

func TestGEPAParetoSelectionFallsBackToBestMean(t *testing.T) {
	assert.Equal(t, 1, gepaSelectPareto([][]int{}, []float64{0.2, 0.7, 0.7}, pyrand.New(0)))
}

func TestGEPASamplerShufflesPerEpochAndPads(t *testing.T) {
	tests := []struct {
		name    string
		n, size int
		want    [][]int
	}{
		{"padding with the least used ids", 7, 3, [][]int{{4, 2, 1}, {0, 5, 3}, {6, 6, 3}, {1, 0, 4}, {5, 6, 2}, {3, 5, 0}, {6, 3, 0}, {5, 2, 1}}},
		{"a trainset smaller than the minibatch", 2, 3, [][]int{{0, 1, 1}, {0, 1, 0}, {1, 0, 1}, {0, 1, 0}}},
		{"a larger minibatch", 10, 4, [][]int{{7, 8, 1, 5}, {3, 4, 2, 0}, {9, 6, 6, 9}, {9, 4, 8, 6}, {0, 1, 7, 2}, {3, 5, 0, 2}, {7, 0, 9, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newGEPASampler()
			rng := pyrand.New(0)
			var got [][]int
			for i := range tt.want {
				got = append(got, s.next(tt.n, tt.size, i, rng))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestGEPASamplerResumesFromItsState(t *testing.T) {
	s, rng := newGEPASampler(), pyrand.New(0)
	s.next(7, 3, 0, rng)
	s.next(7, 3, 1, rng)
	b, err := json.Marshal(s)
	require.NoError(t, err)
	var restored gepaSampler
	require.NoError(t, json.Unmarshal(b, &restored))
	rng2, err := pyrand.FromState(rng.State())
	require.NoError(t, err)
	for i := 2; i < 8; i++ {
		assert.Equal(t, s.next(7, 3, i, rng), restored.next(7, 3, i, rng2), "iteration %d", i)
	}
}

func TestGEPAMergeCombinesComponents(t *testing.T) {
	// Components: 0 changed only by i, 1 changed only by j, 2 changed by
	// both, 3 changed by neither, 4 changed by both to the same text (which
	// gepa credits to the better program, like any change by both).
	cands := [][]string{
		{"a0", "a1", "a2", "a3", "a4"}, // ancestor
		{"i0", "a1", "i2", "a3", "s4"}, // i
		{"a0", "j1", "j2", "a3", "s4"}, // j
	}
	tests := []struct {
		name     string
		agg      []float64
		want     []string
		wantFrom []int
	}{
		{"both changed: the better program's", []float64{0.1, 0.6, 0.5}, []string{"i0", "j1", "i2", "a3", "s4"}, []int{1, 2, 1, 1, 1}},
		{"both changed: the better program's, j", []float64{0.1, 0.5, 0.6}, []string{"i0", "j1", "j2", "a3", "s4"}, []int{1, 2, 2, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, from := gepaCombine(cands, tt.agg, 1, 2, 0, pyrand.New(0))
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantFrom, from)
		})
	}
	t.Run("both changed with equal scores: a draw", func(t *testing.T) {
		rng := pyrand.New(0)
		got, _ := gepaCombine(cands, []float64{0.1, 0.5, 0.5}, 1, 2, 0, rng)
		want := []string{"i2", "j2"}[pyrand.New(0).Choice(2)]
		assert.Equal(t, want, got[2])
	})
}

func TestGEPAMergeNeedsAComponentToTake(t *testing.T) {
	cands := [][]string{{"a", "b"}, {"x", "b"}, {"y", "b"}, {"a", "b"}}
	assert.False(t, gepaDesirable(cands, 0, 1, 2), "both changed the only differing component")
	assert.True(t, gepaDesirable(cands, 0, 1, 3), "one kept the ancestor's text")
}

func TestGEPAMergeSubsampleIsStratified(t *testing.T) {
	got := gepaMergeSubsample([]float64{1, 0, 1, 0, 1, 1, 0, 0}, []float64{0, 1, 1, 1, 0, 1, 0, 1}, 5, pyrand.New(3))
	assert.Equal(t, []int{0, 4, 3, 7, 6}, got)
	small := gepaMergeSubsample([]float64{1, 0, 1}, []float64{0, 1, 1}, 5, pyrand.New(3))
	assert.Equal(t, []int{0, 1, 2, 2, 1}, small, "repeats fill a small validation set")
}

func TestGEPAWeightedChoiceMatchesPython(t *testing.T) {
	rng := pyrand.New(7)
	var got []int
	for range 10 {
		got = append(got, gepaWeightedChoice(rng, []float64{0.5, 0.25, 0.25}))
	}
	assert.Equal(t, []int{0, 0, 1, 0, 1, 0, 0, 1, 0, 0}, got)
	assert.Less(t, gepaWeightedChoice(pyrand.New(1), []float64{0, 0}), 2, "zero weights draw uniformly")
}

func TestGEPAMergeProposesAcrossACommonAncestor(t *testing.T) {
	st := &gepaState{}
	st.addProgram([]string{"a", "b"}, nil, []float64{0, 0, 0})
	st.addProgram([]string{"A", "b"}, []int{0}, []float64{1, 0, 0})
	st.addProgram([]string{"a", "B"}, []int{0}, []float64{0, 1, 0})
	var m gepaMerge
	merged, ok := m.propose(st, pyrand.New(0))
	require.True(t, ok)
	assert.Equal(t, gepaMerged{Instructions: []string{"A", "B"}, I: 1, J: 2, Ancestor: 0}, merged)
	_, again := m.propose(st, pyrand.New(0))
	assert.False(t, again, "a merge is never tried twice")
}

func TestGEPAAutoBudget(t *testing.T) {
	tests := []struct {
		preds, n, val, want int
	}{
		{1, 6, 100, 780}, {1, 12, 100, 1190}, {1, 18, 100, 1735},
		{2, 6, 100, 1330}, {2, 12, 7, 1089}, {3, 18, 7, 1924},
	}
	for _, tt := range tests {
		got, err := GEPAAutoBudget(tt.preds, tt.n, tt.val, 35, 5)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got, "%+v", tt)
	}
}

func TestGEPABudgetNeedsExactlyOneSetting(t *testing.T) {
	tests := []struct {
		name    string
		params  string
		want    int
		wantErr string
	}{
		{"auto light", `{"auto":"light"}`, 4*10 + 380, ""},
		{"auto heavy", `{"auto":"heavy"}`, 7*10 + 1035, ""},
		{"max_full_evals counts the trainset and the valset given", `{"max_full_evals":2}`, 2 * (20 + 10), ""},
		{"max_metric_calls", `{"max_metric_calls":123}`, 123, ""},
		{"none", `{}`, 0, "exactly one"},
		{"two", `{"auto":"light","max_metric_calls":5}`, 0, "exactly one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := New("gepa", json.RawMessage(tt.params))
			require.NoError(t, err)
			got, err := o.(*GEPA).budget(1, 20, 10)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestGEPAParamsAreValidated(t *testing.T) {
	for _, params := range []string{
		`{"auto":"huge"}`, `{"candidate_selection_strategy":"best"}`, `{"component_selector":"some"}`,
		`{"reflection_minibatch_size":-1}`, `{"unknown":1}`,
	} {
		_, err := New("gepa", json.RawMessage(params))
		assert.Error(t, err, params)
	}
}

func TestPlanGEPA(t *testing.T) {
	p, err := PlanGEPA(json.RawMessage(`{"auto":"light"}`), PlanSizes{Predictors: 1, Trainset: 20})
	require.NoError(t, err)
	assert.Equal(t, GEPAPlan{Auto: "light", MaxMetricCalls: 460, Valset: 20, MinibatchSize: 3, MaxIterations: 74, ReflectionCalls: 74}, p)

	all, err := PlanGEPA(json.RawMessage(`{"max_metric_calls":100,"component_selector":"all"}`), PlanSizes{Predictors: 2, Trainset: 20, Valset: 10})
	require.NoError(t, err)
	assert.Equal(t, 15, all.MaxIterations)
	assert.Equal(t, 30, all.ReflectionCalls)

	_, err = PlanGEPA(json.RawMessage(`{"auto":"light"}`), PlanSizes{Predictors: 0, Trainset: 20})
	assert.Error(t, err)
}

func TestGEPAExtractInstruction(t *testing.T) {
	tests := []struct{ name, reply, want string }{
		{"a fenced block", "Here:\n```\nAdd the numbers.\n```\nDone.", "Add the numbers."},
		{"a language tag is dropped", "```text\nBe exact.\n```", "Be exact."},
		{"first to last fence", "```\nOne\n```\nmid\n```\nTwo\n```", "One\n```\nmid\n```\nTwo"},
		{"only an opening fence", "```md\nUnclosed text", "Unclosed text"},
		{"only a closing fence", "Closed text\n```", "Closed text"},
		{"no fences", "  Plain text  ", "Plain text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, gepaExtractInstruction(tt.reply))
		})
	}
}

func TestGEPAReflectionPromptFollowsGEPATemplate(t *testing.T) {
	records := []gepaRecord{
		{Inputs: []gepaKV{{"question", "What is 2+2?"}}, Outputs: []gepaKV{{"answer", "5"}}, Feedback: "Wrong: expected 4."},
		{Inputs: []gepaKV{{"question", "What is 1+1?"}}, Failed: "Couldn't parse.\n```\nraw\n```\n\n", Feedback: "Your output failed to parse."},
	}
	got := gepaReflectionPrompt("Answer.", records)
	want := "I provided an assistant with the following instructions to perform a task for me:\n```\nAnswer.\n```\n\n" +
		"The following are examples of different task inputs provided to the assistant along with the assistant's response for each of them, and some feedback on how the assistant's response could be better:\n```\n" +
		"# Example 1\n## Inputs\n### question\nWhat is 2+2?\n\n## Generated Outputs\n### answer\n5\n\n## Feedback\nWrong: expected 4.\n\n" +
		"\n\n" +
		"# Example 2\n## Inputs\n### question\nWhat is 1+1?\n\n## Generated Outputs\nCouldn't parse.\n```\nraw\n```\n\n## Feedback\nYour output failed to parse.\n\n" +
		"\n```\n\nYour task is to write a new instruction for the assistant."
	assert.True(t, strings.HasPrefix(got, want), "got:\n%s", got)
	assert.True(t, strings.HasSuffix(got, "Provide the new instructions within ``` blocks."))
}

func TestGEPAReflectiveDatasetUsesFeedbackOrScore(t *testing.T) {
	sig := dspy.MustSignature("question -> answer")
	examples := qaExamples(3)
	outs := []Outcome{
		{ID: 0, Score: 0, Feedback: "Expected a0.", Trace: []TraceStep{{Predictor: "predict", Inputs: dspy.NewExample("question", "q0"), Outputs: dspy.NewExample("answer", "x")}}},
		{ID: 1, Score: 1, Trace: []TraceStep{{Predictor: "predict", Inputs: dspy.NewExample("question", "q1"), Outputs: dspy.NewExample("answer", "a1")}}},
		{ID: 2, Score: 0, Error: "ChatAdapter could not parse the LM reply", Raw: "garbled"},
	}
	comps := []string{"predict"}
	plain := gepaReflectiveDataset("predict", comps, sig, examples, outs, false, pyrand.New(0))
	require.Len(t, plain, 2, "a failed run is left out unless format failures are reported")
	assert.Equal(t, "Expected a0.", plain[0].Feedback)
	assert.Equal(t, "This trajectory got a score of 1.0.", plain[1].Feedback)
	assert.Equal(t, []gepaKV{{"answer", "a1"}}, plain[1].Outputs)

	withFailures := gepaReflectiveDataset("predict", comps, sig, examples, outs, true, pyrand.New(0))
	require.Len(t, withFailures, 3)
	failed := withFailures[2]
	assert.Contains(t, failed.Failed, "The model's raw response was:\n```\ngarbled\n```")
	assert.Equal(t, []gepaKV{{"question", "q2"}}, failed.Inputs)
	assert.True(t, strings.HasPrefix(failed.Feedback, "Your output failed to parse. Follow this structure:\nsystem: Your input fields are:"), failed.Feedback)
}

func TestGEPAReflectionReplyReadsPlainTextReplies(t *testing.T) {
	text, err := gepaReflectionReply([]dspy.Example{dspy.NewExample("text", "```\nX\n```")}, nil)
	require.NoError(t, err)
	assert.Equal(t, "```\nX\n```", text)

	_, err = gepaReflectionReply(nil, nil)
	assert.Error(t, err)

	_, err = gepaReflectionReply(nil, context.Canceled)
	assert.ErrorIs(t, err, context.Canceled)
}
