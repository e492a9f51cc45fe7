package optimize

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// appendDemo is SIMBA's append-a-demo: unless the bucket's best run scored
// at or below the batch's 10th percentile, each predictor of cand gains the
// last call it made in that run as a demo (inputs cut to the maximum length).
func (r *simbaRun) appendDemo(cand *dspy.ProgramState, b simbaBucket, p10 float64) {
	good := b.runs[0]
	if good.Score <= p10 {
		return
	}
	var order []string
	demos := map[string]dspy.Example{}
	for _, step := range good.Trace {
		if _, err := predictorIndex(*cand, step.Predictor); err != nil {
			continue
		}
		inputs := step.Inputs
		for _, k := range inputs.Keys() {
			v, _ := inputs.Get(k)
			s := []rune(dspy.ValueString(v))
			if r.cfg.demoMaxlen > 0 && len(s) > r.cfg.demoMaxlen {
				inputs = inputs.Set(k, string(s[:r.cfg.demoMaxlen])+"\n\t\t... <TRUNCATED FOR BREVITY>")
			}
		}
		if _, seen := demos[step.Predictor]; !seen {
			order = append(order, step.Predictor)
		}
		demos[step.Predictor] = dspy.NewExample("augmented", true).Merge(inputs.Unmarked()).Merge(step.Outputs.Unmarked())
	}
	for _, name := range order {
		i, _ := predictorIndex(*cand, name)
		cand.Predictors[i].State.Demos = append(cand.Predictors[i].State.Demos, demos[name])
	}
}

// appendRule is SIMBA's append-a-rule: the prompt model compares the
// bucket's best and worst runs and advises each predictor; the advice is
// appended to that predictor's instructions. It does nothing when the best
// run is at or below the 10th percentile or the worst at or above the 90th.
func (r *simbaRun) appendRule(ctx context.Context, cand *dspy.ProgramState, b simbaBucket, p10, p90 float64) error {
	good, bad := b.runs[0], b.runs[len(b.runs)-1]
	if good.Score <= p10 || bad.Score >= p90 {
		return nil
	}
	goodView, badView := trajectoryView(good), trajectoryView(bad)
	if good.Score <= bad.Score {
		// Equal runs: keep only the side that tells something.
		if good.Score > p90 {
			badView = naView()
		} else {
			goodView = naView()
		}
	}
	example := r.task.Trainset[b.example]
	inputs, err := example.Inputs()
	if err != nil {
		return err
	}
	names := cand.Names()
	call := PromptCall{
		Signature: offerFeedbackSignature,
		Inputs: dspy.NewExample(
			"program_code", r.programCode(*cand),
			"modules_defn", r.modulesDefinition(*cand),
			"program_inputs", pyJSON(inputs.Unmarked()),
			"oracle_metadata", pyJSON(example.Labels().Unmarked()),
			"worse_program_trajectory", pyJSON(badView.trajectory),
			"worse_program_outputs", pyJSON(badView.outputs),
			"worse_reward_value", badView.reward,
			"worse_reward_info", "{}",
			"better_program_trajectory", pyJSON(goodView.trajectory),
			"better_program_outputs", pyJSON(goodView.outputs),
			"better_reward_value", goodView.reward,
			"better_reward_info", "{}",
			"module_names", pyJSON(stringsToAny(names)),
		),
		Label: fmt.Sprintf("simba step %d: advice from example %d", r.st.Step+1, b.example),
	}
	outs, err := r.engine.Prompt(ctx, call)
	if err != nil {
		return err
	}
	if len(outs) == 0 {
		return fmt.Errorf("%s: no completion", call.Label)
	}
	raw, _ := outs[0].Get("module_advice")
	advice, ok := raw.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: module_advice is %T, not a dict", call.Label, raw)
	}
	for i, ns := range cand.Predictors {
		if a, ok := advice[ns.Name]; ok {
			sig := &cand.Predictors[i].State.Signature
			sig.Instructions = sig.Instructions + "\n\n" + dspy.ValueString(a)
		}
	}
	return nil
}

// runView is what the reflection prompt shows of one run.
type runView struct {
	trajectory []any
	outputs    any
	reward     string
}

func trajectoryView(o Outcome) runView {
	v := runView{trajectory: []any{}, outputs: o.Prediction.Unmarked(), reward: pyfmt.Float(o.Score)}
	for _, step := range o.Trace {
		v.trajectory = append(v.trajectory, pyfmt.Object{
			{Key: "module_name", Value: step.Predictor},
			{Key: "inputs", Value: step.Inputs.Unmarked()},
			{Key: "outputs", Value: step.Outputs.Unmarked()},
		})
	}
	return v
}

// naView is how DSPy blanks the uninformative side of two equal runs.
func naView() runView {
	return runView{trajectory: []any{}, outputs: pyfmt.Object{{Key: "N/A", Value: "Prediction not available"}}, reward: "N/A"}
}

// pyJSON is orjson.dumps(v, option=OPT_INDENT_2), as SIMBA formats the
// reflection prompt's structured inputs.
func pyJSON(v any) string {
	var b bytes.Buffer
	pyfmt.WriteJSON(&b, v, pyfmt.JSONStyle{Indent: 2})
	return b.String()
}

func stringsToAny(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// signatureOf is the predictor's full signature with the candidate's instructions.
func (r *simbaRun) signatureOf(name string, ps dspy.PredictorState) (dspy.Signature, bool) {
	for _, ns := range r.task.Signatures {
		if ns.Name == name {
			return ns.Signature.WithInstructions(ps.Signature.Instructions), true
		}
	}
	return dspy.Signature{}, false
}

// programCode stands in for the program's Python source, which DSPy shows
// the prompt model: a Go program has none to show, so each predictor is
// listed as the DSPy statement that would build it.
func (r *simbaRun) programCode(cand dspy.ProgramState) string {
	var b strings.Builder
	for _, ns := range cand.Predictors {
		sig, ok := r.signatureOf(ns.Name, ns.State)
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "%s = dspy.Predict(%q)\n", ns.Name, strings.Join(sig.InputNames(), ", ")+" -> "+strings.Join(sig.OutputNames(), ", "))
	}
	return strings.TrimRight(b.String(), "\n")
}

// modulesDefinition is DSPy's inspect_modules: each predictor's fields and
// instructions between separator lines.
func (r *simbaRun) modulesDefinition(cand dspy.ProgramState) string {
	sep := strings.Repeat("-", 80)
	indent := func(s string) string {
		return strings.Join(append([]string{""}, strings.Split(s, "\n")...), "\n\t\t")
	}
	parts := []string{sep}
	for _, ns := range cand.Predictors {
		sig, ok := r.signatureOf(ns.Name, ns.State)
		if !ok {
			continue
		}
		parts = append(parts,
			"Module "+ns.Name,
			"\n\tInput Fields:",
			indent(dspy.FieldDescriptions(sig.Inputs())),
			"\tOutput Fields:",
			indent(dspy.FieldDescriptions(sig.Outputs())),
			"\tOriginal Instructions: "+indent(sig.Instructions()),
			sep,
		)
	}
	for i, p := range parts {
		parts[i] = strings.Trim(p, "\n")
	}
	return strings.Join(parts, "\n")
}

// offerFeedbackSignature is DSPy's OfferFeedback, word for word, so the
// prompt model sees the same request from either implementation.
var offerFeedbackSignature = func() dspy.Signature {
	str, float := dspy.StringType, dspy.FloatType
	in := func(name string, t dspy.Type, desc string) dspy.Field { return dspy.NewField(name, t).WithDesc(desc) }
	trajectory := "The trajectory of the program's execution, showing each module's I/O"
	outputs := "The outputs of the program that we are analyzing"
	reward := "The reward value assigned to the program's outputs"
	info := "Additional information that might be helpful to understanding the assigned reward value."
	sig, err := dspy.NewSignature([]dspy.Field{
		in("program_code", str, "The code of the program that we are analyzing"),
		in("modules_defn", str, "The definition of each module in the program, including its I/O"),
		in("program_inputs", str, "The inputs to the program that we are analyzing"),
		in("oracle_metadata", str, "Any (hidden) metadata about the training set instance we're analyzing"),
		in("worse_program_trajectory", str, trajectory),
		in("worse_program_outputs", str, outputs),
		in("worse_reward_value", float, reward),
		in("worse_reward_info", str, info),
		in("better_program_trajectory", str, trajectory),
		in("better_program_outputs", str, outputs),
		in("better_reward_value", float, reward),
		in("better_reward_info", str, info),
		in("module_names", dspy.ListOf(str), "The names of the modules in the program, for which we seek advice"),
	}, []dspy.Field{
		in("discussion", str, "Discussing blame of where each module went wrong, if it did"),
		in("module_advice", dspy.Type{Kind: dspy.KindObject, Name: "dict[str, str]", Schema: map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}},
			"For each module, describe very concretely: If the module receives ${description of input or patterns "+
				"therein}, then it should ${description of content, behavior, or strategies to adopt and/or others to avoid}. "+
				"Basically, your advice be such that if the module has access to your tip, it would be much more likely to act "+
				"like the successful trajectory rather than the lower-scoring trajectory."),
	}, "You will be given two trajectories of an LLM-driven program's execution. Your goal is to help the program's modules\n"+
		"build up experience on how to maximize the reward value assigned to the program's outputs if it were to receive\n"+
		"similar inputs in the future.\n\n"+
		"The module won't see its own history. It will rely on your advice balancing being concrete and being generalizable.\n\n"+
		"In your advice:\n"+
		"- Avoid boilerplate. Offer advice that would change the module's behavior for the better in the future.\n"+
		"- Ensure that advice offered to a module M is specific to that M's specific sub-task, not the overall program.\n"+
		"- Rely on contrasting the behavior of the worse trajectory against the better trajectory in making recommendations.\n"+
		"- Ensure each unique module name appears exactly once as a key in the advice dictionary.")
	if err != nil {
		panic(err)
	}
	return sig
}()
