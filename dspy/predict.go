package dspy

import (
	"context"
	"fmt"
)

// Predict is the basic module: one LM call that maps a signature's inputs to its
// outputs, guided by instructions and few-shot demos. Its fields are what
// optimizers tune. A Predict is safe for concurrent calls as long as nobody
// changes its fields meanwhile.
type Predict struct {
	Signature Signature
	// Demos are few-shot examples shown before the input. Bootstrapped demos
	// carry the field "augmented": true, as in DSPy.
	Demos []Example
	// LM overrides the context's LM (dspy.WithLM) for this predictor.
	LM LM
	// Adapter overrides the context's adapter; the default is ChatAdapter.
	Adapter Adapter
	// Config holds per-call LM settings.
	Config PredictConfig
}

// PredictConfig holds LM request settings of a predictor.
type PredictConfig struct {
	Temperature *float64
	MaxTokens   int
	// N asks for several completions; the prediction's Completions holds them.
	N int
}

// NewPredict returns a predictor for sig.
func NewPredict(sig Signature) *Predict { return &Predict{Signature: sig} }

// Call formats the inputs with the demos, calls the LM, and parses the reply.
func (p *Predict) Call(ctx context.Context, inputs Example) (out Prediction, err error) {
	ctx, span := startModuleSpan(ctx, p, "Predict")
	defer span.end(&err)
	if end := streamPredictStart(&ctx, p, inputs); end != nil {
		defer func() { end(out, err) }()
	}
	if p.Signature.IsZero() {
		return Prediction{}, fmt.Errorf("predict: no signature set")
	}
	selected, err := p.selectInputs(inputs)
	if err != nil {
		return Prediction{}, err
	}
	lm := p.LM
	if lm == nil {
		lm = LMFromContext(ctx)
	}
	if lm == nil {
		return Prediction{}, fmt.Errorf("predict %s: no LM configured: set Predict.LM or call dspy.WithLM(ctx, lm)", p.Signature)
	}
	adapter := p.Adapter
	if adapter == nil {
		adapter = AdapterFromContext(ctx)
	}
	if adapter == nil {
		adapter = defaultAdapter
	}
	req := LMRequest{Temperature: p.Config.Temperature, MaxTokens: p.Config.MaxTokens, N: p.Config.N}
	if o := CallOptionsFromContext(ctx); o.Temperature != nil || o.Rollout != 0 {
		if o.Temperature != nil {
			req.Temperature = o.Temperature
		}
		req.Rollout = o.Rollout
	}
	res, err := adapter.Call(ctx, lm, req, p.Signature, p.Demos, selected)
	if err != nil {
		return Prediction{}, err
	}
	if len(res.Outputs) == 0 {
		return Prediction{}, fmt.Errorf("predict %s: the LM returned no completion", p.Signature)
	}
	pred := Prediction{Example: res.Outputs[0], Usage: res.Usage}
	if len(res.Outputs) > 1 {
		pred.Completions = res.Outputs
	}
	if t := TraceFromContext(ctx); t != nil {
		t.add(TraceStep{Predictor: p, Inputs: selected, Outputs: pred.Example})
	}
	return pred, nil
}

// selectInputs keeps the signature's input fields of in, in signature order.
// A History input may be left out: the first turn of a conversation has
// none, and DSPy formats an absent history as an empty one.
func (p *Predict) selectInputs(in Example) (Example, error) {
	var missing []string
	for _, f := range p.Signature.inputs {
		if !in.Has(f.Name) && f.Type.Kind != KindHistory {
			missing = append(missing, f.Name)
		}
	}
	if missing != nil {
		return Example{}, &InputError{Predictor: "predict " + p.Signature.String(), Missing: missing, Present: in.Keys()}
	}
	return in.Select(p.Signature.InputNames()...), nil
}

// Predictors returns the predictor itself under DSPy's name for a bare
// predictor, "self".
func (p *Predict) Predictors() []NamedPredictor {
	return []NamedPredictor{{Name: "self", Predictor: p}}
}

// Clone returns a copy of the predictor with its own demo slice, sharing the
// LM and adapter.
func (p *Predict) Clone() *Predict {
	c := *p
	c.Demos = append([]Example(nil), p.Demos...)
	return &c
}
