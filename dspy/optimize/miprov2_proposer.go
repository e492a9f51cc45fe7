package optimize

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

// miproTips are GroundedProposer's prompting tips, in DSPy's order (the
// order the generator's choice indexes). Their text is DSPy's.
var miproTips = []struct{ key, text string }{
	{"none", ""},
	{"creative", "Don't be afraid to be creative when creating the new instruction!"},
	{"simple", "Keep the instruction clear and concise."},
	{"description", "Make sure your instruction is very informative and descriptive."},
	{"high_stakes", "The instruction should include a high stakes scenario in which the LM must solve the task!"},
	{"persona", `Include a persona that is relevant to the task in the instruction (ie. "You are a ...")`},
}

// The program-description signatures, with DSPy's text.
var (
	programCodeField    = promptField("program_code", "Pseudocode for a language model program designed to solve a particular task.", "PROGRAM CODE:")
	programExampleField = promptField("program_example", "An example of the program in use.", "EXAMPLE OF PROGRAM IN USE:")

	describeProgram = miproSignature(
		"Below is some pseudo-code for a pipeline that solves tasks with calls to language models. Please describe what type of task this program appears to be designed to solve, and how it appears to work.",
		[]dspy.Field{programCodeField, programExampleField},
		promptField("program_description", "Describe what task the program is designed to solve, and how it goes about solving this task.", "SUMMARY OF PROGRAM ABOVE:"),
	)
	describeModule = miproSignature(
		"Below is some pseudo-code for a pipeline that solves tasks with calls to language models. Please describe the purpose of one of the specified module in this pipeline.",
		[]dspy.Field{
			programCodeField, programExampleField,
			promptField("program_description", "Summary of the task the program is designed to solve, and how it goes about solving it.", "SUMMARY OF PROGRAM ABOVE:"),
			promptField("module", "The module in the program that we want to describe.", "MODULE:"),
		},
		promptField("module_description", "Description of the module's role in the broader program.", "MODULE DESCRIPTION:"),
	)
)

// generateSingleModuleInstruction is DSPy's signature of that name, whose
// inputs depend on what the proposer knows: the dataset summary, the program
// (code, description, module), and a tip.
func generateSingleModuleInstruction(useSummary, programAware, useTip bool) dspy.Signature {
	var in []dspy.Field
	if useSummary {
		in = append(in, promptField("dataset_description", "A description of the dataset that we are using.", "DATASET SUMMARY:"))
	}
	if programAware {
		in = append(in,
			promptField("program_code", "Language model program designed to solve a particular task.", "PROGRAM CODE:"),
			promptField("program_description", "Summary of the task the program is designed to solve, and how it goes about solving it.", "PROGRAM DESCRIPTION:"),
			promptField("module", "The module to create an instruction for.", "MODULE:"),
			promptField("module_description", "Description of the module to create an instruction for.", "MODULE DESCRIPTION:"),
		)
	}
	in = append(in,
		promptField("task_demos", "Example inputs/outputs of our module.", "TASK DEMO(S):"),
		promptField("basic_instruction", "Basic instruction.", "BASIC INSTRUCTION:"),
	)
	if useTip {
		in = append(in, promptField("tip", "A suggestion for how to go about generating the new instruction.", "TIP:"))
	}
	return miproSignature(
		"Use the information below to learn about a task that we are trying to solve using calls to an LM, then generate a new instruction that will be used to prompt a Language Model to better solve the task.",
		in,
		promptField("proposed_instruction", "Propose an instruction that will be used to prompt a Language Model to perform this task.", "PROPOSED INSTRUCTION:"),
	)
}

// miproDemosInContext is how many bootstrapped demos a proposal sees.
const miproDemosInContext = miproBootstrapInContext

// miproMaxRolloutID bounds the rollout IDs drawn per proposal, as DSPy's
// rng.randint(0, 10**9).
const miproMaxRolloutID = 1_000_000_000

// propose runs DSPy's GroundedProposer with MIPROv2's settings (no
// instruction history): the dataset summary once, then, for each predictor
// and each demo set up to the number of instruction candidates, a tip and a
// rollout ID from the shared generator and one proposal. Candidate 0 is the
// original instructions; DSPy proposes it and then overwrites it, so here its
// draws are made but its prompt-model calls are skipped.
//
// The proposals depend on nothing but the summary and the demo sets, so they
// all run at once on a parallel engine; each is then added and checkpointed
// in order, as the sequential schedule does.
func (r *miproRun) propose(ctx context.Context) error {
	names := r.names()
	if !r.st.SummaryDone {
		summary := r.early.summary
		if r.cfg.dataAware && !r.early.summaryDone {
			var err error
			if summary, err = r.datasetSummary(ctx, r.engine); err != nil {
				return fmt.Errorf("miprov2: %w", err)
			}
		}
		if err := r.addSummary(ctx, summary); err != nil {
			return err
		}
	}

	// As for the demo sets, the draws are made ahead on a copy of the
	// generator and again, by the run's own, as each proposal is added.
	ahead, err := pyrand.FromState(r.rng.State())
	if err != nil {
		return fmt.Errorf("miprov2: %w", err)
	}
	plans := r.planProposals(ahead)
	// Where the earlier schedules first ask whether to fork, a run that
	// forks graphs makes the proposals and the unguided trials as one.
	if len(plans) > 1 {
		if gf, ok := graphForker(r.engine); ok {
			return r.runGraph(ctx, gf)
		}
	}
	instructions := make([]string, len(plans))
	code := programCode(r.task)
	grounding := r.grounding()
	work := func(ctx context.Context, e Engine, k int) error {
		pl := plans[k]
		instructions[k] = r.task.Student.Predictors[pl.p].State.Signature.Instructions
		if pl.i == 0 {
			return nil
		}
		demos := r.taskDemos(pl.p, pl.i)
		d, err := r.describe(ctx, e, code, pl, demos)
		if err == nil {
			instructions[k], err = r.instruct(ctx, e, code, pl, demos, d, grounding)
		}
		if err != nil {
			return fmt.Errorf("miprov2: propose instruction %d for %s: %w", pl.i, names[pl.p], err)
		}
		return nil
	}
	done := func(k int) error {
		return r.addInstruction(ctx, plans[k], instructions[k])
	}
	if err := forEach(ctx, r.engine, len(plans), work, done); err != nil {
		return err
	}
	r.st.Phase = miproSearch
	return nil
}

// proposal is one instruction candidate to propose: predictor p's candidate
// i, with its draws.
type proposal struct {
	p, i    int
	tip     string
	rollout int
}

// planProposals makes the draws of the proposals still to make from ahead,
// a copy of the run's generator, which makes them again as each is added.
func (r *miproRun) planProposals(ahead *pyrand.Random) []proposal {
	var plans []proposal
	for p := range r.names() {
		for i := len(r.instructionsOf(p)); i < r.cfg.proposals(); i++ {
			tip, rollout := r.drawProposal(ahead)
			plans = append(plans, proposal{p: p, i: i, tip: tip, rollout: rollout})
		}
	}
	return plans
}

// instructionsOf is predictor p's instructions proposed so far.
func (r *miproRun) instructionsOf(p int) []string {
	if p < len(r.st.Instructions) {
		return r.st.Instructions[p]
	}
	return nil
}

// addSummary records the dataset summary (nil when there is none to show)
// and checkpoints, as the proposer's first step.
func (r *miproRun) addSummary(ctx context.Context, summary *string) error {
	if summary != nil {
		r.st.Summary = *summary
	}
	r.st.UseSummary = summary != nil
	r.st.SummaryDone = true
	return r.checkpoint(ctx, Progress{Phase: miproPropose, Step: 0, Total: len(r.names()) * r.cfg.proposals()})
}

// addInstruction adds the instruction proposed for pl and checkpoints. It
// makes the proposal's draws again from the run's generator and refuses an
// instruction proposed with other draws than those.
func (r *miproRun) addInstruction(ctx context.Context, pl proposal, instruction string) error {
	if tip, rollout := r.drawProposal(r.rng); tip != pl.tip || rollout != pl.rollout {
		return fmt.Errorf("miprov2: instruction %d for %s was proposed with other draws than the run makes", pl.i, r.names()[pl.p])
	}
	if len(r.st.Instructions) != len(r.names()) {
		r.st.Instructions = make([][]string, len(r.names()))
	}
	r.st.Instructions[pl.p] = append(r.st.Instructions[pl.p], instruction)
	perPredictor := r.cfg.proposals()
	n, total := pl.p*perPredictor+pl.i+1, len(r.names())*perPredictor
	if n == total {
		r.st.Phase = miproSearch
	}
	return r.checkpoint(ctx, Progress{Phase: miproPropose, Step: n, Total: total})
}

// drawProposal makes one proposal's draws from rng: its tip (when tips are
// on) and its rollout ID.
func (r *miproRun) drawProposal(rng *pyrand.Random) (string, int) {
	tip := ""
	if r.cfg.tipAware {
		tip = miproTips[rng.Choice(len(miproTips))].text
	}
	return tip, rng.RandInt(0, miproMaxRolloutID)
}

// describedModule is what describing the program and a predictor's module
// found: DSPy's stand-ins where describing failed or is off.
type describedModule struct {
	program, module, description string
}

// summaryGrounding is the dataset summary proposals are grounded in; use
// tells whether there is one to show.
type summaryGrounding struct {
	use     bool
	summary string
}

// grounding is the summary the checkpointed state holds.
func (r *miproRun) grounding() summaryGrounding {
	return summaryGrounding{use: r.st.UseSummary, summary: r.st.Summary}
}

// proposalCall asks the prompt model one of pl's calls. All of a proposal's
// calls share its temperature and rollout, as DSPy runs them under one
// copied LM.
func (r *miproRun) proposalCall(ctx context.Context, engine Engine, pl proposal, sig dspy.Signature, inputs dspy.Example, what string) (dspy.Example, error) {
	label := fmt.Sprintf("miprov2: %s for %s, candidate %d", what, r.task.Student.Predictors[pl.p].Name, pl.i)
	outs, err := engine.Prompt(ctx, PromptCall{Signature: sig, Inputs: inputs, Temperature: dspy.Float(r.cfg.temperature), Rollout: pl.rollout, Label: label})
	if err == nil && len(outs) == 0 {
		err = errors.New("the prompt model returned no completion")
	}
	if err != nil {
		return dspy.Example{}, fmt.Errorf("%s: %w", what, err)
	}
	return outs[0], nil
}

// describe is the first half of GenerateModuleInstruction.forward for pl
// (when program-aware): describe the program, then the module, shown the
// task demos. It needs the demo sets but not the dataset summary.
func (r *miproRun) describe(ctx context.Context, engine Engine, code string, pl proposal, demos string) (describedModule, error) {
	d := describedModule{program: "Not available", module: "Not provided", description: "Not provided"}
	if !r.cfg.programAware {
		return d, nil
	}
	out, err := r.proposalCall(ctx, engine, pl, describeProgram, dspy.NewExample("program_code", code, "program_example", demos), "describe program")
	if err == nil {
		d.program = stripPrefix(out.GetString("program_description"))
		d.module = moduleString(r.task.Signatures[pl.p].Signature)
		out, err = r.proposalCall(ctx, engine, pl, describeModule, dspy.NewExample(
			"program_code", code, "program_example", demos,
			"program_description", d.program, "module", d.module), "describe module")
		if err == nil {
			d.description = out.GetString("module_description")
		}
	}
	// When describing fails, DSPy still asks with the program fields,
	// holding whatever was found before the failure.
	if err != nil {
		if err := fatalOnly(ctx, err); err != nil {
			return d, err
		}
	}
	return d, nil
}

// instruct is the rest of GenerateModuleInstruction.forward: ask for an
// instruction for pl, grounded in the summary, the descriptions, the task
// demos and the proposal's tip.
func (r *miproRun) instruct(ctx context.Context, engine Engine, code string, pl proposal, demos string, d describedModule, g summaryGrounding) (string, error) {
	inputs := dspy.NewExample()
	if g.use {
		inputs = inputs.Set("dataset_description", g.summary)
	}
	if r.cfg.programAware {
		inputs = inputs.Set("program_code", code).Set("program_description", d.program).
			Set("module", d.module).Set("module_description", d.description)
	}
	inputs = inputs.Set("task_demos", demos).Set("basic_instruction", r.task.Student.Predictors[pl.p].State.Signature.Instructions)
	if pl.tip != "" {
		inputs = inputs.Set("tip", pl.tip)
	}
	out, err := r.proposalCall(ctx, engine, pl, generateSingleModuleInstruction(g.use, r.cfg.programAware, pl.tip != ""), inputs, "propose instruction")
	if err != nil {
		return "", err
	}
	// DSPy strips the prefix in the module and again in the proposer.
	return stripPrefix(stripPrefix(out.GetString("proposed_instruction"))), nil
}

// taskDemos shows up to three bootstrapped demos of predictor p, from demo
// set i and then the sets after it, wrapping around. The first set (the
// zero-shot one) and a proposer that is not few-shot aware show none.
func (r *miproRun) taskDemos(p, set int) string { return r.taskDemosOf(p, set, r.st.DemoSets[p]) }

// taskDemosOf is taskDemos from predictor p's demo sets as given.
func (r *miproRun) taskDemosOf(p, set int, sets [][]dspy.Example) string {
	const none = "No task demos provided."
	if !r.cfg.fewshotAware || set == 0 {
		return none
	}
	ordered := append(append([][]dspy.Example{}, sets[set:]...), sets[:set]...)
	var shown []string
	for _, demos := range ordered {
		for _, d := range demos {
			if !d.Has("augmented") {
				continue
			}
			shown = append(shown, r.exampleString(p, d))
			if len(shown) == miproDemosInContext {
				return strings.Join(shown, "\n\n") + "\n\n"
			}
		}
	}
	if len(shown) == 0 {
		return none
	}
	return strings.Join(shown, "\n\n") + "\n\n"
}

// exampleString is DSPy's create_example_string: one "Prefix: value" line
// per signature field, inputs then outputs.
func (r *miproRun) exampleString(p int, ex dspy.Example) string {
	fields := r.task.Signatures[p].Signature.Fields()
	saved := r.task.Student.Predictors[p].State.Signature.Fields
	lines := make([]string, len(fields))
	for j, f := range fields {
		prefix := f.Prefix
		if len(saved) == len(fields) {
			prefix = saved[j].Prefix
		}
		v, _ := ex.Get(f.Name)
		lines[j] = prefix + " " + dspy.ValueString(v)
	}
	return strings.Join(lines, "\n")
}

// moduleString names a predictor's module as DSPy shows it to the prompt
// model: "Predict(question) -> reasoning, answer".
func moduleString(sig dspy.Signature) string {
	return "Predict(" + strings.Join(sig.InputNames(), ", ") + ") -> " + strings.Join(sig.OutputNames(), ", ")
}

// programCode describes the program to the prompt model. DSPy shows the
// program's Python source; a Go program has none to show, so this writes
// the pseudo-code DSPy's source would amount to: one signature class per
// predictor (instructions, typed fields with their descriptions) and a
// module holding a Predict per predictor, in program order.
func programCode(task Task) string {
	var b strings.Builder
	var attrs []string
	for i, ns := range task.Signatures {
		class := signatureClassName(ns.Name, i)
		sig := ns.Signature
		instructions := sig.Instructions()
		if i < len(task.Student.Predictors) {
			instructions = task.Student.Predictors[i].State.Signature.Instructions
		}
		fmt.Fprintf(&b, "class %s(dspy.Signature):\n    \"\"\"%s\"\"\"\n\n", class, instructions)
		for _, f := range sig.Inputs() {
			b.WriteString(fieldLine(f, "InputField"))
		}
		for _, f := range sig.Outputs() {
			b.WriteString(fieldLine(f, "OutputField"))
		}
		b.WriteString("\n\n")
		attrs = append(attrs, fmt.Sprintf("        self.%s = dspy.Predict(%s)\n", attrName(ns.Name), class))
	}
	b.WriteString("class Program(dspy.Module):\n    def __init__(self):\n        super().__init__()\n")
	for _, a := range attrs {
		b.WriteString(a)
	}
	return b.String()
}

func fieldLine(f dspy.Field, kind string) string {
	desc := ""
	if !f.HasDefaultDesc() {
		desc = "desc=" + pyfmt.Repr(f.Desc)
	}
	return fmt.Sprintf("    %s: %s = dspy.%s(%s)\n", f.Name, f.Type.String(), kind, desc)
}

// signatureClassName turns a predictor path ("generate.predict") into a
// class name ("GeneratePredict"); the root predictor "self" becomes "Task".
func signatureClassName(path string, i int) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '.' || r == '_' || r == '[' || r == ']' }) {
		if part == "self" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	if b.Len() == 0 {
		if i == 0 {
			return "Task"
		}
		return fmt.Sprintf("Task%d", i)
	}
	return b.String()
}

// attrName turns a predictor path into a Python attribute name.
func attrName(path string) string {
	if path == "self" {
		return "predict"
	}
	return strings.NewReplacer(".", "_", "[", "_", "]", "").Replace(path)
}
