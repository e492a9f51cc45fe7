package dspy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"

	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// Refine is BestOfN with feedback: after an attempt falls short of Threshold,
// an LM reads the program's modules, the attempt's inputs, trace and outputs,
// and the reward, and writes advice for each predictor. On the next attempt
// every predictor sees its advice as an extra input "hint_". Refine returns
// the first prediction that reaches Threshold, or else the best one.
//
// Hints reach predictors that use the context's adapter (the usual case); a
// predictor with its own Adapter set runs without them.
type Refine struct {
	// Module is the program refined; its predictors are Refine's, under "module".
	Module Module
	// N is the maximum number of attempts.
	N int
	// Reward scores each attempt.
	Reward RewardFunc
	// Threshold ends the search once an attempt's reward reaches it.
	Threshold float64
	// FailCount is how many failed attempts (including failed advice calls) are
	// tolerated; the next failure is returned as the error. Zero means N.
	FailCount int
	// FeedbackLM writes the advice; nil uses the context's LM.
	FeedbackLM LM
	// ProgramCode describes the program to the feedback LM. DSPy sends the
	// module's source code; the default here is the module's Go type.
	ProgramCode string
	// RewardCode describes the reward to the feedback LM. DSPy sends the reward
	// function's source; the default here is the function's name.
	RewardCode string
}

// NewRefine returns a Refine over m with DSPy's arguments.
func NewRefine(m Module, n int, reward RewardFunc, threshold float64) *Refine {
	return &Refine{Module: m, N: n, Reward: reward, Threshold: threshold}
}

// Predictors returns the wrapped module's predictors under "module", as in DSPy.
func (r *Refine) Predictors() []NamedPredictor {
	if r.Module == nil {
		return nil
	}
	return PrefixPredictors("module", r.Module.Predictors())
}

// OfferFeedbackSignature is the signature of Refine's advice call, DSPy's
// OfferFeedback: it blames the modules responsible for a low reward and
// advises each one for the next attempt.
func OfferFeedbackSignature() Signature {
	in := func(name string, t Type, desc string) Field { return NewField(name, t).WithDesc(desc) }
	sig, err := NewSignature(
		[]Field{
			in("program_code", StringType, "The code of the program that we are analyzing"),
			in("modules_defn", StringType, "The definition of each module in the program, including its I/O"),
			in("program_inputs", StringType, "The inputs to the program that we are analyzing"),
			in("program_trajectory", StringType, "The trajectory of the program's execution, showing each module's I/O"),
			in("program_outputs", StringType, "The outputs of the program that we are analyzing"),
			in("reward_code", StringType, "The code of the reward function that we are analyzing"),
			in("target_threshold", FloatType, "The target threshold for the reward function"),
			in("reward_value", FloatType, "The reward value assigned to the program's outputs"),
			in("module_names", ListOf(StringType), "The names of the modules in the program, for which we seek advice"),
		},
		[]Field{
			in("discussion", StringType, "Discussing blame of where each module went wrong, if it did"),
			in("advice", ObjectOf("dict[str, str]", map[string]any{
				"type":                 "object",
				"additionalProperties": map[string]any{"type": "string"},
			}), "For each module, describe very concretely, in this order: the specific scenarios in which it has made "+
				"mistakes in the past and what each mistake was, followed by what it should do differently in that kind of"+
				"scenario in the future. If the module is not to blame, write N/A."),
		},
		"In the discussion, assign blame to each module that contributed to the final reward being below the threshold, if\n"+
			"any. Then, prescribe concrete advice of how the module should act on its future input when we retry the process, if\n"+
			"it were to receive the same or similar inputs. If a module is not to blame, the advice should be N/A.\n"+
			"The module will not see its own history, so it needs to rely on entirely concrete and actionable advice from you\n"+
			"to avoid the same mistake on the same or similar inputs.",
	)
	if err != nil {
		panic(err) // the fields above are constants
	}
	return sig
}

// Call runs up to N attempts, asking for advice between them.
func (r *Refine) Call(ctx context.Context, inputs Example) (_ Prediction, err error) {
	ctx, span := startModuleSpan(ctx, r, "Refine")
	defer span.end(&err)
	if err := checkSampler("refine", r.Module, r.N, r.Reward); err != nil {
		return Prediction{}, err
	}
	s := newSampler(ctx, "refine", r.N, r.FailCount)
	var advice map[string]string
	for i := 0; i < r.N; i++ {
		if err := ctx.Err(); err != nil {
			return Prediction{}, fmt.Errorf("refine: %w", err)
		}
		trace := NewTrace()
		actx := s.attemptContext(ctx, i, trace)
		// As in DSPy, empty advice means no hints at all, not "N/A" hints.
		if len(advice) > 0 {
			actx = WithAdapter(actx, &refineHintAdapter{inner: refineBaseAdapter(ctx), advice: advice, predictors: r.Module.Predictors()})
		}
		pred, reward, err := runAttempt(actx, ctx, r.Module, r.Reward, inputs)
		if err != nil {
			if stop := s.fail(ctx, i, err); stop != nil {
				return Prediction{}, stop
			}
			continue
		}
		s.record(pred, reward, trace)
		if reward >= r.Threshold || i == r.N-1 {
			break
		}
		next, err := r.advise(ctx, inputs, pred, trace.Steps(), reward)
		if err != nil {
			if stop := s.fail(ctx, i, fmt.Errorf("advice: %w", err)); stop != nil {
				return Prediction{}, stop
			}
			continue
		}
		advice = next
	}
	return s.result(ctx)
}

// advise asks the feedback LM for per-predictor advice on one attempt. Like
// DSPy, every non-text input is sent as indented JSON.
func (r *Refine) advise(ctx context.Context, inputs Example, pred Prediction, steps []TraceStep, reward float64) (map[string]string, error) {
	named := r.Module.Predictors()
	names := make([]string, len(named))
	byPtr := map[*Predict]string{}
	for i, np := range named {
		names[i] = np.Name
		byPtr[np.Predictor] = np.Name
	}
	type step struct {
		ModuleName string  `json:"module_name"`
		Inputs     Example `json:"inputs"`
		Outputs    Example `json:"outputs"`
	}
	trajectory := make([]step, len(steps))
	for i, st := range steps {
		name, ok := byPtr[st.Predictor]
		if !ok {
			name = st.Predictor.Signature.String()
		}
		trajectory[i] = step{ModuleName: name, Inputs: st.Inputs, Outputs: st.Outputs}
	}
	programCode := r.ProgramCode
	if programCode == "" {
		programCode = fmt.Sprintf("%T", r.Module)
	}
	rewardCode := r.RewardCode
	if rewardCode == "" {
		rewardCode = refineFuncName(r.Reward)
	}
	feedbackInputs := NewExample(
		"program_code", programCode,
		"modules_defn", inspectModules(named),
		"program_inputs", refineJSON(inputs),
		"program_trajectory", refineJSON(trajectory),
		"program_outputs", refineJSON(pred.Example),
		"reward_code", rewardCode,
		"target_threshold", pyfmt.Float(r.Threshold),
		"reward_value", pyfmt.Float(reward),
		"module_names", refineJSON(names),
	)
	p := NewPredict(OfferFeedbackSignature())
	p.LM = r.FeedbackLM
	out, err := p.Call(WithTrace(ctx, nil), feedbackInputs)
	if err != nil {
		return nil, err
	}
	raw, _ := out.Get("advice")
	advice := map[string]string{}
	switch a := raw.(type) {
	case map[string]any:
		for k, v := range a {
			advice[k] = ValueString(v)
		}
	case map[string]string:
		for k, v := range a {
			advice[k] = v
		}
	case Example:
		for _, k := range a.Keys() {
			advice[k] = a.GetString(k)
		}
	default:
		return nil, fmt.Errorf("the feedback LM's advice is a %T, not a JSON object", raw)
	}
	return advice, nil
}

// refineHintAdapter adds the input "hint_" with a predictor's advice before
// delegating to the adapter the predictor would otherwise use.
type refineHintAdapter struct {
	inner      Adapter
	advice     map[string]string
	predictors []NamedPredictor
}

var refineHintField = NewField("hint_", StringType).WithDesc("A hint to the module from an earlier run")

// withHint returns sig and inputs extended with the advice for the predictor
// whose signature is sig. Predictors are matched by signature, as DSPy does;
// when several share one, the last one's advice wins.
func (a *refineHintAdapter) withHint(sig Signature, inputs Example) (Signature, Example) {
	if _, _, exists := sig.Field(refineHintField.Name); exists {
		return sig, inputs
	}
	hint := "N/A"
	for _, np := range a.predictors {
		if np.Predictor.Signature.Equal(sig) {
			if adv, ok := a.advice[np.Name]; ok {
				hint = adv
			} else {
				hint = "N/A"
			}
		}
	}
	extended, err := sig.Append(refineHintField, true)
	if err != nil {
		return sig, inputs
	}
	return extended, inputs.Set(refineHintField.Name, hint)
}

// Format formats with the hint.
func (a *refineHintAdapter) Format(sig Signature, demos []Example, inputs Example) ([]Message, error) {
	sig, inputs = a.withHint(sig, inputs)
	return a.inner.Format(sig, demos, inputs)
}

// Parse delegates: the hint adds no output.
func (a *refineHintAdapter) Parse(sig Signature, completion string) (Example, error) {
	return a.inner.Parse(sig, completion)
}

// Call calls the inner adapter with the hint.
func (a *refineHintAdapter) Call(ctx context.Context, lm LM, req LMRequest, sig Signature, demos []Example, inputs Example) (AdapterResult, error) {
	sig, inputs = a.withHint(sig, inputs)
	return a.inner.Call(ctx, lm, req, sig, demos, inputs)
}

func refineBaseAdapter(ctx context.Context) Adapter {
	if a := AdapterFromContext(ctx); a != nil {
		return a
	}
	return defaultAdapter
}

// inspectModules describes each predictor's fields and instructions in the
// layout DSPy's inspect_modules gives the feedback LM.
func inspectModules(named []NamedPredictor) string {
	sep := strings.Repeat("-", 80)
	indent := func(text string) string {
		if text == "" {
			return ""
		}
		return strings.Join(append([]string{""}, strings.Split(text, "\n")...), "\n\t\t")
	}
	out := []string{sep}
	for _, np := range named {
		sig := np.Predictor.Signature
		out = append(out,
			"Module "+np.Name,
			"\n\tInput Fields:",
			indent(refineFieldList(sig.Inputs())),
			"\tOutput Fields:",
			indent(refineFieldList(sig.Outputs())),
			"\tOriginal Instructions: "+indent(sig.Instructions()),
			sep,
		)
	}
	for i, o := range out {
		out[i] = strings.Trim(o, "\n")
	}
	return strings.Join(out, "\n")
}

// refineFieldList lists fields as "1. `name` (type): desc", one per line.
func refineFieldList(fields []Field) string {
	lines := make([]string, len(fields))
	for i, f := range fields {
		desc := f.Desc
		if f.HasDefaultDesc() {
			desc = ""
		}
		lines[i] = fmt.Sprintf("%d. `%s` (%s): %s", i+1, f.Name, f.Type, desc)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// refineJSON renders v as 2-space indented JSON without HTML escaping, as
// DSPy's orjson call does; values JSON cannot encode become a placeholder.
func refineJSON(v any) string {
	raw, err := marshalNoEscape(v)
	if err != nil {
		raw, err = marshalNoEscape(maskUnencodable(v))
		if err != nil {
			return fmt.Sprintf("<non-serializable: %T>", v)
		}
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

// maskUnencodable replaces the parts of v that JSON cannot encode (functions,
// channels, ...) with "<non-serializable: T>", keeping the rest.
func maskUnencodable(v any) any {
	if _, err := marshalNoEscape(v); err == nil {
		return v
	}
	switch x := v.(type) {
	case Example:
		m := NewExample()
		for _, k := range x.Keys() {
			val, _ := x.Get(k)
			m = m.Set(k, maskUnencodable(val))
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, val := range x {
			m[k] = maskUnencodable(val)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, val := range x {
			s[i] = maskUnencodable(val)
		}
		return s
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		s := make([]any, rv.Len())
		for i := range s {
			s[i] = maskUnencodable(rv.Index(i).Interface())
		}
		return s
	}
	return fmt.Sprintf("<non-serializable: %T>", v)
}

func refineFuncName(fn any) string {
	if f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer()); f != nil {
		return f.Name()
	}
	return fmt.Sprintf("%T", fn)
}
