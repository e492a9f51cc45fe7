package spec_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
)

const reactSpec = `module: react
signature: question -> answer
tools: [search]
`

func searchTools() spec.Tools {
	return spec.Tools{"search": dspy.MustTool("search", "Look something up.", func(_ context.Context, args struct {
		Query string `json:"query"`
	}) (string, error) {
		return args.Query, nil
	})}
}

// A predictor's own adapter key overrides the program's, and a two_step
// adapter names its extraction model, never an endpoint or a key.
func TestPredictorsKeySetsOnePredictorsAdapter(t *testing.T) {
	p, err := spec.Parse([]byte(reactSpec + `adapter: xml
extraction_model: small-model
predictors:
  extract.predict:
    adapter: two_step
`))
	require.NoError(t, err)
	m, err := p.Build(searchTools())
	require.NoError(t, err)
	preds := m.Predictors()
	require.Len(t, preds, 2)
	assert.IsType(t, &dspy.XMLAdapter{}, preds[0].Predictor.Adapter)
	assert.Equal(t, &dspy.TwoStepAdapter{ExtractionModel: "small-model"}, preds[1].Predictor.Adapter)

	back, err := spec.Parse(p.JSON())
	require.NoError(t, err)
	assert.Equal(t, p, back)
}

func TestPredictorsKeyWithoutAProgramAdapter(t *testing.T) {
	p, err := spec.Parse([]byte(reactSpec + `predictors:
  react: {adapter: json}
  extract.predict: {adapter: two_step, extraction_model: mini}
`))
	require.NoError(t, err)
	m, err := p.Build(searchTools())
	require.NoError(t, err)
	assert.IsType(t, &dspy.JSONAdapter{}, m.Predictors()[0].Predictor.Adapter)
	assert.Equal(t, &dspy.TwoStepAdapter{ExtractionModel: "mini"}, m.Predictors()[1].Predictor.Adapter)
}

func TestAdapterSpecsAreCheckedWithTheFix(t *testing.T) {
	for name, tc := range map[string]struct{ text, want string }{
		"two_step without model": {"module: predict\nsignature: a -> b\nadapter: two_step\n", "adapter two_step needs extraction_model"},
		"bad predictor adapter":  {"module: predict\nsignature: a -> b\npredictors:\n  self: {adapter: yaml}\n", `predictors: self: program spec: unknown adapter "yaml"`},
		"unknown predictor key":  {"module: predict\nsignature: a -> b\npredictors:\n  self: {adapterr: xml}\n", "adapterr"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := spec.Parse([]byte(tc.text))
			assert.ErrorContains(t, err, tc.want)
		})
	}
	p, err := spec.Parse([]byte("module: chain_of_thought\nsignature: a -> b\npredictors:\n  self: {adapter: xml}\n"))
	require.NoError(t, err)
	_, err = p.Build(nil)
	assert.ErrorContains(t, err, `the chain_of_thought program has no predictor "self" (it has ["predict"])`)
}

// A spec's two_step program runs on one LM client: the extraction calls ask
// it for the extraction model.
func TestTwoStepSpecRunsOnTheProgramsClient(t *testing.T) {
	p, err := spec.Parse([]byte("module: predict\nsignature: \"question -> answer: int\"\nadapter: two_step\nextraction_model: mini\n"))
	require.NoError(t, err)
	m, err := p.Build(nil)
	require.NoError(t, err)
	lm := dspytest.ScriptedLM("Six times seven is 42.", dspytest.ChatReply("answer", "42"))
	pred, err := m.Call(dspy.WithLM(context.Background(), lm), dspy.NewExample("question", "6 * 7?"))
	require.NoError(t, err)
	answer, _ := pred.Get("answer")
	assert.Equal(t, 42, answer)
	reqs := lm.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "", reqs[0].Model)
	assert.Equal(t, "mini", reqs[1].Model)
	assert.Equal(t, 2, pred.Usage.Calls)
}
