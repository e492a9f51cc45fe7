package workflows_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// draftAndCheck is a user's own Go module, as a reader of the README would
// write one: a struct of two predictors whose Call chains them. The first
// drafts an answer; the second reasons over the question and the draft.
type draftAndCheck struct {
	draft *dspy.Predict
	check *dspy.ChainOfThought
}

func newDraftAndCheck() (dspy.Module, error) {
	check, err := dspy.NewChainOfThought(dspy.MustSignature("question, draft -> answer", "Check the draft answer and give the final one."))
	if err != nil {
		return nil, err
	}
	return &draftAndCheck{draft: dspy.NewPredict(dspy.MustSignature("question -> answer")), check: check}, nil
}

func (m *draftAndCheck) Call(ctx context.Context, in dspy.Example) (dspy.Prediction, error) {
	q, _ := in.Get("question")
	d, err := m.draft.Call(ctx, dspy.NewExample("question", q))
	if err != nil {
		return dspy.Prediction{}, err
	}
	draft, _ := d.Get("answer")
	return m.check.Call(ctx, dspy.NewExample("question", q, "draft", draft))
}

func (m *draftAndCheck) Predictors() []dspy.NamedPredictor {
	return append(dspy.PrefixPredictors("draft", m.draft.Predictors()), dspy.PrefixPredictors("check", m.check.Predictors())...)
}

// A user's Go module registered by name on the plugin runs durably on a real
// server, through the plugin on a real worker, and compiles the program the
// same optimizer compiles in process.
func TestAUsersGoModuleRegisteredOnThePluginOptimizesLikeInProcess(t *testing.T) {
	const (
		name   = "draft_and_check"
		params = `{"max_bootstrapped_demos": 2, "max_labeled_demos": 2}`
		seed   = 23
	)
	train, val := testkit.Arithmetic(1, 8), testkit.Arithmetic(2, 6)

	_, local := testkit.SimLM(t, simlm.Config{Seed: seed}, fastLM(3))
	opt, err := optimize.New("bootstrap_fewshot", json.RawMessage(params))
	require.NoError(t, err)
	eng, err := optimize.NewLocalEngine(optimize.LocalOptions{Program: newDraftAndCheck, Metric: evaluate.ExactMatch("answer"), TaskLM: local, Concurrency: 8})
	require.NoError(t, err)
	program, err := newDraftAndCheck()
	require.NoError(t, err)
	want, err := opt.Compile(context.Background(), eng, optimize.TaskFor(program, train, val))
	require.NoError(t, err)
	require.Equal(t, []string{"draft", "check.predict"}, want.Program.Names(), "the module's two predictors are both in the compiled program")
	for _, n := range want.Program.Names() {
		p, _ := want.Program.Get(n)
		require.NotEmpty(t, p.Demos, "predictor %s got demos, so the comparison below covers both", n)
	}

	_, durable := testkit.SimLM(t, simlm.Config{Seed: seed}, fastLM(3))
	plugin, err := workflows.NewPlugin(workflows.Config{
		Programs: map[string]activities.ProgramFactory{name: newDraftAndCheck},
		TaskLM:   durable,
	})
	require.NoError(t, err)
	ts, c := newServer(t)
	// Nothing registered by hand: the plugin registers the workflows, the
	// activities and the program.
	ts.NewWorkerWithOptions(taskQueue, func(worker.Registry) {}, worker.Options{Plugins: []worker.Plugin{plugin}})

	got := optimizeOnServer(t, c, "user-module", workflows.OptimizeInput{
		Optimizer: "bootstrap_fewshot", Params: json.RawMessage(params),
		Program:  activities.ProgramRef{Name: name},
		Trainset: activities.DatasetRef{Examples: train}, Valset: &activities.DatasetRef{Examples: val},
		Metric:    "exact_match",
		Execution: workflows.Execution{BatchSize: 3, MaxParallelActivities: 4},
	})

	assert.Equal(t, encoded(t, want.Program), encoded(t, got.Program))
	assert.Equal(t, want.Score, got.Score)
}
