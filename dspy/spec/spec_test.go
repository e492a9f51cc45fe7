package spec_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
)

func TestParseReadsJSONAndYAML(t *testing.T) {
	for name, text := range map[string]string{
		"json": `{"module": "chain_of_thought", "signature": "question -> answer: int", "instructions": "Solve it."}`,
		"yaml": "module: chain_of_thought\nsignature: \"question -> answer: int\"\ninstructions: Solve it.\n",
	} {
		t.Run(name, func(t *testing.T) {
			p, err := spec.Parse([]byte(text))
			require.NoError(t, err)
			m, err := p.Build(nil)
			require.NoError(t, err)
			preds := m.Predictors()
			require.Len(t, preds, 1)
			assert.Equal(t, "predict", preds[0].Name)
			sig := preds[0].Predictor.Signature
			assert.Equal(t, "Solve it.", sig.Instructions())
			assert.Equal(t, []string{"reasoning", "answer"}, sig.OutputNames())
		})
	}
}

func TestParseRejectsBadSpecsWithTheFix(t *testing.T) {
	for name, tc := range map[string]struct{ text, want string }{
		"unknown module":  {`{"module": "predictt", "signature": "a -> b"}`, `unknown module "predictt"`},
		"bad signature":   {`{"module": "predict", "signature": "a b"}`, `want exactly one "->"`},
		"unknown key":     {`{"module": "predict", "signature": "a -> b", "instruction": "x"}`, "instruction"},
		"unknown adapter": {`{"module": "predict", "signature": "a -> b", "adapter": "yaml"}`, `unknown adapter "yaml": use one of chat, json, xml`},
		"react no tools":  {`{"module": "react", "signature": "a -> b"}`, "needs at least one tool"},
		"unknown field":   {`{"module": "predict", "signature": "a -> b", "descriptions": {"c": "x"}}`, `no field "c"`},
		"not a spec":      {`[1, 2]`, "program spec"},
		"bad field types": {`{"module": "predict", "signature": "a -> b: tensor"}`, `unknown type "tensor"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := spec.Parse([]byte(tc.text))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestBuildReturnsAFreshInstanceEachTime(t *testing.T) {
	p := spec.Program{Module: "predict", Signature: "question -> answer"}
	a, err := p.Build(nil)
	require.NoError(t, err)
	b, err := p.Build(nil)
	require.NoError(t, err)
	a.Predictors()[0].Predictor.Demos = []dspy.Example{dspy.NewExample("question", "q", "answer", "a")}
	assert.Empty(t, b.Predictors()[0].Predictor.Demos)
}

func TestBuildReActNeedsRegisteredTools(t *testing.T) {
	p := spec.Program{Module: "react", Signature: "question -> answer", Tools: []string{"search"}, MaxIters: 3}
	_, err := p.Build(nil)
	require.ErrorContains(t, err, `unknown tool "search"`)

	search := dspy.MustTool("search", "Look something up.", func(_ context.Context, args struct {
		Query string `json:"query"`
	}) (string, error) {
		return "result for " + args.Query, nil
	})
	m, err := p.Build(spec.Tools{"search": search})
	require.NoError(t, err)
	var names []string
	for _, np := range m.Predictors() {
		names = append(names, np.Name)
	}
	assert.Equal(t, []string{"react", "extract.predict"}, names)
	assert.Equal(t, 3, m.(*dspy.ReAct).MaxIters)
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "program.yaml")
	require.NoError(t, os.WriteFile(path, []byte("module: predict\nsignature: nope\n"), 0o644))
	_, err := spec.Load(path)
	require.ErrorContains(t, err, "program.yaml")
	_, err = spec.Load(filepath.Join(t.TempDir(), "missing.json"))
	require.ErrorContains(t, err, "missing.json")
}

func TestJSONRoundTrips(t *testing.T) {
	p := spec.Program{Module: "multi_chain_comparison", Signature: "question -> answer", M: 2, Descriptions: map[string]string{"answer": "a number"}}
	back, err := spec.Parse(p.JSON())
	require.NoError(t, err)
	assert.Equal(t, p, back)
}

func TestAdapterKeySetsEveryPredictorsAdapter(t *testing.T) {
	for name, want := range map[string]dspy.Adapter{"chat": &dspy.ChatAdapter{}, "json": &dspy.JSONAdapter{}, "xml": &dspy.XMLAdapter{}} {
		t.Run(name, func(t *testing.T) {
			p, err := spec.Parse([]byte("module: multi_chain_comparison\nsignature: question -> answer\nadapter: " + name + "\n"))
			require.NoError(t, err)
			m, err := p.Build(nil)
			require.NoError(t, err)
			require.NotEmpty(t, m.Predictors())
			for _, np := range m.Predictors() {
				assert.IsType(t, want, np.Predictor.Adapter, np.Name)
			}
		})
	}
	p, err := spec.Parse([]byte("module: predict\nsignature: question -> answer\n"))
	require.NoError(t, err)
	m, err := p.Build(nil)
	require.NoError(t, err)
	assert.Nil(t, m.Predictors()[0].Predictor.Adapter, "no adapter key leaves the context's adapter in charge")
}
