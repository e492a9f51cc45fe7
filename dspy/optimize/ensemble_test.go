package optimize

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
)

func preds(answers ...string) []dspy.Prediction {
	out := make([]dspy.Prediction, len(answers))
	for i, a := range answers {
		out[i] = dspy.NewPrediction(dspy.NewExample("reasoning", i, "answer", a))
	}
	return out
}

func TestMajorityVotesAsDSPy(t *testing.T) {
	for _, c := range []struct {
		name    string
		answers []string
		want    int // index of the returned prediction
	}{
		{"most common wins", []string{"7", "8", "8"}, 1},
		{"a tie goes to the value seen first", []string{"7", "8", "8", "7"}, 0},
		{"values are normalized", []string{"Paris", "the paris!", "Rome"}, 0},
		{"empty values do not vote", []string{"", "", "9"}, 2},
		{"all empty: the first", []string{"", ""}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			ps := preds(c.answers...)
			got, err := Majority(ps, MajorityOptions{})
			require.NoError(t, err)
			assert.Equal(t, ps[c.want].Example, got.Example)
		})
	}
	got, err := Majority(preds("a", "b", "b"), MajorityOptions{Field: "reasoning"})
	require.NoError(t, err)
	assert.Equal(t, "a", got.GetString("answer"), "every reasoning differs: the first")
	_, err = Majority(nil, MajorityOptions{})
	require.Error(t, err)
}

// answerLM answers every question with the last demo's answer, or "0".
func answerLM() *dspytest.FuncLM {
	return &dspytest.FuncLM{Reply: func(_ context.Context, req dspy.LMRequest) (string, error) {
		answer := "0"
		for _, m := range req.Messages[1 : len(req.Messages)-1] {
			if m.Role == "assistant" {
				answer = m.Content[len("[[ ## answer ## ]]\n") : len(m.Content)-len("\n\n[[ ## completed ## ]]")]
			}
		}
		return dspytest.ChatReply("answer", answer), nil
	}}
}

func memberWith(t *testing.T, answer string) dspy.ProgramState {
	t.Helper()
	st, err := WithDemos(qaTask(nil, nil).Student, "self", []dspy.Example{dspy.NewExample("question", "q", "answer", answer)})
	require.NoError(t, err)
	return st
}

func TestEnsembleProgramVotesAndSavesAsDSPy(t *testing.T) {
	members := []dspy.ProgramState{memberWith(t, "4"), memberWith(t, "5"), memberWith(t, "5")}
	st := EnsembleState(members, 0)
	assert.Equal(t, []string{"programs[0]", "programs[1]", "programs[2]"}, st.Names())

	// Saved and read back, the state still builds the ensemble.
	b, err := st.Encode()
	require.NoError(t, err)
	var loaded dspy.ProgramState
	require.NoError(t, json.Unmarshal(b, &loaded))
	program, err := BuildProgram(qaProgram, loaded)
	require.NoError(t, err)
	require.NoError(t, dspy.LoadState(program, loaded))

	ctx := dspy.WithLM(context.Background(), answerLM())
	pred, err := program.Call(ctx, dspy.NewExample("question", "What is 2+3?"))
	require.NoError(t, err)
	assert.Equal(t, "5", pred.GetString("answer"))

	// A sampled ensemble picks the same members for the same inputs.
	sampled, err := BuildProgram(qaProgram, EnsembleState(members, 1))
	require.NoError(t, err)
	require.NoError(t, dspy.LoadState(sampled, EnsembleState(members, 1)))
	first, err := sampled.Call(ctx, dspy.NewExample("question", "What is 1+1?"))
	require.NoError(t, err)
	for range 5 {
		again, err := sampled.Call(ctx, dspy.NewExample("question", "What is 1+1?"))
		require.NoError(t, err)
		assert.Equal(t, first.Example, again.Example)
	}

	plain, err := BuildProgram(qaProgram, members[0])
	require.NoError(t, err)
	assert.IsType(t, &dspy.Predict{}, plain)
}

// DSPy's Ensemble saves its members' predictors under "programs[i]" and no
// marker; such a state builds an ensemble of every member, and only one
// whose paths are exactly the program's under programs[0] to programs[n-1].
func TestBuildProgramKnowsAnEnsembleDSPySavedByItsPaths(t *testing.T) {
	members := []dspy.ProgramState{memberWith(t, "4"), memberWith(t, "5"), memberWith(t, "5")}
	fromDSPy := EnsembleState(members, 2)
	delete(fromDSPy.Metadata, ensembleKey)
	program, err := BuildProgram(qaProgram, fromDSPy)
	require.NoError(t, err)
	e, ok := program.(*EnsembleProgram)
	require.True(t, ok, "%T", program)
	assert.Len(t, e.Programs, 3)
	assert.Zero(t, e.Size, "DSPy saves no size: every member runs")
	require.NoError(t, dspy.LoadState(program, fromDSPy))
	pred, err := program.Call(dspy.WithLM(context.Background(), answerLM()), dspy.NewExample("question", "What is 2+3?"))
	require.NoError(t, err)
	assert.Equal(t, "5", pred.GetString("answer"))

	for name, names := range map[string][]string{
		"a gap":          {"programs[0]", "programs[2]"},
		"out of order":   {"programs[1]", "programs[0]"},
		"another list":   {"members[0]", "members[1]"},
		"a deeper path":  {"programs[0].predict", "programs[1].predict"},
		"the plain path": {"self"},
	} {
		st := dspy.ProgramState{}
		for _, n := range names {
			st.Predictors = append(st.Predictors, dspy.NamedState{Name: n, State: members[0].Predictors[0].State})
		}
		plain, err := BuildProgram(qaProgram, st)
		require.NoError(t, err, name)
		assert.IsType(t, &dspy.Predict{}, plain, name)
	}
}

func TestEnsembleImprovesOverTheStudent(t *testing.T) {
	opt, err := New("ensemble", json.RawMessage(`{"num_programs": 3, "max_bootstrapped_demos": 2, "max_labeled_demos": 2}`))
	require.NoError(t, err)
	var checkpoints []Checkpoint
	engine := simbaEngine(4, func(_ context.Context, cp Checkpoint) error {
		checkpoints = append(checkpoints, cp)
		return nil
	})
	task := qaTask(arithmetic(8, 1), arithmetic(8, 30))
	res, err := opt.Compile(context.Background(), engine, task)
	require.NoError(t, err)
	require.True(t, res.BaselineMeasured)
	assert.Greater(t, res.Score, res.BaselineScore)
	assert.Len(t, res.Program.Names(), 3)
	require.Len(t, checkpoints, 3)
	require.Len(t, res.Trials, 2)
	assert.Equal(t, "ensemble of 3 (majority)", res.Trials[1].Label)

	resumed := task
	resumed.Resume = checkpoints[1].State
	again, err := opt.Compile(context.Background(), simbaEngine(2, nil), resumed)
	require.NoError(t, err)
	assert.Equal(t, mustJSON(t, res), mustJSON(t, again))
}

func TestEnsembleOfGivenProgramsAndValidation(t *testing.T) {
	members := []dspy.ProgramState{memberWith(t, "1"), memberWith(t, "2")}
	res, err := (&Ensemble{Programs: members}).Compile(context.Background(), simbaEngine(2, nil), qaTask(nil, arithmetic(4, 1)))
	require.NoError(t, err)
	assert.Equal(t, []string{"programs[0]", "programs[1]"}, res.Program.Names())

	_, err = New("ensemble", json.RawMessage(`{"num_programs": 2, "size": 3}`))
	require.ErrorContains(t, err, "size 3 is not between 0 (all) and the 2 members")
	_, err = New("ensemble", json.RawMessage(`{"reduce": "mean"}`))
	require.ErrorContains(t, err, `unknown reduce "mean"`)

	opt, err := New("ensemble", json.RawMessage(`{"size": 2}`))
	require.NoError(t, err)
	plan, err := opt.(Planner).Plan(PlanSizes{Predictors: 1, Trainset: 10, Valset: 5})
	require.NoError(t, err)
	assert.Equal(t, 5+5*2+3*10, plan.TaskRuns)
	assert.True(t, plan.TaskUpper)
}
